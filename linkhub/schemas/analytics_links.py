"""Response models of the per-link routing reports (rules, conditions, traffic flow, click
paths) and of the analytics batch and export. Types and documentation only."""

from __future__ import annotations

from typing import Any

from linkhub.schemas import OutModel
from linkhub.schemas.analytics import ClickRangeOut


class RuleStatRow(OutModel):
    ruleId: str | None
    name: str
    priority: int | None
    enabled: bool
    deleted: bool
    destinationUrl: str | None
    clicks: int
    uniqueClicks: int
    percentage: float


class RuleStatsOut(OutModel):
    rules: list[RuleStatRow]
    totalClicks: int


class ConditionStatRow(OutModel):
    path: str
    field: str
    operator: str
    value: Any
    passed: int
    failed: int
    unknown: int
    passRate: float


class ConditionStatsOut(OutModel):
    ruleId: str
    name: str
    conditionLogic: str
    evaluatedClicks: int
    matchedClicks: int
    wouldMatchClicks: int
    sampled: bool
    compiled: bool
    conditions: list[ConditionStatRow]


class FlowNode(OutModel):
    id: str
    name: str
    type: str
    value: int


class FlowLink(OutModel):
    source: str
    target: str
    value: int
    percentage: float


class TrafficFlowOut(OutModel):
    nodes: list[FlowNode]
    links: list[FlowLink]
    totalClicks: int


class MatchedRuleOut(OutModel):
    id: str
    name: str


class MatchedCondition(OutModel):
    path: str
    field: str
    operator: str
    value: Any
    actual: Any


class ClickPathRow(OutModel):
    timestamp: str
    clickId: str
    source: str
    referrer: str | None
    trigger: str
    matchedRule: MatchedRuleOut | None
    destinationHost: str
    destinationUrl: str | None
    conditionsHash: str | None
    matchedConditions: list[MatchedCondition]
    country: str | None
    region: str | None
    city: str | None
    deviceType: str | None
    os: str | None
    browser: str | None
    bot: bool
    unique: bool


class ClickPathsOut(OutModel):
    clickPaths: list[ClickPathRow]
    count: int
    limit: int
    filterType: str | None
    filterValue: str | None
    truncated: bool


class BatchErrorOut(OutModel):
    code: str
    message: str


class BatchResult(OutModel):
    id: str | None
    type: str
    success: bool
    status: int
    data: dict[str, Any] | None = None
    error: BatchErrorOut | None = None


class BatchOut(OutModel):
    results: list[BatchResult]
    count: int


class ExportOut(OutModel):
    format: str
    type: str
    dimension: str | None
    columns: list[str]
    rows: list[list[Any]]
    range: ClickRangeOut
