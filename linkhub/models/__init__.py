"""peewee models, one file per feature. ALL_MODELS lists every table in creation order; the
migrations own the schema and tests/test_migrations.py checks the two agree."""

from linkhub.models.accounts import EmailLog, OneTimeToken, User, UserSession
from linkhub.models.audit import AuditLog
from linkhub.models.idempotency import IdempotencyRecord
from linkhub.models.workspaces import ApiKey, Invitation, Member, Workspace

ALL_MODELS = [
    User, Workspace, Member, Invitation, ApiKey, UserSession, OneTimeToken, EmailLog,
    IdempotencyRecord, AuditLog,
]

__all__ = [m.__name__ for m in ALL_MODELS] + ["ALL_MODELS"]
