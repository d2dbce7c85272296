"""The timed SLA job (``kb worker``, registered in ``app/worker/jobs.py`` as ``sla_states``).

Every minute: a ticket whose response or resolution due time has passed while its clock ran
(status new/open) gets the breach recorded **once** (``response_breached_at`` /
``resolve_breached_at`` = the due time, an internal ``sla_breached`` event) and a "breached"
mail; a ticket that has just become at risk (less than 25 % of the target left, ``sla_warn_at``
reached) gets one "at risk" mail per due time (``sla_warned_due``). The mails go to the
assignee, else the group's members, else — nobody to ask — every active agent and admin with an
address (``assignment.agent_recipients``); the outbox's dedupe key (kind, ticket, target, due
time, address) keeps each warning to one mail per person. Works in batches so a pass stays short.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from ..models import Ticket, TicketEvent
from .sla import ACTIVE_STATUSES

BATCH = 500


def _mails(session: Session, ticket: Ticket, composer, target: str, due: dt.datetime) -> int:
    from ..notifications.dispatch import queue
    from .assignment import agent_recipients

    return queue(session, [composer(ticket, r, target=target, due=due) for r in agent_recipients(session, ticket)])


def run(session: Session, now: dt.datetime) -> int:
    from ..notifications import compose

    done = 0
    response = session.scalars(
        select(Ticket).where(
            Ticket.status.in_(ACTIVE_STATUSES), Ticket.first_response_at.is_(None),
            Ticket.response_breached_at.is_(None), Ticket.sla_response_due <= now,
        ).order_by(Ticket.sla_response_due).limit(BATCH)
    ).all()
    resolve = session.scalars(
        select(Ticket).where(
            Ticket.status.in_(ACTIVE_STATUSES), Ticket.resolve_breached_at.is_(None), Ticket.sla_resolve_due <= now,
        ).order_by(Ticket.sla_resolve_due).limit(BATCH)
    ).all()
    for target, tickets in (("response", response), ("resolve", resolve)):
        for ticket in tickets:
            due = ticket.sla_response_due if target == "response" else ticket.sla_resolve_due
            setattr(ticket, f"{target}_breached_at", due)
            ticket.events.append(TicketEvent(
                kind="sla_breached", public=False, created_at=now, ticket_version=ticket.version,
                body=f"SLA {'首次响应' if target == 'response' else '解决'}期限已过",
                changes={"target": target},
            ))
            _mails(session, ticket, compose.sla_breached, target, due)
            done += 1
    at_risk = session.scalars(
        select(Ticket).where(
            Ticket.status.in_(ACTIVE_STATUSES), Ticket.sla_warn_at <= now, Ticket.sla_due_at > now,
            or_(Ticket.sla_warned_due.is_(None), and_(Ticket.sla_warned_due != Ticket.sla_due_at)),
        ).limit(BATCH)
    ).all()
    for ticket in at_risk:
        target = "response" if ticket.first_response_at is None else "resolve"
        ticket.sla_warned_due = ticket.sla_due_at
        _mails(session, ticket, compose.sla_at_risk, target, ticket.sla_due_at)
        done += 1
    return done
