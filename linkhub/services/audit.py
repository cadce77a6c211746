"""Recording writes in the audit log. Services call `record` after every change they make."""

from __future__ import annotations

from typing import Any

from flask import g, has_request_context

from linkhub.models import AuditLog, User, Workspace


def record(action: str, resource_type: str, resource_id: str | None, *,
           workspace: Workspace | None = None, actor: User | None = None,
           details: dict[str, Any] | None = None) -> None:
    api_key = ip = None
    if has_request_context():
        api_key = getattr(g, "api_key", None)
        ip = getattr(g, "client_ip", None)
    AuditLog.create(workspace=workspace, user=actor, api_key=api_key, action=action,
                    resource_type=resource_type, resource_id=resource_id, details=details,
                    ip=ip)
