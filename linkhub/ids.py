"""Public identifiers: the prefix table, id generation and parsing, API-key generation and
hashing. Integer primary keys never leave the database layer."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import string

ID_ALPHABET = string.digits + string.ascii_letters
ID_LENGTH = 16

PREFIXES: dict[str, str] = {
    # seed first
    "link": "link", "rule": "rule", "campaign": "camp", "pixel": "px", "domain": "dom",
    "workspace": "ws",
    # then ours
    "user": "usr", "member": "mem", "invitation": "inv", "api_key": "key",
    "conversion": "conv", "customer": "cus", "event": "evt", "click": "clk", "qr": "qr",
    "tag": "tag", "folder": "fld", "utm_template": "utm", "webhook": "wh",
    "webhook_delivery": "whd", "integration": "int", "export": "exp", "import": "imp",
    "operation": "op", "publishable_key": "pk", "oauth_app": "app", "program": "prg",
    "partner": "ptn", "enrollment": "enr", "commission": "com", "payout": "pay",
    "bounty": "bnt", "discount": "dsc", "notification": "ntf", "feedback": "fbk",
    "embed": "emb",  # embed tokens (public stats widgets; not in decisions §4)
}

_ID_RE = re.compile(r"^([a-z]+)_([0-9A-Za-z]{16})$")

API_KEY_PREFIX = "lh_"
API_KEY_RANDOM_LENGTH = 40
API_KEY_LOOKUP_LENGTH = 8
_API_KEY_RE = re.compile(r"^lh_[A-Za-z0-9_-]{40}$")


def new_id(kind: str) -> str:
    """A fresh public id such as `ws_3kT9...` for a kind named in PREFIXES."""
    prefix = PREFIXES[kind]
    return f"{prefix}_" + "".join(secrets.choice(ID_ALPHABET) for _ in range(ID_LENGTH))


def is_valid(kind: str, value: object) -> bool:
    """True when `value` is shaped like an id of `kind` (it may still not exist)."""
    if not isinstance(value, str):
        return False
    match = _ID_RE.fullmatch(value)
    return bool(match) and match.group(1) == PREFIXES[kind]


def new_token(nbytes: int = 32) -> str:
    """A URL-safe random secret (invitation, reset and verification links, sessions)."""
    return secrets.token_urlsafe(nbytes)


def new_api_key() -> str:
    """`lh_` + 40 URL-safe random characters."""
    body = secrets.token_urlsafe(32)[:API_KEY_RANDOM_LENGTH]
    while len(body) < API_KEY_RANDOM_LENGTH:  # token_urlsafe(32) gives 43 chars; belt and braces
        body += secrets.token_urlsafe(8)
    return API_KEY_PREFIX + body[:API_KEY_RANDOM_LENGTH]


def looks_like_api_key(value: str) -> bool:
    return bool(_API_KEY_RE.fullmatch(value))


def api_key_lookup(key: str) -> str:
    """The short, indexed, non-secret part stored beside the hash (and shown in listings)."""
    return key[: len(API_KEY_PREFIX) + API_KEY_LOOKUP_LENGTH]


def keyed_hash(secret_key: bytes, value: str) -> str:
    """HMAC-SHA256 hex digest: how API keys and one-time tokens are stored. The inputs carry
    200+ bits of entropy, so a slow password hash would only slow every request down."""
    return hmac.new(secret_key, value.encode(), hashlib.sha256).hexdigest()
