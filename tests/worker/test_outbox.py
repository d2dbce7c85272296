"""enqueue() joins the caller's transaction and never commits; a notification is queued once."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from app.db import session_scope
from app.models import OutboxMessage, utcnow
from app.worker import enqueue, outbox
from tests.worker.conftest import queue, rows, sample_mail


def _count(app) -> int:
    with app.app_context(), session_scope() as session:
        return session.scalar(select(func.count()).select_from(OutboxMessage))


def test_enqueue_never_commits_by_itself(mail_app):
    with mail_app.app_context():
        session = mail_app.extensions["kb.sessionmaker"]()
        assert enqueue(session, sample_mail(1)) is not None
        assert _count(mail_app) == 0  # another connection sees nothing yet
        session.rollback()
        session.close()
    assert _count(mail_app) == 0  # rolled back with the change: never sent
    with mail_app.app_context():
        session = mail_app.extensions["kb.sessionmaker"]()
        enqueue(session, sample_mail(1))
        session.commit()
        session.close()
    assert _count(mail_app) == 1


def test_the_same_notification_is_queued_once(mail_app):
    first, again = queue(mail_app, sample_mail(1), sample_mail(1, subject="改过的主题"))
    assert first is not None and again is None
    assert queue(mail_app, sample_mail(1)) == [None]  # also from a later transaction
    assert [r.subject for r in rows(mail_app)] == ["测试邮件 1：VPN 连不上"]


def test_a_duplicate_does_not_spoil_the_callers_transaction(mail_app):
    from app.models import User

    queue(mail_app, sample_mail(1))
    with mail_app.app_context(), session_scope() as session:
        session.add(User(username="li", password_hash="x", role="requester"))
        assert enqueue(session, sample_mail(1)) is None
    with mail_app.app_context(), session_scope() as session:
        assert session.scalar(select(User).where(User.username == "li")) is not None


def test_claims_never_overlap_and_count_attempts(mail_app):
    queue(mail_app, *[sample_mail(n) for n in range(5)])
    now = utcnow()
    with mail_app.app_context(), session_scope() as session:
        a = outbox.claim(session, "a", now=now, lease=60, limit=3)
        b = outbox.claim(session, "b", now=now, lease=60, limit=3)
        c = outbox.claim(session, "c", now=now, lease=60, limit=3)
    assert len(a) == 3 and len(b) == 2 and c == []
    assert not {m.id for m in a} & {m.id for m in b}
    assert {m.attempts for m in a + b} == {1}
    # Not due again until the lease ends.
    with mail_app.app_context(), session_scope() as session:
        assert outbox.claim(session, "d", now=now + dt.timedelta(seconds=59), lease=60) == []
        assert len(outbox.claim(session, "d", now=now + dt.timedelta(seconds=61), lease=60)) == 5


def test_requeue_puts_failed_messages_back(mail_app):
    queue(mail_app, sample_mail(1), sample_mail(2))
    now = utcnow()
    with mail_app.app_context(), session_scope() as session:
        first, second = outbox.claim(session, "w", now=now, lease=60)
        outbox.mark_failed(session, first.id, "w", "550 no such user")
        outbox.mark_failed(session, second.id, "w", "550 no such user")
        assert outbox.requeue(session, [first.id]) == 1
        backlog = outbox.undelivered(session)
    assert (backlog.pending, backlog.failed, backlog.total) == (1, 1, 2)
    assert [r.status for r in rows(mail_app)] == ["pending", "failed"]
