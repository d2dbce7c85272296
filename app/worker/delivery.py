"""Delivering due outbox messages: claim, send, record — one pass at a time.

Guarantees (see README.md): a message is sent at most once while its lease holds (the lease
is longer than two SMTP timeouts and is renewed before a send when less than that is left), and it is never
dropped: every outcome is written to its row — sent, retry later (with the reason and the
time of the next try), or failed (a 5xx reply, or temporary failures for longer than
``KB_OUTBOX_MAX_AGE``). A failed message stays listed by ``kb outbox`` until
``kb outbox retry`` queues it again.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field

from flask import current_app

from ..models import utcnow
from . import outbox
from .message import build_email
from .settings import WorkerSettings
from .smtp import SendError, SmtpTransport

log = logging.getLogger("app.worker")
BATCH = 20


@dataclass
class DeliveryReport:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def attempted(self) -> int:
        return self.sent + self.retried + self.failed


def _lease_left(row, now: dt.datetime) -> float:
    """Seconds of this worker's lease left on ``row`` (as claimed; renewed below when short)."""
    until = row.lease_until if row.lease_until.tzinfo else row.lease_until.replace(tzinfo=dt.timezone.utc)
    return (until - now).total_seconds()


def _age(row, now: dt.datetime) -> float:
    created = row.created_at if row.created_at.tzinfo else row.created_at.replace(tzinfo=dt.timezone.utc)
    return (now - created).total_seconds()


NOT_STAFF = "收件人已不是启用的服务台成员，没有发送"


def _still_allowed(session, row) -> bool:
    """A message for the service desk still has an active agent or admin at its address: one
    queued before its recipient was disabled or demoted (or while the mail server was down for
    a day) is not sent to someone who may no longer see tickets."""
    from sqlalchemy import func, select

    from ..models import User
    from ..notifications.compose import STAFF_KINDS
    from ..visibility import TICKET_STAFF_ROLES

    if row.kind not in STAFF_KINDS:
        return True
    return session.scalar(select(func.count()).select_from(User).where(
        func.lower(User.email) == row.to_addr.strip().lower(), User.active.is_(True),
        User.role.in_(TICKET_STAFF_ROLES))) > 0


def deliver_due(settings: WorkerSettings, worker: str, *, now: dt.datetime | None = None,
                transport: SmtpTransport | None = None, limit: int | None = None) -> DeliveryReport:
    """Send every due message (up to ``limit``); stops early when the server is unreachable."""
    report = DeliveryReport()
    if settings.smtp is None:
        return report
    fixed_now = now
    own_transport = transport is None
    transport = transport or SmtpTransport(settings.smtp)
    session = current_app.extensions["kb.sessionmaker"]()
    try:
        while limit is None or report.attempted < limit:
            claimed = outbox.claim(session, worker, now=fixed_now or utcnow(), lease=settings.lease,
                                   limit=BATCH if limit is None else min(BATCH, limit - report.attempted))
            if not claimed:
                break
            down = _send_batch(session, claimed, settings, worker, transport, report, fixed_now)
            if down is not None:
                log.warning("邮件服务器不可用，本轮停止发送，稍后重试：%s", down)
                break
    finally:
        session.close()
        if own_transport:
            transport.close()
    return report


def _send_batch(session, claimed, settings, worker, transport, report, fixed_now) -> SendError | None:
    """Send a claimed batch; the connection error that stopped it, if any (the rest is released)."""
    down: SendError | None = None
    sender = settings.sender
    for row in claimed:
        now = fixed_now or utcnow()
        if down is not None:
            _retry(session, row, worker, down, settings, now, report)
            continue
        if _lease_left(row, now) < 2 * settings.smtp.timeout and not outbox.renew(
                session, row.id, worker, now=now, lease=settings.lease):
            log.warning("outbox %s: lease lost before sending; another worker has it", row.id)
            continue
        if not _still_allowed(session, row):
            outbox.mark_failed(session, row.id, worker, NOT_STAFF)
            report.failed += 1
            log.warning("outbox %s → %s: 收件人已不是启用的服务台成员，没有发送（%s）", row.id, row.to_addr, row.kind)
            continue
        try:
            msg = build_email(sender=sender, to_addr=row.to_addr, to_name=row.to_name, subject=row.subject,
                              text=row.body_text, html=row.body_html, message_id=row.message_id,
                              headers=row.headers, date=row.created_at)
            transport.send(msg, sender=sender.addr_spec, to_addr=row.to_addr)
        except SendError as error:
            if error.permanent:
                outbox.mark_failed(session, row.id, worker, error.message)
                report.failed += 1
                report.errors.append(error.message)
                log.error("outbox %s → %s: 永久失败，不再重试：%s", row.id, row.to_addr, error.message)
            else:
                _retry(session, row, worker, error, settings, now, report)
            if error.connection_lost:
                down = error
            continue
        except Exception as exc:  # noqa: BLE001 - a bug must not lose the message: retry it later
            log.exception("outbox %s: unexpected error while sending", row.id)
            _retry(session, row, worker, SendError(f"发送时出错：{exc!r}"), settings, now, report)
            continue
        if outbox.mark_sent(session, row.id, worker, now=now):
            report.sent += 1
            log.info("outbox %s → %s 已发送（%s）", row.id, row.to_addr, row.kind)
        else:
            log.warning("outbox %s: sent, but the lease was lost meanwhile", row.id)
            report.sent += 1
    return down


def _retry(session, row, worker, error: SendError, settings: WorkerSettings, now, report) -> None:
    if _age(row, now) > settings.max_age:
        hours = settings.max_age / 3600
        message = f"{error.message}（{hours:g} 小时内重试 {row.attempts} 次仍未成功，不再重试；可用 kb outbox retry 重新发送）"
        outbox.mark_failed(session, row.id, worker, message)
        report.failed += 1
        report.errors.append(message)
        log.error("outbox %s → %s: %s", row.id, row.to_addr, message)
        return
    delay = outbox.retry_delay(row.attempts, settings.retry_base, settings.retry_max)
    outbox.mark_retry(session, row.id, worker, error.message, now=now, delay=delay)
    report.retried += 1
    report.errors.append(error.message)
