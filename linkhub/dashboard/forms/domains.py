"""Custom-domain forms (add; fallbacks, case sensitivity and app-link files) and their
translation to the API's field names that services/domains.py takes. The app-link files are
parsed from JSON text here; what they may contain is the service's call."""

from __future__ import annotations

import json
from typing import Any

from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField, TextAreaField
from wtforms.validators import Length

from linkhub.dashboard.forms import api_data
from linkhub.models import Domain

URLS = ("not_found_url", "expired_url", "root_url")
FILES = {"apple_app_site_association": "appleAppSiteAssociation", "asset_links": "assetLinks"}


class AddDomainForm(FlaskForm):
    name = StringField("Domain name", [Length(max=1000)])


class DomainSettingsForm(FlaskForm):
    root_url = StringField("Root URL", [Length(max=4096)])
    not_found_url = StringField("Not-found URL", [Length(max=4096)])
    expired_url = StringField("Expired-link URL", [Length(max=4096)])
    case_sensitive = BooleanField("Case-sensitive short codes")
    apple_app_site_association = TextAreaField("apple-app-site-association (JSON object)",
                                               [Length(max=200_000)])
    asset_links = TextAreaField("assetlinks.json (JSON array)", [Length(max=200_000)])


def to_api(form: DomainSettingsForm) -> tuple[dict[str, Any], dict[str, str]]:
    """The settings as API fields, and the JSON texts that do not parse (form field -> error)."""
    data = api_data(form, URLS)
    data["caseSensitive"] = bool(form.case_sensitive.data)
    problems: dict[str, str] = {}
    for name, key in FILES.items():
        text = (getattr(form, name).data or "").strip()
        if not text:
            data[key] = None
            continue
        try:
            data[key] = json.loads(text)
        except ValueError as exc:
            problems[name] = f"Is not valid JSON ({exc.msg} at line {exc.lineno}, column " \
                             f"{exc.colno})."
    return data, problems


def initial(domain: Domain) -> dict[str, Any]:
    data: dict[str, Any] = {name: getattr(domain, name) or "" for name in URLS}
    data["case_sensitive"] = domain.case_sensitive
    for name in FILES:
        value = getattr(domain, name)
        data[name] = "" if value is None else json.dumps(value, indent=2)
    return data
