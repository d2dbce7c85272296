"""An agent action posted after the login ended (logged out in another tab, cookies cleared, the
login expired or ended elsewhere) or with an expired CSRF token is still refused — and the page
gives back what was typed (read-only, escaped, with its label) and a way to log in again."""

from __future__ import annotations

import re
from html import unescape
from urllib.parse import parse_qs, urlsplit

from sqlalchemy import select

from app.db import session_scope
from app.models import TicketEvent
from tests.conftest import csrf_token_in as _token
from tests.console.conftest import create, get_ticket, make_user

TYPED = "用户说重启后仍然报 809，<script>alert(1)</script> 已经重装过客户端"




def _login(client, app, username, role):
    make_user(app, username, role)
    token = _token(client.get("/login").get_data(as_text=True))
    r = client.post("/login", data={"username": username, "password": "pw-123456", "csrf_token": token})
    assert r.status_code == 302


def _open_ticket(app, client):
    number = create(app).number
    page = client.get(f"/agent/tickets/{number}").get_data(as_text=True)
    version = re.search(r'name="version" value="(\d+)"', page).group(1)
    return number, _token(page), version


def _events(app, number, kind):
    with app.app_context(), session_scope() as session:
        ticket = get_ticket(session, number)
        return [e.body for e in session.scalars(select(TicketEvent).where(TicketEvent.ticket_id == ticket.id,
                                                                          TicketEvent.kind == kind))]


def _login_next(html: str) -> str:
    href = unescape(re.search(r'<a class="button" href="([^"]+)" id="login-link">', html).group(1))
    assert urlsplit(href).path == "/login"
    return parse_qs(urlsplit(href).query)["next"][0]


def _typed(html: str) -> list[tuple[str, str]]:
    """(label, text) of each read-only field on the page."""
    found = re.findall(r'<label for="(typed-\d+)">([^<]*)</label>\s*<textarea id="\1"[^>]*readonly>([^<]*)</textarea>',
                       html)
    return [(unescape(label), unescape(text)) for _, label, text in found]


def test_reply_after_logout_in_another_tab_gives_the_text_back(csrf_app):
    app = csrf_app
    agent = app.test_client()
    _login(agent, app, "wang", "agent")
    number, token, version = _open_ticket(app, agent)
    assert agent.post("/logout", data={"csrf_token": token}).status_code == 302   # the other tab
    r = agent.post(f"/agent/tickets/{number}/reply", data={"body": TYPED, "internal": "0", "csrf_token": token,
                                                           "version": version},
                   headers={"Referer": f"http://localhost/agent/tickets/{number}?code=809"})
    html = r.get_data(as_text=True)
    assert r.status_code == 400                              # still refused
    assert _events(app, number, "reply") == []
    assert "登录已失效" in html and "请重新登录" in html
    assert _typed(html) == [("回复内容", TYPED)]               # only the typed text: no token, no version
    assert "<script>alert(1)</script>" not in html            # escaped
    assert token not in html
    assert _login_next(html) == f"/agent/tickets/{number}?code=809"
    assert "writer-autosave-note" not in html


def test_cleared_cookies_and_a_foreign_referer_lead_to_the_home_page(csrf_app):
    app = csrf_app
    agent = app.test_client()
    _login(agent, app, "wang", "agent")
    number, token, version = _open_ticket(app, agent)
    fresh = app.test_client()                                 # no cookies at all
    r = fresh.post(f"/agent/tickets/{number}/escalate", data={"reason": "二线请看 VPN 网关日志", "csrf_token": token,
                                                              "version": version},
                   headers={"Referer": "https://evil.example.net/agent/tickets/x"})
    html = r.get_data(as_text=True)
    assert r.status_code == 400 and _events(app, number, "escalated") == []
    assert _typed(html) == [("升级原因", "二线请看 VPN 网关日志")]
    assert _login_next(html) == "/"
    assert "evil.example.net" not in html


def test_expired_csrf_token_while_logged_in_keeps_the_text_and_refuses(csrf_app):
    app = csrf_app
    agent = app.test_client()
    _login(agent, app, "wang", "agent")
    number, _token_, version = _open_ticket(app, agent)
    r = agent.post(f"/agent/tickets/{number}/resolve", data={"body": "已重置证书", "csrf_token": "stale", "version": version},
                   headers={"Referer": f"http://localhost/agent/tickets/{number}"})
    html = r.get_data(as_text=True)
    assert r.status_code == 400 and _events(app, number, "resolved") == []
    assert "页面已过期" in html and "登录已失效" not in html
    assert _typed(html) == [("解决说明", "已重置证书")]
    assert f'href="/agent/tickets/{number}"' in html          # back to the page, to reload it


def test_login_ended_elsewhere_with_a_valid_token_gives_the_text_back(csrf_app):
    from app.accounts import sessions
    from app.models import User

    app = csrf_app
    agent = app.test_client()
    _login(agent, app, "wang", "agent")
    number, token, version = _open_ticket(app, agent)
    with app.app_context(), session_scope() as session:      # 「结束全部登录」 from another device
        sessions.revoke_all(session, session.scalar(select(User).where(User.username == "wang")))
    r = agent.post(f"/agent/tickets/{number}/status", data={"status": "pending", "reason": "等用户回电",
                                                            "csrf_token": token, "version": version},
                   headers={"Referer": f"http://localhost/agent/tickets/{number}"})
    html = r.get_data(as_text=True)
    assert r.status_code == 401                               # not a redirect that drops the text
    assert _typed(html) == [("状态说明", "等用户回电")]
    assert "登录已失效" in html and _login_next(html) == f"/agent/tickets/{number}"
    with app.app_context(), session_scope() as session:
        assert get_ticket(session, number).status == "new"


def test_login_form_refusal_is_unchanged_and_never_shows_the_password(csrf_app):
    client = csrf_app.test_client()
    r = client.post("/login", data={"username": "zhang", "password": "secret-phrase-123"})
    html = r.get_data(as_text=True)
    assert r.status_code == 400 and "页面已过期" in html
    assert "secret-phrase-123" not in html


def test_logged_in_agent_still_works(csrf_app):
    app = csrf_app
    agent = app.test_client()
    _login(agent, app, "wang", "agent")
    number, token, version = _open_ticket(app, agent)
    assert agent.post(f"/agent/tickets/{number}/reply", data={"body": "好的", "internal": "0", "csrf_token": token,
                                                              "version": version}).status_code == 302
    assert _events(app, number, "reply") == ["好的"]

