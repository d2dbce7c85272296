"""Helpers for ticket tests: valid request data and creating tickets through the service."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.db import session_scope
from app.models import Ticket, User


def valid_data(**overrides) -> dict:
    data = {
        "subject": "VPN 连不上，提示错误 809",
        "description": "在家用公司电脑连接 VPN，一直提示 809。",
        "category": "vpn",
        "impact": "person",
        "urgency": "stopped",
        "contact_name": "张三",
        "contact_email": "zhangsan@example.com",
        "contact_phone": "138 0000 0000",
    }
    data.update(overrides)
    return data


@pytest.fixture
def data():
    return valid_data()


def create(app, data=None, *, username=None, **kwargs) -> Ticket:
    """Create a ticket through the service in its own session; returns the (detached) ticket."""
    from app.tickets import create_ticket

    with app.test_request_context():
        from app.db import get_session

        session = get_session()
        user = session.scalar(select(User).where(User.username == username)) if username else None
        ticket = create_ticket(session, valid_data() if data is None else data, user=user, **kwargs)
        ticket.attachments, ticket.events, ticket.article  # load before the session closes
        return ticket


def make_user(app, username: str, role: str = "requester") -> None:
    with app.app_context(), session_scope() as session:
        if session.scalar(select(User).where(User.username == username)) is None:
            user = User(username=username, role=role, email=f"{username}@example.com", display_name=username.title())
            user.set_password("pw-123456")
            session.add(user)


def ticket_count(app) -> int:
    with app.app_context(), session_scope() as session:
        return session.scalar(select(func.count()).select_from(Ticket))


def load(app, number: str) -> Ticket:
    with app.app_context(), session_scope() as session:
        ticket = session.scalar(select(Ticket).where(Ticket.number == number))
        ticket.attachments, ticket.events
        return ticket
