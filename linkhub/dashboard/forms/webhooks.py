"""The webhook form (URL, description, the event picker, an optional link, enabled) and its
translation to the API field names services/webhooks.py takes. The service checks every value."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, SelectMultipleField, StringField, widgets
from wtforms.validators import Length

from linkhub.dashboard.forms import options, text_or_none
from linkhub.models import Link, Webhook, Workspace
from linkhub.services import webhook_events, webhook_fields

LINK_CHOICES = 500  # the newest live links offered for a per-link webhook


class WebhookForm(FlaskForm):
    url = StringField("Endpoint URL", [Length(max=5000)])
    description = StringField("Description", [Length(max=1000)])
    link_id = SelectField("Link", choices=[], validate_choice=False)
    events = SelectMultipleField("Events", choices=[], validate_choice=False,
                                 widget=widgets.ListWidget(prefix_label=False),
                                 option_widget=widgets.CheckboxInput())
    enabled = BooleanField("Enabled", default=True)


def fill_choices(form: WebhookForm, workspace: Workspace,
                 webhook: Webhook | None = None) -> WebhookForm:
    """Every subscribable event, and the newest live links (plus the webhook's own)."""
    scope = webhook.scope if webhook is not None else "workspace"
    form.events.choices = options((name, name)
                                  for name in webhook_fields.selectable_events(scope))
    if webhook is None:
        rows = list(Link.select(Link.public_id, Link.short_code, Link.title)
                    .where(Link.workspace == workspace, Link.deleted_at.is_null())
                    .order_by(Link.created_at.desc(), Link.id.desc()).limit(LINK_CHOICES))
        form.link_id.choices = options([("", "Every link (workspace webhook)")] + [
            (r.public_id, f"/{r.short_code}" + (f" · {r.title}" if r.title else ""))
            for r in rows])
    return form


def descriptions() -> dict[str, dict[str, Any]]:
    """Event type -> {description, alias} for the picker's labels."""
    return {name: {"description": info.get("description", ""), "alias": info.get("linkAlias")}
            for name, info in webhook_events.CATALOGUE.items()}


def to_api(form: WebhookForm) -> dict[str, Any]:
    return {"url": text_or_none(form.url.data) or "",
            "description": text_or_none(form.description.data),
            "events": list(form.events.data or []),
            "enabled": bool(form.enabled.data)}


def link_of(form: WebhookForm) -> str | None:
    return text_or_none(form.link_id.data)


def initial(webhook: Webhook) -> dict[str, Any]:
    return {"url": webhook.url, "description": webhook.name or "",
            "events": list(webhook.events or []), "enabled": webhook.enabled}


def error_names(data: dict[str, Any]) -> dict[str, str]:
    """Service field names -> form fields (each `events.N` belongs beside the picker)."""
    names = {f"events.{i}": "events" for i in range(len(data.get("events") or []))}
    return {**names, "linkId": "link_id"}
