"""services/short_codes.py: alphabet, format, reserved segments from the URL map, code keys
and collision retries."""

from __future__ import annotations

import pytest

from linkhub import ids
from linkhub.errors import ApiError, Invalid
from linkhub.models import Domain, Link
from linkhub.services import short_codes
from tests.api.links_support import workspace_of


def test_alphabet_has_no_look_alikes():
    assert not set(short_codes.ALPHABET) & set("0Oo1lI")
    assert len(set(short_codes.ALPHABET)) == len(short_codes.ALPHABET) == 56


def test_generated_codes_are_seven_valid_characters():
    for _ in range(200):
        code = short_codes.generate()
        assert len(code) == 7 and set(code) <= set(short_codes.ALPHABET)
        assert short_codes.CODE_RE.match(code)


@pytest.mark.parametrize("code", ["a", "Z9", "a.b", "a-b_c", "x" * 64, "end."])
def test_valid_codes(ctx, code):
    assert short_codes.validate(code) == code


@pytest.mark.parametrize("code", [".a", "", "a b", "a/b", "x" * 65, "ü", None, 7, "Api",
                                  "STATIC", "robots.txt", "scim", "p", "s", "embed"])
def test_invalid_or_reserved_codes(ctx, code):
    with pytest.raises(Invalid) as err:
        short_codes.validate(code, "code")
    assert "code" in err.value.fields


def test_reserved_segments_follow_the_url_map(app):
    with app.app_context():
        before = short_codes.reserved_segments()
        assert "pricing" not in before
        app.add_url_rule("/pricing/<plan>", "pricing_test", lambda plan: plan)
        app.add_url_rule("/<code>/qr", "qr_test", lambda code: code)
        after = short_codes.reserved_segments()
    assert after - before == {"pricing"}
    assert {"api", "app", "static", "health", "robots.txt", "favicon.ico"} <= before
    assert short_codes.FIXED_RESERVED <= before


def test_code_key_and_domain_key(ctx, alice):
    ws = workspace_of(alice)
    blind = Domain.create(public_id=ids.new_id("domain"), workspace=ws, name="a.example.org",
                          verification_token="t", verified=True, case_sensitive=False)
    exact = Domain.create(public_id=ids.new_id("domain"), workspace=ws, name="b.example.org",
                          verification_token="t", verified=True)
    assert short_codes.code_key("AbC", None) == "AbC"
    assert short_codes.code_key("AbC", exact) == "AbC"
    assert short_codes.code_key("AbC", blind) == "abc"
    assert short_codes.domain_key(None) == 0 and short_codes.domain_key(blind) == blind.id


def test_generate_free_retries_on_collision(ctx, alice, monkeypatch):
    Link.create(public_id=ids.new_id("link"), workspace=workspace_of(alice),
                short_code="aaaaaaa", code_key="aaaaaaa")
    seq = iter(["aaaaaaa", "aaaaaaa", "bbbbbbb"])
    monkeypatch.setattr(short_codes, "generate", lambda length=7: next(seq))
    assert short_codes.generate_free(None) == "bbbbbbb"


def test_generate_free_gives_up_after_many_collisions(ctx, alice, monkeypatch):
    Link.create(public_id=ids.new_id("link"), workspace=workspace_of(alice),
                short_code="aaaaaaa", code_key="aaaaaaa")
    monkeypatch.setattr(short_codes, "generate", lambda length=7: "aaaaaaa")
    with pytest.raises(ApiError):
        short_codes.generate_free(None)


def test_deleted_links_do_not_hold_their_code(ctx, alice):
    from linkhub import clock

    Link.create(public_id=ids.new_id("link"), workspace=workspace_of(alice),
                short_code="gone", code_key="gone", deleted_at=clock.now())
    short_codes.ensure_free("gone", None)
    Link.create(public_id=ids.new_id("link"), workspace=workspace_of(alice),
                short_code="gone", code_key="gone")
    with pytest.raises(ApiError) as err:
        short_codes.ensure_free("gone", None)
    assert err.value.code == "SHORT_CODE_EXISTS"
