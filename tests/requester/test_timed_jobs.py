"""The timed jobs run by `kb worker`: one reminder while pending; a resolved ticket is reminded
once and closes by itself after KB_AUTO_CLOSE_DAYS working days (never sooner than a working
day after its reminder), through the outbox; settings are checked."""

from __future__ import annotations

import datetime as dt

import pytest

from app.db import session_scope
from tests.requester.conftest import MONDAY_10, act, load, mine, outbox

H = dt.timedelta(hours=1)
D = dt.timedelta(days=1)


def run(app, job: str, now) -> int:
    from app.requests import reminders

    with app.test_request_context(), session_scope() as session:
        return getattr(reminders, job)(session, now)


def test_resolved_is_reminded_once_then_closed_after_three_working_days(app, agent):
    t = mine(app, subject="投影仪没有信号", now=MONDAY_10)
    act(app, t.number, "resolve", by=agent, body="换了 HDMI 线。", now=MONDAY_10 + H)  # Mon 11:00
    assert run(app, "auto_close", MONDAY_10 + D) == 0  # Tue 10:00: one working day
    assert run(app, "auto_close", MONDAY_10 + 2 * D) == 0  # Wed 10:00: not quite two working days
    assert run(app, "auto_close", MONDAY_10 + 2 * D + H) == 1  # Wed 11:00: two working days → reminder
    assert run(app, "auto_close", MONDAY_10 + 2 * D + 3 * H) == 0  # once
    reminder = outbox(app, "close_reminder")
    assert len(reminder) == 1 and "2026-11-26 11:00" in reminder[0].body_text  # closes Thu 11:00
    assert "action=confirm" in reminder[0].body_text and reminder[0].headers["In-Reply-To"] == f"<ticket.{t.number}@example.com>"
    assert load(app, t.number).status == "resolved"
    assert run(app, "auto_close", MONDAY_10 + 3 * D) == 0  # Thu 10:00: not yet
    assert run(app, "auto_close", MONDAY_10 + 3 * D + 2 * H) == 1  # Thu 12:00
    closed = load(app, t.number)
    assert (closed.status, closed.close_reason) == ("closed", "auto")
    assert [e.kind for e in closed.events][-2:] == ["reminded", "auto_closed"]
    assert not next(e for e in closed.events if e.kind == "reminded").public
    assert "自动关闭" in outbox(app, "closed")[-1].body_text
    assert run(app, "auto_close", MONDAY_10 + 9 * D) == 0


def test_working_days_skip_the_weekend(app, agent):
    friday = MONDAY_10 + 4 * D  # Fri 2026-11-27 10:00
    t = mine(app, now=friday)
    act(app, t.number, "resolve", by=agent, body="好了", now=friday)
    assert run(app, "auto_close", friday + 3 * D) == 0  # Monday 10:00 is one working day later
    assert run(app, "auto_close", friday + 4 * D + H) == 1  # Tuesday 11:00: reminder
    assert run(app, "auto_close", friday + 5 * D + H) == 1  # Wednesday 11:00: closed
    assert load(app, t.number).status == "closed"


def test_a_stopped_worker_reminds_first_and_closes_a_working_day_later(app, agent):
    t = mine(app, now=MONDAY_10)
    act(app, t.number, "resolve", by=agent, body="好了", now=MONDAY_10)
    late = MONDAY_10 + 14 * D  # two weeks without a worker
    assert run(app, "auto_close", late) == 1
    assert load(app, t.number).status == "resolved" and len(outbox(app, "close_reminder")) == 1
    assert run(app, "auto_close", late + 20 * H) == 0  # Tue 06:00 next day: under a working day
    assert run(app, "auto_close", late + D + H) == 1
    assert load(app, t.number).status == "closed"


