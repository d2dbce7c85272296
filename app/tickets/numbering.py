"""Ticket numbers ``IT-YYYYMMDD-NNNN``: a per-day counter, safe under concurrent submissions.

The counter row of the day is incremented with one atomic ``UPDATE … SET last = last + 1
RETURNING last``; the first ticket of a day inserts the row, and if a concurrent submission
inserted it first (IntegrityError on the primary key) we roll back to a savepoint and
increment instead. The row stays locked until the ticket's transaction ends, so a failed
submission gives its number back and numbers of a day are consecutive.

Call inside the transaction that inserts the ticket, after it has begun (on SQLite the
``UPDATE`` is what takes the write lock, so do it before reading anything you then rely on).
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..models import TicketCounter

PREFIX = "IT"
_ATTEMPTS = 5


def day_key(when: dt.datetime, tz: ZoneInfo) -> str:
    """The counter's day for ``when``: the calendar date in the configured zone, YYYYMMDD."""
    return when.astimezone(tz).strftime("%Y%m%d")


def format_number(day: str, sequence: int) -> str:
    return f"{PREFIX}-{day}-{sequence:04d}"


def next_sequence(session: Session, day: str) -> int:
    """Atomically take the next sequence number of ``day`` (1 for the day's first ticket)."""
    for _ in range(_ATTEMPTS):
        taken = session.execute(
            update(TicketCounter)
            .where(TicketCounter.day == day)
            .values(last=TicketCounter.last + 1)
            .returning(TicketCounter.last)
        ).scalar_one_or_none()
        if taken is not None:
            return taken
        try:
            with session.begin_nested():
                session.add(TicketCounter(day=day, last=1))
            return 1
        except IntegrityError:
            continue  # someone else created the day's row first: increment theirs
    raise RuntimeError(f"could not allocate a ticket number for {day}")


def next_number(session: Session, when: dt.datetime, tz: ZoneInfo) -> str:
    day = day_key(when, tz)
    return format_number(day, next_sequence(session, day))
