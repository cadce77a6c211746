"""The outbound destination form (name, target URL or Segment write key and endpoint, the event
picker, enabled) and its translation to the API field names services/outbound.py takes. The
service checks every value."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectMultipleField, StringField, widgets
from wtforms.validators import Length

from linkhub.dashboard.forms import options, text_or_none
from linkhub.models import Webhook
from linkhub.services import outbound

# The form field each service field belongs beside.
NAMES = {"url": "url", "endpoint": "endpoint", "writeKey": "write_key", "name": "name",
         "events": "events", "enabled": "enabled"}


class DestinationForm(FlaskForm):
    name = StringField("Name", [Length(max=1000)])
    url = StringField("URL", [Length(max=5000)])
    write_key = StringField("Write key", [Length(max=1000)])
    endpoint = StringField("Track endpoint", [Length(max=5000)])
    events = SelectMultipleField("Trigger events", choices=[], validate_choice=False,
                                 widget=widgets.ListWidget(prefix_label=False),
                                 option_widget=widgets.CheckboxInput())
    enabled = BooleanField("Enabled", default=True)


def fill_choices(form: DestinationForm) -> DestinationForm:
    form.events.choices = options((e["type"], e["type"]) for e in outbound.trigger_events())
    return form


def descriptions() -> dict[str, str]:
    return {e["type"]: e["description"] for e in outbound.trigger_events()}


def to_api(form: DestinationForm, kind: str, *, editing: bool = False) -> dict[str, Any]:
    data: dict[str, Any] = {"name": text_or_none(form.name.data),
                            "events": list(form.events.data or []),
                            "enabled": bool(form.enabled.data)}
    if kind == "segment":
        key = text_or_none(form.write_key.data)
        if key is not None or not editing:  # left empty on edit: keep the stored key
            data["writeKey"] = key
        data["endpoint"] = text_or_none(form.endpoint.data) or outbound.SEGMENT_ENDPOINT
    else:
        data["url"] = text_or_none(form.url.data) or ""
    return data


def initial(row: Webhook) -> dict[str, Any]:
    return {"name": row.name or "", "url": row.url if row.kind != "segment" else "",
            "endpoint": row.url if row.kind == "segment" else "", "write_key": "",
            "events": list(row.events or []), "enabled": row.enabled}


def error_names(data: dict[str, Any]) -> dict[str, str]:
    """Service field names -> form fields (each `events.N` belongs beside the picker)."""
    return {**NAMES, **{f"events.{i}": "events" for i in range(len(data.get("events") or []))}}
