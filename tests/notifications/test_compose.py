"""Every notification the issue lists, composed: subject, Chinese text and HTML, absolute links,
the secret link only for an anonymous requester, threading headers, dedupe keys."""

from __future__ import annotations

import datetime as dt

import pytest

from app.notifications import compose
from app.notifications.recipients import Recipient, requester
from tests.notifications.conftest import add_event, create, make_user, ticket, valid_data

AGENT = Recipient("wanggong@corp.example", "王工")
BASE = "https://help.corp.example"


@pytest.fixture
def anon(mail_app):
    """An anonymous requester's ticket and a public agent reply on it."""
    make_user(mail_app, "wanggong", "agent")
    t = create(mail_app, valid_data(subject="打印机脱机", category="printing", impact="department", urgency="degraded"))
    reply = add_event(mail_app, t.number, "reply", "请问打印机面板上显示什么错误？\n拍张照片发给我们。", author="wanggong")
    note = add_event(mail_app, t.number, "note", "内部：这台打印机上周也坏过，怀疑是网卡", public=False, author="wanggong")
    return t.number, reply, note


def _event(id_):
    from app.db import get_session
    from app.models import TicketEvent

    return get_session().get(TicketEvent, id_)


def test_requester_messages(mail_app, anon):
    number, reply_id, _ = anon
    with mail_app.app_context():
        t = ticket(mail_app, number)
        to = requester(t)
        assert to == Recipient("zhangsan@example.com", "张三", anonymous=True)
        secret = f"{BASE}/requests/{number}?token={t.access_token}"
        mails = {
            "public_reply": compose.public_reply(t, _event(reply_id), to, author="王工"),
            "awaiting_reply": compose.awaiting_reply(t, to, since=dt.datetime(2026, 12, 1, 2, 0, tzinfo=dt.timezone.utc),
                                                     question=_event(reply_id)),
            "resolved": compose.resolved(t, to),
            "closed": compose.closed(t, to, reason="confirmed", rating=4),
        }
    subjects = {k: m.subject for k, m in mails.items()}
    assert subjects == {
        "public_reply": f"[{number}] 服务台回复了您的请求：打印机脱机",
        "awaiting_reply": f"[{number}] 提醒：您的请求在等待您的回复：打印机脱机",
        "resolved": f"[{number}] 您的请求已解决，请确认：打印机脱机",
        "closed": f"[{number}] 您的请求已关闭：打印机脱机",
    }
    for kind, mail in mails.items():
        assert mail.kind == kind and mail.to_addr == "zhangsan@example.com"
        assert mail.text.startswith("张三，您好：") and "IT 服务台" in mail.text
        assert secret in mail.text or f"{secret}&amp;action=" in mail.html or secret in mail.html
        assert mail.headers["In-Reply-To"] == f"<ticket.{number}@corp.example>"
        assert "内部" not in mail.text and "网卡" not in mail.html
    assert "王工 回复了您的请求" in mails["public_reply"].text   # as 「王工 把工单…分配给了您」
    assert "请问打印机面板上显示什么错误？\n拍张照片发给我们。" in mails["public_reply"].text
    assert "从 2026-12-01 10:00（周二）起在等待您的回复" in mails["awaiting_reply"].text
    assert "服务台的问题" in mails["awaiting_reply"].text
    resolved = mails["resolved"]
    assert f"{secret}&action=confirm" in resolved.text and f"{secret}&action=reopen" in resolved.text
    assert f'href="{secret}&amp;action=confirm"' in resolved.html
    assert "3 个工作日内没有收到您的回复，请求会自动关闭" in resolved.text
    closed = mails["closed"]
    assert "已关闭：您确认问题已经解决。" in closed.text and "4 分（满分 5 分）" in closed.text
    assert f"{BASE}/requests/new" in closed.text


