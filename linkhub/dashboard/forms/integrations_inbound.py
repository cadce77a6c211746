"""The integration install/configure form, built per provider from the provider table (one
field per setting and per secret), and its translation to the API's `config`/`secrets` shape
that services/integrations.py takes. Labels and help texts only; every check is the service's."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, StringField
from wtforms.validators import Length

from linkhub.services.integration_settings import PROVIDERS

# (label, help) of each setting and secret key, as the dashboard shows them.
LABELS: dict[str, tuple[str, str]] = {
    "endpointSecret": ("Endpoint signing secret", "Stripe → Developers → Webhooks → your "
                       "endpoint → Signing secret (whsec_…)."),
    "webhookSecret": ("Webhook secret", "The app's client secret (or the shared secret shown "
                      "under Settings → Notifications → Webhooks)."),
    "clientSecret": ("Client secret", "Your HubSpot app's client secret (Auth tab)."),
    "signingSecret": ("Signing secret", "Slack app → Basic Information → Signing Secret."),
    "accountId": ("Stripe account id", "acct_…, for reference (optional)."),
    "shopDomain": ("Shop domain", "your-shop.myshopify.com: webhooks are matched on it."),
    "appId": ("App id", "Lets the receiver without an installation id in its URL find this "
              "installation."),
    "teamId": ("Slack team id", "T…: commands and events of this team come here."),
    "saleEvent": ("Sale event name", "The conversion event a sale records (default purchase)."),
    "leadEvent": ("Lead event name", "The conversion event a new contact records."),
    "closedWonStage": ("Closed-won deal stage", "The dealstage value that means won."),
    "currency": ("Deal currency", "Used when a deal carries no currency (ISO code)."),
    "clickProperty": ("Click id property", "The contact/deal property holding lw_cid."),
    "recordUnattributed": ("Record sales without a click", "Off: events without a usable "
                           "lw_cid are logged and ignored."),
}


def label(key: str) -> str:
    return LABELS.get(key, (key, ""))[0]


def help_text(key: str) -> str:
    return LABELS.get(key, (key, ""))[1]


def form_class(provider: str) -> type[FlaskForm]:
    """A form with `name`, `cfg_<setting>` and `sec_<secret>` fields for `provider`."""
    spec = PROVIDERS[provider]
    fields: dict[str, Any] = {"name": StringField("Name", [Length(max=1000)])}
    for key, option in spec.config.items():
        fields[f"cfg_{key}"] = (BooleanField(label(key)) if option.kind == "bool"
                                else StringField(label(key), [Length(max=1000)]))
    for key in spec.secrets:
        fields[f"sec_{key}"] = PasswordField(label(key), [Length(max=1000)],
                                             render_kw={"autocomplete": "off"})
    return type(f"{provider.title()}IntegrationForm", (FlaskForm,), fields)


def error_names(provider: str) -> dict[str, str]:
    """The service's field names -> the form's."""
    spec = PROVIDERS[provider]
    return {**{f"config.{k}": f"cfg_{k}" for k in spec.config},
            **{f"secrets.{k}": f"sec_{k}" for k in spec.secrets}}


def to_api(form: FlaskForm, provider: str, *, stored: dict[str, Any] | None = None
           ) -> dict[str, Any]:
    """{name, config, secrets}: an empty setting resets to its default, an empty secret keeps
    the stored one (secrets are entered once and never shown again)."""
    spec = PROVIDERS[provider]
    config: dict[str, Any] = {}
    for key, option in spec.config.items():
        value = getattr(form, f"cfg_{key}").data
        if option.kind == "bool":
            config[key] = bool(value)
        else:
            text = (value or "").strip()
            config[key] = text or None
    if stored is not None:  # editing: send only what changed
        config = {k: v for k, v in config.items() if stored.get(k) != v}
    secrets = {key: getattr(form, f"sec_{key}").data.strip() for key in spec.secrets
               if (getattr(form, f"sec_{key}").data or "").strip()}
    return {"name": (form.name.data or "").strip() or None, "config": config,
            "secrets": secrets}


def initial(config: dict[str, Any], name: str) -> dict[str, Any]:
    """Form data showing stored settings (secrets stay empty)."""
    data: dict[str, Any] = {"name": name}
    for key, value in config.items():
        data[f"cfg_{key}"] = value if isinstance(value, bool) else (value or "")
    return data
