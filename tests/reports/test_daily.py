"""Per-day counts grouped in the database land on the right local day, at day boundaries and
across a daylight-saving change (search.daily: GROUP BY quarter hour, mapped to local days)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from app.db import session_scope
from app.models import SearchLog
from app.reports.period import Period
from app.reports.search import search_metrics

UTC = dt.timezone.utc


def _log(s, when, results=1):
    s.add(SearchLog(created_at=when.astimezone(UTC), query="vpn", norm="vpn", results=results, clicks=0,
                    role="requester", source="page", session_key="k"))


def test_day_boundaries_shanghai(app):
    tz = ZoneInfo("Asia/Shanghai")
    period = Period(dt.date(2026, 11, 1), dt.date(2026, 11, 3), tz)
    with app.app_context(), session_scope() as s:
        _log(s, dt.datetime(2026, 10, 31, 23, 59, 59, 999999, tz))  # before the period
        _log(s, dt.datetime(2026, 11, 1, 0, 0, tzinfo=tz), results=0)  # first instant of Nov 1
        _log(s, dt.datetime(2026, 11, 1, 23, 59, 59, 999999, tz))  # last instant of Nov 1
        _log(s, dt.datetime(2026, 11, 2, 0, 0, 0, 1, tz), results=0)
        _log(s, dt.datetime(2026, 11, 2, 7, 59, tzinfo=tz))  # 23:59 UTC the day before
        _log(s, dt.datetime(2026, 11, 3, 8, 0, tzinfo=tz))  # 00:00 UTC
        _log(s, dt.datetime(2026, 11, 4, 0, 0, tzinfo=tz))  # after the period
    with app.app_context(), session_scope() as s:
        daily = search_metrics(s, period)["daily"]
    assert daily == [{"day": "2026-11-01", "searches": 2, "zero_results": 1},
                     {"day": "2026-11-02", "searches": 2, "zero_results": 1},
                     {"day": "2026-11-03", "searches": 1, "zero_results": 0}]


def test_daylight_saving_change_and_half_hour_zone(app):
    berlin = ZoneInfo("Europe/Berlin")  # 2026-10-25 03:00 CEST → 02:00 CET: a 25-hour day
    with app.app_context(), session_scope() as s:
        _log(s, dt.datetime(2026, 10, 25, 0, 30, tzinfo=berlin))  # 22:30 UTC on the 24th
        _log(s, dt.datetime(2026, 10, 25, 2, 30, tzinfo=berlin, fold=1))  # the repeated hour
        _log(s, dt.datetime(2026, 10, 25, 23, 30, tzinfo=berlin))  # 22:30 UTC on the 25th
        _log(s, dt.datetime(2026, 10, 24, 23, 50, tzinfo=berlin))
    with app.app_context(), session_scope() as s:
        daily = search_metrics(s, Period(dt.date(2026, 10, 24), dt.date(2026, 10, 25), berlin))["daily"]
        assert [d["searches"] for d in daily] == [1, 3]
        # India is UTC+05:30: local midnight is 18:30 UTC, inside a UTC hour (an hourly grouping
        # would put these two on one day); the four rows above are 25th, 25th, 26th, 25th in IST
        kolkata = ZoneInfo("Asia/Kolkata")
        _log(s, dt.datetime(2026, 10, 26, 0, 15, tzinfo=kolkata))
        _log(s, dt.datetime(2026, 10, 25, 23, 44, tzinfo=kolkata))
        s.flush()
        daily = search_metrics(s, Period(dt.date(2026, 10, 25), dt.date(2026, 10, 26), kolkata))["daily"]
        assert [d["searches"] for d in daily] == [4, 2]


def test_a_period_that_runs_past_today_draws_its_series_up_to_today_only(app):
    """「本月」 on the 2nd: two days in every day-by-day series, not 30 with 28 zeros after today."""
    from app.reports.summary import build

    tz = ZoneInfo("Asia/Shanghai")
    now = dt.datetime(2026, 12, 2, 15, 0, tzinfo=tz)
    with app.app_context(), session_scope() as s:
        _log(s, dt.datetime(2026, 12, 1, 9, 0, tzinfo=tz))
        _log(s, dt.datetime(2026, 12, 2, 9, 0, tzinfo=tz), results=0)
        s.flush()
        month = build(s, Period(dt.date(2026, 12, 1), dt.date(2026, 12, 31), tz), "agent", now=now)
        assert [d["day"] for d in month["search"]["daily"]] == ["2026-12-01", "2026-12-02"]
        assert [d["searches"] for d in month["search"]["daily"]] == [1, 1]
        for section, key in (("self_service", "trend"), ("tickets", "daily"), ("tickets", "category_by_day")):
            assert [d["day"] for d in month[section][key]] == ["2026-12-01", "2026-12-02"], (section, key)
        assert (month["from"], month["to"]) == ("2026-12-01", "2026-12-31")  # the period itself is unchanged
        assert month["search"]["searches"] == 2
        # a finished period keeps every day
        november = build(s, Period(dt.date(2026, 11, 1), dt.date(2026, 11, 30), tz), "agent", now=now)
        assert len(november["search"]["daily"]) == 30 and len(november["tickets"]["daily"]) == 30
