"""Helpers for the accounts tests: users made through the service, cookies, throttled apps."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from app.db import session_scope
from app.models import AuditEvent, User
from tests.conftest import _teardown, build_app

PASSWORD = "correct-horse-42"


def make_user(app, username: str, role: str = "requester", password: str = PASSWORD, **fields) -> int:
    with app.app_context(), session_scope() as session:
        user = session.scalar(select(User).where(User.username == username))
        if user is None:
            fields.setdefault("email", f"{username}@example.com")
            user = User(username=username, role=role, **fields)
            user.set_password(password)
            session.add(user)
            session.flush()
        return user.id


def get_user(app, username: str) -> User:
    with app.app_context(), session_scope() as session:
        return session.scalar(select(User).where(User.username == username))


def log_in(client, username: str, password: str = PASSWORD, remember: bool = False, **kwargs):
    data = {"username": username, "password": password}
    if remember:
        data["remember"] = "1"
    return client.post("/login", data=data, **kwargs)


def cookie(client, name: str):
    return client.get_cookie(name)


def set_cookie_header(response, name: str) -> str | None:
    for header in response.headers.getlist("Set-Cookie"):
        if header.startswith(name + "="):
            return header
    return None


def audit_actions(app) -> list[tuple[str, str, str | None]]:
    with app.app_context(), session_scope() as session:
        return [(e.actor, e.action, e.target) for e in session.scalars(select(AuditEvent).order_by(AuditEvent.id))]


def csrf_from(html: str) -> str:
    match = re.search(r'name="csrf-token" content="([^"]+)"', html) or re.search(
        r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF token on the page"
    return match.group(1)


@pytest.fixture
def make_app(tmp_path, articles_dir, pg_available):
    """Apps with extra settings (throttling on, CSRF on, https…); torn down after the test."""
    apps = []

    def make(**extra):
        app, drop = build_app(tmp_path / f"a{len(apps)}", articles_dir, pg_available, **extra)
        apps.append((app, drop))
        return app

    yield make
    for app, drop in apps:
        _teardown(app, drop)
