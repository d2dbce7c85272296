"""The requester side's timed jobs (``kb worker``; registered in ``app/worker/jobs.py``).

* :func:`pending_reminders` (``requester_reminders``): a ticket waiting for the requester's
  answer (``pending``) for ``KB_PENDING_REMIND_DAYS`` working days gets one "waiting for your
  reply" mail per waiting period.
* :func:`auto_close` (``auto_close``): a resolved ticket nobody confirmed or reopened gets one
  reminder ``KB_AUTO_CLOSE_REMIND_DAYS`` working days after it was resolved, and is closed
  (「解决后未收到回复，自动关闭」, the "closed" mail) ``KB_AUTO_CLOSE_DAYS`` working days after it was
  resolved — never sooner than one working day after its reminder (a worker that was stopped
  for a week sends the reminder first, and closes a day later).

Each reminder is recorded on the ticket as an internal ``reminded`` event (``changes``:
``{"reminder": "pending"|"resolved"}``) that does not bump the ticket's version — an agent
with the ticket open is not told it changed — and is what makes the reminder happen once:
"no ``reminded`` event since the ticket started waiting / was resolved". The mails go through
the outbox in the job's transaction (the worker commits after the job returns).

Working days are the SLA calendar's (``KB_WORKING_HOURS``, ``KB_WORKING_DAYS``, holidays); the
candidate tickets are chosen in SQL with the exact cut-off instant (``subtract_working_time``),
in batches of :data:`BATCH`.
"""

from __future__ import annotations

import datetime as dt
import logging

from flask import current_app
from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session, aliased

from ..models import Ticket, TicketEvent
from ..tickets import sla as sla_mod
from .settings import RequesterSettings

log = logging.getLogger("app.requests")
BATCH = 200
REMINDED = "reminded"


def _calendar():
    return sla_mod.calendar_from_config(current_app.config)


def _settings() -> RequesterSettings:
    return RequesterSettings.from_config(current_app.config)


def _reminded_since(since_column):
    """SQL: the ticket has a ``reminded`` event at or after ``since_column``."""
    event = aliased(TicketEvent)
    return exists().where(event.ticket_id == Ticket.id, event.kind == REMINDED, event.created_at >= since_column)


def _remember(ticket: Ticket, which: str, body: str, now: dt.datetime) -> None:
    ticket.events.append(TicketEvent(
        kind=REMINDED, public=False, created_at=now, ticket_version=ticket.version, body=body,
        changes={"reminder": which},
    ))


def _last_question(ticket: Ticket):
    """The latest public reply from the desk (what the requester is asked), or None."""
    from ..visibility import is_ticket_staff

    for event in reversed(ticket.events):
        if event.public and event.kind == "reply" and event.author is not None and is_ticket_staff(event.author):
            return event
    return None


def pending_reminders(session: Session, now: dt.datetime) -> int:
    from ..notifications import compose
    from ..notifications.dispatch import queue
    from ..notifications.recipients import requester

    settings, calendar = _settings(), _calendar()
    cutoff = calendar.subtract_working_time(now, calendar.day_length * settings.pending_remind_days)
    tickets = session.scalars(
        select(Ticket).where(
            Ticket.status == "pending", Ticket.pending_since.is_not(None), Ticket.pending_since <= cutoff,
            ~_reminded_since(Ticket.pending_since),
        ).order_by(Ticket.pending_since, Ticket.id).limit(BATCH)
    ).all()
    for ticket in tickets:
        to = requester(ticket)
        since = sla_mod._aware(ticket.pending_since)
        if to is not None:
            queue(session, [compose.awaiting_reply(ticket, to, since=since, question=_last_question(ticket))])
            _remember(ticket, "pending", f"已提醒提交人回复（等待自 {_local(since)}）", now)
        else:
            _remember(ticket, "pending", "提交人没有邮箱地址，无法发送回复提醒", now)
    return len(tickets)


def _local(when: dt.datetime | None) -> str:
    from ..tickets.present import display_time

    return display_time(when)


def close_due(resolved_at: dt.datetime, reminded_at: dt.datetime | None, settings: RequesterSettings,
              calendar: sla_mod.Calendar) -> dt.datetime | None:
    """When a resolved ticket closes by itself: ``auto_close_days`` working days after it was
    resolved, and at least one working day after its reminder (None: not reminded yet)."""
    if reminded_at is None:
        return None
    day = calendar.day_length
    by_resolution = calendar.add_working_time(resolved_at, day * settings.auto_close_days)
    by_reminder = calendar.add_working_time(reminded_at, day * min(1.0, settings.auto_close_days
                                                                   - settings.auto_close_remind_days))
    return max(by_resolution, by_reminder)


def auto_close(session: Session, now: dt.datetime) -> int:
    from ..notifications import compose
    from ..notifications.dispatch import queue
    from ..notifications.recipients import requester
    from ..tickets import workflow

    settings, calendar = _settings(), _calendar()
    done = 0
    # 1. Close what was reminded and is due.
    remind_event = aliased(TicketEvent)
    reminded_at = (
        select(func.max(remind_event.created_at))
        .where(remind_event.ticket_id == Ticket.id, remind_event.kind == REMINDED,
               remind_event.created_at >= Ticket.resolved_at)
        .correlate(Ticket).scalar_subquery()
    )
    earliest = calendar.subtract_working_time(now, calendar.day_length * settings.auto_close_days)
    rows = session.execute(
        select(Ticket, reminded_at.label("reminded_at")).where(
            Ticket.status == "resolved", Ticket.resolved_at.is_not(None), Ticket.resolved_at <= earliest,
            _reminded_since(Ticket.resolved_at),
        ).order_by(Ticket.resolved_at, Ticket.id).limit(BATCH)
    ).all()
    for ticket, reminded in rows:
        due = close_due(sla_mod._aware(ticket.resolved_at), sla_mod._aware(reminded), settings, calendar)
        if due is not None and due <= now:
            workflow.auto_close(session, ticket, now=now)  # the "closed" mail through the seam
            done += 1
    # 2. Remind what has waited long enough since it was resolved.
    cutoff = calendar.subtract_working_time(now, calendar.day_length * settings.auto_close_remind_days)
    tickets = session.scalars(
        select(Ticket).where(
            Ticket.status == "resolved", Ticket.resolved_at.is_not(None), Ticket.resolved_at <= cutoff,
            ~_reminded_since(Ticket.resolved_at),
        ).order_by(Ticket.resolved_at, Ticket.id).limit(BATCH)
    ).all()
    for ticket in tickets:
        closes = close_due(sla_mod._aware(ticket.resolved_at), now, settings, calendar)
        to = requester(ticket)
        if to is not None:
            queue(session, [compose.close_reminder(ticket, to, closes_at=closes)])
            _remember(ticket, "resolved", f"已提醒提交人确认，未回复将于 {_local(closes)}自动关闭", now)
        else:
            _remember(ticket, "resolved", f"提交人没有邮箱地址，将于 {_local(closes)}自动关闭", now)
        done += 1
    return done
