"""Notification fixtures: the worker's mail app and SMTP server, and tickets made by create_ticket."""

from __future__ import annotations

from sqlalchemy import select

from tests.mailhelpers import smtp_server  # noqa: F401 - fixture
from tests.tickets.conftest import create, make_user, valid_data  # noqa: F401 - helpers for the tests
from tests.worker.conftest import mail_app, make_mail_app, rows  # noqa: F401 - fixtures


def deliver(app) -> int:
    from app.worker.runner import Worker

    return Worker(app).run_once().delivery.sent


def ticket(app, number: str):
    """The ticket with its requester loaded, for composing in the test's own app context."""
    from app.db import get_session
    from app.models import Ticket

    session = get_session()
    return session.scalar(select(Ticket).where(Ticket.number == number))


def add_event(app, number: str, kind: str, body: str, *, public: bool = True, author: str | None = None) -> int:
    from app.db import session_scope
    from app.models import Ticket, TicketEvent, User

    with app.app_context(), session_scope() as session:
        t = session.scalar(select(Ticket).where(Ticket.number == number))
        user = session.scalar(select(User).where(User.username == author)) if author else None
        event = TicketEvent(ticket_id=t.id, kind=kind, body=body, public=public, author_id=user.id if user else None)
        session.add(event)
        session.flush()
        return event.id
