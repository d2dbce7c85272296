"""kb worker delivers the outbox over a real SMTP server: what arrives, and what happens when
the server refuses, is down, or dies with a message in flight."""

from __future__ import annotations

import datetime as dt

from app.models import utcnow
from app.worker.runner import Worker
from tests.worker.conftest import queue, rows, sample_mail


def test_a_queued_message_arrives_with_chinese_headers_and_both_parts(mail_app, smtp_server):
    queue(mail_app, sample_mail(1, headers={"In-Reply-To": "<ticket.IT-1@corp.example>",
                                            "References": "<ticket.IT-1@corp.example>"}))
    report = Worker(mail_app).run_once()
    assert report.delivery.sent == 1
    (got,) = smtp_server.wait_for(1)
    msg = got.message
    assert got.mail_from == "helpdesk@corp.example"
    assert got.rcpt_tos == ["user1@corp.example"]
    assert msg["Subject"] == "测试邮件 1：VPN 连不上"
    assert b"=?utf-8?" in got.raw.split(b"\r\n\r\n")[0].lower()  # RFC 2047 on the wire, not raw UTF-8
    assert got.raw.isascii()
    assert msg["From"].addresses[0].display_name == "IT 服务台"
    assert msg["To"].addresses[0].display_name == "张三"
    assert msg["Message-ID"] == "<test.1@corp.example>"
    assert msg["In-Reply-To"] == msg["References"] == "<ticket.IT-1@corp.example>"
    assert msg["Auto-Submitted"] == "auto-generated"
    assert msg["Date"].datetime.tzinfo is not None
    assert msg.get_content_type() == "multipart/alternative"
    assert "这是第 1 封测试邮件。" in got.text
    assert "<b>1</b>" in got.html
    (row,) = rows(mail_app)
    assert (row.status, row.attempts, row.last_error) == ("sent", 1, None)
    assert row.sent_at is not None
    # Nothing is sent twice.
    assert Worker(mail_app).run_once().delivery.sent == 0
    assert len(smtp_server.messages) == 1


def test_without_smtp_url_messages_stay_in_the_outbox(make_mail_app, smtp_server):
    app = make_mail_app()  # no KB_SMTP_URL
    queue(app, sample_mail(1), sample_mail(2))
    report = Worker(app).run_once()
    assert report.delivery.attempted == 0
    assert [r.status for r in rows(app)] == ["pending", "pending"]
    assert smtp_server.messages == []


def test_a_server_that_is_down_means_later_delivery(make_mail_app):
    from tests.mailhelpers import SmtpServer, free_port

    port = free_port()  # nothing listens here yet
    app = make_mail_app(KB_SMTP_URL=f"smtp://127.0.0.1:{port}")
    queue(app, sample_mail(1), sample_mail(2))
    now = utcnow()
    report = Worker(app).run_once(now=now)
    assert (report.delivery.sent, report.delivery.retried, report.delivery.failed) == (0, 2, 0)
    for row in rows(app):
        assert row.status == "pending" and row.attempts == 1
        assert "无法连接邮件服务器" in row.last_error
        wait = (row.next_attempt_at.replace(tzinfo=dt.timezone.utc) - now).total_seconds()
        assert 48 <= wait <= 72  # KB_OUTBOX_RETRY_BASE 60 s ± 20 % jitter
    # Not due yet: nothing is tried.
    assert Worker(app).run_once(now=now + dt.timedelta(seconds=30)).delivery.attempted == 0
    server = SmtpServer(port).start()
    try:
        report = Worker(app).run_once(now=now + dt.timedelta(seconds=80))
        assert report.delivery.sent == 2
        assert sorted(m.message["Message-ID"] for m in server.wait_for(2)) == ["<test.1@corp.example>", "<test.2@corp.example>"]
    finally:
        server.stop()
    assert [(r.status, r.attempts) for r in rows(app)] == [("sent", 2), ("sent", 2)]


def test_back_off_doubles_per_attempt_up_to_the_cap():
    from app.worker.outbox import retry_delay

    for attempts, expected in ((1, 60), (2, 120), (3, 240), (6, 1920), (7, 3600), (30, 3600)):
        assert expected * 0.8 <= retry_delay(attempts, 60, 3600) <= expected * 1.2


