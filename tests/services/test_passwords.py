"""services/passwords.py: the password rules, hashing and the current-password check."""

from __future__ import annotations

import importlib.util

import argon2
import pytest

from linkhub.errors import ApiError
from linkhub.models import User
from linkhub.services import passwords


@pytest.mark.parametrize("password, email, expected", [
    ("", None, "at least 8"),
    ("1234567", None, "at least 8"),
    ("x" * 257, None, "at most 256"),
    ("password123", None, "common"),
    ("PassWord123", None, "common"),
    ("dana@example.com", "Dana@Example.com", "e-mail"),
])
def test_refused_passwords(password, email, expected):
    assert expected in passwords.problem(password, email)


@pytest.mark.parametrize("password", ["12345678x", "x" * 256, "correct horse battery",
                                      "  spaced  out  ", "pässwörd-ünïcode"])
def test_accepted_passwords(password):
    assert passwords.problem(password, "dana@example.com") is None


def test_hash_and_verify():
    stored = passwords.hash_password("correct horse battery")
    assert stored.startswith("$argon2id$")
    assert "correct horse" not in stored
    assert passwords.verify_password(stored, "correct horse battery")
    assert not passwords.verify_password(stored, "correct horse batterY")
    assert not passwords.verify_password(None, "anything")
    assert not passwords.verify_password("", "anything")
    assert not passwords.verify_password("not-a-hash", "anything")


def test_the_production_hasher_verifies_our_hashes():
    """conftest swaps in argon2's cheapest profile; real installs use PasswordHasher()."""
    production = argon2.PasswordHasher()
    assert production.type is argon2.Type.ID
    stored = passwords.hash_password("correct horse battery")
    assert production.verify(stored, "correct horse battery")
    with pytest.raises(argon2.exceptions.VerifyMismatchError):
        production.verify(stored, "wrong horse battery")
    # and the other way round: hashes made in production verify here, and get upgraded
    made_in_production = production.hash("correct horse battery")
    assert passwords.verify_password(made_in_production, "correct horse battery")
    assert passwords.needs_rehash(made_in_production)


def test_the_module_uses_argon2_defaults_outside_the_tests():
    spec = importlib.util.spec_from_file_location("fresh_passwords", passwords.__file__)
    fresh = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(fresh)
    default = argon2.PasswordHasher()
    assert fresh._hasher.type is argon2.Type.ID
    assert (fresh._hasher.time_cost, fresh._hasher.memory_cost, fresh._hasher.parallelism) == \
        (default.time_cost, default.memory_cost, default.parallelism)


def test_dummy_verify_runs_without_an_account():
    passwords.dummy_verify("whatever")
    passwords.dummy_verify("")


def test_check_current(ctx, alice):
    user = alice.user
    passwords.check_current(user, alice.password)
    with pytest.raises(ApiError) as missing:
        passwords.check_current(user, None)
    assert (missing.value.code, missing.value.status) == ("PASSWORD_REQUIRED", 400)
    with pytest.raises(ApiError) as wrong:
        passwords.check_current(user, "not-it-at-all")
    assert (wrong.value.code, wrong.value.status) == ("INVALID_PASSWORD", 401)
    social_only = User(email="s@example.com", password_hash=None)
    passwords.check_current(social_only, None)  # nothing to confirm with
