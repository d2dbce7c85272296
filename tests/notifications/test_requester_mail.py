"""The requester's side over a real SMTP server (aiosmtpd on loopback): every notification of a
ticket's life arrives once, in order, threaded, without internal notes — also when the server
is killed mid-run; the reminder and auto-close jobs mail through `kb worker`."""

from __future__ import annotations

import datetime as dt
import threading

from sqlalchemy import select

from app.db import session_scope
from app.models import Ticket, User, utcnow
from tests.mailhelpers import SmtpServer
from tests.notifications.conftest import create, make_user, rows, valid_data


def _act(app, number, what, by=None, now=None, **kwargs):
    from app.tickets import workflow

    with app.test_request_context(), session_scope() as session:
        ticket = session.scalar(select(Ticket).where(Ticket.number == number))
        actor = session.scalar(select(User).where(User.username == by)) if by else None
        if what == "assign":
            kwargs["assignee"] = session.scalar(select(User).where(User.username == kwargs["assignee"]))
        return getattr(workflow, what)(session, ticket, actor=actor, now=now, **kwargs)


def _life(app) -> str:
    make_user(app, "zhangsan", "requester")
    make_user(app, "wanggong", "agent")
    t = create(app, valid_data(contact_email="zhangsan@example.com", subject="Outlook 一直提示输入密码"),
               username="zhangsan")
    _act(app, t.number, "assign", assignee="wanggong")
    _act(app, t.number, "reply", by="wanggong", body="请问是在手机还是电脑上？", status="pending")
    _act(app, t.number, "reply", by="wanggong", body="内部：怀疑 MFA 策略", internal=True)
    client = app.test_client()
    from tests.conftest import login

    login(client, app, "zhangsan", "requester")
    assert client.post(f"/requests/{t.number}/reply", data={"body": "电脑上的 Outlook。"}).status_code == 303
    _act(app, t.number, "resolve", by="wanggong", body="已清除凭据缓存，请重新登录。")
    assert client.post(f"/requests/{t.number}/confirm", data={"rating": "4", "comment": "谢谢"}).status_code == 303
    return t.number


def _check(number, received):
    to_requester = [m for m in received if m.rcpt_tos == ["zhangsan@example.com"]]
    to_agent = [m for m in received if m.rcpt_tos == ["wanggong@example.com"]]
    assert [m.message["X-KB-Notification"] for m in to_requester] == ["ticket_received", "public_reply", "resolved", "closed"]
    # no group exists: the desk (wanggong) hears of the new ticket before it is assigned
    assert [m.message["X-KB-Notification"] for m in to_agent] == ["new_unrouted", "assigned", "requester_replied"]
    root = f"<ticket.{number}@corp.example>"
    assert to_requester[0].message["Message-ID"] == root
    for m in received:
        assert m.message["X-KB-Ticket"] == number and m.message["Subject"].startswith(f"[{number}] ")
        if m.message["Message-ID"] != root:
            assert m.message["In-Reply-To"] == root and m.message["References"] == root
        assert "MFA" not in m.text and "MFA" not in m.html
        assert "https://help.corp.example/" in m.text  # absolute links from KB_BASE_URL
    assert "4 分" in to_requester[-1].text
    assert "action=confirm" in to_requester[2].text and "token=" not in to_requester[2].text  # logged-in requester
    assert len({m.message["Message-ID"] for m in received}) == len(received)


def test_a_tickets_life_arrives_in_order_threaded(mail_app, smtp_server):
    from app.worker.runner import Worker

    number = _life(mail_app)
    assert Worker(mail_app).run_once().delivery.sent == 7
    _check(number, smtp_server.wait_for(7))


def test_killing_the_smtp_server_mid_run_loses_nothing(mail_app, smtp_server):
    from app.worker.runner import Worker

    number = _life(mail_app)
    smtp_server.hang_after = 2  # the 3rd message stalls in DATA until the server dies
    now = utcnow()
    results = []
    runner = threading.Thread(target=lambda: results.append(Worker(mail_app).run_once(now=now)))
    runner.start()
    assert smtp_server.hanging.wait(10)
    smtp_server.stop()
    runner.join(30)
    assert not runner.is_alive() and results[0].delivery.sent == 2
    assert [r.status for r in rows(mail_app)].count("pending") == 5
    revived = SmtpServer(smtp_server.port).start()
    try:
        assert Worker(mail_app).run_once(now=now + dt.timedelta(minutes=5)).delivery.sent == 5
        received = smtp_server.messages + revived.wait_for(5)
    finally:
        revived.stop()
    assert all(r.status == "sent" for r in rows(mail_app))
    _check(number, sorted(received, key=lambda m: m.message["Date"] and received.index(m)))


def test_reminder_and_auto_close_go_out_through_the_worker(mail_app, smtp_server):
    from app.worker.runner import Worker

    monday = dt.datetime(2027, 3, 1, 2, 0, tzinfo=dt.timezone.utc)  # 10:00 in Shanghai, after the real now (outbox times)
    make_user(mail_app, "wanggong", "agent")
    t = create(mail_app, valid_data(), now=monday)  # anonymous: links carry the secret
    _act(mail_app, t.number, "resolve", by="wanggong", body="已处理", now=monday)
    worker = Worker(mail_app)
    worker.run_once(now=monday + dt.timedelta(days=2, hours=1))  # reminder after two working days
    worker.run_once(now=monday + dt.timedelta(days=3, hours=1))  # closed after three
    worker.run_once(now=monday + dt.timedelta(days=3, hours=2))  # a job's mail goes out on the next pass
    got = [m for m in smtp_server.wait_for(5) if m.rcpt_tos != ["wanggong@example.com"]]  # he got 「有新工单」
    kinds = [m.message["X-KB-Notification"] for m in got]
    assert kinds == ["ticket_received", "resolved", "close_reminder", "closed"]
    reminder, closed = got[2], got[3]
    assert f"token={t.access_token}" in reminder.text and "action=reopen" in reminder.text
    assert "自动关闭" in closed.text and closed.message["In-Reply-To"] == f"<ticket.{t.number}@corp.example>"
