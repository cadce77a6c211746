"""The link form: every link field grouped as the create/edit page shows it, the choices it
offers, and the translation between form values and the API's field names that
services/links.py takes. Parsing only (text to list, number, ISO time); the rules are the
service's."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, SelectField, StringField, TextAreaField
from wtforms.validators import Length

from linkhub.dashboard.forms import CHOICE_ROWS, api_data, camel, options
from linkhub.models import Link, Workspace
from linkhub.services import campaigns, domains, folders, link_fields, utm_templates

BEHAVIOR_LABELS = {
    "auto": "Auto: a matching rule, else the destination",
    "always": "Always redirect (a missing destination is an error)",
    "rule_only": "Only when a rule matches (else a 404 page)",
    "never": "Never redirect: count the click, answer 204",
}
TYPE_LABELS = {301: "301 Moved permanently", 302: "302 Found (default)",
               307: "307 Temporary redirect", 308: "308 Permanent redirect"}
TRACKING_LABELS = {"pixel": "Pixel (browser)", "s2s": "Server to server"}

TEXTS = ("destination_url", "short_code", "title", "description", "expired_url",
         "deep_link_ios", "deep_link_android", "deep_link_fallback_url", "utm_source",
         "utm_medium", "utm_campaign", "utm_term", "utm_content", "og_title", "og_description",
         "og_image", "notes", "external_id", "domain_id", "folder_id", "campaign_id",
         "utm_template_id", "redirect_behavior", "tracking_type", "expires_at")
SWITCHES = ("enabled", "preserve_query_params", "forward_utms", "inapp_browser_breakout",
            "deep_link_enabled", "conversion_tracking", "public_stats", "track_impressions")
# The page's sections, in order: (title, lead, fields).
SECTIONS = (
    ("Basics", "Where the short link goes and how your team finds it.",
     ("destination_url", "short_code", "domain_id", "title", "description", "tags",
      "folder_id", "campaign_id")),
    ("Protection & limits", "Ask for a password, stop after a date or a number of clicks.",
     ("password", "remove_password", "expires_at", "clicks_limit", "expired_url")),
    ("Redirect", "How visitors are sent on.",
     ("redirect_behavior", "redirect_type", "enabled", "preserve_query_params",
      "forward_utms", "inapp_browser_breakout")),
    ("Deep links", "Open your app on phones; other visitors get the destination.",
     ("deep_link_enabled", "deep_link_ios", "deep_link_android", "deep_link_fallback_url")),
    ("Tracking", "Conversions and UTM parameters added to the destination.",
     ("conversion_tracking", "tracking_type", "utm_template_id", "utm_source", "utm_medium",
      "utm_campaign", "utm_term", "utm_content", "public_stats", "track_impressions")),
    ("Social preview", "What chat apps and social networks show for the short link.",
     ("og_title", "og_description", "og_image")),
    ("Notes", "For your team only.", ("notes", "external_id")),
)
HELP = {
    "destination_url": "An http(s) URL. Optional when the redirect happens only through rules.",
    "short_code": "Letters, digits, - and _. Leave empty for a random 7-character code.",
    "tags": "Comma-separated names; new tags are created for you.",
    "password": "4 to 128 characters. Visitors type it before they are sent on.",
    "expires_at": "In UTC. After it the link goes to the expired URL (or a notice).",
    "clicks_limit": "Stop redirecting after this many clicks.",
    "expired_url": "Where an expired or used-up link sends visitors.",
    "preserve_query_params": "Pass the visitor's ?query on to the destination.",
    "forward_utms": "Pass incoming utm_* parameters on.",
    "inapp_browser_breakout": "Try to leave in-app browsers (Instagram, Facebook) for the "
                              "system browser.",
    "deep_link_ios": "https:// universal link or an app scheme such as myapp://path.",
    "deep_link_android": "https:// app link, an app scheme or an intent:// URI.",
    "utm_template_id": "Fills the UTM fields you leave empty.",
    "public_stats": "Anyone with the stats URL can see the click counts.",
    "og_image": "An https:// image URL, ideally 1200×630.",
    "external_id": "Your own id for this link (unique in the workspace).",
}


class LinkForm(FlaskForm):
    destination_url = StringField("Destination URL", [Length(max=4096)])
    short_code = StringField("Short code", [Length(max=200)])
    domain_id = SelectField("Domain", choices=[], validate_choice=False)
    title = StringField("Title", [Length(max=1000)])
    description = TextAreaField("Description", [Length(max=10_000)])
    tags = StringField("Tags", [Length(max=10_000)])
    folder_id = SelectField("Folder", choices=[], validate_choice=False)
    campaign_id = SelectField("Campaign", choices=[], validate_choice=False)
    password = PasswordField("Password", [Length(max=4096)])
    remove_password = BooleanField("Remove the password")
    expires_at = StringField("Expires at (UTC)")
    clicks_limit = StringField("Click limit", [Length(max=20)])
    expired_url = StringField("Expired URL", [Length(max=4096)])
    redirect_behavior = SelectField("Behaviour", validate_choice=False,
                                    choices=options(BEHAVIOR_LABELS.items()), default="auto")
    redirect_type = SelectField("Redirect type", validate_choice=False, default="302",
                                choices=options(TYPE_LABELS.items()))
    enabled = BooleanField("Enabled", default=True)
    preserve_query_params = BooleanField("Preserve query parameters", default=True)
    forward_utms = BooleanField("Forward UTM parameters", default=True)
    inapp_browser_breakout = BooleanField("Break out of in-app browsers")
    deep_link_enabled = BooleanField("Enable deep links")
    deep_link_ios = StringField("iOS target", [Length(max=4096)])
    deep_link_android = StringField("Android target", [Length(max=4096)])
    deep_link_fallback_url = StringField("Fallback URL", [Length(max=4096)])
    conversion_tracking = BooleanField("Conversion tracking")
    tracking_type = SelectField("Tracking type", validate_choice=False, default="pixel",
                                choices=options(TRACKING_LABELS.items()))
    utm_template_id = SelectField("UTM template", choices=[], validate_choice=False)
    utm_source = StringField("utm_source", [Length(max=1000)])
    utm_medium = StringField("utm_medium", [Length(max=1000)])
    utm_campaign = StringField("utm_campaign", [Length(max=1000)])
    utm_term = StringField("utm_term", [Length(max=1000)])
    utm_content = StringField("utm_content", [Length(max=1000)])
    public_stats = BooleanField("Public stats page")
    track_impressions = BooleanField("Track impressions")
    og_title = StringField("OG title", [Length(max=1000)])
    og_description = TextAreaField("OG description", [Length(max=4000)])
    og_image = StringField("OG image URL", [Length(max=4096)])
    notes = TextAreaField("Notes", [Length(max=20_000)])
    external_id = StringField("External id", [Length(max=1000)])


def fill_choices(form: LinkForm, workspace: Workspace) -> LinkForm:
    """The workspace's verified domains, folders, campaigns and UTM templates."""
    rows, _ = domains.list_domains(workspace, verified=True, sort="name", order="asc",
                                   limit=CHOICE_ROWS.limit)
    form.domain_id.choices = options([("", f"{link_fields.default_host()} (default)")] + [
        (d.public_id, d.name) for d in rows])
    form.folder_id.choices = options([("", "No folder")] + [
        (f.public_id, f.name) for f in folders.list_folders(workspace, CHOICE_ROWS)[0]])
    form.campaign_id.choices = options([("", "No campaign")] + [
        (c.public_id, c.name) for c in campaigns.list_campaigns(
            workspace, sort="name", order="asc", limit=CHOICE_ROWS.limit)[0]])
    form.utm_template_id.choices = options([("", "No template")] + [
        (t.public_id, t.name) for t in utm_templates.list_templates(workspace, CHOICE_ROWS)[0]])
    return form


