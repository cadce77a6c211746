"""ids: the prefix table of decisions §4, id and API-key formats, and malformed-id handling."""

import re

import pytest

from linkhub import ids

DECISIONS_PREFIXES = {
    "link", "rule", "camp", "px", "dom", "ws", "usr", "mem", "inv", "key", "conv", "cus", "evt",
    "clk", "qr", "tag", "fld", "utm", "wh", "whd", "int", "exp", "imp", "op", "pk", "app",
    "prg", "ptn", "enr", "com", "pay", "bnt", "dsc", "ntf", "fbk",
}
ID_RE = re.compile(r"([a-z]+)_([0-9A-Za-z]{16})")


def test_prefix_table_has_every_prefix_of_the_decisions():
    assert DECISIONS_PREFIXES <= set(ids.PREFIXES.values())


def test_prefixes_are_unique():
    assert len(set(ids.PREFIXES.values())) == len(ids.PREFIXES)


@pytest.mark.parametrize("kind", sorted(ids.PREFIXES))
def test_new_id_format(kind):
    value = ids.new_id(kind)
    match = ID_RE.fullmatch(value)
    assert match and match.group(1) == ids.PREFIXES[kind]
    assert ids.is_valid(kind, value)


def test_new_ids_are_random():
    assert len({ids.new_id("link") for _ in range(200)}) == 200


def test_seed_prefixes():
    assert ids.new_id("workspace").startswith("ws_")
    assert ids.new_id("campaign").startswith("camp_")
    assert ids.new_id("pixel").startswith("px_")
    assert ids.new_id("click").startswith("clk_")


@pytest.mark.parametrize("value", [
    "", "ws_", "ws_123", "ws_" + "a" * 15, "ws_" + "a" * 17, "WS_" + "a" * 16,
    "ws-" + "a" * 16, "ws_" + "a" * 15 + "-", "ws_" + "a" * 15 + "é", " ws_" + "a" * 16,
    "ws_" + "a" * 16 + "\n", "link_" + "a" * 16, "ws__" + "a" * 16, None, 42, b"ws_" + b"a" * 16,
])
def test_malformed_or_foreign_ids_are_not_valid(value):
    assert not ids.is_valid("workspace", value)


def test_unknown_kind_is_a_programming_error():
    with pytest.raises(KeyError):
        ids.new_id("nonsense")
    with pytest.raises(KeyError):
        ids.is_valid("nonsense", "ws_" + "a" * 16)


def test_api_key_format():
    keys = {ids.new_api_key() for _ in range(100)}
    assert len(keys) == 100
    for key in keys:
        assert re.fullmatch(r"lh_[A-Za-z0-9_-]{40}", key)
        assert ids.looks_like_api_key(key)
        assert ids.api_key_lookup(key) == key[:11] and ids.api_key_lookup(key).startswith("lh_")


@pytest.mark.parametrize("value", [
    "", "lh_", "lh_" + "a" * 39, "lh_" + "a" * 41, "xx_" + "a" * 40, "lh_" + "a" * 39 + "!",
    "lh_" + "a" * 40 + "\n", "LH_" + "a" * 40,
])
def test_malformed_api_keys(value):
    assert not ids.looks_like_api_key(value)


def test_keyed_hash_is_stable_and_keyed():
    a = ids.keyed_hash(b"k1", "secret")
    assert a == ids.keyed_hash(b"k1", "secret") and len(a) == 64
    assert a != ids.keyed_hash(b"k2", "secret")


def test_tokens_are_url_safe_and_unique():
    tokens = {ids.new_token() for _ in range(50)}
    assert len(tokens) == 50
    assert all(re.fullmatch(r"[A-Za-z0-9_-]{43}", t) for t in tokens)
