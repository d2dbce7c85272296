"""The worker's own timed job: keep the outbox table small."""

from __future__ import annotations

import datetime as dt

from flask import current_app
from sqlalchemy import delete
from sqlalchemy.orm import Session

from ..models import OutboxMessage
from .settings import WorkerSettings


def prune_outbox(session: Session, now: dt.datetime) -> int:
    """Delete messages sent more than ``KB_OUTBOX_KEEP_DAYS`` days ago; unsent ones are never touched."""
    keep = WorkerSettings.from_config(current_app.config).keep_days
    cutoff = now - dt.timedelta(days=keep)
    result = session.execute(
        delete(OutboxMessage).where(OutboxMessage.status == "sent", OutboxMessage.sent_at < cutoff)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount
