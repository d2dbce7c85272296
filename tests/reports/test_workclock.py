"""WorkClock (cached working time) equals Calendar.working_between / Target.between exactly."""

from __future__ import annotations

import datetime as dt
import random
from zoneinfo import ZoneInfo

import pytest

from app.reports.workclock import WorkClock
from app.tickets.sla import Calendar, policy_from_config

UTC = dt.timezone.utc


def _instants(rng, tz, n):
    base = dt.datetime(2026, 3, 20, tzinfo=tz)  # spans Europe's March and October DST changes
    out = []
    for _ in range(n):
        when = base + dt.timedelta(minutes=rng.randrange(0, 60 * 24 * 230))
        if rng.random() < 0.3:  # exactly on a period boundary
            when = dt.datetime.combine(when.date(), rng.choice((dt.time(9), dt.time(18), dt.time(0))), tz)
        if rng.random() < 0.2:
            when += dt.timedelta(microseconds=rng.randrange(1, 10**6))
        out.append(when.astimezone(UTC))
    return out


@pytest.mark.parametrize("calendar", [
    Calendar(tz=ZoneInfo("Asia/Shanghai")),
    Calendar(tz=ZoneInfo("Europe/Berlin"), start=dt.time(8, 30), end=dt.time(17, 15),
             holidays=frozenset({dt.date(2026, 5, 1), dt.date(2026, 10, 1), dt.date(2026, 10, 2)}),
             extra_workdays=frozenset({dt.date(2026, 9, 27)})),
    Calendar(tz=ZoneInfo("America/New_York"), workdays=frozenset({1, 2, 3, 4, 5, 6})),
], ids=["shanghai", "berlin-holidays", "new-york-6-days"])
def test_equals_working_between_on_random_pairs(calendar):
    rng = random.Random(14)
    clock = WorkClock(calendar)
    points = _instants(rng, calendar.tz, 400)
    for _ in range(1500):
        a, b = rng.choice(points), rng.choice(points)
        assert clock.between(a, b) == calendar.working_between(a, b), (a, b)


def test_targets_use_their_clock():
    policy = policy_from_config({})
    clock = WorkClock(policy.calendar)
    a = dt.datetime(2026, 11, 6, 17, tzinfo=ZoneInfo("Asia/Shanghai"))  # a Friday 17:00
    b = a + dt.timedelta(days=3, hours=1)  # Monday 18:00
    assert clock.on(policy.resolve["P1"], a, b) == dt.timedelta(days=3, hours=1)  # 24×7
    assert clock.on(policy.resolve["P3"], a, b) == dt.timedelta(hours=10)  # Fri 17–18 + Mon 9–18
    assert clock.on(policy.resolve["P3"], b, a) == dt.timedelta(0)
    for p in ("P1", "P2", "P3", "P4"):
        assert clock.on(policy.response[p], a, b) == policy.response[p].between(a, b, policy.calendar)
