"""Request and response models of /api/notifications. Types only; the rules (known kinds,
defaults) are in services/notifications.py."""

from __future__ import annotations

from pydantic import Field

from linkhub.schemas import ApiModel, OutModel
from linkhub.schemas.links import StrictModel


class NotificationListQuery(ApiModel):
    unread: str | None = Field(None, description="`true`: only unread notifications.")


class NotificationOut(OutModel):
    id: str
    kind: str = Field(description="webhook_disabled, export_ready, import_finished, "
                      "bulk_finished, invitation_accepted, …")
    title: str
    body: str
    url: str | None = Field(description="Where to look (a dashboard path), if anywhere.")
    read: bool
    readAt: str | None
    createdAt: str


class UnreadCountOut(OutModel):
    unread: int


class ReadAllOut(OutModel):
    marked: int = Field(description="How many were unread.")
    unread: int


class PreferenceIn(StrictModel):
    kind: str = Field(description="One of the kinds listed by GET …/preferences.")
    inApp: bool | None = Field(None, description="Show it in the dashboard.")
    email: bool | None = Field(None, description="Also send it by e-mail.")


class PreferencesIn(StrictModel):
    """Only the kinds sent change; a missing flag keeps its current value."""

    preferences: list[PreferenceIn]


class PreferenceOut(OutModel):
    kind: str
    label: str
    inApp: bool
    email: bool
    default: bool = Field(description="True while the user has not chosen: the kind's "
                          "default applies.")


class PreferencesOut(OutModel):
    preferences: list[PreferenceOut]