def _whole_number(raw: Any) -> Any:
    """"120" -> 120; anything else goes to the service as typed (it names the problem)."""
    text = (raw or "").strip()
    if not text:
        return None
    return int(text) if text.isdigit() and len(text) < 19 else text


def split_tags(raw: str | None) -> list[str]:
    return [part.strip() for part in (raw or "").split(",") if part.strip()]


def to_api(form: LinkForm) -> dict[str, Any]:
    """The form as the API's link fields (password handled by the caller)."""
    data = api_data(form, TEXTS)
    data.update({camel(name): bool(getattr(form, name).data) for name in SWITCHES})
    data["tags"] = split_tags(form.tags.data)
    data["clicksLimit"] = _whole_number(form.clicks_limit.data)
    data["redirectType"] = _whole_number(form.redirect_type.data)
    return data


def initial(link: Link, tags: list[str]) -> dict[str, Any]:
    """Form data showing a stored link."""
    def public(related: Any) -> str:
        return related.public_id if related is not None else ""

    data: dict[str, Any] = {name: getattr(link, name) or "" for name in TEXTS
                            if hasattr(link, name) and not name.endswith("_id")}
    data.update({name: getattr(link, name) for name in SWITCHES})
    data.update(
        external_id=link.external_id or "", domain_id=public(link.domain),
        folder_id=public(link.folder), campaign_id=public(link.campaign),
        utm_template_id=public(link.utm_template), tags=", ".join(tags),
        clicks_limit=str(link.clicks_limit or ""), redirect_type=str(link.redirect_type),
        expires_at=link.expires_at.strftime("%Y-%m-%dT%H:%M") if link.expires_at else "")
    return data
