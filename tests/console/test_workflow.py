"""The state machine, assignment, escalation, SLA pause and breach, collision — on the real database."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy.orm.exc import StaleDataError

from app.db import session_scope
from app.tickets import workflow
from app.tickets.workflow import InvalidTransition, VersionConflict
from tests.console.conftest import create, get_ticket, get_user, make_group, make_user, valid_data

UTC = dt.timezone.utc
# A Monday 10:00 in Shanghai (02:00 UTC): working hours.
MONDAY = dt.datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


def test_every_invalid_transition_is_refused_with_a_chinese_message(app):
    make_user(app, "wang", "agent")
    number = create(app).number
    allowed = {
        "new": {"open", "pending", "resolved"}, "open": {"pending", "resolved"}, "pending": {"open", "resolved"},
        "resolved": {"open", "closed"}, "closed": set(),
    }
    with app.test_request_context(), session_scope() as session:
        t = get_ticket(session, number)
        for here, ok in allowed.items():
            for to in ("new", "open", "pending", "resolved", "closed", "bogus"):
                t.status = here
                if to in ok:
                    workflow.check_transition(t, to)
                    continue
                with pytest.raises(InvalidTransition) as info:
                    workflow.check_transition(t, to)
                assert any("\u4e00" <= c <= "\u9fff" for c in info.value.message)
        session.rollback()


def test_status_flow_writes_events_bumps_versions_and_sets_times(app):
    make_user(app, "wang", "agent")
    number = create(app, now=MONDAY).number
    with app.test_request_context(), session_scope() as session:
        t, wang = get_ticket(session, number), get_user(session, "wang")
        v = t.version
        workflow.reply(session, t, actor=wang, body="请问是哪台电脑？", status="pending", now=MONDAY + dt.timedelta(minutes=5))
        assert t.status == "pending" and t.first_response_at is not None and t.version == v + 1
        workflow.reply(session, t, actor=t.requester, body="办公室那台", now=MONDAY + dt.timedelta(minutes=35))
        assert t.status == "open"  # the requester answered: back to work
        workflow.resolve(session, t, actor=wang, body="已修复", now=MONDAY + dt.timedelta(minutes=40))
        assert t.status == "resolved" and t.resolved_at is not None
        workflow.change_status(session, t, "open", actor=wang, reason="用户说又坏了")
        assert t.resolved_at is None and t.events[-1].kind == "reopened"
        workflow.resolve(session, t, actor=wang, body="再次修复")
        workflow.change_status(session, t, "closed", actor=wang)
        assert t.status == "closed" and t.close_reason == "agent" and t.closed_at is not None
        with pytest.raises(InvalidTransition):
            workflow.reply(session, t, actor=wang, body="还在吗")
        kinds = [e.kind for e in t.events]
        assert kinds == ["created", "reply", "reply", "resolved", "reopened", "resolved", "closed"]
        assert [e.ticket_version for e in t.events[1:]] == list(range(v + 1, v + 7))


def test_requester_transitions_confirm_reject_withdraw(app):
    make_user(app, "wang", "agent")
    a, b, c = (create(app).number for _ in range(3))
    with app.test_request_context(), session_scope() as session:
        wang = get_user(session, "wang")
        ta = get_ticket(session, a)
        workflow.resolve(session, ta, actor=wang, body="好了")
        workflow.confirm(session, ta, actor=None, solved=True, rating=5, comment="很快")
        assert (ta.status, ta.close_reason, ta.csat_rating) == ("closed", "confirmed", 5)
        tb = get_ticket(session, b)
        workflow.resolve(session, tb, actor=wang, body="好了")
        with pytest.raises(workflow.ValidationFailed):
            workflow.confirm(session, tb, actor=None, solved=False, reason="")
        workflow.confirm(session, tb, actor=None, solved=False, reason="还是连不上")
        assert tb.status == "open" and "还是连不上" in tb.events[-1].body
        tc = get_ticket(session, c)
        workflow.withdraw(session, tc, actor=None)
        assert (tc.status, tc.close_reason) == ("closed", "withdrawn") and "用户撤回" in tc.events[-1].body
        with pytest.raises(InvalidTransition):
            workflow.withdraw(session, tc, actor=None)


def test_automatic_assignment_by_skill_then_fewest_open_then_away_and_manual_wins(app):
    for name in ("li", "wang", "zhao", "chen"):
        make_user(app, name, "agent")
    make_group(app, "网络组", "vpn,network", 1, ["li", "wang", "zhao"])
    make_group(app, "账号组", "account", 1, ["chen"])
    first = create(app, valid_data(category="vpn"))
    with app.app_context(), session_scope() as session:
        t = get_ticket(session, first.number)
        assert t.group.name == "网络组" and t.assignee.username == "li"  # ties: alphabetical
        assert t.events[-1].kind == "assigned" and not t.events[-1].public
        get_user(session, "wang").away = True
    second = create(app, valid_data(category="network"))
    with app.app_context(), session_scope() as session:
        assert get_ticket(session, second.number).assignee.username == "zhao"  # li has 1 open, wang is away
    third = create(app, valid_data(category="vpn"))
    with app.app_context(), session_scope() as session:
        assert get_ticket(session, third.number).assignee.username in ("li", "zhao")
    other = create(app, valid_data(category="printing"))  # no group has the skill
    with app.app_context(), session_scope() as session:
        t = get_ticket(session, other.number)
        assert t.assignee is None and t.group is None
    # Manual assignment wins and is never undone by automation.
    with app.test_request_context(), session_scope() as session:
        t = get_ticket(session, first.number)
        workflow.assign(session, t, actor=get_user(session, "chen"), assignee=get_user(session, "wang"))
        assert workflow.auto_assign(session, t) is None
        assert t.assignee.username == "wang" and t.events[-1].changes["assignee"] == ["li", "wang"]


def test_escalation_needs_a_reason_moves_to_tier2_and_is_measured(app):
    for name in ("li", "expert"):
        make_user(app, name, "agent")
    make_group(app, "一线", "vpn", 1, ["li"])
    number = create(app, valid_data(category="vpn"), now=MONDAY).number
    with app.test_request_context(), session_scope() as session:
        t = get_ticket(session, number)
        with pytest.raises(workflow.WorkflowError, match="二线组"):
            workflow.escalate(session, t, actor=get_user(session, "li"), reason="试过重装", now=MONDAY)
    make_group(app, "二线网络", "vpn", 2, ["expert"])
    with app.test_request_context(), session_scope() as session:
        t = get_ticket(session, number)
        li = get_user(session, "li")
        workflow.reply(session, t, actor=li, body="已尝试重置网络适配器", internal=True, now=MONDAY)
        with pytest.raises(workflow.ValidationFailed):
            workflow.escalate(session, t, actor=li, reason="  ", now=MONDAY)
        workflow.escalate(session, t, actor=li, reason="服务端证书问题，需要二线", now=MONDAY + dt.timedelta(minutes=42))
        assert (t.tier, t.group.name, t.assignee.username) == (2, "二线网络", "expert")
        event = t.events[-1]
        assert event.kind == "escalated" and not event.public
        assert event.changes["within_target"] is True and event.changes["escalation_minutes"] == 42
        assert "1 小时目标内" in event.body and "服务端证书问题" in event.body
        assert any(e.kind == "note" for e in t.events)  # the whole history stays with it
        with pytest.raises(InvalidTransition):
            workflow.escalate(session, t, actor=li, reason="again", now=MONDAY)
    late = create(app, valid_data(category="vpn"), now=MONDAY).number
    with app.test_request_context(), session_scope() as session:
        t = get_ticket(session, late)
        workflow.escalate(session, t, actor=None, reason="太复杂", now=MONDAY + dt.timedelta(minutes=75))
        assert t.events[-1].changes["within_target"] is False and "超过 1 小时目标" in t.events[-1].body


def test_classify_recomputes_priority_and_records_reason(app):
    make_user(app, "wang", "agent")
    number = create(app, valid_data(impact="person", urgency="degraded"), now=MONDAY).number
    with app.test_request_context(), session_scope() as session:
        t = get_ticket(session, number)
        before_due = t.sla_response_due
        workflow.classify(session, t, actor=get_user(session, "wang"), impact="company", urgency="stopped",
                          reason="整栋楼都断网")
        assert t.priority == "P1" and t.sla_response_due < before_due.replace(tzinfo=UTC) if before_due.tzinfo is None else t.sla_response_due < before_due
        e = t.events[-1]
        assert e.kind == "classified" and e.changes["priority"] == ["P3", "P1"] and "整栋楼都断网" in e.body
        with pytest.raises(workflow.ValidationFailed):
            workflow.classify(session, t, actor=None, category="不存在的类别")


def test_sla_pause_moves_due_times_and_breach_is_recorded_once(app):
    from app.tickets import sla_job
    from app.tickets.sla import state

    make_user(app, "wang", "agent")
    make_group(app, "网络组", "vpn", 1, ["wang"])
    # P2: response 2 working hours, resolve 1 working day.
    number = create(app, valid_data(impact="person", urgency="stopped"), now=MONDAY).number
    with app.test_request_context(), session_scope() as session:
        t, wang = get_ticket(session, number), get_user(session, "wang")
        assert t.priority == "P2"
        resolve_due = t.sla_resolve_due
        workflow.reply(session, t, actor=wang, body="请发截图", status="pending", now=MONDAY + dt.timedelta(hours=1))
        assert state(t, MONDAY + dt.timedelta(hours=30)) == "paused" and t.sla_due_at is None
        # Waits three working hours for the requester: the resolution due time moves by three hours.
        workflow.reply(session, t, actor=t.requester, body="截图见附件", now=MONDAY + dt.timedelta(hours=4))
        assert t.status == "open"
        moved = t.sla_resolve_due - (resolve_due if resolve_due.tzinfo else resolve_due.replace(tzinfo=UTC))
        assert moved == dt.timedelta(hours=3)
        assert t.paused_seconds == 3 * 3600
        assert state(t, MONDAY + dt.timedelta(hours=5)) == "ok"
    # At risk (< 25 % left): one mail; breached: recorded once, one mail.
    with app.app_context(), session_scope() as session:
        t = get_ticket(session, number)
        due = t.sla_due_at
        warn = t.sla_warn_at
        assert warn < due
        assert sla_job.run(session, warn + dt.timedelta(minutes=1)) == 1
        assert sla_job.run(session, warn + dt.timedelta(minutes=2)) == 0
        assert state(t, warn + dt.timedelta(minutes=1)) == "at_risk"
    with app.app_context(), session_scope() as session:
        after = get_ticket(session, number).sla_due_at + dt.timedelta(minutes=5)
        assert sla_job.run(session, after) == 1
        assert sla_job.run(session, after + dt.timedelta(minutes=5)) == 0
        t = get_ticket(session, number)
        assert t.resolve_breached_at is not None and state(t, after) == "breached"
        assert [e.kind for e in t.events].count("sla_breached") == 1
    from tests.worker.conftest import rows  # noqa: F401 - the outbox rows

    from app.models import OutboxMessage
    from sqlalchemy import select
    with app.app_context(), session_scope() as session:
        kinds = [m.kind for m in session.scalars(select(OutboxMessage).where(OutboxMessage.to_addr == "wang@example.com"))]
        assert kinds.count("sla_at_risk") == 1 and kinds.count("sla_breached") == 1


def test_late_first_response_records_the_response_breach(app):
    make_user(app, "wang", "agent")
    number = create(app, valid_data(impact="company", urgency="stopped"), now=MONDAY).number  # P1: 15 minutes
    with app.test_request_context(), session_scope() as session:
        t = get_ticket(session, number)
        workflow.reply(session, t, actor=get_user(session, "wang"), body="在处理", now=MONDAY + dt.timedelta(minutes=20))
        assert t.response_breached_at is not None and t.first_response_at is not None


def test_collision_stale_version_is_refused_and_reports_changes(app):
    make_user(app, "wang", "agent")
    make_user(app, "li", "agent")
    number = create(app).number
    with app.test_request_context(), session_scope() as session:
        t = get_ticket(session, number)
        seen = t.version
        workflow.reply(session, t, actor=get_user(session, "li"), body="我先回复了", now=MONDAY)
        with pytest.raises(VersionConflict) as info:
            workflow.check_version(t, seen)
        assert [e.body for e in info.value.events] == ["我先回复了"]
    # Two sessions that read the same version: the second write fails instead of overwriting.
    with app.test_request_context():
        from app.db import get_session

        maker = app.extensions["kb.sessionmaker"]
        s1, s2 = maker(), maker()
        try:
            t1, t2 = get_ticket(s1, number), get_ticket(s2, number)
            workflow.change_status(s1, t1, "pending", actor=get_user(s1, "wang"))
            s1.commit()
            with pytest.raises(StaleDataError):
                workflow.change_status(s2, t2, "resolved", actor=get_user(s2, "li"), reason="已重启路由器")
                s2.commit()
            s2.rollback()
        finally:
            s1.close()
            s2.close()
        get_session()


def test_reclassified_after_and_during_a_wait_adds_the_paused_working_hours_not_wall_clock(app):
    """Waits are added on the SLA calendar: a wait from Monday 17:00 to Tuesday 10:00 is two working
    hours (17–18, 9–10), not 17 hours; a wait still running when the ticket is reclassified is
    added when it ends."""
    from app.tickets.sla import pause_intervals

    make_user(app, "wang", "agent")
    local = dt.timezone(dt.timedelta(hours=8))

    def at(day, hour):  # 2026-11-23 is a Monday
        return dt.datetime(2026, 11, 23 + day, hour, 0, tzinfo=local).astimezone(UTC)

    def aware(value):
        return value if value.tzinfo else value.replace(tzinfo=UTC)

    # P3 (1 working day to respond, 3 to resolve) created Monday 10:00.
    number = create(app, valid_data(impact="person", urgency="degraded"), now=at(0, 10)).number
    with app.test_request_context(), session_scope() as session:
        t, wang = get_ticket(session, number), get_user(session, "wang")
        assert t.priority == "P3"
        workflow.reply(session, t, actor=wang, body="请发截图", status="pending", now=at(0, 17))
        workflow.reply(session, t, actor=t.requester, body="截图见附件", now=at(1, 10))
        assert t.paused_seconds == 17 * 3600  # wall time paused, as reported
        assert pause_intervals(t.events) == [(at(0, 17), at(1, 10))]
        # Reclassified to P2 (resolve: 1 working day = 9 h) after the wait: Monday 10:00 + 9 working
        # hours = Tuesday 10:00, plus the 2 working hours waited = Tuesday 12:00 (not Wednesday 03:00).
        workflow.classify(session, t, actor=wang, urgency="stopped", reason="用户无法工作", now=at(1, 10))
        assert t.priority == "P2"
        assert aware(t.sla_resolve_due) == at(1, 12)
        assert aware(t.sla_due_at) == at(1, 12)

    # Reclassified while pending: the running wait counts once it ends, in working hours.
    number = create(app, valid_data(impact="person", urgency="degraded"), now=at(0, 10)).number
    with app.test_request_context(), session_scope() as session:
        t, wang = get_ticket(session, number), get_user(session, "wang")
        workflow.reply(session, t, actor=wang, body="请发截图", status="pending", now=at(0, 17))
        workflow.reply(session, t, actor=t.requester, body="截图见附件", now=at(1, 10))
        workflow.reply(session, t, actor=wang, body="请再试一次", status="pending", now=at(1, 11))
        workflow.classify(session, t, actor=wang, urgency="stopped", reason="用户无法工作", now=at(1, 15))
        assert t.status == "pending" and t.sla_due_at is None
        assert aware(t.sla_resolve_due) == at(1, 12)  # first wait added; the running one not yet
        workflow.reply(session, t, actor=t.requester, body="还是不行", now=at(2, 10))
        # One working hour was left when the second wait began (11:00 → 12:00): Wednesday 11:00.
        # Worked: Mon 10–17, Tue 10–11, Wed 10–11 = 9 working hours = 1 working day.
        assert aware(t.sla_resolve_due) == at(2, 11)
        assert t.paused_seconds == 17 * 3600 + 23 * 3600


def test_reclassified_to_a_24x7_priority_adds_waits_in_wall_time(app):
    make_user(app, "wang", "agent")
    number = create(app, valid_data(impact="person", urgency="degraded"), now=MONDAY).number
    with app.test_request_context(), session_scope() as session:
        t, wang = get_ticket(session, number), get_user(session, "wang")
        workflow.reply(session, t, actor=wang, body="请确认范围", status="pending", now=MONDAY + dt.timedelta(minutes=30))
        workflow.reply(session, t, actor=t.requester, body="全公司都不行", now=MONDAY + dt.timedelta(hours=2))
        workflow.classify(session, t, actor=wang, impact="company", urgency="stopped", now=MONDAY + dt.timedelta(hours=2))
        assert t.priority == "P1"  # 4 hours around the clock, plus 1 h 30 min waited
        due = t.sla_resolve_due if t.sla_resolve_due.tzinfo else t.sla_resolve_due.replace(tzinfo=UTC)
        assert due == MONDAY + dt.timedelta(hours=5, minutes=30)
