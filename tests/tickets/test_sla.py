"""SLA due times: working hours, weekends, holidays, make-up working days, P1 around the clock."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from app.tickets.sla import SLAConfigError, describe_target, policy_from_config, to_local

SH = ZoneInfo("Asia/Shanghai")
UTC = dt.timezone.utc


def sh(y, mo, d, h=0, mi=0) -> dt.datetime:
    return dt.datetime(y, mo, d, h, mi, tzinfo=SH)


def due(priority, created, **config):
    response, resolve = policy_from_config(config).due_times(priority, created)
    assert response.tzinfo is not None and response.utcoffset() == dt.timedelta(0)  # stored in UTC
    return response.astimezone(SH), resolve.astimezone(SH)


# 2026-11-20 is a Friday.

def test_p2_friday_1730_plus_two_hours_is_monday_1030():
    response, _ = due("P2", sh(2026, 11, 20, 17, 30))
    assert response == sh(2026, 11, 23, 10, 30)


def test_p2_resolution_one_working_day_is_same_time_next_working_day():
    _, resolve = due("P2", sh(2026, 11, 17, 15, 0))  # Tuesday
    assert resolve == sh(2026, 11, 18, 15, 0)
    _, resolve = due("P2", sh(2026, 11, 20, 15, 0))  # Friday → Monday
    assert resolve == sh(2026, 11, 23, 15, 0)


def test_inside_one_working_day():
    response, _ = due("P2", sh(2026, 11, 17, 10, 0))
    assert response == sh(2026, 11, 17, 12, 0)


def test_ending_exactly_at_closing_time_stays_on_that_day():
    response, _ = due("P2", sh(2026, 11, 17, 16, 0))
    assert response == sh(2026, 11, 17, 18, 0)


def test_submitted_at_night_starts_counting_next_morning():
    response, _ = due("P2", sh(2026, 11, 17, 22, 40))
    assert response == sh(2026, 11, 18, 11, 0)
    response, _ = due("P2", sh(2026, 11, 18, 6, 0))  # early morning, same day
    assert response == sh(2026, 11, 18, 11, 0)


def test_submitted_on_saturday_starts_monday_0900():
    response, _ = due("P2", sh(2026, 11, 21, 11, 0))
    assert response == sh(2026, 11, 23, 11, 0)
    # One working day from Saturday is all of Monday's working hours.
    response, _ = due("P3", sh(2026, 11, 21, 11, 0))
    assert response == sh(2026, 11, 23, 18, 0)


def test_p3_p4_in_working_days():
    response, resolve = due("P3", sh(2026, 11, 17, 10, 0))  # Tuesday
    assert response == sh(2026, 11, 18, 10, 0)
    assert resolve == sh(2026, 11, 20, 10, 0)
    response, resolve = due("P4", sh(2026, 11, 17, 10, 0))
    assert response == sh(2026, 11, 19, 10, 0)
    assert resolve == sh(2026, 11, 24, 10, 0)  # 5 working days: Wed Thu Fri Mon Tue


def test_holiday_is_skipped():
    # Thursday 2026-10-01 is a holiday: Wednesday 17:00 + 2 h → Friday 10:00.
    response, _ = due("P2", sh(2026, 9, 30, 17, 0), KB_HOLIDAYS=["2026-10-01"])
    assert response == sh(2026, 10, 2, 10, 0)
    without, _ = due("P2", sh(2026, 9, 30, 17, 0))
    assert without == sh(2026, 10, 1, 10, 0)


def test_make_up_saturday_is_a_working_day():
    # Saturday 2026-10-10 is a 调休 working day: Friday 17:00 + 2 h → Saturday 10:00.
    response, _ = due("P2", sh(2026, 10, 9, 17, 0), KB_EXTRA_WORKDAYS=["2026-10-10"])
    assert response == sh(2026, 10, 10, 10, 0)
    without, _ = due("P2", sh(2026, 10, 9, 17, 0))
    assert without == sh(2026, 10, 12, 10, 0)


def test_a_whole_golden_week_is_skipped():
    holidays = [f"2026-10-0{d}" for d in range(1, 8)]
    response, _ = due("P2", sh(2026, 9, 30, 17, 30), KB_HOLIDAYS=holidays,
                      KB_EXTRA_WORKDAYS=["2026-09-27", "2026-10-10"])
    assert response == sh(2026, 10, 8, 10, 30)


def test_p1_ignores_calendars():
    saturday_night = sh(2026, 11, 21, 23, 50)
    response, resolve = due("P1", saturday_night, KB_HOLIDAYS=["2026-11-22"])
    assert response == saturday_night + dt.timedelta(minutes=15)
    assert resolve == saturday_night + dt.timedelta(hours=4)


def test_configured_zone_and_hours():
    ny = ZoneInfo("America/New_York")
    created = dt.datetime(2026, 11, 20, 16, 30, tzinfo=ny)  # Friday 16:30 in New York
    response, _ = policy_from_config({"KB_TIMEZONE": "America/New_York", "KB_WORKING_HOURS": ("08:00", "17:00")}).due_times("P2", created)
    assert response.astimezone(ny) == dt.datetime(2026, 11, 23, 9, 30, tzinfo=ny)


def test_policy_override_per_cell():
    response, resolve = due("P3", sh(2026, 11, 17, 10, 0), KB_SLA_POLICY={"P3": {"response": "4h"}})
    assert response == sh(2026, 11, 17, 14, 0)
    assert resolve == sh(2026, 11, 20, 10, 0)  # untouched


@pytest.mark.parametrize("config", [
    {"KB_SLA_POLICY": {"P9": {"response": "1h"}}},
    {"KB_SLA_POLICY": {"P2": {"response": "soon"}}},
    {"KB_SLA_POLICY": {"P2": {"clock": "lunar"}}},
    {"KB_WORKING_HOURS": ("18:00", "09:00")},
    {"KB_WORKING_DAYS": [0, 8]},
    {"KB_HOLIDAYS": ["2026-13-01"]},
    {"KB_TIMEZONE": "Mars/Olympus"},
])
def test_bad_settings_are_refused_with_a_message(config):
    with pytest.raises(SLAConfigError):
        policy_from_config(config)


def test_calendar_without_working_days_is_an_error_not_a_hang():
    policy = policy_from_config({"KB_WORKING_DAYS": [6], "KB_HOLIDAYS": []})
    assert policy.due_times("P2", sh(2026, 11, 17, 10))[0] == sh(2026, 11, 21, 11, 0)


def test_naive_database_values_are_read_as_utc():
    naive = dt.datetime(2026, 11, 20, 2, 30)
    assert to_local(naive, SH) == sh(2026, 11, 20, 10, 30)


def test_plain_descriptions():
    policy = policy_from_config({})
    cal = policy.calendar
    assert describe_target(policy.response["P1"], cal) == "15 分钟"
    assert describe_target(policy.response["P2"], cal) == "2 小时"
    assert describe_target(policy.resolve["P2"], cal) == "1 个工作日"
    assert describe_target(policy.resolve["P1"], cal) == "4 小时"
