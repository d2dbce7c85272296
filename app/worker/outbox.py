"""The outbox table: queue in the caller's transaction, claim atomically, record outcomes.

* :func:`enqueue` adds a message to the caller's session and never commits: the message exists
  exactly when the change that caused it is committed. Queueing the same ``dedupe_key`` twice
  (even from two transactions at once) keeps one row — ``INSERT … ON CONFLICT DO NOTHING``.
* :func:`claim` reserves due messages for one worker with a lease: on PostgreSQL with
  ``SELECT … FOR UPDATE SKIP LOCKED`` (workers never wait for or take each other's rows), on
  SQLite with one ``UPDATE`` of the due rows (SQLite has one writer at a time). A message
  whose worker died is due again when its lease expires.
* :func:`mark_sent`, :func:`mark_retry`, :func:`mark_failed` only touch a row the worker still
  holds (``claimed_by``), so a worker that lost its lease cannot overwrite another's outcome.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import Session

from ..models import OutboxMessage, utcnow
from .message import Mail

UTC = dt.timezone.utc
ERROR_MAX = 2000


def _utc(when: dt.datetime | None) -> dt.datetime | None:
    """Aware UTC (SQLite hands back naive values, which are UTC)."""
    if when is None:
        return None
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


def _insert(session: Session):
    name = session.get_bind().dialect.name
    if name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    elif name == "sqlite":
        from sqlalchemy.dialects.sqlite import insert
    else:  # pragma: no cover - the project supports SQLite and PostgreSQL
        raise RuntimeError(f"unsupported database {name}")
    return insert(OutboxMessage)


def enqueue(session: Session, mail: Mail, *, now: dt.datetime | None = None) -> int | None:
    """Queue ``mail`` in ``session``'s transaction (no commit). The row id, or None when a
    message with the same ``dedupe_key`` is already queued (or sent)."""
    now = _utc(now) or utcnow()
    session.flush()  # the ticket this message points at must exist first
    stmt = (
        _insert(session)
        .values(
            kind=mail.kind,
            dedupe_key=mail.dedupe_key[:255],
            ticket_id=mail.ticket_id,
            to_addr=mail.to_addr,
            to_name=(mail.to_name or None) and mail.to_name[:100],
            subject=mail.subject[:300],
            body_text=mail.text,
            body_html=mail.html,
            message_id=mail.message_id,
            headers=dict(mail.headers),
            status="pending",
            attempts=0,
            next_attempt_at=now,
            created_at=now,
        )
        .on_conflict_do_nothing(index_elements=["dedupe_key"])
        .returning(OutboxMessage.id)
    )
    return session.execute(stmt).scalar()


def _due(now: dt.datetime):
    return or_(
        and_(OutboxMessage.status == "pending", OutboxMessage.next_attempt_at <= now),
        and_(OutboxMessage.status == "sending", OutboxMessage.lease_until < now),
    )


def claim(session: Session, worker: str, *, now: dt.datetime, lease: float, limit: int = 20) -> list[OutboxMessage]:
    """Reserve up to ``limit`` due messages for ``worker`` and commit; they are returned with
    ``attempts`` already counted. Of the due ones, the first queued first (by id, not by retry
    time): after an outage one ticket's messages still go out in the order they happened."""
    now = _utc(now)
    until = now + dt.timedelta(seconds=lease)
    order = (OutboxMessage.id,)
    if session.get_bind().dialect.name == "postgresql":
        ids = list(session.scalars(
            select(OutboxMessage.id).where(_due(now)).order_by(*order).limit(limit)
            .with_for_update(skip_locked=True)
        ))
        if ids:
            session.execute(
                update(OutboxMessage).where(OutboxMessage.id.in_(ids))
                .values(status="sending", claimed_by=worker, lease_until=until,
                        attempts=OutboxMessage.attempts + 1)
                .execution_options(synchronize_session=False)
            )
    else:
        if session.scalar(select(OutboxMessage.id).where(_due(now)).limit(1)) is None:
            session.commit()
            return []  # nothing due: no write transaction every poll
        # SQLite runs one writer at a time: a single UPDATE … WHERE id IN (due ids) is atomic, so
        # two workers can never both claim a row; the rows are found again by this claim's lease.
        due_ids = select(OutboxMessage.id).where(_due(now)).order_by(*order).limit(limit).scalar_subquery()
        session.execute(
            update(OutboxMessage).where(OutboxMessage.id.in_(due_ids))
            .values(status="sending", claimed_by=worker, lease_until=until, attempts=OutboxMessage.attempts + 1)
            .execution_options(synchronize_session=False)
        )
        session.commit()
        ids = list(session.scalars(select(OutboxMessage.id).where(
            OutboxMessage.claimed_by == worker, OutboxMessage.status == "sending", OutboxMessage.lease_until == until)))
    session.commit()
    if not ids:
        return []
    rows = list(session.scalars(select(OutboxMessage).where(OutboxMessage.id.in_(ids)).order_by(*order)))
    session.commit()
    return rows