def test_a_permanent_refusal_is_recorded_and_not_retried(mail_app, smtp_server):
    smtp_server.reject["nobody@corp.example"] = "550 5.1.1 <nobody@corp.example>: mailbox unavailable"
    queue(mail_app, sample_mail(1), sample_mail(2, to_addr="nobody@corp.example"), sample_mail(3))
    now = utcnow()
    report = Worker(mail_app).run_once(now=now)
    assert (report.delivery.sent, report.delivery.failed, report.delivery.retried) == (2, 1, 0)
    refused = rows(mail_app)[1]
    assert refused.status == "failed" and refused.attempts == 1
    assert "550 5.1.1" in refused.last_error and "拒绝收件人" in refused.last_error
    # Days later it is still not retried.
    assert Worker(mail_app).run_once(now=now + dt.timedelta(days=2)).delivery.attempted == 0
    assert sorted(m.rcpt_tos[0] for m in smtp_server.messages) == ["user1@corp.example", "user3@corp.example"]


def test_a_temporary_refusal_is_retried(mail_app, smtp_server):
    smtp_server.reject["user1@corp.example"] = "451 4.3.0 try again later"
    queue(mail_app, sample_mail(1))
    now = utcnow()
    assert Worker(mail_app).run_once(now=now).delivery.retried == 1
    (row,) = rows(mail_app)
    assert row.status == "pending" and "451 4.3.0" in row.last_error
    del smtp_server.reject["user1@corp.example"]
    assert Worker(mail_app).run_once(now=now + dt.timedelta(minutes=5)).delivery.sent == 1
    assert len(smtp_server.wait_for(1)) == 1


def test_temporary_failures_for_longer_than_max_age_end_as_failed(make_mail_app):
    from tests.mailhelpers import free_port

    app = make_mail_app(KB_SMTP_URL=f"smtp://127.0.0.1:{free_port()}", KB_OUTBOX_MAX_AGE=3600)
    queue(app, sample_mail(1))
    created = rows(app)[0].created_at.replace(tzinfo=dt.timezone.utc)
    assert Worker(app).run_once(now=created + dt.timedelta(minutes=1)).delivery.retried == 1
    report = Worker(app).run_once(now=created + dt.timedelta(hours=2))
    assert report.delivery.failed == 1
    (row,) = rows(app)
    assert row.status == "failed" and "不再重试" in row.last_error and row.attempts == 2


def test_killing_the_server_mid_run_loses_nothing_and_sends_nothing_twice(mail_app, smtp_server):
    from tests.mailhelpers import SmtpServer

    mails = [sample_mail(n) for n in range(1, 11)]
    queue(mail_app, *mails)
    smtp_server.hang_after = 4  # the 5th message stalls in DATA until the server dies
    import threading

    now = utcnow()
    results = []
    runner = threading.Thread(target=lambda: results.append(Worker(mail_app).run_once(now=now)))
    runner.start()
    assert smtp_server.hanging.wait(10), "the server never got the 5th message"
    smtp_server.stop()  # killed with a message in flight
    runner.join(30)
    assert not runner.is_alive()
    delivery = results[0].delivery
    assert delivery.sent == 4 and delivery.retried == 6 and delivery.failed == 0
    states = [r.status for r in rows(mail_app)]
    assert states.count("sent") == 4 and states.count("pending") == 6
    # The server comes back on the same address; after the back-off everything else arrives.
    revived = SmtpServer(smtp_server.port).start()
    try:
        assert Worker(mail_app).run_once(now=now + dt.timedelta(minutes=5)).delivery.sent == 6
        received = smtp_server.messages + revived.wait_for(6)
    finally:
        revived.stop()
    ids = [m.message["Message-ID"] for m in received]
    assert sorted(ids) == sorted(m.message_id for m in mails)  # each exactly once
    assert all(r.status == "sent" for r in rows(mail_app))


def test_a_message_held_by_a_dead_worker_is_sent_after_its_lease(mail_app, smtp_server):
    from app.db import session_scope
    from app.worker import outbox

    queue(mail_app, sample_mail(1))
    now = utcnow()
    with mail_app.app_context(), session_scope() as session:  # a worker claims it, then dies
        (claimed,) = outbox.claim(session, "dead-worker", now=now, lease=30)
    assert Worker(mail_app).run_once(now=now + dt.timedelta(seconds=10)).delivery.attempted == 0
    report = Worker(mail_app).run_once(now=now + dt.timedelta(seconds=31))
    assert report.delivery.sent == 1
    (row,) = rows(mail_app)
    assert (row.status, row.attempts) == ("sent", 2)
    assert len(smtp_server.wait_for(1)) == 1
    # The dead worker, should it wake up, cannot overwrite the outcome.
    with mail_app.app_context(), session_scope() as session:
        assert not outbox.mark_retry(session, claimed.id, "dead-worker", "late", now=now, delay=1)
    assert rows(mail_app)[0].status == "sent"
