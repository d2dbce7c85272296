"""Requester-side fixtures: users, tickets made by create_ticket, agents acting through the
workflow (the console's own pages and API are tested on their branch), and outbox reading."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from app.db import session_scope
from app.models import OutboxMessage, Ticket, User
from tests.conftest import login
from tests.tickets.conftest import create, make_user, valid_data  # noqa: F401 - helpers for the tests

UTC = dt.timezone.utc
# Monday 2026-11-23 10:00 in Shanghai: working hours 09:00–18:00, Monday–Friday.
MONDAY_10 = dt.datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


@pytest.fixture
def agent(app):
    make_user(app, "wanggong", "agent")
    return "wanggong"


def act(app, number: str, what: str, *, by: str | None = None, now=None, **kwargs):
    """Run ``app.tickets.workflow.<what>`` on ticket ``number`` as user ``by``; committed."""
    from app.tickets import workflow

    with app.test_request_context(), session_scope() as session:
        ticket = session.scalar(select(Ticket).where(Ticket.number == number))
        actor = session.scalar(select(User).where(User.username == by)) if by else None
        return getattr(workflow, what)(session, ticket, actor=actor, now=now, **kwargs)


def load(app, number: str) -> Ticket:
    with app.app_context(), session_scope() as session:
        ticket = session.scalar(select(Ticket).where(Ticket.number == number))
        ticket.events, ticket.attachments, ticket.assignee  # loaded before the session closes
        for e in ticket.events:
            e.attachments, e.author
        return ticket


def outbox(app, kind: str | None = None) -> list[OutboxMessage]:
    with app.app_context(), session_scope() as session:
        query = select(OutboxMessage).order_by(OutboxMessage.id)
        if kind:
            query = query.where(OutboxMessage.kind == kind)
        return list(session.scalars(query))


def requester_client(app, username: str = "zhangsan"):
    client = app.test_client()
    login(client, app, username, "requester")
    return client


def mine(app, username: str = "zhangsan", now=None, **data) -> Ticket:
    """A ticket submitted by logged-in ``username`` (their address as the contact)."""
    make_user(app, username, "requester")
    return create(app, valid_data(contact_email=f"{username}@example.com", **data), username=username, now=now)
