"""on_ticket_changed (the console's seam) and what arrives: who gets which message, internal
notes never, each message once, all of one ticket's messages in one thread."""

from __future__ import annotations

from app.db import session_scope
from app.models import TicketEvent
from app.notifications.dispatch import on_ticket_changed
from app.notifications.recipients import Recipient
from tests.notifications.conftest import add_event, create, deliver, make_user, rows, ticket, valid_data

AGENT = Recipient("wanggong@example.com", "王工")    # the accounts make_user creates: desk mail is
GROUP = [AGENT, Recipient("li@example.com", "李工")]  # only delivered to an active agent's address


def _changed(app, number, event_id, **kwargs) -> int:
    with app.app_context(), session_scope() as session:
        t = ticket(app, number)
        t = session.merge(t)
        return on_ticket_changed(session, t, session.get(TicketEvent, event_id), **kwargs)


def test_a_conversation_arrives_in_order_threaded_and_without_internal_notes(mail_app, smtp_server):
    make_user(mail_app, "wanggong", "agent")
    make_user(mail_app, "li", "agent")
    t = create(mail_app, valid_data(subject="Outlook 一直提示输入密码"))
    number = t.number
    created = add_event(mail_app, number, "created", "服务请求已提交", author=None)
    assert _changed(mail_app, number, created, group="一线服务台", group_members=GROUP) == 2
    note = add_event(mail_app, number, "note", "内部：可能是 MFA 策略问题", public=False, author="wanggong")
    assert _changed(mail_app, number, note, assignee=AGENT) == 0
    assigned = add_event(mail_app, number, "assigned", "分配给 王工", author="li")
    assert _changed(mail_app, number, assigned, assignee=AGENT, author_name="李组长") == 1
    question = add_event(mail_app, number, "reply", "请问是在手机还是电脑上？", author="wanggong")
    assert _changed(mail_app, number, question, assignee=AGENT, author_name="王工") == 1
    answer = add_event(mail_app, number, "reply", "电脑上的 Outlook。", author=None)  # the anonymous requester
    assert _changed(mail_app, number, answer, assignee=AGENT) == 1
    resolved = add_event(mail_app, number, "resolved", "已重置凭据缓存，请重新登录 Outlook。", author="wanggong")
    assert _changed(mail_app, number, resolved, assignee=AGENT) == 1
    closed = add_event(mail_app, number, "confirmed", "用户确认已解决", author=None)
    assert _changed(mail_app, number, closed, assignee=AGENT, rating=4) == 1
    # The same change reported twice queues nothing new.
    assert _changed(mail_app, number, question, assignee=AGENT, author_name="王工") == 0

    # received + 2 new with no group (no group exists yet) + 2 group + assigned + reply + requester
    # replied + resolved + closed
    assert deliver(mail_app) == 10
    received = smtp_server.wait_for(10)
    to_requester = [m for m in received if m.rcpt_tos == ["zhangsan@example.com"]]
    kinds = [m.message["X-KB-Notification"] for m in to_requester]
    assert kinds == ["ticket_received", "public_reply", "resolved", "closed"]  # in the order they happened
    to_agent = [m.message["X-KB-Notification"] for m in received if m.rcpt_tos == ["wanggong@example.com"]]
    assert to_agent == ["new_unrouted", "new_in_group", "assigned", "requester_replied"]
    root = f"<ticket.{number}@corp.example>"
    assert to_requester[0].message["Message-ID"] == root
    for m in received[1:]:
        assert m.message["In-Reply-To"] == root and m.message["References"] == root
        assert m.message["Subject"].startswith(f"[{number}] ")
    assert len({m.message["Message-ID"] for m in received}) == 10
    for m in received:
        assert "MFA" not in m.text and "MFA" not in m.html
    assert "4 分" in to_requester[-1].text


def test_two_tickets_two_threads(mail_app, smtp_server):
    a = create(mail_app, valid_data())
    b = create(mail_app, valid_data(subject="Wi-Fi 连不上"))
    deliver(mail_app)
    got = {m.message["X-KB-Ticket"]: m.message for m in smtp_server.wait_for(2)}
    assert got[a.number]["Message-ID"] != got[b.number]["Message-ID"]
    assert a.number not in got[b.number].as_string() and b.number not in got[a.number].as_string()


def test_nothing_for_a_requester_without_an_address(mail_app):
    from app.models import User

    with mail_app.app_context(), session_scope() as session:
        user = User(username="noemail", role="requester")
        user.set_password("pw-123456")
        session.add(user)
    t = create(mail_app, valid_data(contact_email=""), username="noemail")
    reply = add_event(mail_app, t.number, "reply", "请提供截图。", author=None)
    make_user(mail_app, "wanggong", "agent")
    reply = add_event(mail_app, t.number, "reply", "请提供截图。", author="wanggong")
    assert _changed(mail_app, t.number, reply) == 0
    assert rows(mail_app) == []


def test_desk_mail_queued_before_its_recipient_left_the_desk_is_not_sent(mail_app, smtp_server):
    """Found by a probe: a message for an agent queued before the account was disabled or made a
    requester (or while the mail server was down) went out anyway, with the ticket's details."""
    from sqlalchemy import select

    from app.models import User

    make_user(mail_app, "wanggong", "agent")
    make_user(mail_app, "li", "agent")
    create(mail_app, valid_data(subject="VPN 证书过期"))            # 「有新工单」 to both, queued
    with mail_app.app_context(), session_scope() as session:
        session.scalar(select(User).where(User.username == "li")).role = "requester"
    assert deliver(mail_app) == 2                                    # the requester's receipt + wanggong
    sent = {m.rcpt_tos[0] for m in smtp_server.wait_for(2)}
    assert sent == {"zhangsan@example.com", "wanggong@example.com"}
    [held] = [r for r in rows(mail_app) if r.to_addr == "li@example.com"]
    assert held.status == "failed" and "已不是启用的服务台成员" in held.last_error