def test_agent_messages(mail_app, anon):
    number, reply_id, _ = anon
    requester_reply = add_event(mail_app, number, "reply", "面板显示 E-05。", author=None)
    due = dt.datetime(2026, 12, 1, 8, 0, tzinfo=dt.timezone.utc)
    with mail_app.app_context():
        t = ticket(mail_app, number)
        mails = {
            "assigned": compose.assigned(t, AGENT, key=17, by="李组长"),
            "new_in_group": compose.new_in_group(t, AGENT, group="一线服务台"),
            "new_unrouted": compose.new_unrouted(t, AGENT, category="打印与外设"),
            "requester_replied": compose.requester_replied(t, _event(requester_reply), AGENT),
            "sla_at_risk": compose.sla_at_risk(t, AGENT, target="response", due=due),
            "sla_breached": compose.sla_breached(t, AGENT, target="resolve", due=due),
        }
    assert {k: m.subject for k, m in mails.items()} == {
        "assigned": f"[{number}] 分配给您：打印机脱机（P3）",
        "new_in_group": f"[{number}] 一线服务台 有新工单：打印机脱机（P3）",
        "new_unrouted": f"[{number}] 有新工单（没有负责的组）：打印机脱机（P3）",
        "requester_replied": f"[{number}] 提交人回复了：打印机脱机",
        "sla_at_risk": f"[{number}] SLA 即将超时：首次响应期限 2026-12-01 16:00（周二）",
        "sla_breached": f"[{number}] SLA 已超时：解决期限 2026-12-01 16:00（周二）已过",
    }
    for mail in mails.values():
        assert mail.text.startswith("王工：")
        assert f"{BASE}/agent/tickets/{number}" in mail.text and f'href="{BASE}/agent/tickets/{number}"' in mail.html
        assert "token=" not in mail.text + mail.html  # the requester's secret never goes to agents
        assert "网卡" not in mail.text + mail.html
    assert "李组长 把工单" in mails["assigned"].text
    assert "面板显示 E-05。" in mails["requester_replied"].text
    assert "类别：打印与外设" in mails["new_in_group"].text
    assert "没有哪个组负责这个类别，所以发给了服务台的每个人" in mails["new_unrouted"].text


def test_an_internal_note_is_never_composed(mail_app, anon):
    number, _, note_id = anon
    with mail_app.app_context():
        t = ticket(mail_app, number)
        with pytest.raises(compose.NotPublic):
            compose.public_reply(t, _event(note_id), requester(t))
        with pytest.raises(compose.NotPublic):
            compose.requester_replied(t, _event(note_id), AGENT)
        with pytest.raises(compose.NotPublic):
            compose.resolved(t, requester(t), event=_event(note_id))


def test_requester_messages_go_to_the_requester_only(mail_app, anon):
    number, reply_id, _ = anon
    with mail_app.app_context():
        t = ticket(mail_app, number)
        for to in (Recipient("other@example.com", "别人", anonymous=True), AGENT):
            with pytest.raises(ValueError):
                compose.public_reply(t, _event(reply_id), to)
            with pytest.raises(ValueError):
                compose.ticket_received(t, to)
        # The address matches whatever its case.
        assert compose.closed(t, Recipient("ZhangSan@Example.com", anonymous=True), reason="auto").to_addr


def test_a_logged_in_requester_never_gets_a_token(mail_app):
    make_user(mail_app, "lisi")
    t = create(mail_app, valid_data(), username="lisi")
    with mail_app.app_context():
        t = ticket(mail_app, t.number)
        to = requester(t)
        assert to.anonymous is False
        mail = compose.resolved(t, to)
        assert "token=" not in mail.text + mail.html
        assert f"{BASE}/requests/{t.number}?action=confirm" in mail.text
        with pytest.raises(ValueError):
            compose.resolved(t, Recipient(to.email, to.name, anonymous=True))


def test_links_follow_kb_base_url_with_a_sub_path(make_mail_app):
    app = make_mail_app(KB_BASE_URL="https://corp.example/helpdesk/")
    t = create(app, valid_data())
    with app.app_context():
        mail = compose.closed(ticket(app, t.number), requester(ticket(app, t.number)), reason="withdrawn")
    assert f"https://corp.example/helpdesk/requests/{t.number}?token=" in mail.text
    assert "您撤回了这个请求" in mail.text


def test_dedupe_keys_identify_the_notification(mail_app, anon):
    number, reply_id, _ = anon
    with mail_app.app_context():
        t = ticket(mail_app, number)
        to = requester(t)
        assert compose.public_reply(t, _event(reply_id), to).dedupe_key == compose.public_reply(t, _event(reply_id), to).dedupe_key
        since = dt.datetime(2026, 12, 1, tzinfo=dt.timezone.utc)
        first = compose.awaiting_reply(t, to, since=since).dedupe_key
        assert first == compose.awaiting_reply(t, to, since=since).dedupe_key
        assert first != compose.awaiting_reply(t, to, since=since + dt.timedelta(days=2)).dedupe_key
        a = compose.new_in_group(t, AGENT, group="一线").dedupe_key
        b = compose.new_in_group(t, Recipient("li@corp.example"), group="一线").dedupe_key
        assert a != b
