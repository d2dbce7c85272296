"""Deflection: how visits are classified, and ``kb stats``."""

from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import select

from app.db import session_scope
from app.models import FormVisit, User
from app.requests.visits import classify, deflection_stats
from app.tickets import create_ticket

from .conftest import VALID

UTC = dt.timezone.utc
NOW = dt.datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def _visit(**kw) -> FormVisit:
    base = dict(token="t", started_at=NOW - dt.timedelta(days=2), queries=[], shown=[], opened=[])
    base.update(kw)
    return FormVisit(**base)


def test_classification_rules():
    solved = NOW - dt.timedelta(days=2)
    assert classify(_visit(solved_at=solved, opened=["a"]), False, NOW) == "confirmed"
    assert classify(_visit(opened=["a"]), False, NOW) == "potential"
    assert classify(_visit(shown=["a"]), False, NOW) == "none"  # shown, never opened
    assert classify(_visit(solved_at=solved), True, NOW) == "none"  # a ticket followed within 24 h
    assert classify(_visit(opened=["a"], ticket_id=7), False, NOW) == "none"
    young = NOW - dt.timedelta(hours=3)
    assert classify(_visit(started_at=young, solved_at=young), False, NOW) == "pending"
    assert classify(_visit(started_at=young, ticket_id=3), False, NOW) == "none"


def _seed(app):
    """Five visits two days ago: solved, solved-then-ticket (same user), opened, ticket, nothing."""
    day = NOW - dt.timedelta(days=2)
    with app.test_request_context(), session_scope() as session:
        user = User(username="wang", role="requester", email="wang@example.com")
        user.set_password("pw-123456")
        session.add(user)
        session.flush()
        visits = [
            FormVisit(token="v-solved", started_at=day, shown=["vpn/error-809"], opened=["vpn/error-809"],
                      solved_at=day, solved_article="vpn/error-809", queries=["vpn 809"]),
            FormVisit(token="v-solved-then-ticket", user_id=user.id, started_at=day, shown=["a"], opened=["a"],
                      solved_at=day, queries=[]),
            FormVisit(token="v-opened", started_at=day, shown=["a"], opened=["a"], queries=[]),
            FormVisit(token="v-ticket", started_at=day, shown=["a"], opened=[], queries=[]),
            FormVisit(token="v-nothing", started_at=day, shown=[], opened=[], queries=[]),
            FormVisit(token="v-young", started_at=NOW - dt.timedelta(hours=1), shown=["a"], opened=["a"], queries=[]),
        ]
        session.add_all(visits)
        session.flush()
        ticket_visit = visits[3]
        create_ticket(session, VALID, visit=ticket_visit, now=day + dt.timedelta(minutes=5))
        # the same user files a ticket 3 hours after saying "solved" (from another visit)
        create_ticket(session, {**VALID, "subject": "还是不行"}, user=session.get(User, user.id),
                      now=day + dt.timedelta(hours=3))


def test_deflection_counts_and_rates(synced):
    _seed(synced)
    with synced.app_context(), session_scope() as session:
        stats = deflection_stats(session, NOW - dt.timedelta(days=3), NOW + dt.timedelta(days=1), now=NOW)
    body = stats.as_json()
    assert body["visits"] == 6 and body["pending"] == 1 and body["classified"] == 5
    assert (body["confirmed"], body["potential"], body["none"]) == (1, 1, 3)
    assert body["confirmed_rate"] == 0.2 and body["potential_rate"] == 0.2
    assert body["solved_clicks"] == 2 and body["tickets"] == 1 and body["opened"] == 4


def test_kb_stats_command(synced, runner):
    _seed(synced)
    day = (NOW - dt.timedelta(days=2)).date().isoformat()
    result = runner.invoke(args=["kb", "stats", "--from", day, "--to", day, "--json"])
    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    assert body["from"] == body["to"] == day
    assert body["visits"] == 5 and body["confirmed"] == 1 and body["potential"] == 1
    text = runner.invoke(args=["kb", "stats", "--from", day, "--to", day])
    assert text.exit_code == 0 and "确认分流" in text.output and "潜在分流" in text.output and "20.0%" in text.output
    empty = runner.invoke(args=["kb", "stats", "--from", "2001-01-01", "--to", "2001-01-02", "--json"])
    assert json.loads(empty.output)["confirmed_rate"] is None


def test_kb_stats_rejects_bad_dates(synced, runner):
    bad = runner.invoke(args=["kb", "stats", "--from", "yesterday"])
    assert bad.exit_code == 2 and "YYYY-MM-DD" in bad.output
    backwards = runner.invoke(args=["kb", "stats", "--from", "2026-11-20", "--to", "2026-11-01"])
    assert backwards.exit_code == 2


def test_end_to_end_visit_counts(form_client, synced):
    """A real visit through the form: suggestions shown, one opened, solved."""
    from .conftest import open_form

    token, _ = open_form(form_client)
    form_client.post(f"/api/visits/{token}/suggest", json={"subject": "VPN 809"})
    form_client.post(f"/api/visits/{token}/events", json={"type": "solved", "slug": "vpn/error-809"})
    with synced.app_context(), session_scope() as session:
        visit = session.scalar(select(FormVisit).where(FormVisit.token == token))
        later = visit.started_at + dt.timedelta(hours=25)
        stats = deflection_stats(session, visit.started_at - dt.timedelta(seconds=1),
                                 visit.started_at + dt.timedelta(seconds=1), now=later)
    assert stats.counts["confirmed"] == 1 and stats.with_suggestions == 1


def test_kb_stats_counts_only_visits_with_an_interaction(form_client, synced, runner):
    """Issue 13 item 12: opening the form (a crawler, a glance) is not a visit."""
    from .conftest import open_form

    for _ in range(4):
        open_form(form_client)
    token, _ = open_form(form_client)
    form_client.post(f"/api/visits/{token}/suggest", json={"subject": "VPN 809"})
    body = json.loads(runner.invoke(args=["kb", "stats", "--json"]).output)
    assert body["visits"] == 1 and body["with_suggestions"] == 1 and body["pending"] == 1
