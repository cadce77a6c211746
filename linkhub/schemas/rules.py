"""Request and response models for rules. Shapes and scalar types only: conditions (either
shape), field names, operators and values are checked by services/rule_shapes.py."""

from __future__ import annotations

from typing import Any

from pydantic import StrictBool, StrictInt, StrictStr

from linkhub.schemas import ApiModel, OutModel


class RuleCreate(ApiModel):
    """`linkId` or `campaignId` (or neither: a shared rule, attached to links later). Either
    shape: `conditions` as a list of `{field, operator, value}` (items may be groups
    `{logic: AND|OR|NOT, conditions: [...]}`) with `conditionLogic`, or the typed `type` +
    `conditions` object. `priority`: lower runs first (default 100)."""

    linkId: StrictStr | None = None
    campaignId: StrictStr | None = None
    name: StrictStr | None = None
    description: StrictStr | None = None
    type: StrictStr | None = None
    conditions: Any = None
    conditionLogic: StrictStr | None = None
    destinationUrl: StrictStr | None = None
    priority: StrictInt | None = None
    enabled: StrictBool | None = None
    timezone: StrictStr | None = None
    deepLinkEnabled: StrictBool | None = None
    deepLinkIos: StrictStr | None = None
    deepLinkAndroid: StrictStr | None = None
    deepLinkFallbackUrl: StrictStr | None = None
    forwardUtms: StrictBool | None = None
    preserveQueryParams: StrictBool | None = None
    inappBrowserBreakout: StrictBool | None = None
    redirectDelayMs: StrictInt | None = None


class RuleUpdate(RuleCreate):
    """Every field optional; `type` cannot change, nor the rule's link or campaign."""


class RuleListQuery(ApiModel):
    linkId: str | None = None
    campaignId: str | None = None
    shared: str | None = None
    page: str | None = None
    limit: str | None = None


class AttachBody(ApiModel):
    linkId: StrictStr | None = None


class VisitorIn(ApiModel):
    """A described visitor; every key optional. `time` defaults to now; an explicit
    `country` wins over the one derived from `ip`; `language` is a tag or a list of tags."""

    userAgent: StrictStr | None = None
    ip: StrictStr | None = None
    country: StrictStr | None = None
    language: StrictStr | list[StrictStr] | None = None
    referrer: StrictStr | None = None
    query: dict[str, Any] | None = None
    time: StrictStr | None = None
    visitorId: StrictStr | None = None


class RuleTestBody(ApiModel):
    linkId: StrictStr | None = None
    visitor: VisitorIn | None = None


class RuleOut(OutModel):
    id: str
    linkId: str | None
    campaignId: str | None
    shared: bool
    name: str
    description: str | None
    type: str | None = None
    conditions: Any
    conditionLogic: str | None = None
    destinationUrl: str | None
    priority: int
    enabled: bool
    timezone: str | None
    deepLinkEnabled: bool | None
    deepLinkIos: str | None
    deepLinkAndroid: str | None
    deepLinkFallbackUrl: str | None
    forwardUtms: bool | None
    preserveQueryParams: bool | None
    inappBrowserBreakout: bool | None
    redirectDelayMs: int | None
    attachedLinkIds: list[str]
    createdAt: str
    updatedAt: str


class RuleDeletedOut(OutModel):
    id: str
    deleted: bool


class AttachmentOut(OutModel):
    ruleId: str
    linkId: str
    attached: bool


class ConditionResultOut(OutModel):
    field: str
    operator: str
    value: Any
    actual: Any
    result: bool
    path: str


class EvaluationOut(OutModel):
    ruleId: str
    matched: bool
    conditions: list[ConditionResultOut]


class SkippedOut(OutModel):
    ruleId: str
    reason: str


class RuleTestOut(OutModel):
    matchedRuleId: str | None
    destinationUrl: str | None
    evaluations: list[EvaluationOut]
    skipped: list[SkippedOut]
    facts: dict[str, Any]


class RuleFieldsOut(OutModel):
    fields: list[dict[str, Any]]
    operators: dict[str, str]
    types: list[str]
