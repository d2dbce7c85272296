"""Who may see a ticket: its requester (logged in, or holding the private link's token),
agents and admins. Everyone else gets a 404, never a 403: a ticket number reveals nothing.
"""

from __future__ import annotations

import hmac

from flask import abort
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import Ticket

TICKET_STAFF = ("agent", "admin")


def is_ticket_staff(user=None) -> bool:
    user = current_user if user is None else user
    return bool(user and user.is_authenticated and user.role in TICKET_STAFF)


def token_matches(ticket: Ticket, token) -> bool:
    if not isinstance(token, str) or not token:
        return False
    return hmac.compare_digest(token.encode("utf-8", "replace"), ticket.access_token.encode())


def can_access(ticket: Ticket | None, token=None, user=None) -> bool:
    if ticket is None:
        return False
    user = current_user if user is None else user
    if is_ticket_staff(user):
        return True
    if user and user.is_authenticated and ticket.requester_id is not None and ticket.requester_id == user.id:
        return True
    return token_matches(ticket, token)


def find_ticket(session: Session, number: str) -> Ticket | None:
    if not isinstance(number, str) or len(number) > 24:
        return None
    return session.scalar(select(Ticket).where(Ticket.number == number))


def ticket_or_404(session: Session, number: str, token=None) -> Ticket:
    ticket = find_ticket(session, number)
    if not can_access(ticket, token):  # same answer whether it is missing or someone else's
        abort(404, description="工单不存在，或者您无权查看。")
    return ticket
