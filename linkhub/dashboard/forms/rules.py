"""The rule builder's forms: a rule with condition rows (field, operator, value), its per-rule
flags, the priority/enable list and the "test this visitor" panel, plus the translation to
and from the API's field names that services/rules.py and rule_testing.py take. The field
and operator tables come from rule_shapes; whether a pair is allowed is the service's call."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qsl

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    FieldList,
    Form,
    FormField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import Length

from linkhub.dashboard.forms import api_data, options, text_or_none
from linkhub.models import Rule
from linkhub.services import rule_shapes

OPERATOR_LABELS = {
    "equals": "equals", "not_equals": "does not equal", "contains": "contains",
    "not_contains": "does not contain", "in": "is one of", "not_in": "is none of",
    "greater_than": "is greater than", "less_than": "is less than", "is_true": "is true",
    "is_false": "is false", "matches": "matches (regex)",
}
GROUP_LABELS = {"location": "Location", "device": "Device", "security": "Security & bots",
                "traffic": "Traffic", "time": "Time", "visitor": "Visitor"}
QUERY = "query"  # the field <select>'s value for `query.<param>`
TRI_STATE = (("", "Same as the link"), ("true", "On"), ("false", "Off"))
NULLABLE_FLAGS = ("deep_link_enabled", "forward_utms", "preserve_query_params",
                  "inapp_browser_breakout")
TEXTS = ("name", "description", "destination_url", "timezone", "deep_link_ios",
         "deep_link_android", "deep_link_fallback_url")
_ROW_ERROR = re.compile(r"^conditions\[(\d+)\]\.(field|operator|value)")


def field_groups() -> list[tuple[str, list[dict[str, Any]]]]:
    """The FIELDS table grouped for the field <select> (query parameters last)."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for item in rule_shapes.field_catalogue():
        if item["name"] == rule_shapes.QUERY_FIELD.name:
            item = {**item, "name": QUERY, "label": "Query parameter…"}
        groups.setdefault(item["group"], []).append(item)
    return [(GROUP_LABELS.get(name, name.title()), items) for name, items in groups.items()]


class ConditionForm(Form):
    field = SelectField("Field", choices=[], validate_choice=False)
    param = StringField("Query parameter name", [Length(max=200)])
    operator = SelectField("Operator", validate_choice=False,
                           choices=options([("", "operator…"), *OPERATOR_LABELS.items()]))
    value = StringField("Value", [Length(max=20_000)])


class RuleForm(FlaskForm):
    name = StringField("Rule name", [Length(max=1000)])
    description = TextAreaField("Description", [Length(max=10_000)])
    destination_url = StringField("Send matching visitors to", [Length(max=4096)])
    condition_logic = SelectField("Match", validate_choice=False, default="AND", choices=options([
        ("AND", "all conditions (AND)"), ("OR", "any condition (OR)")]))
    conditions = FieldList(FormField(ConditionForm), min_entries=1, max_entries=60)
    priority = StringField("Priority", [Length(max=20)])
    enabled = BooleanField("Enabled", default=True)
    timezone = StringField("Time zone", [Length(max=200)])
    redirect_delay_ms = StringField("Redirect delay (ms)", [Length(max=20)])
    deep_link_enabled = SelectField("Deep links", choices=options(TRI_STATE), validate_choice=False)
    deep_link_ios = StringField("iOS target", [Length(max=4096)])
    deep_link_android = StringField("Android target", [Length(max=4096)])
    deep_link_fallback_url = StringField("Deep-link fallback URL", [Length(max=4096)])
    forward_utms = SelectField("Forward UTM parameters", choices=options(TRI_STATE),
                               validate_choice=False)
    preserve_query_params = SelectField("Preserve query parameters", choices=options(TRI_STATE),
                                        validate_choice=False)
    inapp_browser_breakout = SelectField("Break out of in-app browsers", choices=options(TRI_STATE),
                                         validate_choice=False)


def _number(raw: Any) -> Any:
    text = (raw or "").strip()
    if not text:
        return None
    return int(text) if re.fullmatch(r"-?\d{1,12}", text) else text


def conditions_of(form: RuleForm) -> tuple[list[dict[str, Any]], list[int]]:
    """The rows with a field chosen, as API conditions, and each one's row index."""
    out, rows = [], []
    for index, entry in enumerate(form.conditions.entries):
        row = entry.form
        name = (row.field.data or "").strip()
        if not name:
            continue
        if name == QUERY:
            name = f"query.{(row.param.data or '').strip()}"
        condition: dict[str, Any] = {"field": name, "operator": row.operator.data or None}
        if row.operator.data not in ("is_true", "is_false"):
            condition["value"] = (row.value.data or "").strip()
        out.append(condition)
        rows.append(index)
    return out, rows


