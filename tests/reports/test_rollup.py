"""The daily rollup of the search log (app/reports/rollup.py): kept exact by every search and
first click, equal to the raw rows on generated data, and the raw rows' retention."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from app.db import session_scope
from app.models import SearchLog, SearchLogDaily, SearchLogDay, SearchLogRollup, WorkerJob
from app.reports import rollup
from app.reports.period import Period, last_month, this_month
from app.reports.search import search_metrics
from app.worker.jobs import JOBS, run_due_jobs

TZ = ZoneInfo("Asia/Shanghai")
UTC = dt.timezone.utc


def _lines(s) -> list[tuple]:
    return sorted(s.execute(select(SearchLogDaily.tz, SearchLogDaily.day, SearchLogDaily.norm, SearchLogDaily.query,
                                   SearchLogDaily.searches, SearchLogDaily.zero, SearchLogDaily.with_results,
                                   SearchLogDaily.clicked, SearchLogDaily.last_seen)).all())


def _both(s, period) -> tuple[dict, dict]:
    return search_metrics(s, period, use_rollup=True), search_metrics(s, period, use_rollup=False)


def test_searches_and_clicks_through_the_app_keep_the_rollup_exact(app, synced, client):
    with app.app_context(), session_scope() as s:
        rollup.rebuild(s, TZ)  # empty, but ready: from now on only the writes keep it
    for q in ("ＶＰＮ　809", "VPN 809", "zzqqxx", "打印機", "VPN 809"):
        client.get(f"/search?q={q}")
    client.get("/api/search?q=vpn809")
    page = client.get("/search?q=VPN 809").get_data(as_text=True)
    slug = re.search(r'href="/articles/([^"?#]+)', page).group(1)
    client.get(f"/articles/{slug}")
    client.get(f"/articles/{slug}")  # not a second click
    client.get("/search?q=zzqqxx")
    client.get(f"/articles/{slug}")  # not shown by the last search: no click
    with app.app_context(), session_scope() as s:
        kept = _lines(s)
        assert sum(line[4] for line in kept) == s.scalar(select(func.count()).select_from(SearchLog)) == 8
        assert sum(line[7] for line in kept) == 1  # one clicked search
        rollup.rebuild(s, TZ)
        assert _lines(s) == kept  # what the writes kept is what the raw rows give
        today = dt.datetime.now(TZ).date()
        with_rollup, raw = _both(s, Period(today - dt.timedelta(days=1), today, TZ))
        assert with_rollup == raw and with_rollup["searches"] == 8 and with_rollup["click_through_rate"] == round(1 / 6, 4)


def test_generated_data_equal_on_both_paths(app, runner):
    result = runner.invoke(args=["kb", "demo-data", "--tickets", "150", "--searches", "4000", "--months", "2"])
    assert result.exit_code == 0, result.output
    with app.app_context(), session_scope() as s:
        assert rollup.ready(s, TZ)
        today = dt.datetime.now(TZ).date()
        periods = [last_month(TZ), this_month(TZ), Period(today - dt.timedelta(days=70), today, TZ),
                   Period(today - dt.timedelta(days=9), today - dt.timedelta(days=3), TZ)]
        for period in periods:
            with_rollup, raw = _both(s, period)
            assert with_rollup == raw, period
        assert with_rollup["searches"] > 0 and with_rollup["sessions"] > 0
        # another zone than the rollup's: the raw rows are read (exact for any zone)
        berlin = ZoneInfo("Europe/Berlin")
        assert not rollup.ready(s, berlin)
        with_rollup, raw = _both(s, Period(today - dt.timedelta(days=30), today, berlin))
        assert with_rollup == raw


def _log(s, when, q, results=1, clicks=0, key="k"):
    from app.reports.searchlog import norm

    s.add(SearchLog(created_at=when.astimezone(UTC), query=q, norm=norm(q), results=results, clicks=clicks,
                    role="requester", source="page", session_key=key))


def test_retention_keeps_the_history_in_the_rollup(app):
    now = dt.datetime(2026, 12, 15, 12, 0, tzinfo=TZ)
    with app.app_context(), session_scope() as s:
        _log(s, dt.datetime(2026, 11, 1, 23, 50, tzinfo=TZ), "VPN 809", results=0, key="a")
        _log(s, dt.datetime(2026, 11, 2, 0, 10, tzinfo=TZ), "vpn809", key="a", clicks=1)  # same session, next day
        _log(s, dt.datetime(2026, 11, 2, 9, 0, tzinfo=TZ), "打印机", key="b")
        _log(s, dt.datetime(2026, 11, 3, 0, 0, tzinfo=TZ), "打印机", key="b")  # first instant of the first kept day
        _log(s, dt.datetime(2026, 12, 15, 9, 0, tzinfo=TZ), "outlook", key="c")
        s.flush()
        nov = Period(dt.date(2026, 11, 1), dt.date(2026, 11, 30), TZ)
        before = search_metrics(s, nov, use_rollup=False)
        assert before["sessions"] == 2
        # keep 43 days with 2026-12-15 as the last: the first kept day is 2026-11-03
        deleted = rollup.expire(s, now.astimezone(UTC), TZ, 43)  # builds the rollup first
        assert deleted == 3
        assert s.scalar(select(func.count()).select_from(SearchLog)) == 2
        assert rollup.ready(s, TZ)
        assert sorted((d.day.isoformat(), d.sessions) for d in s.scalars(select(SearchLogDay))) == [
            ("2026-11-01", 1), ("2026-11-02", 2)]
        after = search_metrics(s, nov)
        # every figure but the sessions is kept; a session counts once per expired day it searched
        # on and once in the kept rows: "a" on Nov 1 and 2, "b" on Nov 2 and (kept) Nov 3 → 4, not 2
        assert after["sessions"] == 4
        assert {k: v for k, v in after.items() if k != "sessions"} == {k: v for k, v in before.items() if k != "sessions"}
        kept = _lines(s)
        rollup.rebuild(s, TZ)  # a rebuild keeps the expired days' lines
        assert _lines(s) == kept
        assert rollup.expire(s, now.astimezone(UTC), TZ, 43) == 0  # nothing left to expire


def test_retention_job_and_its_setting(app):
    with app.app_context(), session_scope() as s:
        _log(s, dt.datetime.now(UTC) - dt.timedelta(days=500), "old")
        _log(s, dt.datetime.now(UTC) - dt.timedelta(days=10), "recent")
    job = [j for j in JOBS if j.name == "search_log_retention"]
    now = dt.datetime.now(UTC)
    app.config["KB_SEARCH_LOG_DAYS"] = "一年"
    with app.app_context():
        run = run_due_jobs("w1", now=now, jobs=job)
        assert run[0].error and "KB_SEARCH_LOG_DAYS" in run[0].error
    with app.app_context(), session_scope() as s:
        assert s.scalar(select(func.count()).select_from(SearchLog)) == 2  # nothing deleted
        s.execute(WorkerJob.__table__.update().values(next_run_at=None))
    app.config.pop("KB_SEARCH_LOG_DAYS")  # default: 400 days
    with app.app_context():
        run = run_due_jobs("w1", now=now, jobs=job)
        assert run[0].error is None and run[0].result == 1
    with app.app_context(), session_scope() as s:
        assert s.scalars(select(SearchLog.query)).all() == ["recent"]
        assert s.scalar(select(func.count()).select_from(SearchLogRollup)) == 1
        assert {line[2] for line in _lines(s)} == {"old", "recent"}


@pytest.mark.parametrize("value, days", [(None, 400), ("", 400), ("30", 30), (" 7 ", 7)])
def test_keep_days(value, days):
    assert rollup.keep_days({"KB_SEARCH_LOG_DAYS": value}) == days


@pytest.mark.parametrize("value", ["0", "-3", "abc", "1.5"])
def test_keep_days_refuses_bad_values(value):
    with pytest.raises(ValueError, match="KB_SEARCH_LOG_DAYS"):
        rollup.keep_days({"KB_SEARCH_LOG_DAYS": value})


def test_rollup_command(app, runner):
    with app.app_context(), session_scope() as s:
        _log(s, dt.datetime(2026, 11, 2, 9, 0, tzinfo=TZ), "VPN 809")
    result = runner.invoke(args=["kb", "reports-rollup", "--if-missing"])
    assert result.exit_code == 0 and "1 行" in result.output, result.output
    result = runner.invoke(args=["kb", "reports-rollup", "--if-missing"])
    assert result.exit_code == 0 and "无需重建" in result.output
    result = runner.invoke(args=["kb", "reports-rollup"])
    assert result.exit_code == 0 and "已重建" in result.output


def test_kb_init_builds_the_rollup_once(app, runner):
    with app.app_context(), session_scope() as s:
        _log(s, dt.datetime(2026, 11, 2, 9, 0, tzinfo=TZ), "VPN 809")
        assert not rollup.ready(s, TZ)
    first = runner.invoke(args=["kb", "init"])
    assert first.exit_code == 0 and "搜索日汇总：1 行" in first.output, first.output
    with app.app_context(), session_scope() as s:
        assert rollup.ready(s, TZ)
    assert "搜索日汇总" not in runner.invoke(args=["kb", "init"]).output  # already built: nothing to do


def test_a_new_time_zone_reads_the_raw_rows_until_the_job_rebuilds(app):
    with app.app_context(), session_scope() as s:
        _log(s, dt.datetime(2026, 11, 30, 23, 30, tzinfo=TZ), "VPN 809")  # Nov 30 in Shanghai, Nov 30 16:30 in Berlin
        _log(s, dt.datetime(2026, 12, 1, 6, 30, tzinfo=TZ), "打印机")  # Dec 1 in Shanghai, Nov 30 23:30 in Berlin
        rollup.rebuild(s, TZ)
    berlin = ZoneInfo("Europe/Berlin")
    app.config["KB_TIMEZONE"] = "Europe/Berlin"
    nov = Period(dt.date(2026, 11, 1), dt.date(2026, 11, 30), berlin)
    with app.app_context(), session_scope() as s:
        assert not rollup.ready(s, berlin)
        assert search_metrics(s, nov)["searches"] == 2  # the raw rows, by Berlin's days
    with app.app_context():
        run = run_due_jobs("w1", now=dt.datetime.now(UTC), jobs=[j for j in JOBS if j.name == "search_log_retention"])
        assert run[0].error is None
    with app.app_context(), session_scope() as s:
        assert rollup.ready(s, berlin) and not rollup.ready(s, TZ)  # one zone is kept up to date
        with_rollup, raw = _both(s, nov)
        assert with_rollup == raw and with_rollup["searches"] == 2
        assert [d["searches"] for d in with_rollup["daily"]][-1] == 2
