"""Helpers for the request-form tests: open the form, read its visit token, post it."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from app.db import session_scope
from app.models import FormVisit, Ticket

VALID = {
    "subject": "VPN连接提示错误809",
    "description": "在家用笔记本连公司 VPN，弹出错误 809，换了网络也一样。",
    "category": "vpn",
    "impact": "person",
    "urgency": "stopped",
    "contact_name": "张三",
    "contact_email": "zhangsan@example.com",
    "contact_phone": "138 0000 0000",
}


def open_form(client, query: str = "") -> tuple[str, str]:
    """GET /requests/new; returns (visit token, page html)."""
    response = client.get("/requests/new" + query)
    assert response.status_code == 200, response.text[:500]
    match = re.search(r'name="visit" value="([^"]+)"', response.text)
    assert match, "the page carries its visit token"
    return match.group(1), response.text


def form_data(token: str, step: str = "submit", **changes) -> dict:
    data = {**VALID, "visit": token, "step": step}
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def ticket_count(app) -> int:
    with app.app_context(), session_scope() as session:
        return session.scalar(select(func.count()).select_from(Ticket))


def only_ticket(app) -> Ticket:
    with app.app_context(), session_scope() as session:
        tickets = session.scalars(select(Ticket)).all()
        assert len(tickets) == 1, [t.number for t in tickets]
        session.expunge_all()
        return tickets[0]


def visit_row(app, token: str) -> FormVisit:
    with app.app_context(), session_scope() as session:
        visit = session.scalar(select(FormVisit).where(FormVisit.token == token))
        assert visit is not None
        session.expunge(visit)
        return visit


def visit_row_or_none(app, token: str) -> FormVisit | None:
    """The visit row, or None: opening the form writes nothing until the first interaction."""
    with app.app_context(), session_scope() as session:
        visit = session.scalar(select(FormVisit).where(FormVisit.token == token))
        if visit is not None:
            session.expunge(visit)
        return visit


def visit_count(app) -> int:
    with app.app_context(), session_scope() as session:
        return session.scalar(select(func.count()).select_from(FormVisit))


@pytest.fixture
def form_client(synced):
    return synced.test_client()
