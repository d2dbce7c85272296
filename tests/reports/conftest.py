"""A small hand-built month (November 2026, Asia/Shanghai, default SLA calendar) whose every
figure is worked out by hand in tests/reports/test_formulas.py."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from app.db import session_scope
from app.models import AgentGroup, SearchLog, Ticket, TicketEvent, User

TZ = ZoneInfo("Asia/Shanghai")
NOW = dt.datetime(2026, 12, 15, 12, 0, tzinfo=TZ).astimezone(dt.timezone.utc)
SECRET_SUBJECT = "机密标题：财务部电脑无法连接 VPN"
SECRET_COMMENT = "太慢了，机密评价"


def L(month, day, hour, minute=0):
    return dt.datetime(2026, month, day, hour, minute, tzinfo=TZ).astimezone(dt.timezone.utc)


@pytest.fixture
def month(app):
    with app.app_context(), session_scope() as s:
        agent = User(username="ag", role="agent", email="ag@example.com", password_hash="x")
        req = User(username="rq", role="requester", email="rq@example.com", password_hash="x")
        ga, gb = AgentGroup(name="甲组", skills=["vpn"]), AgentGroup(name="乙组", skills=["account"])
        s.add_all([agent, req, ga, gb])
        s.flush()
        n = iter(range(1, 100))

        def ticket(created, priority, category, subject, group, *, status, response=None, resolved=None,
                   resp_due, reso_due, rb=None, sb=None, closed=None, close_reason=None, csat=None, comment=None,
                   csat_at=None):
            t = Ticket(number=f"IT-TEST-{next(n):04d}", subject=subject, description="", category=category,
                       impact="person", urgency="degraded", priority=priority, status=status, source="portal",
                       requester_id=req.id, access_token=f"tok{subject}{created}", sla_response_due=resp_due,
                       sla_resolve_due=reso_due, created_at=created, first_response_at=response, resolved_at=resolved,
                       group_id=group.id, response_breached_at=rb, resolve_breached_at=sb, closed_at=closed,
                       close_reason=close_reason, csat_rating=csat, csat_comment=comment, csat_at=csat_at)
            s.add(t)
            s.flush()
            return t

        def ev(t, when, kind, author=None, public=True, status=None):
            s.add(TicketEvent(ticket_id=t.id, created_at=when, kind=kind, public=public,
                              author_id=author.id if author else None,
                              changes={"status": status} if status else None))

        t1 = ticket(L(11, 2, 10), "P3", "vpn", "VPN 错误 809", ga, status="closed", response=L(11, 2, 11, 30),
                    resolved=L(11, 3, 10), resp_due=L(11, 3, 10), reso_due=L(11, 5, 10), closed=L(11, 4, 9),
                    close_reason="confirmed", csat=5, csat_at=L(11, 4, 9))
        ev(t1, L(11, 2, 11, 30), "reply", agent, status=["new", "open"])
        ev(t1, L(11, 2, 12), "note", agent, public=False)
        ev(t1, L(11, 3, 10), "resolved", agent, status=["open", "resolved"])
        t2 = ticket(L(11, 6, 17), "P3", "vpn", SECRET_SUBJECT + " 错误 809", ga, status="resolved",
                    response=L(11, 9, 10), resolved=L(11, 11, 12), resp_due=L(11, 9, 17), reso_due=L(11, 13, 17))
        ev(t2, L(11, 9, 10), "reply", agent, status=["new", "open"])
        ev(t2, L(11, 9, 11), "status", agent, status=["open", "pending"])
        ev(t2, L(11, 10, 11), "reply", req, status=["pending", "open"])
        ev(t2, L(11, 10, 15), "reply", agent)
        ev(t2, L(11, 11, 12), "resolved", agent, status=["open", "resolved"])
        t3 = ticket(L(11, 7, 10), "P1", "network", "全楼断网", ga, status="closed", response=L(11, 7, 10, 30),
                    resolved=L(11, 7, 16), resp_due=L(11, 7, 10, 15), reso_due=L(11, 7, 14), rb=L(11, 7, 10, 15),
                    sb=L(11, 7, 14), closed=L(11, 8, 9), close_reason="confirmed", csat=2, comment=SECRET_COMMENT,
                    csat_at=L(11, 8, 9))
        ev(t3, L(11, 7, 10, 30), "reply", agent, status=["new", "open"])
        ev(t3, L(11, 7, 12), "resolved", agent, status=["open", "resolved"])
        ev(t3, L(11, 7, 13), "reply", req, status=["resolved", "open"])
        ev(t3, L(11, 7, 16), "resolved", agent, status=["open", "resolved"])
        ticket(L(11, 20, 10), "P3", "mail", "邮件发不出去", ga, status="new", resp_due=L(11, 23, 10),
               reso_due=L(11, 25, 10))
        t5 = ticket(L(10, 30, 10), "P4", "printing", "打印机脱机", ga, status="resolved", response=L(10, 30, 11),
                    resolved=L(11, 2, 10), resp_due=L(11, 3, 10), reso_due=L(11, 6, 10))
        ev(t5, L(10, 30, 11), "reply", agent, status=["new", "open"])
        ev(t5, L(11, 2, 10), "resolved", agent, status=["open", "resolved"])
        ticket(L(11, 12, 10), "P3", "vpn", "VPN 连不上", ga, status="closed", resp_due=L(11, 13, 10),
               reso_due=L(11, 17, 10), closed=L(11, 12, 12), close_reason="withdrawn")
        t7 = ticket(L(11, 3, 10), "P3", "account", "账号锁定", gb, status="open", response=L(11, 3, 10, 30),
                    resp_due=L(11, 4, 10), reso_due=L(11, 6, 10))
        ev(t7, L(11, 3, 10, 30), "reply", agent, status=["new", "open"])

        def search(when, q, results, clicks, key):
            from app.reports.searchlog import norm

            s.add(SearchLog(created_at=when, query=q, norm=norm(q), results=results, clicks=clicks, role="requester",
                            source="page", session_key=key))
        search(L(11, 2, 9), "VPN 809", 3, 1, "a")
        search(L(11, 2, 9, 1), "ｖｐｎ８０９", 0, 0, "a")
        search(L(11, 5, 9), "vpn809", 0, 0, "b")
        search(L(11, 5, 10), "打印機", 5, 0, "b")
        search(L(11, 6, 10), "打印机", 5, 0, "c")
        search(L(11, 6, 11), "Outlook", 4, 2, "c")
        search(L(10, 31, 10), "vpn 809", 0, 0, "d")  # October: outside
        return {"group_a": ga.id, "group_b": gb.id}
