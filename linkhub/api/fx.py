"""/api/fx: reference exchange rates (re-based to any currency) and conversions between two
currencies on a day. Parse -> services/fx.py -> envelope; no rule here."""

from __future__ import annotations

from flask import Blueprint, Response

from linkhub.api.spec import endpoint
from linkhub.auth import require
from linkhub.envelope import ok
from linkhub.schemas import fx as s
from linkhub.services import fx

bp = Blueprint("fx", __name__)
TAG = "FX rates"
READ = "conversions:read"


@bp.get("/fx/rates")
@require(READ)
@endpoint("Exchange rates on a day", query=s.FxRatesQuery, response=s.FxRatesOut, tag=TAG)
def rates(query: s.FxRatesQuery) -> Response:
    """ECB reference rates (refreshed daily by the `fx-refresh` job; the snapshot shipped with
    linkhub before the first refresh) as units of each currency per 1 `base`. `date` is the
    oldest rate's own day; `stale` says it is more than 3 days from the requested day."""
    return ok(fx.rates_answer(query.base, query.date))


@bp.get("/fx/convert")
@require(READ)
@endpoint("Convert an amount between currencies", query=s.FxConvertQuery,
          response=s.FxConvertOut, tag=TAG)
def convert(query: s.FxConvertQuery) -> Response:
    """`amount` of `from` in `to` at the day's rates (exact decimal arithmetic, result
    rounded half to even to 6 decimals)."""
    return ok(fx.convert_answer(query.from_, query.to, query.amount, query.date))
