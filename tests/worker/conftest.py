"""Worker fixtures: an app whose KB_SMTP_URL points at a real SMTP server on loopback."""

from __future__ import annotations

import datetime as dt

import pytest

from app.worker import Mail
from tests.conftest import _teardown, build_app
from tests.mailhelpers import SmtpServer, smtp_server  # noqa: F401 - fixture

MAIL_SETTINGS = {
    "KB_MAIL_FROM": "IT 服务台 <helpdesk@corp.example>",
    "KB_BASE_URL": "https://help.corp.example",
    "KB_SMTP_TIMEOUT": 2,
    "KB_OUTBOX_LEASE": 30,
    "KB_OUTBOX_RETRY_BASE": 60,
    "KB_OUTBOX_RETRY_MAX": 3600,
}


@pytest.fixture
def make_mail_app(tmp_path, articles_dir, pg_available):
    """build(**settings) → an app with the mail settings above; torn down after the test."""
    built = []

    def build(**settings):
        app, drop = build_app(tmp_path / f"app{len(built)}", articles_dir, pg_available, **{**MAIL_SETTINGS, **settings})
        built.append((app, drop))
        return app

    yield build
    for app, drop in built:
        _teardown(app, drop)


@pytest.fixture
def mail_app(make_mail_app, smtp_server):  # noqa: F811
    return make_mail_app(KB_SMTP_URL=smtp_server.url)


def sample_mail(n: int = 1, **overrides) -> Mail:
    values = dict(
        kind="test",
        dedupe_key=f"test:{n}",
        to_addr=f"user{n}@corp.example",
        to_name="张三",
        subject=f"测试邮件 {n}：VPN 连不上",
        text=f"您好：\n\n这是第 {n} 封测试邮件。\n",
        html=f"<p>这是第 <b>{n}</b> 封测试邮件。</p>",
        message_id=f"<test.{n}@corp.example>",
    )
    values.update(overrides)
    return Mail(**values)


def queue(app, *mails: Mail) -> list[int | None]:
    from app.db import session_scope
    from app.worker import enqueue

    with app.app_context(), session_scope() as session:
        return [enqueue(session, m) for m in mails]


def rows(app) -> list:
    from sqlalchemy import select

    from app.db import session_scope
    from app.models import OutboxMessage

    with app.app_context(), session_scope() as session:
        return list(session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def utc(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=dt.timezone.utc)
