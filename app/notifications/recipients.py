"""Who a message goes to. Composers take a :class:`Recipient` explicitly; the helpers here
find the requester of a ticket. Agents (assignee, group members) are resolved by the caller."""

from __future__ import annotations

from dataclasses import dataclass

from ..models import Ticket


@dataclass(frozen=True)
class Recipient:
    email: str
    name: str | None = None
    # The requester was not logged in: their links carry the ticket's secret ?token=.
    anonymous: bool = False

    @classmethod
    def of_user(cls, user) -> Recipient | None:
        """An agent or other account, if it has an address and is active."""
        if user is None or not getattr(user, "email", None) or not getattr(user, "active", True):
            return None
        return cls(email=user.email, name=user.name)


def requester(ticket: Ticket) -> Recipient | None:
    """The ticket's requester: the contact address given on the ticket (for a logged-in requester
    it defaulted to their account's address), else the account's address; None without either."""
    account = ticket.requester
    email = ticket.contact_email or (account.email if account is not None else None)
    if not email:
        return None
    name = ticket.contact_name or (account.name if account is not None else None)
    return Recipient(email=email, name=name, anonymous=ticket.requester_id is None)
