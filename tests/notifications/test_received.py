"""「已收到」: queued by create_ticket in its own transaction, delivered by kb worker."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session

from tests.notifications.conftest import create, deliver, make_user, rows, valid_data


@pytest.fixture
def app(mail_app):
    result = mail_app.test_cli_runner().invoke(args=["kb", "sync"])  # articles + index
    assert result.exit_code == 0, result.output
    return mail_app


def test_an_anonymous_requester_gets_number_priority_response_time_secret_link_and_articles(app, smtp_server):
    t = create(app, valid_data(subject="VPN 连不上，提示错误 809", contact_name="张三"))
    assert deliver(app) == 1
    (got,) = smtp_server.wait_for(1)
    msg = got.message
    assert got.rcpt_tos == ["zhangsan@example.com"]
    assert msg["To"].addresses[0].display_name == "张三"
    assert msg["Subject"] == f"[{t.number}] 已收到您的服务请求：VPN 连不上，提示错误 809"
    text, html = got.text, got.html
    assert text.startswith("张三，您好：")
    assert f"工单号：{t.number}" in text
    assert "优先级：P2 · 高 · 2 小时内响应，1 个工作日内解决" in text
    assert re.search(r"预计响应：2 小时内，最迟 \d{4}-\d\d-\d\d \d\d:\d\d（周.）之前", text), text
    link = f"https://help.corp.example/requests/{t.number}?token={t.access_token}"
    assert link in text and link.replace("&", "&amp;") in html
    assert "专属链接" in text
    assert "VPN 连接提示“错误 809”" in text and "https://help.corp.example/articles/vpn/error-809" in text
    assert 'href="https://help.corp.example/articles/vpn/error-809"' in html
    assert "退订" not in text and "unsubscribe" not in msg.as_string().lower()


def test_a_logged_in_requester_gets_the_plain_link(app, smtp_server):
    make_user(app, "lisi")
    t = create(app, valid_data(contact_email=""), username="lisi")  # falls back to the account's address
    deliver(app)
    (got,) = smtp_server.wait_for(1)
    assert got.rcpt_tos == ["lisi@example.com"]
    assert f"https://help.corp.example/requests/{t.number}\n" in got.text
    assert "token=" not in got.text and "token=" not in got.html and "专属链接" not in got.text


def test_no_address_no_mail(app):
    from app.db import session_scope
    from app.models import User

    with app.app_context(), session_scope() as session:
        user = User(username="noemail", role="requester")
        user.set_password("pw-123456")
        session.add(user)
    create(app, valid_data(contact_email=""), username="noemail")
    assert rows(app) == []


def test_internal_and_draft_articles_never_appear(app, smtp_server, articles_dir):
    (articles_dir / "account" / "unlock-draft.md").write_text(
        "---\ntitle: AD 账号被锁定后解锁（草稿）\ncategory: 账号与密码\ntags: [AD, 解锁, 锁定]\nstatus: draft\n---\n"
        "# AD 账号被锁定后解锁（草稿）\n\nAD 账号被锁定时解锁。\n", encoding="utf-8")
    assert app.test_cli_runner().invoke(args=["kb", "sync"]).exit_code == 0
    create(app, valid_data(subject="AD 账号被锁，需要解锁", description="AD 解锁", category="account"))
    deliver(app)
    (got,) = smtp_server.wait_for(1)
    for part in (got.text, got.html):
        assert "AD 账号解锁流程" not in part and "ad-unlock" not in part
        assert "草稿" not in part and "unlock-draft" not in part


def test_a_replayed_request_sends_nothing_twice(app):
    first = create(app, valid_data(), idempotency_key="k1", caller="user:1")
    again = create(app, valid_data(), idempotency_key="k1", caller="user:1")
    assert again.replayed and again.number == first.number
    assert [r.kind for r in rows(app)] == ["ticket_received"]


def test_no_ticket_no_mail_the_mail_is_part_of_the_tickets_transaction(app):
    from tests.tickets.conftest import ticket_count

    def boom(session):
        raise RuntimeError("数据库在提交时出错")

    sa_event.listen(Session, "before_commit", boom)
    try:
        with pytest.raises(RuntimeError):
            create(app, valid_data())
    finally:
        sa_event.remove(Session, "before_commit", boom)
    assert ticket_count(app) == 0 and rows(app) == []


def test_user_text_is_escaped_in_html(app, smtp_server):
    create(app, valid_data(subject="<script>alert(1)</script> & 打印机"))
    deliver(app)
    (got,) = smtp_server.wait_for(1)
    assert "<script>" not in got.html and "&lt;script&gt;alert(1)&lt;/script&gt; &amp; 打印机" in got.html
    assert "<script>alert(1)</script> & 打印机" in got.text


def test_a_request_never_waits_for_the_mail_server(make_mail_app):
    """The mail server is down: submitting still succeeds at once, the mail waits in the outbox."""
    from tests.mailhelpers import free_port

    app = make_mail_app(KB_SMTP_URL=f"smtp://127.0.0.1:{free_port()}")
    response = app.test_client().post("/api/tickets", json={k: v for k, v in valid_data().items() if k != "contact_phone"})
    assert response.status_code == 201, response.get_json()
    assert [(r.kind, r.status) for r in rows(app)] == [("ticket_received", "pending")]
