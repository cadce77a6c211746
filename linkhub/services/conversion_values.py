"""Conversion input values: the checks every recording path shares (amounts as micro-units,
currencies known to FX, event names and their kind, order ids, metadata, statuses, timestamps)
and micro-units back to JSON numbers. Each check raises Invalid naming its field; no writes."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from typing import Any

from linkhub import clock
from linkhub.errors import Invalid
from linkhub.services import fx

STATUSES = ("pending", "approved", "refunded", "rejected", "fraud")
KINDS = ("lead", "sale", "custom")
LEAD_EVENTS = frozenset({"lead", "signup", "sign_up", "registration", "register", "form_submit",
                         "inquiry", "trial_start"})
SALE_EVENTS = frozenset({"purchase", "sale", "order", "checkout", "payment", "subscription"})
MICROS = 1_000_000
MAX_AMOUNT = Decimal(1_000_000_000)  # one billion currency units: anything above is a typo
METADATA_MAX_BYTES = 8192
ORDER_ID_MAX = 255
_EVENT_RE = re.compile(r"^[a-z0-9][a-z0-9_.:-]{0,63}$")
_AMOUNT_TEXT_RE = re.compile(r"^-?[0-9]{1,30}(\.[0-9]{1,30})?$")


def kind_of(event: str) -> str:
    name = (event or "").strip().lower()
    if name in LEAD_EVENTS:
        return "lead"
    if name in SALE_EVENTS:
        return "sale"
    return "custom"


# --- value checks (each raises Invalid naming its field) ------------------------------------

def amount_micros(value: Any, field: str = "value") -> int | None:
    """A JSON number (never a string or a boolean), finite, >= 0, at most MAX_AMOUNT, kept to
    six decimals (rounded half to even) as integer micro-units. None stays None."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
        raise Invalid(fields={field: "must be a number"})
    try:
        amount = Decimal(value) if isinstance(value, (int, Decimal)) else Decimal(repr(value))
    except (InvalidOperation, ValueError):
        raise Invalid(fields={field: "must be a number"}) from None
    if not amount.is_finite():
        raise Invalid(fields={field: "must be a finite number"})
    if amount < 0:
        raise Invalid(fields={field: "must be zero or more"})
    if amount > MAX_AMOUNT:
        raise Invalid(fields={field: f"must be at most {MAX_AMOUNT:f}"})
    return int((amount * MICROS).to_integral_value(ROUND_HALF_EVEN))


def parse_amount(text: str | None, field: str) -> Decimal | None:
    """An amount sent as text (query strings): plain decimal notation only, so `NaN`, `1e9`,
    `0x10` and `12,50` are refused. The number then goes through `amount_micros`."""
    if text is None or text.strip() == "":
        return None
    if not _AMOUNT_TEXT_RE.fullmatch(text.strip()):
        raise Invalid(fields={field: "must be a number"})
    return Decimal(text.strip())


def currency_code(value: Any, field: str = "currency") -> str:
    """ISO 4217, three letters (any case, stored upper-case), with a known FX rate."""
    if value is None:
        return fx.BASE
    if not isinstance(value, str) or not fx.known(value.strip()):
        raise Invalid(fields={field: "must be a 3-letter ISO 4217 code with a known exchange "
                                     "rate, such as USD or EUR"})
    return value.strip().upper()


def event_name(value: Any) -> str:
    if value is None:
        return "conversion"
    name = value.strip().lower() if isinstance(value, str) else None
    if not name or not _EVENT_RE.fullmatch(name):
        raise Invalid(fields={"event": "must be 1-64 letters, digits, _ . : or -, starting "
                                       "with a letter or digit"})
    return name


def order_ref(value: Any, field: str = "orderId") -> str | None:
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        raise Invalid(fields={field: "must be a string"})
    value = value.strip()
    if len(value) > ORDER_ID_MAX:
        raise Invalid(fields={field: f"must be at most {ORDER_ID_MAX} characters"})
    return value or None


def metadata_object(value: Any) -> dict | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise Invalid(fields={"metadata": "must be an object"})
    try:
        size = len(json.dumps(value, separators=(",", ":"), allow_nan=False).encode())
    except ValueError:
        raise Invalid(fields={"metadata": "must be plain JSON (no NaN or Infinity)"}) from None
    if size > METADATA_MAX_BYTES:
        raise Invalid(fields={"metadata": f"must be at most {METADATA_MAX_BYTES} bytes as JSON"})
    return value


def status_value(value: Any) -> str:
    if not isinstance(value, str) or value.strip().lower() not in STATUSES:
        raise Invalid(fields={"status": f"must be one of {', '.join(STATUSES)}"})
    return value.strip().lower()


def parse_timestamp(value: Any, field: str = "timestamp") -> datetime | None:
    """ISO 8601 text (a naive value is UTC) or epoch seconds, as naive UTC."""
    if value is None or value == "":
        return None
    try:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return datetime.fromtimestamp(value, UTC).replace(tzinfo=None)
        if isinstance(value, str):
            return clock.parse_iso(value)
    except (ValueError, OverflowError, OSError):
        pass
    raise Invalid(fields={field: "must be an ISO 8601 date-time or epoch seconds"})


def money(micros: int | None) -> int | float | None:
    """Micro-units as a JSON number in currency units (12 for 12000000, 0.5 for 500000)."""
    if micros is None:
        return None
    if micros % MICROS == 0:
        return micros // MICROS
    return float(Decimal(micros) / MICROS)
