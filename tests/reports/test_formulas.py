"""Every metric against figures worked out by hand on tests/reports/conftest.py's month.

Calendar: Mon–Fri 09:00–18:00 Asia/Shanghai; 2026-11-02 is a Monday. P1 runs 24×7.
"""

from __future__ import annotations

import pytest

from app.db import session_scope
from app.reports import rollup
from app.reports.period import month as month_period
from app.reports.summary import build

from .conftest import NOW, SECRET_COMMENT, SECRET_SUBJECT, TZ


@pytest.fixture(params=["raw", "rollup"])
def month(request, app, month):
    """Every figure on both paths: the raw search log, and the daily rollup built from it."""
    if request.param == "rollup":
        with app.app_context(), session_scope() as s:
            assert rollup.rebuild(s, TZ) > 0
    return month


def report(app, role="admin", group=None):
    with app.app_context(), session_scope() as s:
        return build(s, month_period(2026, 11, TZ), role, group, now=NOW)


def test_ticket_counts_and_backlog(app, month):
    t = report(app)["tickets"]
    assert t["created"] == 6  # T1 T2 T3 T4 T6 T7 (T5 was created in October)
    assert t["resolved"] == 4  # T1 T2 T3 T5
    days = {d["day"]: d for d in t["daily"]}
    # backlog at the end of a day: created before, not resolved (nor withdrawn) by then
    assert [days[f"2026-11-{d:02d}"]["backlog"] for d in (2, 3, 6, 7, 11, 12, 20, 30)] == [1, 1, 2, 2, 1, 1, 2, 2]
    assert days["2026-11-02"]["resolved"] == 1 and days["2026-11-02"]["created"] == 1
    assert t["backlog_end"] == 2
    assert {x["key"]: x["count"] for x in t["by_category"]} == {"vpn": 3, "network": 1, "mail": 1, "account": 1}
    assert {x["key"]: x["count"] for x in t["by_priority"]} == {"P1": 1, "P2": 0, "P3": 5, "P4": 0}
    assert {x["label"]: x["count"] for x in t["by_group"]} == {"甲组": 5, "乙组": 1}
    # T4 (Nov 20) and T7 (Nov 3) are open on Dec 1 00:00: both 7–30 days old
    assert {x["key"]: x["count"] for x in t["backlog_age"]}["7_30d"] == 2


def test_durations_in_working_hours_without_pauses(app, month):
    t = report(app)["tickets"]
    # first response: T1 1.5 h, T2 Fri 17–18 + Mon 9–10 = 2 h, T3 0.5 h (24×7), T7 0.5 h
    assert t["first_response_hours"] == {"count": 4, "median": 1.0, "p90": 2.0}
    # resolution: T1 Mon 10–18 + Tue 9–10 = 9 h; T2 Fri 1 + Mon 9 + Tue 9 + Wed 3 = 22 h minus the wait
    # Mon 11–18 + Tue 9–11 = 9 h → 13 h; T3 6 h wall (P1); T5 Fri 10–18 + Mon 9–10 = 9 h
    assert t["resolution_hours"] == {"count": 4, "median": 9.0, "p90": 13.0}


def test_sla_touch_reopen_csat(app, month):
    t = report(app)["tickets"]
    # response: T1 T2 T7 met; T3 breached; T4 unanswered past due; T6 withdrawn → no outcome
    assert t["sla"]["response"] == {"met": 3, "breached": 2, "met_pct": 60.0}
    assert t["sla"]["resolution"] == {"met": 3, "breached": 1, "met_pct": 75.0}
    late = {(b["number"], b["target"]): b["late_hours"] for b in t["breaches"]}
    assert late[("IT-TEST-0003", "response")] == 0.25 and late[("IT-TEST-0003", "resolve")] == 2.0
    assert ("IT-TEST-0004", "response") in late
    assert (t["one_touch"], t["one_touch_pct"]) == (3, 75.0)  # T2 had two public staff replies
    assert (t["reopened"], t["reopened_pct"]) == (1, 25.0)  # T3
    assert t["csat"]["count"] == 2 and t["csat"]["average"] == 3.5
    assert [x["count"] for x in t["csat"]["distribution"]] == [0, 1, 0, 0, 1]
    assert [c["comment"] for c in t["csat"]["comments"]] == [SECRET_COMMENT]
    assert t["recurring"]["by_error_code"] == [{"code": "809", "count": 2}]
    assert t["recurring"]["by_category"][0] == {"key": "vpn", "label": "VPN 与远程访问", "count": 3}


def test_group_filter(app, month):
    t = report(app, group=month["group_b"])["tickets"]
    assert t["created"] == 1 and t["resolved"] == 0
    assert t["first_response_hours"]["median"] == 0.5


def test_search_lines_grouped_by_normalised_form(app, month):
    s = report(app)["search"]
    assert s["searches"] == 6 and s["sessions"] == 3
    assert s["zero_result_searches"] == 2 and s["zero_result_rate"] == round(2 / 6, 4)
    assert s["click_through_rate"] == 0.5  # 2 of the 4 searches with results were clicked
    vpn = next(x for x in s["top_queries"] if x["norm"] == "vpn809")
    assert (vpn["count"], vpn["zero"], vpn["no_click"], vpn["spellings"]) == (3, 2, 0, 3)
    assert vpn["query"] == "vpn809"  # each spelling once: the latest wins
    assert [x["norm"] for x in s["zero_results"]] == ["vpn809"]
    assert [(x["norm"], x["no_click"]) for x in s["no_click"]] == [("打印机", 2)]
    assert vpn["last_seen"] == "2026-11-05T09:00:00+08:00"   # 01:00 UTC, shown in the period's zone


@pytest.mark.parametrize("role", ["writer"])
def test_writer_gets_no_ticket_text(app, month, role):
    r = report(app, role)
    assert r["ticket_text"] is False
    text = str(r)
    assert SECRET_SUBJECT not in text and SECRET_COMMENT not in text
    assert r["tickets"]["csat"]["comments"] == []
    assert all("subject" not in b for b in r["tickets"]["breaches"])
    assert r["tickets"]["created"] == 6  # counts are the same for everyone
