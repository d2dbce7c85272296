"""Who may see a ticket: its requester (logged in, or holding the private link's token),
agents and admins. Everyone else gets a 404, never a 403: a ticket number reveals nothing.

The rules live in :mod:`app.visibility`; this module finds tickets and answers 404.
"""

from __future__ import annotations

from flask import abort
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import visibility
from ..models import Ticket

TICKET_STAFF = visibility.TICKET_STAFF_ROLES


def is_ticket_staff(user=None) -> bool:
    return visibility.is_ticket_staff(current_user if user is None else user)


def token_matches(ticket: Ticket, token) -> bool:
    return visibility.token_matches(ticket, token)


def can_access(ticket: Ticket | None, token=None, user=None) -> bool:
    return visibility.can_view_ticket(ticket, current_user if user is None else user, token)


def find_ticket(session: Session, number: str) -> Ticket | None:
    if not isinstance(number, str) or len(number) > 24:
        return None
    return session.scalar(select(Ticket).where(Ticket.number == number.strip().upper()))


def ticket_or_404(session: Session, number: str, token=None, *, ask_login: bool = False) -> Ticket:
    """The ticket, when the caller may see it; else a 404 — the same whether it is missing or
    someone else's. ``ask_login``: a visitor who is not logged in is sent to the login page
    instead (for any number, so that says nothing either), as the links in the mails expect."""
    ticket = find_ticket(session, number)
    if not can_access(ticket, token):
        if ask_login and not current_user.is_authenticated:
            from ..auth import login_manager

            abort(login_manager.unauthorized())
        abort(404, description="工单不存在，或者您无权查看。")
    return ticket
