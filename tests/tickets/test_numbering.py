"""Ticket numbers stay unique and consecutive when many requests arrive at the same moment."""

from __future__ import annotations

import datetime as dt
import threading
from zoneinfo import ZoneInfo

from sqlalchemy import select

from app.db import session_scope
from app.models import TicketCounter
from app.tickets.numbering import day_key, format_number, next_sequence

from .conftest import ticket_count, valid_data

SH = ZoneInfo("Asia/Shanghai")
N = 12


def _parallel(app, worker, n=N):
    barrier = threading.Barrier(n)
    results, errors = [], []

    def run(i):
        try:
            barrier.wait(timeout=30)
            results.append(worker(i))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(repr(exc))

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    return results


def test_format():
    assert format_number("20261120", 7) == "IT-20261120-0007"
    assert format_number("20261120", 12345) == "IT-20261120-12345"
    assert day_key(dt.datetime(2026, 11, 20, 16, 30, tzinfo=dt.timezone.utc), SH) == "20261121"


def test_parallel_ticket_creations_get_distinct_consecutive_numbers(app):
    """N submissions at once on a day without a counter row yet (the insert race included)."""
    from app.db import get_session
    from app.tickets import create_ticket

    moment = dt.datetime(2026, 11, 20, 10, 0, tzinfo=SH)

    def submit(i):
        with app.test_request_context():
            ticket = create_ticket(get_session(), valid_data(subject=f"请求 {i}"), now=moment)
            return ticket.number

    numbers = _parallel(app, submit)
    assert sorted(numbers) == [f"IT-20261120-{i:04d}" for i in range(1, N + 1)]
    assert ticket_count(app) == N


def test_parallel_counters_on_separate_connections(app):
    """The counter itself, each worker on its own connection and transaction."""

    def take(_i):
        with app.app_context(), session_scope() as session:
            return next_sequence(session, "20261201")

    taken = _parallel(app, take)
    assert sorted(taken) == list(range(1, N + 1))
    with app.app_context(), session_scope() as session:
        assert session.scalar(select(TicketCounter.last).where(TicketCounter.day == "20261201")) == N


def test_parallel_idempotent_submissions_make_one_ticket(app):
    from app.db import get_session
    from app.tickets import create_ticket

    def submit(_i):
        with app.test_request_context():
            return create_ticket(get_session(), valid_data(), idempotency_key="double-click",
                                 caller="session:one-browser-aaaaaa").id

    ids = _parallel(app, submit, n=6)
    assert len(set(ids)) == 1
    assert ticket_count(app) == 1