def test_reopened_and_resolved_again_starts_afresh(app, agent):
    t = mine(app, now=MONDAY_10)
    act(app, t.number, "resolve", by=agent, body="好了", now=MONDAY_10)
    assert run(app, "auto_close", MONDAY_10 + 2 * D + H) == 1  # reminded
    act(app, t.number, "confirm", by="zhangsan", solved=False, reason="还是不行", now=MONDAY_10 + 2 * D + 2 * H)
    assert run(app, "auto_close", MONDAY_10 + 4 * D) == 0  # open: nothing to do
    act(app, t.number, "resolve", by=agent, body="这次真的好了", now=MONDAY_10 + 4 * D)  # Fri 10:00
    assert run(app, "auto_close", MONDAY_10 + 5 * D) == 0  # the old reminder does not count
    assert run(app, "auto_close", MONDAY_10 + 8 * D + H) == 1  # Tue: reminded again
    assert len(outbox(app, "close_reminder")) == 2
    assert load(app, t.number).status == "resolved"


def test_pending_is_reminded_once_per_wait(app, agent):
    t = mine(app, now=MONDAY_10)
    act(app, t.number, "reply", by=agent, body="请提供电脑资产编号。", status="pending", now=MONDAY_10)
    assert run(app, "pending_reminders", MONDAY_10 + D) == 0
    assert run(app, "pending_reminders", MONDAY_10 + 2 * D + H) == 1
    assert run(app, "pending_reminders", MONDAY_10 + 3 * D) == 0
    mail = outbox(app, "awaiting_reply")
    assert len(mail) == 1 and "请提供电脑资产编号。" in mail[0].body_text and mail[0].to_addr == "zhangsan@example.com"
    act(app, t.number, "reply", by="zhangsan", body="编号 PC-1234", now=MONDAY_10 + 3 * D)
    act(app, t.number, "reply", by=agent, body="还需要一张截图。", status="pending", now=MONDAY_10 + 3 * D + H)
    assert run(app, "pending_reminders", MONDAY_10 + 7 * D + 2 * H) == 1  # a new wait, a new reminder
    assert len(outbox(app, "awaiting_reply")) == 2


def test_the_jobs_are_registered_and_run_by_the_worker(app, agent):
    from app.worker.jobs import JOBS, run_due_jobs

    names = {j.name for j in JOBS}
    assert {"requester_reminders", "auto_close"} <= names
    t = mine(app, now=MONDAY_10)
    act(app, t.number, "resolve", by=agent, body="好了", now=MONDAY_10)
    with app.app_context():
        runs = {r.name: r for r in run_due_jobs("test-worker", now=MONDAY_10 + 2 * D + H)}
    assert runs["auto_close"].result == 1 and runs["auto_close"].error is None
    assert runs["requester_reminders"].error is None


@pytest.mark.parametrize("settings,message", [
    ({"KB_AUTO_CLOSE_DAYS": "三"}, "KB_AUTO_CLOSE_DAYS"),
    ({"KB_AUTO_CLOSE_DAYS": "0"}, "必须大于 0"),
    ({"KB_AUTO_CLOSE_DAYS": "2", "KB_AUTO_CLOSE_REMIND_DAYS": "2"}, "必须小于"),
])
def test_wrong_settings_stop_start_up_with_a_clear_message(tmp_path, settings, message):
    from app import create_app
    from app.requests.settings import RequesterSettingsError

    with pytest.raises(RequesterSettingsError, match=message):
        create_app({"TESTING": True, "KB_INSTANCE_DIR": str(tmp_path), **settings})


def test_shorter_auto_close_setting(tmp_path, articles_dir, pg_available):
    from tests.conftest import _teardown, build_app

    app, drop = build_app(tmp_path, articles_dir, pg_available, KB_AUTO_CLOSE_DAYS="1", KB_AUTO_CLOSE_REMIND_DAYS="0.5")
    try:
        from tests.tickets.conftest import make_user

        make_user(app, "wanggong", "agent")
        t = mine(app, now=MONDAY_10)
        act(app, t.number, "resolve", by="wanggong", body="好了", now=MONDAY_10)
        assert run(app, "auto_close", MONDAY_10 + 5 * H) == 1  # half a working day: reminder
        assert run(app, "auto_close", MONDAY_10 + D) == 0  # a working day, but only 4 working hours since the reminder
        assert run(app, "auto_close", MONDAY_10 + D + H) == 1  # half a working day after the reminder: closed
        assert load(app, t.number).status == "closed"
    finally:
        _teardown(app, drop)
