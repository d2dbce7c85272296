"""Queueing notifications: who gets which message when something happens to a ticket.

Everything here runs inside the transaction of the change (nothing commits): the message is
queued exactly when the change is committed.

* :func:`ticket_created` — wired into ``create_ticket``: "received" to the requester.
* :func:`ticket_unrouted` — a new ticket no group covers: 「有新工单」 to every agent and admin.
* :func:`on_ticket_changed` — the subscriber for the console's ``ticket_changed(session, ticket,
  event)`` seam: maps an event kind to the composers in :mod:`.compose`. Agents are passed in as
  :class:`~.recipients.Recipient` values (the caller knows its assignment and group models).
* :func:`queue` — for timed jobs (reminders, auto-close, SLA): queue composed mails.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from pathlib import Path

from flask import current_app

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import Article, Ticket, User
from ..tickets.choices import CATEGORIES
from ..visibility import PUBLIC, can_view
from ..worker import Mail, enqueue
from . import compose
from .recipients import Recipient, requester

log = logging.getLogger("app.notifications")
SUGGESTED = 3


def queue(session: Session, mails: Iterable[Mail]) -> int:
    """Queue ``mails`` in ``session`` (no commit); how many were new (duplicates are skipped)."""
    return sum(1 for mail in mails if enqueue(session, mail) is not None)


def suggested_articles(session: Session, ticket: Ticket, limit: int = SUGGESTED) -> list[Article]:
    """Public, published articles for the ticket's text, best first — what the request form
    would suggest to an anonymous reader. A search failure means no suggestions, never no mail."""
    from ..requests.suggestions import suggest

    if current_app.extensions.get("kb.search") is None and not Path(current_app.config["KB_INDEX_DIR"]).exists():
        return []  # never build a missing index inside the ticket's transaction
    try:
        found = suggest(ticket.subject, ticket.description, CATEGORIES.get(ticket.category), PUBLIC,
                        limit=limit + 2).slugs
    except Exception:  # noqa: BLE001 - the suggestions are a nicety
        log.exception("%s: suggestions for the received mail failed", ticket.number)
        return []
    if not found:
        return []
    rows = {a.slug: a for a in session.scalars(select(Article).where(Article.slug.in_(found)))}
    return [rows[s] for s in found if s in rows and can_view(rows[s], "anonymous")][:limit]


def ticket_created(session: Session, ticket: Ticket) -> int:
    """Queue "received" for a new ticket with a contact address (called by ``create_ticket``)."""
    to = requester(ticket)
    if to is None:
        return 0
    return queue(session, [compose.ticket_received(ticket, to, articles=suggested_articles(session, ticket))])


def ticket_unrouted(session: Session, ticket: Ticket, staff: Iterable[Recipient], group: str | None = None) -> int:
    """Queue 「有新工单」 to ``staff`` (every agent and admin) for a new ticket no group covers (or
    whose ``group`` has nobody to tell), so it is seen before its SLA warnings start; not to the
    requester themselves (by the ticket's contact address or their account's)."""
    own = requester(ticket)
    account = ticket.requester
    mine = {a.lower() for a in (own.email if own else None, account.email if account else None) if a}
    label = CATEGORIES.get(ticket.category, ticket.category)
    return queue(session, [compose.new_unrouted(ticket, r, category=label, group=group) for r in staff
                           if r.email.lower() not in mine])


# Event kinds of the console's ticket_changed seam → what is sent. Adjust the names here (only)
# if the console names its kinds differently.
REPLY_KINDS = {"reply", "public_reply", "comment"}
ASSIGNED_KINDS = {"assigned"}
RESOLVED_KINDS = {"resolved"}
CLOSED_KINDS = {"closed", "withdrawn", "auto_closed", "confirmed"}
CREATED_KINDS = {"created", "group_changed", "escalated"}
CLOSE_REASON_BY_KIND = {"withdrawn": "withdrawn", "auto_closed": "auto", "confirmed": "confirmed", "closed": "agent"}
# Kinds whose mails go to agents only: sent for internal events too (assignment, group change
# and escalation are internal in the console's timeline). Notes ("note") are never sent.
AGENT_ONLY_KINDS = ASSIGNED_KINDS | {"group_changed", "escalated"}


def _last_agent(ticket: Ticket) -> Recipient | None:
    """The desk member who last wrote to the requester (a public event), if any."""
    from ..visibility import is_ticket_staff

    for event in reversed(list(getattr(ticket, "events", []) or [])):
        author = getattr(event, "author", None)
        if author is not None and event.public and is_ticket_staff(author):
            return Recipient.of_user(author)
    return None


def _author_address(session: Session, event) -> str | None:
    """The lower-cased address of the account that made the change, if any."""
    author = session.get(User, event.author_id) if getattr(event, "author_id", None) else None
    return author.email.lower() if author is not None and author.email else None


def _assigned_by(event) -> bool:
    """The event put a person on the ticket (``changes.assignee`` ends with someone new)."""
    change = (getattr(event, "changes", None) or {}).get("assignee")
    return isinstance(change, list) and len(change) == 2 and bool(change[1]) and change[0] != change[1]


def _from_requester(ticket: Ticket, event) -> bool:
    author = getattr(event, "author_id", None)
    return author is None or (ticket.requester_id is not None and author == ticket.requester_id)


def on_ticket_changed(
    session: Session,
    ticket: Ticket,
    event,
    *,
    assignee: Recipient | None = None,
    group: str | None = None,
    group_members: Iterable[Recipient] = (),
    author_name: str | None = None,
    close_reason: str | None = None,
    rating: int | None = None,
) -> int:
    """Queue what ``event`` (a TicketEvent: kind, body, public, author_id, id) means for whom.

    Internal events (``public`` false: notes, internal changes) send nothing to anyone, except
    the agent-only kinds (assigned, group_changed, escalated), which go to agents only. The
    requester is found on the ticket; agents are the explicit ``assignee`` / ``group_members``.
    An agent is never mailed about a change they made themselves (the event's author). A change
    that puts a person on the ticket (``changes.assignee``) sends that person 「分配给您」; the
    group's other members get 「有新工单」 when the ticket also moved into their group.
    Returns how many messages were queued.
    """
    kind = event.kind
    if not getattr(event, "public", False) and kind not in AGENT_ONLY_KINDS:
        return 0
    to_requester = requester(ticket)
    author = _author_address(session, event)

    def others(recipients) -> list[Recipient]:
        """Agents to tell, without the one who made the change (nobody is mailed their own act)."""
        return [r for r in recipients if r is not None and r.email.lower() != author]

    mails: list[Mail] = []
    if kind in REPLY_KINDS:
        if _from_requester(ticket, event):
            watchers = [assignee] if assignee is not None else list(group_members)
            if not watchers:  # nobody assigned, no group: whoever from the desk answered last
                watchers = [r for r in [_last_agent(ticket)] if r is not None]
            mails += [compose.requester_replied(ticket, event, r) for r in others(watchers)]
        elif to_requester is not None:
            mails.append(compose.public_reply(ticket, event, to_requester, author=author_name))
    elif kind in ASSIGNED_KINDS:
        mails += [compose.assigned(ticket, r, key=event.id, by=author_name) for r in others([assignee])]
    elif kind in CREATED_KINDS and group and assignee is None:
        mails += [compose.new_in_group(ticket, r, group=group) for r in others(group_members)]
    elif kind in CREATED_KINDS and group and _assigned_by(event):
        # Moved to a group and to one of its people at once (an escalation picks the agent): the
        # person gets 「分配给您」, the group's others 「有新工单」 — nobody both, nobody their own act.
        mails += [compose.assigned(ticket, r, key=event.id, by=author_name) for r in others([assignee])]
        mails += [compose.new_in_group(ticket, r, group=group) for r in others(group_members)
                  if r.email.lower() != assignee.email.lower()]
    elif kind in RESOLVED_KINDS and to_requester is not None:
        mails.append(compose.resolved(ticket, to_requester, event=event if event.body else None))
    elif kind in CLOSED_KINDS and to_requester is not None:
        reason = close_reason or CLOSE_REASON_BY_KIND.get(kind, "agent")
        mails.append(compose.closed(ticket, to_requester, reason=reason, rating=rating))
    return queue(session, mails)
