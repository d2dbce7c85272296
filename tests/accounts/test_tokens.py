"""API tokens (INTERFACES.md): ``kb token create``, ``Authorization: Bearer`` on /api/*, revocation.

And the one CSRF rule for /api/*: a write a logged-in browser session authenticates needs the
``X-CSRFToken`` header; a token write needs none; an anonymous write needs none.
"""

from __future__ import annotations

import datetime as dt
import hashlib

from sqlalchemy import select

from app.db import session_scope
from app.models import ApiToken, Ticket, User, utcnow
from tests.tickets.conftest import valid_data

from .conftest import csrf_from, log_in, make_user


def new_token(runner, username: str, name: str = "") -> str:
    args = ["kb", "token", "create", username] + (["--name", name] if name else [])
    result = runner.invoke(args=args)
    assert result.exit_code == 0, result.output
    token = result.stdout.strip()
    assert token.startswith("kb_") and len(token) > 40
    return token


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def ticket_body(**overrides) -> dict:
    data = valid_data(**overrides)
    data.pop("contact_phone")
    return data


def test_the_token_is_printed_once_and_only_its_hash_is_kept(app, runner):
    make_user(app, "robot", "agent")
    token = new_token(runner, "robot", "监控脚本")
    with app.app_context(), session_scope() as session:
        (row,) = session.scalars(select(ApiToken)).all()
        assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
        assert token not in (row.prefix + row.token_hash + (row.name or ""))
        assert token.startswith(row.prefix) and row.name == "监控脚本"
    listing = runner.invoke(args=["kb", "token", "list"])
    assert listing.exit_code == 0 and "robot" in listing.output and token not in listing.output


def test_a_token_makes_the_request_its_users(app, runner):
    make_user(app, "zhang")
    token = new_token(runner, "zhang")
    client = app.test_client()
    created = client.post("/api/tickets", json=ticket_body(), headers=bearer(token))
    assert created.status_code == 201, created.get_json()
    number = created.get_json()["number"]
    assert "token=" not in created.get_json()["url"]  # a user's ticket needs no secret link
    with app.app_context(), session_scope() as session:
        ticket = session.scalar(select(Ticket).where(Ticket.number == number))
        assert ticket.requester.username == "zhang"
    assert client.get(f"/api/tickets/{number}", headers=bearer(token)).status_code == 200
    assert app.test_client().get(f"/api/tickets/{number}").status_code == 404  # not without it
    assert "Set-Cookie" not in created.headers  # token calls get no session cookie


def test_a_token_wins_over_a_session_cookie_of_someone_else(app, runner):
    make_user(app, "zhang")
    make_user(app, "li")
    token = new_token(runner, "li")
    client = app.test_client()
    log_in(client, "zhang")
    created = client.post("/api/tickets", json=ticket_body(), headers=bearer(token))
    assert created.status_code == 201
    with app.app_context(), session_scope() as session:
        assert session.scalar(select(Ticket)).requester.username == "li"
    assert client.get("/account/password").status_code == 200  # the browser login is untouched


def test_bad_revoked_and_disabled_tokens_are_refused_in_chinese(app, runner):
    make_user(app, "zhang")
    token = new_token(runner, "zhang")
    client = app.test_client()

    def refused(value):
        response = client.get("/api/search?q=VPN", headers={"Authorization": f"Bearer {value}"})
        assert response.status_code == 401, value
        assert response.get_json()["error"] == "invalid_token"
        assert "令牌" in response.get_json()["message"]
        assert response.headers["WWW-Authenticate"].startswith("Bearer")

    refused("kb_not-a-real-token")
    refused("")
    refused("kb_\x00")
    refused(token + "x")
    assert client.get("/api/search?q=VPN", headers=bearer(token)).status_code == 200
    with app.app_context(), session_scope() as session:
        token_id = session.scalar(select(ApiToken.id))
    result = runner.invoke(args=["kb", "token", "revoke", str(token_id)])
    assert result.exit_code == 0 and "已撤销" in result.output
    refused(token)
    # disabling the account revokes its tokens for good: enabling it again brings none back
    # (found by a probe: the old token worked again after 启用, as its sessions do not)
    second = new_token(runner, "zhang")
    runner.invoke(args=["kb", "user", "disable", "zhang"])
    refused(second)
    runner.invoke(args=["kb", "user", "enable", "zhang"])
    refused(second)
    with app.app_context(), session_scope() as session:
        assert all(t.revoked_at is not None for t in session.scalars(select(ApiToken)))
    assert client.get("/api/search?q=VPN", headers=bearer(new_token(runner, "zhang"))).status_code == 200
    # a write with a bad token is refused, not performed anonymously
    response = client.post("/api/tickets", json=ticket_body(), headers={"Authorization": "Bearer kb_nope"})
    assert response.status_code == 401
    with app.app_context(), session_scope() as session:
        assert session.scalar(select(Ticket)) is None