def to_api(form: RuleForm, with_conditions: bool = True) -> dict[str, Any]:
    """The form as the API's rule fields (`conditions` only when the builder can edit them)."""
    data = api_data(form, TEXTS)
    data["priority"] = _number(form.priority.data)
    data["redirectDelayMs"] = _number(form.redirect_delay_ms.data)
    data["enabled"] = bool(form.enabled.data)
    for name, key in (("deep_link_enabled", "deepLinkEnabled"),
                      ("forward_utms", "forwardUtms"),
                      ("preserve_query_params", "preserveQueryParams"),
                      ("inapp_browser_breakout", "inappBrowserBreakout")):
        data[key] = {"true": True, "false": False}.get(getattr(form, name).data)
    if with_conditions:
        data["conditionLogic"] = form.condition_logic.data or None
        data["conditions"] = conditions_of(form)[0]
    return data


def editable(rule: Rule | None) -> bool:
    """The builder edits flat condition lists; typed rules and nested groups are shown only."""
    if rule is None:
        return True
    return rule.shape == "conditions" and isinstance(rule.conditions, list) and all(
        isinstance(c, dict) and "field" in c and "logic" not in c for c in rule.conditions)


def _row(condition: dict[str, Any]) -> dict[str, str]:
    spec = rule_shapes.resolve_field(condition.get("field"))
    name = spec.name if isinstance(spec, rule_shapes.FieldSpec) else str(condition.get("field"))
    param = ""
    if name.startswith("query."):
        name, param = QUERY, name[len("query."):]
    value = condition.get("value")
    if isinstance(value, list | tuple):
        value = ", ".join(str(v) for v in value)
    return {"field": name, "param": param, "operator": str(condition.get("operator") or ""),
            "value": "" if value is None else str(value)}


def initial(rule: Rule) -> dict[str, Any]:
    """Form data showing a stored rule."""
    def tri(value: bool | None) -> str:
        return "" if value is None else ("true" if value else "false")

    data: dict[str, Any] = {name: getattr(rule, name) or "" for name in TEXTS}
    data.update(priority=str(rule.priority), enabled=rule.enabled,
                condition_logic=rule.condition_logic or "AND",
                redirect_delay_ms="" if rule.redirect_delay_ms is None
                else str(rule.redirect_delay_ms),
                **{name: tri(getattr(rule, name)) for name in NULLABLE_FLAGS})
    if editable(rule):
        data["conditions"] = [_row(c) for c in rule.conditions] or [{}]
    return data


def place_condition_errors(form: RuleForm, fields: dict[str, str],
                           rows: list[int]) -> dict[str, str]:
    """Put `conditions[i].x` errors on row rows[i]'s field; returns the errors left over."""
    rest = {}
    for key, message in fields.items():
        match = _ROW_ERROR.match(key)
        if match and int(match.group(1)) < len(rows):
            row = form.conditions.entries[rows[int(match.group(1))]].form
            target = getattr(row, match.group(2))
            target.errors = [*target.errors, message[:1].upper() + message[1:]]
        else:
            rest[key] = message
    return rest


def set_rows(form: RuleForm, rows: list[dict[str, Any]]) -> None:
    """Replace the condition rows (used by the no-JavaScript add/remove buttons)."""
    form.conditions.entries = []
    form.conditions.last_index = -1
    for row in rows or [{}]:
        form.conditions.append_entry(row)


class VisitorForm(FlaskForm):
    country = StringField("Country", [Length(max=100)])
    user_agent = StringField("User agent", [Length(max=4000)],
                             render_kw={"list": "ua-samples"})
    language = StringField("Languages", [Length(max=500)])
    referrer = StringField("Referrer", [Length(max=4000)])
    query = StringField("Query string", [Length(max=4000)])
    time = StringField("Time (UTC)", [Length(max=100)])
    visitor_id = StringField("Visitor id", [Length(max=500)])


# rule_testing's field names -> VisitorForm's
VISITOR_FIELDS = {"visitor.country": "country", "visitor.userAgent": "user_agent",
                  "visitor.language": "language", "visitor.referrer": "referrer",
                  "visitor.query": "query", "visitor.time": "time",
                  "visitor.visitorId": "visitor_id"}


def visitor_of(form: VisitorForm) -> dict[str, Any]:
    """The described visitor as POST /api/rules/test takes it (empty fields left out)."""
    visitor = {key: value for key, value in api_data(
        form, ("country", "user_agent", "referrer", "time", "visitor_id")).items()
        if value is not None}
    languages = [p.strip() for p in (form.language.data or "").split(",") if p.strip()]
    if languages:
        visitor["language"] = languages
    query = text_or_none(form.query.data)
    if query:
        pairs: dict[str, Any] = {}
        for key, value in parse_qsl(query.lstrip("?"), keep_blank_values=True):
            pairs[key] = [*pairs[key], value] if isinstance(pairs.get(key), list) else (
                [pairs[key], value] if key in pairs else value)
        visitor["query"] = pairs
    return visitor