def renew(session: Session, message_id: int, worker: str, *, now: dt.datetime, lease: float) -> bool:
    """Extend the lease right before sending; False when the message is no longer ours."""
    result = session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id, OutboxMessage.claimed_by == worker, OutboxMessage.status == "sending")
        .values(lease_until=_utc(now) + dt.timedelta(seconds=lease))
        .execution_options(synchronize_session=False)
    )
    session.commit()
    return result.rowcount == 1


def _finish(session: Session, message_id: int, worker: str, **values) -> bool:
    result = session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id, OutboxMessage.claimed_by == worker, OutboxMessage.status == "sending")
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    session.commit()
    return result.rowcount == 1


def mark_sent(session: Session, message_id: int, worker: str, *, now: dt.datetime) -> bool:
    return _finish(session, message_id, worker, status="sent", sent_at=_utc(now), lease_until=None,
                   claimed_by=None, last_error=None)


def retry_delay(attempts: int, base: float, cap: float) -> float:
    """Exponential back-off with ±20 % jitter: base, 2·base, 4·base … at most ``cap``."""
    delay = min(cap, base * (2 ** max(0, attempts - 1)))
    return delay * random.uniform(0.8, 1.2) if delay else 0.0


def mark_retry(session: Session, message_id: int, worker: str, error: str, *, now: dt.datetime,
               delay: float) -> bool:
    return _finish(session, message_id, worker, status="pending", claimed_by=None, lease_until=None,
                   next_attempt_at=_utc(now) + dt.timedelta(seconds=delay), last_error=error[:ERROR_MAX])


def mark_failed(session: Session, message_id: int, worker: str, error: str) -> bool:
    return _finish(session, message_id, worker, status="failed", claimed_by=None, lease_until=None,
                   last_error=error[:ERROR_MAX])


def requeue(session: Session, ids: list[int] | None = None, *, now: dt.datetime | None = None) -> int:
    """Put failed messages (all, or ``ids``) back in the queue, due now; committed. The count."""
    where = [OutboxMessage.status == "failed"]
    if ids:
        where.append(OutboxMessage.id.in_(ids))
    result = session.execute(
        update(OutboxMessage).where(*where)
        .values(status="pending", next_attempt_at=_utc(now) or utcnow(), attempts=0)
        .execution_options(synchronize_session=False)
    )
    session.commit()
    return result.rowcount


@dataclass
class Backlog:
    pending: int
    sending: int
    failed: int
    rows: list[OutboxMessage]

    @property
    def total(self) -> int:
        return self.pending + self.sending + self.failed


def undelivered(session: Session, *, limit: int = 200) -> Backlog:
    """Every message not yet sent: counts per status and the oldest ``limit`` rows."""
    counts = dict(session.execute(
        select(OutboxMessage.status, func.count()).where(OutboxMessage.status != "sent").group_by(OutboxMessage.status)
    ).all())
    rows = list(session.scalars(
        select(OutboxMessage).where(OutboxMessage.status != "sent")
        .order_by(OutboxMessage.created_at, OutboxMessage.id).limit(limit)
    ))
    return Backlog(counts.get("pending", 0), counts.get("sending", 0), counts.get("failed", 0), rows)
