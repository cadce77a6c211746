"""pydantic models of /api/fx (rates and conversion); shapes only, no rules."""

from __future__ import annotations

from pydantic import ConfigDict, Field

from linkhub.schemas import ApiModel, OutModel

_DATE = "Day of the rates, YYYY-MM-DD (default: today, UTC)."


class FxRatesQuery(ApiModel):
    base: str | None = Field(None, description="Currency the rates are per 1 unit of "
                             "(ISO 4217; default USD).")
    date: str | None = Field(None, description=_DATE)


class FxConvertQuery(ApiModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True,
                              populate_by_name=True)

    from_: str | None = Field(None, alias="from", description="Currency of `amount`.")
    to: str | None = Field(None, description="Currency to convert to.")
    amount: str | None = Field(None, description="A non-negative decimal number.")
    date: str | None = Field(None, description=_DATE)


class FxRatesOut(OutModel):
    base: str
    date: str = Field(description="Effective day of the rates (the oldest rate used).")
    source: str = Field(description="`ecb` (stored daily rates) or `snapshot` (the copy "
                        "shipped with linkhub).")
    stale: bool = Field(description="True when the effective day is more than 3 days away "
                        "from the requested day (or today).")
    rates: dict[str, float] = Field(description="Units of each currency per 1 `base`.")


class FxConvertOut(OutModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    from_: str = Field(alias="from")
    to: str
    amount: float
    result: float = Field(description="Rounded half to even to 6 decimals.")
    rate: float = Field(description="Units of `to` per 1 `from`.")
    date: str
    source: str
    stale: bool
