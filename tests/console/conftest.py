"""Console fixtures: agents, groups, tickets made through the real service."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.db import session_scope
from app.models import Ticket, User
from tests.conftest import login
from tests.tickets.conftest import create, make_user, valid_data  # noqa: F401


def make_group(app, name, skills="", tier=1, members=()):
    from app.accounts.audit import Actor
    from app.tickets import groups

    with app.app_context(), session_scope() as session:
        group = groups.create_group(session, Actor("test"), name, skills, tier)
        for username in members:
            groups.add_member(session, Actor("test"), group, username)


def get_ticket(session, number) -> Ticket:
    return session.scalar(select(Ticket).where(Ticket.number == number))


def get_user(session, username) -> User:
    return session.scalar(select(User).where(User.username == username))


@pytest.fixture
def agent_client(app):
    make_user(app, "wang", "agent")
    client = app.test_client()
    login(client, app, "wang", "agent")
    return client
