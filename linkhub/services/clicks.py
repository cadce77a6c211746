"""Rules about stored clicks that are not on the hot path: the raw-click retention period of
each workspace (rollups are kept), applied by the `purge-clicks` job."""

from __future__ import annotations

from datetime import timedelta

from linkhub import clock
from linkhub.models import Click, Workspace


def purge_expired_clicks() -> int:
    """Delete raw clicks older than each workspace's `click_retention_days` (null keeps them)."""
    now = clock.now()
    removed = 0
    for workspace in Workspace.select().where(Workspace.click_retention_days.is_null(False)):
        cutoff = now - timedelta(days=workspace.click_retention_days)
        removed += Click.delete().where(Click.workspace == workspace,
                                        Click.created_at < cutoff).execute()
    return removed