def test_other_authorization_schemes_are_left_alone(app):
    """A proxy's Basic auth in front of the portal must not break anonymous API calls."""
    response = app.test_client().get("/api/search?q=VPN", headers={"Authorization": "Basic dXNlcjpwdw=="})
    assert response.status_code == 200


def test_tokens_only_work_on_the_api(app, runner):
    make_user(app, "boss", "admin")
    token = new_token(runner, "boss")
    assert app.test_client().get("/admin/", headers=bearer(token)).status_code == 302  # the login page


def test_last_use_is_recorded_at_most_once_a_minute(app, runner):
    make_user(app, "zhang")
    token = new_token(runner, "zhang")
    client = app.test_client()

    def last_used():
        with app.app_context(), session_scope() as session:
            return session.scalar(select(ApiToken.last_used_at))

    assert last_used() is None
    client.get("/api/search?q=VPN", headers=bearer(token))
    first = last_used()
    assert first is not None
    client.get("/api/search?q=VPN", headers=bearer(token))
    assert last_used() == first  # not written again within the minute
    with app.app_context(), session_scope() as session:
        session.scalar(select(ApiToken)).last_used_at = utcnow() - dt.timedelta(minutes=2)
    client.get("/api/search?q=VPN", headers=bearer(token))
    assert last_used().replace(tzinfo=None) > first.replace(tzinfo=None)


def test_a_disabled_user_gets_no_new_token(app, runner):
    make_user(app, "gone", active=False)
    result = runner.invoke(args=["kb", "token", "create", "gone"])
    assert result.exit_code == 1 and "已停用" in result.output
    result = runner.invoke(args=["kb", "token", "create", "nobody"])
    assert result.exit_code == 1 and "用户 nobody 不存在" in result.output


# --- CSRF on /api/* ---------------------------------------------------------------------------


def test_session_writes_to_the_api_need_the_csrf_header(make_app):
    app = make_app(WTF_CSRF_ENABLED=True)
    make_user(app, "zhang")
    client = app.test_client()
    page = client.get("/login")
    client.post("/login", data={"username": "zhang", "password": "correct-horse-42",
                                "csrf_token": csrf_from(page.get_data(as_text=True))})
    refused = client.post("/api/tickets", json=ticket_body())
    assert refused.status_code == 400 and refused.get_json()["error"] == "csrf_failed"
    token = csrf_from(client.get("/").get_data(as_text=True))  # <meta name="csrf-token"> when logged in
    accepted = client.post("/api/tickets", json=ticket_body(), headers={"X-CSRFToken": token})
    assert accepted.status_code == 201
    assert client.get("/api/search?q=VPN").status_code == 200  # reads need nothing


def test_token_and_anonymous_writes_need_no_csrf_token(make_app):
    app = make_app(WTF_CSRF_ENABLED=True)
    make_user(app, "zhang")
    runner = app.test_cli_runner()
    token = new_token(runner, "zhang")
    assert app.test_client().post("/api/tickets", json=ticket_body(), headers=bearer(token)).status_code == 201
    assert app.test_client().post("/api/tickets", json=ticket_body()).status_code == 201
    assert "csrf-token" not in app.test_client().get("/").get_data(as_text=True)  # no meta for anonymous pages


def test_the_users_role_comes_with_the_token(app, runner):
    make_user(app, "agent1", "agent")
    token = new_token(runner, "agent1")
    with app.app_context(), session_scope() as session:
        internal = session.scalar(select(User).where(User.username == "agent1"))
        assert internal.role == "agent"
    # agents see internal articles through the API with their token, anonymous callers do not
    from tests.feedback.conftest import INTERNAL

    client = app.test_client()
    runner.invoke(args=["kb", "sync"])
    assert client.get(f"/api/articles/{INTERNAL}").status_code == 404
    assert client.get(f"/api/articles/{INTERNAL}", headers=bearer(token)).status_code == 200


def test_the_csrf_rule_is_the_same_on_every_api_blueprint(make_app):
    app = make_app(WTF_CSRF_ENABLED=True)
    assert app.test_cli_runner().invoke(args=["kb", "sync"]).exit_code == 0
    make_user(app, "zhang")
    client = app.test_client()
    client.post("/login", data={"username": "zhang", "password": "correct-horse-42",
                                "csrf_token": csrf_from(client.get("/login").get_data(as_text=True))})
    token = csrf_from(client.get("/").get_data(as_text=True))
    vote = "/api/articles/vpn/error-809/feedback"
    refused = client.post(vote, json={"helpful": True})
    assert refused.status_code == 400 and refused.get_json()["error"] == "csrf_failed"
    assert client.post(vote, json={"helpful": True}, headers={"X-CSRFToken": token}).status_code == 201
    anonymous = app.test_client()
    assert anonymous.post(vote, json={"helpful": False}).status_code == 201
