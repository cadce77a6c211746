"""`POST /api/rules/test`: a described visitor turned into the same facts object the redirect
builds, run through the same rule set (`rules.rules_for_link`) and the same engine
(`evaluate.explain`). It reports; it writes nothing and records no click."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from flask import current_app

from linkhub import clock
from linkhub.errors import Invalid
from linkhub.models import Workspace
from linkhub.redirect import evaluate, geo
from linkhub.redirect.facts import MAX_REFERRER, VisitorFacts
from linkhub.services import rules

MAX_UA = 1024
MAX_QUERY_ITEMS = 100
_LANGUAGE = re.compile(r"[A-Za-z]{1,8}(?:[-_][A-Za-z0-9]{1,8}){0,4}")
_COUNTRY = re.compile(r"[A-Za-z]{2}")
REPORTED_FACTS = ("country", "continent", "deviceType", "os", "osVersion", "browser",
                  "browserVersion", "deviceBrand", "bot", "isCrawler", "language", "referrer",
                  "referrerDomain", "isNewVisitor", "visitorId")


class DescribedVisitor:
    """Facts for a visitor described in JSON: a VisitorFacts over a synthetic environ, with the
    explicitly given `country` and `visitorId` winning over what it would derive."""

    def __init__(self, base: VisitorFacts, overrides: Mapping[str, Any]) -> None:
        self.base = base
        self.overrides = dict(overrides)

    def get(self, field: str) -> Any:
        if field in self.overrides:
            return self.overrides[field]
        return self.base.get(field)


def _text(visitor: Mapping[str, Any], key: str, limit: int, errors: dict[str, str]) -> str:
    value = visitor.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        errors[f"visitor.{key}"] = "must be a string"
        return ""
    if len(value) > limit:
        errors[f"visitor.{key}"] = f"must be at most {limit} characters"
    return value.strip()


def _languages(value: Any, errors: dict[str, str]) -> str:
    if value is None:
        return ""
    items = value if isinstance(value, list) else [value]
    if not items or len(items) > 20 or not all(
            isinstance(i, str) and _LANGUAGE.fullmatch(i.strip()) for i in items):
        errors["visitor.language"] = "must be a language tag (es, es-MX) or a list of them"
        return ""
    return ",".join(i.strip() for i in items)


def _query(value: Any, errors: dict[str, str]) -> str:
    if value is None:
        return ""
    scalar = (str, int, float, bool)
    if (not isinstance(value, dict) or len(value) > MAX_QUERY_ITEMS
            or not all(isinstance(v, scalar) or (isinstance(v, list)
                                                 and all(isinstance(x, scalar) for x in v))
                       for v in value.values())):
        errors["visitor.query"] = "must be an object of parameter names to text values"
        return ""
    return urlencode({k: v for k, v in value.items()}, doseq=True)


def describe(visitor: Mapping[str, Any]) -> DescribedVisitor:
    """Validate the visitor description (400 naming `visitor.<key>`) and build its facts."""
    errors: dict[str, str] = {}
    user_agent = _text(visitor, "userAgent", MAX_UA, errors)
    referrer = _text(visitor, "referrer", MAX_REFERRER, errors)
    ip_text = _text(visitor, "ip", 64, errors)
    if ip_text and geo.parse_ip(ip_text) is None:
        errors["visitor.ip"] = "must be an IPv4 or IPv6 address"
    country = _text(visitor, "country", 2, errors)
    if country and not _COUNTRY.fullmatch(country):
        errors["visitor.country"] = "must be a two-letter country code"
    visitor_id = _text(visitor, "visitorId", 128, errors)
    when = clock.now()
    time_text = _text(visitor, "time", 64, errors)
    if time_text:
        try:
            when = clock.parse_iso(time_text)
        except ValueError:
            errors["visitor.time"] = "must be an ISO 8601 date-time"
    languages = _languages(visitor.get("language"), errors)
    query = _query(visitor.get("query"), errors)
    if errors:
        raise Invalid(fields=errors)
    environ = {"REQUEST_METHOD": "GET", "HTTP_USER_AGENT": user_agent,
               "HTTP_ACCEPT_LANGUAGE": languages, "HTTP_REFERER": referrer,
               "QUERY_STRING": query}
    secret = current_app.config["LINKHUB_SECRETS"]["hashing_key"].encode()
    base = VisitorFacts(environ, client_ip=ip_text, now=when, secret=secret,
                        settings=current_app.config["LINKHUB"])
    overrides: dict[str, Any] = {}
    if country:
        overrides.update(country=country.upper(), continent=geo.continent(country.upper()))
    if visitor_id:
        overrides["visitorId"] = visitor_id
    return DescribedVisitor(base, overrides)


def run(workspace: Workspace, link_id: Any, visitor: Mapping[str, Any] | None) -> dict[str, Any]:
    """Which rule of the link would match this visitor, where they would go, and why."""
    if link_id is None:
        raise Invalid(fields={"linkId": "is required"})
    if visitor is not None and not isinstance(visitor, Mapping):
        raise Invalid(fields={"visitor": "must be an object"})
    link = rules.live_link(workspace, link_id)
    facts = describe(visitor or {})
    applying = rules.rules_for_link(link)
    compiled = evaluate.compile_rules(applying)
    evaluations = evaluate.explain(compiled, facts, default_timezone=workspace.timezone)
    matched_id = evaluate.first_match(evaluations)
    matched = next((r for r in applying if r["id"] == matched_id), None)
    destination = link.destination_url
    if matched is not None and matched.get("destinationUrl"):
        destination = matched["destinationUrl"]
    reported = {name: facts.get(name) for name in REPORTED_FACTS}
    reported["time"] = clock.iso(facts.get("time"))
    return {
        "matchedRuleId": matched_id,
        "destinationUrl": destination,
        "evaluations": [e.to_dict() for e in evaluations],
        "skipped": [{"ruleId": rule_id, "reason": reason}
                    for rule_id, reason in compiled.skipped],
        "facts": reported,
    }
