"""peewee models, one file per feature. ALL_MODELS lists every table in creation order; the
migrations own the schema and tests/test_migrations.py checks the two agree."""

from linkhub.models.accounts import EmailLog, OneTimeToken, User, UserSession
from linkhub.models.audit import AuditLog
from linkhub.models.bulk import BulkOperation, BulkOperationResult
from linkhub.models.campaigns import Campaign
from linkhub.models.clicks import (
    Click,
    ClickRollup,
    LinkVisitor,
    OrphanVisit,
    WorkspaceRollup,
)
from linkhub.models.conversions import Conversion, FxRate
from linkhub.models.customers import Customer
from linkhub.models.domains import Domain
from linkhub.models.exports import Export
from linkhub.models.folders import Folder
from linkhub.models.idempotency import IdempotencyRecord
from linkhub.models.imports import ImportJob, ImportRowError
from linkhub.models.integrations import Integration, IntegrationEvent
from linkhub.models.jobs import JobLease
from linkhub.models.links import Link, LinkTag
from linkhub.models.notifications import Feedback, Notification, NotificationPreference
from linkhub.models.pixels import Pixel, PixelFire
from linkhub.models.public_shares import EmbedToken, PublicShare
from linkhub.models.publishable_keys import PublishableKey
from linkhub.models.qr_codes import QrCode
from linkhub.models.rules import LinkRule, Rule
from linkhub.models.tags import Tag
from linkhub.models.utm_templates import UtmTemplate
from linkhub.models.webhooks import Webhook, WebhookAttempt, WebhookDelivery, WebhookEvent
from linkhub.models.workspaces import ApiKey, Invitation, Member, Workspace

ALL_MODELS = [
    User, Workspace, Member, Invitation, ApiKey, UserSession, OneTimeToken, EmailLog,
    IdempotencyRecord, AuditLog,
    Domain, Campaign, Tag, Folder, UtmTemplate, Link, LinkTag, Rule, LinkRule,
    Click, LinkVisitor, ClickRollup, OrphanVisit,
    WorkspaceRollup, Customer, Conversion, FxRate,
    Pixel, PixelFire,
    QrCode,
    PublishableKey,
    PublicShare, EmbedToken,
    JobLease,
    Webhook, WebhookEvent, WebhookDelivery, WebhookAttempt,
    Notification, NotificationPreference, Feedback,
    Export,
    Integration, IntegrationEvent,
    BulkOperation, BulkOperationResult,
    ImportJob, ImportRowError,
]

__all__ = [m.__name__ for m in ALL_MODELS] + ["ALL_MODELS"]
