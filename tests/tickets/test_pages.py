"""The requester's ticket page, attachment downloads, the confirmation page, the agents' console."""

from __future__ import annotations

import datetime as dt
import io
import re
from zoneinfo import ZoneInfo

import pytest
from werkzeug.datastructures import FileStorage

from tests.conftest import login

from .conftest import create, make_user, valid_data

SH = ZoneInfo("Asia/Shanghai")
XSS = "<script>alert('x')</script>"
FRIDAY = dt.datetime(2026, 11, 20, 17, 30, tzinfo=SH)


def png(name="截图.png"):
    return FileStorage(stream=io.BytesIO(b"\x89PNG\r\n\x1a\n" + b"\x00" * 32), filename=name)


# --- /requests/<number> ----------------------------------------------------------------------

def test_anonymous_requester_sees_the_ticket_with_the_private_link(app, client):
    ticket = create(app, valid_data(impact="person", urgency="stopped"), now=FRIDAY, files=[png()])
    response = client.get(f"/requests/{ticket.number}?token={ticket.access_token}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert ticket.number in html
    assert "P2 · 高 · 2 小时内响应" in html
    assert "2026-11-23 10:30（周一）" in html  # expected response, in Shanghai time
    assert "已提交，等待处理" in html
    assert "VPN 与远程访问" in html and "仅我本人" in html and "业务中断" in html
    assert "在家用公司电脑连接 VPN" in html
    assert "截图.png" in html
    assert f"/requests/{ticket.number}/attachments/{ticket.attachments[0].id}?token={ticket.access_token}" in html
    assert "服务请求已提交" in html  # public history
    assert "no-store" in response.headers["Cache-Control"]


def test_submitted_html_is_shown_escaped(app, client):
    ticket = create(app, valid_data(subject=XSS, description=f"看这里 {XSS}\n<b>粗体</b>"))
    html = client.get(f"/requests/{ticket.number}?token={ticket.access_token}").get_data(as_text=True)
    assert XSS not in html and "<b>粗体</b>" not in html
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in html
    assert "&lt;b&gt;粗体&lt;/b&gt;" in html


def test_logged_in_owner_sees_it_without_a_token(app):
    owner = app.test_client()
    login(owner, app, "owner", "requester")
    ticket = create(app, username="owner")
    assert owner.get(f"/requests/{ticket.number}").status_code == 200


@pytest.mark.parametrize("who", ["other", "writer"])
def test_others_get_404(app, who):
    make_user(app, "owner")
    ticket = create(app, username="owner")
    client = app.test_client()
    login(client, app, who, "writer" if who == "writer" else "requester")
    assert client.get(f"/requests/{ticket.number}").status_code == 404
    assert client.get(f"/requests/{ticket.number}?token=guess").status_code == 404
    assert client.get("/requests/IT-20000101-0001").status_code == 404


def _login_prompt(response) -> str:
    assert response.status_code == 302 and response.headers["Location"].startswith("/login?next=")
    return response.headers["Location"]


def test_a_visitor_not_logged_in_is_asked_to_log_in_whatever_the_number(app, client):
    """The mails link /requests/<number>: someone logged out is asked to log in — for a ticket
    that exists, one that does not and a wrong private link alike, so the answer says nothing."""
    make_user(app, "owner")
    ticket = create(app, username="owner")
    other = create(app)
    prompts = [_login_prompt(client.get(path)) for path in (
        f"/requests/{ticket.number}", "/requests/IT-20000101-0001",
        f"/requests/{ticket.number}?token={other.access_token}",
        f"/requests/{ticket.number}?token={ticket.access_token[:-1]}")]
    assert "IT-20000101-0001" in prompts[1]
    page = client.get(prompts[0], follow_redirects=True).get_data(as_text=True)
    assert "请先登录" in page and ticket.subject not in page
    assert "找回请求链接" in page            # a request sent without an account needs its link, not a login


def test_after_logging_in_from_a_mail_link_the_requester_is_on_the_ticket(app, client):
    make_user(app, "owner")
    ticket = create(app, username="owner")
    target = _login_prompt(client.get(f"/requests/{ticket.number}?action=confirm"))
    form = client.get(target).get_data(as_text=True)
    assert "请先登录" in form
    done = client.post(target, data={"username": "owner", "password": "pw-123456"})
    assert done.status_code == 302 and done.headers["Location"] == f"/requests/{ticket.number}?action=confirm"
    assert client.get(done.headers["Location"]).status_code == 200


def test_the_header_login_link_comes_back_to_the_page(app, client):
    """「登录」 in the header links /login; the page it was clicked on (the Referer, same site
    only) becomes ?next=, so the login returns there."""
    assert 'href="/login">登录</a>' in client.get("/search?q=vpn").get_data(as_text=True)
    back = client.get("/login", headers={"Referer": "http://localhost/search?q=vpn"})
    assert back.status_code == 302 and back.headers["Location"] == "/login?next=/search?q%3Dvpn"
    for referer in ("https://evil.example/search", "http://localhost/login?next=/x", ""):
        assert client.get("/login", headers={"Referer": referer}).status_code == 200
    make_user(app, "owner")
    done = client.post(back.headers["Location"], data={"username": "owner", "password": "pw-123456"})
    assert done.headers["Location"] == "/search?q=vpn"


def test_agents_see_any_ticket(app):
    ticket = create(app)
    agent = app.test_client()
    login(agent, app, "agent1", "agent")
    assert agent.get(f"/requests/{ticket.number}").status_code == 200


# --- attachments ------------------------------------------------------------------------------

def test_attachment_download_is_a_download_with_nosniff(app, client):
    ticket = create(app, files=[png()])
    url = f"/requests/{ticket.number}/attachments/{ticket.attachments[0].id}"
    response = client.get(f"{url}?token={ticket.access_token}")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.mimetype == "image/png"
    assert response.data.startswith(b"\x89PNG")
    response.close()
    assert client.get(url).status_code == 404
    assert client.get(f"{url}?token=nope").status_code == 404


def test_a_text_attachment_has_exactly_one_charset(app, client):
    """Regression (hardening #11): text attachments said ``text/plain; charset=utf-8; charset=utf-8``."""
    log = FileStorage(stream=io.BytesIO("错误 809\n".encode()), filename="vpn.log")
    ticket = create(app, files=[log])
    response = client.get(f"/requests/{ticket.number}/attachments/{ticket.attachments[0].id}?token={ticket.access_token}")
    assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
    response.close()


def test_attachment_of_another_ticket_is_404(app, client):
    mine = create(app)
    theirs = create(app, files=[png()])
    url = f"/requests/{mine.number}/attachments/{theirs.attachments[0].id}?token={mine.access_token}"
    assert client.get(url).status_code == 404


# --- confirmation ---------------------------------------------------------------------------

def test_confirmation_for_an_anonymous_requester_shows_the_private_link(app):
    from app.views.tickets import confirmation

    ticket = create(app, now=FRIDAY)
    with app.test_request_context():
        html, status, headers = confirmation(ticket)
    assert status == 201 and headers["Cache-Control"] == "no-store"
    assert ticket.number in html and "P2 · 高 · 2 小时内响应" in html
    assert "2026-11-23 10:30" in html
    assert f"http://localhost/requests/{ticket.number}?token={ticket.access_token}" in html
    assert "保存" in html


def test_confirmation_for_a_logged_in_requester_has_no_token(app):
    from app.views.tickets import confirmation

    make_user(app, "zhao")
    ticket = create(app, username="zhao")
    with app.test_request_context():
        html, _status, _headers = confirmation(ticket)
    assert ticket.access_token not in html
    assert f"/requests/{ticket.number}" in html


# --- /agent/ ----------------------------------------------------------------------------------

def test_console_is_for_agents_and_admins_only(app):
    anonymous = app.test_client()
    assert anonymous.get("/agent/").status_code == 302
    for role in ("requester", "writer"):
        client = app.test_client()
        login(client, app, f"u_{role}", role)
        assert client.get("/agent/").status_code == 403
        assert client.get("/agent/tickets/IT-20000101-0001").status_code == 403
    for role in ("agent", "admin"):
        client = app.test_client()
        login(client, app, f"u_{role}", role)
        assert client.get("/agent/").status_code == 200


@pytest.fixture
def agent(app):
    client = app.test_client()
    login(client, app, "agent1", "agent")
    return client


def test_console_lists_tickets_with_overdue_highlighted(app, agent):
    old = create(app, valid_data(subject="很久以前的请求"), now=dt.datetime(2020, 1, 6, 10, 0, tzinfo=SH))
    # Far in the future: not overdue whenever this test runs.
    fresh = create(app, valid_data(subject=f"新请求 {XSS}", contact_name="李四"),
                   now=dt.datetime(2999, 1, 6, 10, 0, tzinfo=SH))
    html = agent.get("/agent/").get_data(as_text=True)
    assert old.number in html and fresh.number in html
    assert html.index(old.number) < html.index(fresh.number)  # SLA urgency: breached first
    assert "李四" in html and "（未登录）" in html
    assert XSS not in html
    rows = re.findall(r'<tr class="sla-(\w+)" data-number="([^"]+)"', html)
    assert {number: state for state, number in rows} == {old.number: "breached", fresh.number: "ok"}
    assert "已超时" in html


def test_console_filters(app, agent):
    p1 = create(app, valid_data(impact="company", urgency="stopped", category="network"))
    p4 = create(app, valid_data(impact="person", urgency="question", category="mail"))
    html = agent.get("/agent/?priority=P1").get_data(as_text=True)
    assert p1.number in html and p4.number not in html
    html = agent.get("/agent/?category=mail").get_data(as_text=True)
    assert p4.number in html and p1.number not in html
    html = agent.get("/agent/?status=closed").get_data(as_text=True)
    assert p1.number not in html and "没有符合条件的工单" in html
    html = agent.get("/agent/?priority=P9&status=<x>&page=abc").get_data(as_text=True)  # ignored, never a 500
    assert p1.number in html and p4.number in html


def test_console_paginates(app, agent):
    start = dt.datetime(2026, 11, 17, 9, 0, tzinfo=SH)
    numbers = [create(app, now=start + dt.timedelta(minutes=i)).number for i in range(27)]
    first = agent.get("/agent/").get_data(as_text=True)
    second = agent.get("/agent/?page=2").get_data(as_text=True)
    # Ordered by SLA urgency: the earliest due first.
    assert numbers[0] in first and numbers[-1] not in first
    assert numbers[-1] in second and numbers[-2] in second and numbers[0] not in second
    assert "第 2 / 2 页" in second and "page=1" in second
    assert agent.get("/agent/?page=99").status_code == 200


def test_agent_detail_shows_everything_recorded(synced, agent):
    from sqlalchemy import select
    from app.db import get_session
    from app.models import Article
    from app.tickets import create_ticket

    with synced.test_request_context():
        session = get_session()
        article = session.scalar(select(Article).where(Article.slug == "vpn/error-809"))
        ticket = create_ticket(session, valid_data(
            description=f"描述 {XSS}",
            shown_articles=["vpn/error-809", "account/reset-password"],
            opened_articles=["vpn/error-809"],
            search_text="vpn 809",
        ), source="article_feedback", article=article, files=[png("日志截图.png")])
        number = ticket.number
    html = agent.get(f"/agent/tickets/{number}").get_data(as_text=True)
    for text in ("张三", "zhangsan@example.com", "138 0000 0000", "VPN 与远程访问", "仅我本人", "业务中断",
                 "P2", "文章反馈", "vpn 809", "日志截图.png", "服务请求已提交", "预计响应时间", "预计解决时间"):
        assert text in html, text
    assert '<a href="/articles/vpn/error-809">VPN 连接提示“错误 809”</a>' in html
    assert '<a href="/articles/account/reset-password">忘记密码时自助重置</a>' in html
    assert XSS not in html
    assert agent.get("/agent/tickets/IT-20000101-0001").status_code == 404


def test_pages_with_contact_details_are_never_cached(app, client):
    """Regression (hardening #11): agent pages with requesters' contact details had no Cache-Control."""
    ticket = create(app)
    login(client, app, "agent1", "agent")
    for url in ("/agent/", f"/agent/tickets/{ticket.number}"):
        response = client.get(url)
        assert response.status_code == 200
        assert response.headers["Cache-Control"] == "private, no-store", url
    assert "no-store" in client.get("/").headers["Cache-Control"]  # signed in: nothing is cached
    anonymous = app.test_client()
    assert "Cache-Control" not in anonymous.get("/").headers  # public pages stay cacheable


@pytest.mark.parametrize(("size", "shown"), [(0, "0 字节"), (24, "24 字节"), (1023, "1023 字节"), (1024, "1.0 KB"),
                                            (3584, "3.5 KB"), (5 * 1024 * 1024, "5.0 MB")])
def test_an_attachment_size_reads_as_people_say_it(size, shown):
    from app.tickets.present import file_size

    assert file_size(size) == shown


def test_a_long_search_gives_the_tab_a_short_title(client):
    page = client.get("/search?q=" + "打印机" * 200).get_data(as_text=True)
    title = page.split("<title>", 1)[1].split("</title>", 1)[0]
    assert len(title) < 70 and "…”的搜索结果" in title


@pytest.mark.parametrize(("text", "html"), [
    ("见（/articles/vpn/error-809）。", '见（<a href="/articles/vpn/error-809">/articles/vpn/error-809</a>）。'),
    ("[重置密码](/articles/account/reset-password) 后再试", '<a href="/articles/account/reset-password">重置密码</a> 后再试'),
    ("https://example.com/a?b=1&c=2.", '<a href="https://example.com/a?b=1&amp;c=2">https://example.com/a?b=1&amp;c=2</a>.'),
    ("<b>x</b> javascript:alert(1) [x](javascript:alert(1)) //evil.example/articles/x",
     "&lt;b&gt;x&lt;/b&gt; javascript:alert(1) [x](javascript:alert(1)) //evil.example/articles/x"),
    ('[a"><script>](/articles/x") ', '[a&#34;&gt;&lt;script&gt;](<a href="/articles/x">/articles/x</a>&#34;) '),
])
def test_links_in_a_reply_are_clickable_and_nothing_else_is_html(text, html):
    from app.tickets.present import linkify

    assert str(linkify(text)) == html
