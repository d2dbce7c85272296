"""Rules the workflow layer enforces for every caller (page, bulk action, JSON API), and the SLA
job's recipients when nobody covers a ticket. Found by a browser walk."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from app.db import session_scope
from app.models import OutboxMessage, Ticket, TicketEvent
from app.tickets import workflow
from tests.console.conftest import create, get_ticket, get_user, make_group, make_user, valid_data

UTC = dt.timezone.utc
MONDAY = dt.datetime(2026, 11, 23, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai


def _status(app, number) -> str:
    with app.app_context(), session_scope() as session:
        return get_ticket(session, number).status


def _mails(app, kind) -> list[OutboxMessage]:
    with app.app_context(), session_scope() as session:
        return list(session.scalars(select(OutboxMessage).where(OutboxMessage.kind == kind).order_by(OutboxMessage.id)))


def test_bulk_resolve_skips_every_ticket_and_says_why(app, agent_client):
    a, b = create(app).number, create(app).number  # 新建: nobody has answered yet
    # The console's bulk action cannot carry a note: every ticket is skipped, each says why.
    r = agent_client.post("/agent/bulk", data={"tickets": [a, b], "action": "status", "value_status": "resolved"},
                          follow_redirects=True)
    html = r.get_data(as_text=True)
    assert "已处理 0 个工单" in html
    for number in (a, b):
        assert f"{number}：改为「已解决」需要填写解决说明" in html and "标记为已解决" in html
        assert _status(app, number) == "new"
    assert _mails(app, "resolved") == []


def test_patch_resolve_sends_its_reason_as_the_resolution(app, agent_client):
    """INTERFACES.md: PATCH {"status": "resolved"} alone resolves (an integration may have no
    note to give); a "reason" is the note the requester gets."""
    bare = create(app).number
    r = agent_client.patch(f"/api/tickets/{bare}", json={"status": "resolved"})
    assert r.status_code == 200 and r.json["status"] == "resolved", r.json
    assert len(_mails(app, "resolved")) == 1
    a = create(app).number
    # With the note, PATCH resolves — the note is the public resolution, and the first response.
    r = agent_client.patch(f"/api/tickets/{a}", json={"status": "resolved", "reason": "已为您重置 VPN 证书，请重新连接。"})
    assert r.status_code == 200 and r.json["status"] == "resolved", r.json
    with app.app_context(), session_scope() as session:
        t = get_ticket(session, a)
        assert t.first_response_at is not None
        assert (t.events[-1].kind, t.events[-1].public, t.events[-1].body) == (
            "resolved", True, "已为您重置 VPN 证书，请重新连接。")
    told = _mails(app, "resolved")[-1]
    assert len(_mails(app, "resolved")) == 2 and told.to_addr == "zhangsan@example.com" and "已为您重置 VPN 证书" in told.body_text


def test_the_status_form_and_the_workflow_refuse_resolved_without_a_note(app, agent_client):
    a = create(app).number
    r = agent_client.post(f"/agent/tickets/{a}/status", data={"status": "resolved", "reason": ""})
    assert r.status_code == 400 and "请填写解决说明" in r.get_data(as_text=True)
    with app.test_request_context(), session_scope() as session:
        with pytest.raises(workflow.ValidationFailed):
            workflow.change_status(session, get_ticket(session, a), "resolved", actor=get_user(session, "wang"))
        session.rollback()
    assert _status(app, a) == "new" and _mails(app, "resolved") == []


def test_an_internal_note_cannot_resolve_a_ticket(app, agent_client):
    a = create(app).number
    r = agent_client.post(f"/api/tickets/{a}/replies", json={"body": "内部：已处理", "internal": True,
                                                             "status": "resolved"})
    assert r.status_code == 400 and r.json["fields"] == {"status": "内部备注不能解决工单"}
    assert _status(app, a) == "new"


def _staff(app):
    """Two agents and an admin who can be mailed, and three who cannot or must not be."""
    from app.models import User

    for name, role in (("wang", "agent"), ("li", "agent"), ("boss", "admin"), ("gone", "agent"),
                       ("noaddr", "agent"), ("pen", "writer")):
        make_user(app, name, role)
    with app.app_context(), session_scope() as session:
        session.scalar(select(User).where(User.username == "gone")).active = False
        session.scalar(select(User).where(User.username == "noaddr")).email = None


def test_sla_warnings_for_a_ticket_nobody_covers_go_to_every_active_agent_and_admin_once(app):
    from app.tickets import sla_job

    _staff(app)
    make_group(app, "网络组", "vpn", 1, [])               # covers vpn, but has nobody in it
    make_group(app, "停用组", "network", 1, ["gone"])     # covers network: only a disabled member
    # 全公司 + 业务中断 = P1, in a category no group covers: no assignee, no group.
    lone = create(app, valid_data(category="printing", impact="company", urgency="stopped"), now=MONDAY).number
    # In a group, but nobody in it can be mailed.
    empty = create(app, valid_data(category="network", impact="company", urgency="stopped"), now=MONDAY).number
    with app.app_context(), session_scope() as session:
        for number, group in ((lone, None), (empty, "停用组")):
            t = get_ticket(session, number)
            assert t.priority == "P1" and t.assignee is None
            assert (t.group.name if t.group else None) == group
        warn = get_ticket(session, lone).sla_warn_at
        due = get_ticket(session, lone).sla_due_at
    with app.app_context(), session_scope() as session:
        assert sla_job.run(session, warn + dt.timedelta(seconds=30)) == 2
    with app.app_context(), session_scope() as session:
        assert sla_job.run(session, warn + dt.timedelta(seconds=40)) == 0  # once per due time
    with app.app_context(), session_scope() as session:
        assert sla_job.run(session, due + dt.timedelta(minutes=1)) == 2
    with app.app_context(), session_scope() as session:
        assert sla_job.run(session, due + dt.timedelta(minutes=5)) == 0  # each breach once
    everyone = sorted(["boss@example.com", "li@example.com", "wang@example.com"])
    for kind in ("sla_at_risk", "sla_breached"):
        mails = _mails(app, kind)
        with app.app_context(), session_scope() as session:
            by_ticket = {}
            for m in mails:
                by_ticket.setdefault(session.get(Ticket, m.ticket_id).number, []).append(m.to_addr)
        assert {n: sorted(v) for n, v in by_ticket.items()} == {lone: everyone, empty: everyone}, kind


def test_sla_warnings_still_go_to_the_assignee_or_the_group_when_there_is_one(app):
    from app.tickets import sla_job

    _staff(app)
    make_group(app, "网络组", "vpn", 1, ["li"])
    assigned = create(app, valid_data(category="vpn", impact="company", urgency="stopped"), now=MONDAY).number
    grouped = create(app, valid_data(category="mail", impact="company", urgency="stopped"), now=MONDAY).number
    with app.test_request_context(), session_scope() as session:
        from app.models import AgentGroup

        t = get_ticket(session, grouped)
        assert t.group is None  # no group has mail: put it in 网络组 by hand, still unassigned
        workflow.assign(session, t, actor=None, group=session.scalar(select(AgentGroup).where(AgentGroup.name == "网络组")))
        assert t.assignee is None
        warn = get_ticket(session, assigned).sla_warn_at
    with app.app_context(), session_scope() as session:
        assert get_ticket(session, assigned).assignee.username == "li"
        assert sla_job.run(session, warn + dt.timedelta(seconds=30)) == 2
    assert sorted(m.to_addr for m in _mails(app, "sla_at_risk")) == ["li@example.com", "li@example.com"]
    with app.app_context(), session_scope() as session:
        assert session.scalar(select(TicketEvent).where(TicketEvent.kind == "sla_breached")) is None


def test_bulk_status_other_than_resolved_still_works(app, agent_client):
    number = create(app).number
    r = agent_client.post("/agent/bulk", data={"tickets": [number], "action": "status", "value_status": "pending"},
                          follow_redirects=True)
    assert "改状态为 待回复：已处理 1 个工单" in r.get_data(as_text=True) and _status(app, number) == "pending"
    r = agent_client.post("/agent/bulk", data={"tickets": [number], "action": "assign", "value_assign": "me"},
                          follow_redirects=True)
    assert "分配给 Wang：已处理 1 个工单" in r.get_data(as_text=True)


def test_the_bulk_bar_offers_no_resolve_and_shows_one_value_list_at_a_time(app, agent_client):
    create(app)
    page = agent_client.get("/agent/?view=all").get_data(as_text=True)
    status = page.split('name="value_status"', 1)[1].split("</select>", 1)[0]
    assert 'value="pending"' in status and 'value="resolved"' not in status    # a note is needed: one at a time
    assert "agent-console.js" in page


def test_the_status_form_resolves_with_its_note(app, agent_client):
    number = create(app).number
    r = agent_client.post(f"/agent/tickets/{number}/status", data={"status": "resolved", "reason": "已更换网线"})
    assert r.status_code == 302 and _status(app, number) == "resolved"
    [told] = _mails(app, "resolved")
    assert "已更换网线" in told.body_text
