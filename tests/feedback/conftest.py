"""Helpers for the article feedback tests."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.db import session_scope
from app.models import Article, Feedback, FixTask, Ticket

SLUG = "vpn/error-809"
INTERNAL = "internal/ad-unlock"


def api_vote(client, slug=SLUG, **body):
    return client.post(f"/api/articles/{slug}/feedback", json=body)


def article(app, slug=SLUG) -> Article:
    with app.app_context(), session_scope() as s:
        return s.scalar(select(Article).where(Article.slug == slug))


def feedback_rows(app, slug=SLUG) -> list[Feedback]:
    with app.app_context(), session_scope() as s:
        a = s.scalar(select(Article).where(Article.slug == slug))
        return list(s.scalars(select(Feedback).where(Feedback.article_id == a.id).order_by(Feedback.id)))


def count(app, model, *where) -> int:
    with app.app_context(), session_scope() as s:
        return s.scalar(select(func.count()).select_from(model).where(*where))


def tickets(app) -> list[Ticket]:
    with app.app_context(), session_scope() as s:
        return list(s.scalars(select(Ticket).order_by(Ticket.id)))


def fix_tasks(app) -> list[FixTask]:
    with app.app_context(), session_scope() as s:
        return list(s.scalars(select(FixTask).order_by(FixTask.id)))


def anon_contact(**extra) -> dict:
    return {"contact_name": "王小明", "contact_email": "wangxm@example.com", **extra}


@pytest.fixture
def readers(synced):
    """A factory of independent anonymous browsers (each its own session cookie)."""
    return lambda: synced.test_client()
