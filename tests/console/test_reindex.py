"""Tickets from before the console's migration get their search terms: `kb init` and `kb tickets reindex`."""

from __future__ import annotations

from sqlalchemy import delete, func, select

from app.db import session_scope
from app.models import TicketTerm
from app.tickets import workflow
from tests.conftest import login
from tests.console.conftest import create, get_ticket, get_user, make_user, valid_data


def _forget_terms(app, *numbers):
    """What a ticket created before 0005_console looks like: no ticket_terms rows."""
    with app.app_context(), session_scope() as session:
        for number in numbers:
            session.execute(delete(TicketTerm).where(TicketTerm.ticket_id == get_ticket(session, number).id))


def _term_rows(app):
    with app.app_context(), session_scope() as session:
        return session.scalar(select(func.count()).select_from(TicketTerm))


def test_kb_init_gives_old_tickets_their_terms_and_keeps_notes_internal(app, runner, agent_client):
    make_user(app, "lisi", "requester")
    old = create(app, valid_data(subject="打印機無法列印", description="錯誤 0x80070005"), username="lisi").number
    new = create(app, valid_data(subject="VPN 连不上", description="提示 809")).number
    with app.test_request_context(), session_scope() as session:
        t = get_ticket(session, old)
        workflow.reply(session, t, actor=get_user(session, "wang"), body="内部排查 ZZNOTEWORD", internal=True)
        workflow.reply(session, t, actor=get_user(session, "wang"), body="请重新安装驱动")
    before = _term_rows(app)
    _forget_terms(app, old)

    def found(q):
        return {t["number"] for t in agent_client.get("/api/tickets", query_string={"q": q}).json["results"]}

    assert found("80070005") == set() and found("打印机") == set()
    r = runner.invoke(args=["kb", "init"])
    assert r.exit_code == 0, r.output
    assert "已为 1 张工单建立搜索词" in r.output
    assert _term_rows(app) == before  # exactly what the workflow had written
    assert found("80070005") == {old} and found("打印机") == {old} and found("重新安装") == {old}
    assert found("ZZNOTEWORD") == {old} and found("809") == {new}
    # The requester searches public terms only: the note's word finds nothing for them.
    requester = app.test_client()
    login(requester, app, "lisi", "requester")
    assert requester.get("/api/tickets", query_string={"q": "ZZNOTEWORD"}).json["total"] == 0
    assert requester.get("/api/tickets", query_string={"q": "打印机"}).json["total"] == 1
    # Run again: nothing left to do.
    r = runner.invoke(args=["kb", "init"])
    assert r.exit_code == 0 and "建立搜索词" not in r.output


def test_kb_tickets_reindex_missing_and_all(app, runner, agent_client):
    a = create(app, valid_data(subject="打印机脱机")).number
    b = create(app, valid_data(subject="Outlook 提示密码")).number
    before = _term_rows(app)
    _forget_terms(app, a, b)
    r = runner.invoke(args=["kb", "tickets", "reindex"])
    assert r.exit_code == 0 and "已为 2 张工单建立搜索词" in r.output
    assert runner.invoke(args=["kb", "tickets", "reindex"]).output.strip() == "所有工单都已有搜索词。"
    r = runner.invoke(args=["kb", "tickets", "reindex", "--all"])
    assert r.exit_code == 0 and "已为 2 张工单建立搜索词" in r.output
    assert _term_rows(app) == before
    assert agent_client.get("/api/tickets", query_string={"q": "脫機"}).json["results"][0]["number"] == a


def test_a_large_reindex_refreshes_the_planner_statistics(app, runner, monkeypatch):
    """After a bulk (re)index the database's statistics describe ticket_terms at once: without them
    PostgreSQL chose a per-ticket probe for code searches (bench/tickets.py: 560 ms → 27 ms)."""
    from sqlalchemy import text

    from app.console import search

    create(app, valid_data(subject="邮件退信 554 5.2.2"))
    create(app, valid_data(subject="打印机脱机"))
    monkeypatch.setattr(search, "ANALYZE_AFTER", 2)

    def analysed():
        with app.app_context(), session_scope() as session:
            if session.bind.dialect.name == "sqlite":
                return session.execute(text("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'")).first() is not None \
                    and session.execute(text("SELECT count(*) FROM sqlite_stat1 WHERE tbl = 'ticket_terms'")).scalar() > 0
            # reltuples is -1 until the table is first analysed (PostgreSQL 14+), written in the
            # transaction itself (the statistics views are updated asynchronously)
            return session.execute(text("SELECT reltuples >= 0 FROM pg_class "
                                        "WHERE oid = 'ticket_terms'::regclass")).scalar()

    assert not analysed()
    r = runner.invoke(args=["kb", "tickets", "reindex", "--all"])
    assert r.exit_code == 0 and "已为 2 张工单建立搜索词" in r.output
    assert analysed()
