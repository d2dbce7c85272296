"""``kb demo-data``: a believable service desk's months, for demos, the benchmark and the
browser test — tickets with replies, pauses, breaches, reopenings and ratings, searches with
zero-result and no-click lines, request-form visits and article votes.

Everything is generated from a seeded random generator (the same seed gives the same data on
the same day) and bulk-inserted; due times come from the real SLA policy and calendar. Ticket
numbers are ``IT-YYYYMMDD-9NNN`` (far above any day's real sequence). Search result counts are
synthetic (no search is run), so the data set does not depend on the article library.
"""

from __future__ import annotations

import datetime as dt
import random
import secrets
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from . import rollup
from ..models import (AgentGroup, AgentGroupMember, Article, Feedback, FormVisit, SearchLog, Ticket,
                      TicketEvent, User)
from ..tickets import sla as sla_mod
from ..tickets.choices import CATEGORIES
from .searchlog import norm

UTC = dt.timezone.utc
GROUPS = (("一线服务台", ["account", "mail", "printing", "other", "software", "collaboration"], 1),
          ("网络与远程", ["vpn", "network", "security"], 1),
          ("桌面支持", ["computer", "software", "printing"], 2))
SUBJECTS = {
    "account": ["域账号被锁定", "忘记密码无法登录", "MFA 验证码收不到", "账号登录提示错误 0x80070005"],
    "vpn": ["VPN 连不上，提示错误 809", "VPN 错误 691", "VPN 连接后很慢", "远程桌面连不上"],
    "network": ["Wi-Fi 经常掉线", "网页打不开 ERR_CONNECTION_RESET", "会议室网络很慢"],
    "mail": ["Outlook 一直提示输入密码", "邮件发不出去 554 5.2.2", "日历共享看不到"],
    "printing": ["打印机显示脱机", "打印机卡纸", "无法添加网络打印机"],
    "software": ["申请安装 Visio", "Office 激活失败 0xC004F074", "Teams 打不开"],
    "computer": ["电脑开机蓝屏", "Windows 更新失败 0x80070002", "电脑很慢"],
    "security": ["收到可疑钓鱼邮件", "电脑提示病毒", "U 盘被禁用"],
    "collaboration": ["Teams 会议没有声音", "企业微信聊天记录不同步", "会议室投屏连不上"],
    "other": ["申请新员工电脑", "咨询软件采购流程"],
}
POPULAR = ["VPN 809", "ｖｐｎ８０９", "vpn809", "vpn 691", "密码 重置", "忘記密碼", "outlook 密码", "打印机脱机",
           "打印機 脫機", "wifi 掉线", "Wi-Fi 掉線", "0x80070005", "蓝屏", "teams 打不开", "邮件 发不出去",
           "MFA", "远程桌面", "office 激活", "账号 锁定", "帳號鎖定"]
GAPS = ["报销系统 登录", "报销系统登录", "企业微信 打卡", "企業微信打卡", "投影仪 没信号", "投影儀沒信號",
        "工资条 查询", "OA 审批 卡住", "oa审批卡住", "门禁卡 失效", "SAP 密码", "sap密码"]
NOCLICK = ["电脑 慢", "网络", "打印", "邮箱 满了", "软件 安装"]


@dataclass
class DemoResult:
    tickets: int
    events: int
    searches: int
    visits: int
    votes: int
    first: dt.date
    last: dt.date


def _working_time(rng: random.Random, day: dt.date, tz) -> dt.datetime:
    hour = rng.choices(range(24), weights=[1, 1, 1, 1, 1, 1, 2, 4, 10, 14, 14, 12, 8, 12, 14, 13, 11, 8, 4, 3, 2, 2, 1, 1])[0]
    return dt.datetime.combine(day, dt.time(hour, rng.randrange(60), rng.randrange(60)), tz).astimezone(UTC)


def generate(session: Session, *, months: int = 3, tickets: int = 5000, searches: int = 50000,
             seed: int = 1, end: dt.date | None = None, now: dt.datetime | None = None) -> DemoResult:
    rng = random.Random(seed)
    policy = sla_mod.policy_from_config(current_app.config)
    tz = policy.calendar.tz
    now = (now or dt.datetime.now(UTC)).astimezone(UTC)
    last = end or now.astimezone(tz).date()
    first = (last.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    for _ in range(months - 2):
        first = (first - dt.timedelta(days=1)).replace(day=1)
    days = [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]
    weights = [1.0 if policy.calendar.is_working_day(d) else 0.15 for d in days]

    # people and groups
    def user(name, role):
        found = session.scalar(select(User).where(User.username == name))
        if found is None:
            found = User(username=name, role=role, email=f"{name}@example.com", display_name=name,
                         password_hash="!demo-no-login")
            session.add(found)
        return found
    agents = [user(f"demo_agent{i}", "agent") for i in range(1, 9)]
    requesters = [user(f"demo_user{i:03d}", "requester") for i in range(1, 201)]
    session.flush()
    groups = []
    for name, skills, tier in GROUPS:
        g = session.scalar(select(AgentGroup).where(AgentGroup.name == name))
        if g is None:
            g = AgentGroup(name=name, skills=skills, tier=tier, description="演示数据")
            session.add(g)
            session.flush()
            for a in agents[len(groups) * 3:len(groups) * 3 + 3]:
                session.add(AgentGroupMember(group_id=g.id, user_id=a.id))
        groups.append(g)
    session.flush()
    articles = session.execute(select(Article.id, Article.slug, Article.audience, Article.version).where(Article.status == "published")).all()
    public = [a for a in articles if a.audience == "public"]

    # tickets
    rows, plans = [], []
    counters: dict[dt.date, int] = {}
    cats = list(CATEGORIES)
    for _ in range(tickets):
        day = rng.choices(days, weights)[0]
        created = _working_time(rng, day, tz)
        if created > now:
            created = now - dt.timedelta(minutes=rng.randrange(5, 600))
            day = created.astimezone(tz).date()
        counters[day] = counters.get(day, 0) + 1
        number = f"IT-{day:%Y%m%d}-{9000 + counters[day]:04d}"
        cat = rng.choices(cats, weights=[14, 16, 10, 12, 9, 10, 12, 4, 6, 3])[0]
        priority = rng.choices(("P1", "P2", "P3", "P4"), weights=(3, 20, 57, 20))[0]
        resp_due, reso_due = policy.due_times(priority, created)
        group = next((g for g in groups if cat in g.skills), groups[0])
        subject = rng.choice(SUBJECTS[cat])
        requester = rng.choice(requesters)
        source = rng.choices(("portal", "api", "article_feedback"), weights=(80, 8, 12))[0]
        article = rng.choice(public) if (source == "article_feedback" and public) else None
        # the agent's first reply: usually in time, sometimes late (a breach)
        late = rng.random() < 0.12
        resp_target = policy.response[priority]
        frac = rng.uniform(1.05, 2.5) if late else rng.uniform(0.05, 0.9)
        first_resp = resp_target.add(created, resp_target.amount * frac, policy.calendar)
        plan = {"created": created, "first_resp": first_resp, "pending": None, "reopen": False,
                "resolved": None, "closed": None, "rating": None, "replies": 1}
        if first_resp > now:
            first_resp = None
            plan["first_resp"] = None
        status = "new" if first_resp is None else "open"
        resolved_at = closed_at = None
        close_reason = None
        resp_breached = resp_due if (first_resp and first_resp > resp_due) or (first_resp is None and resp_due < now) else None
        if first_resp is not None:
            cursor = first_resp
            if rng.random() < 0.25:  # waits for the requester
                p_start = cursor + dt.timedelta(minutes=rng.randrange(10, 240))
                p_end = p_start + dt.timedelta(hours=rng.uniform(2, 60))
                if p_end < now:
                    plan["pending"] = (p_start, p_end)
                    cursor = p_end
                else:
                    status = "pending"
                    plan["pending"] = (p_start, None)
            plan["replies"] = rng.choices((1, 2, 3, 4), weights=(55, 25, 12, 8))[0]
            if status != "pending" and rng.random() < 0.93:
                reso_target = policy.resolve[priority]
                frac = rng.uniform(1.05, 2.0) if rng.random() < 0.1 else rng.uniform(0.1, 0.95)
                paused = (plan["pending"][1] - plan["pending"][0]) if plan["pending"] and plan["pending"][1] else dt.timedelta(0)
                resolved_at = max(cursor + dt.timedelta(minutes=5),
                                  reso_target.add(created, reso_target.amount * frac, policy.calendar) + paused)
                if resolved_at < now:
                    status = "resolved"
                    if rng.random() < 0.06:  # reopened once, resolved again later
                        plan["reopen"] = resolved_at
                        resolved_at = resolved_at + dt.timedelta(hours=rng.uniform(4, 30))
                        if resolved_at >= now:
                            resolved_at, status = None, "open"
                    if status == "resolved" and resolved_at + dt.timedelta(days=3) < now:
                        status, closed_at = "closed", resolved_at + dt.timedelta(hours=rng.uniform(1, 72))
                        close_reason = rng.choices(("confirmed", "auto"), weights=(60, 40))[0]
                        if close_reason == "confirmed" and rng.random() < 0.7:
                            plan["rating"] = rng.choices((1, 2, 3, 4, 5), weights=(4, 5, 10, 30, 51))[0]
                else:
                    resolved_at = None
            elif status != "pending" and rng.random() < 0.3:
                status, close_reason = "closed", "withdrawn"
                closed_at = cursor + dt.timedelta(hours=rng.uniform(1, 20))
                if closed_at > now:
                    status, close_reason, closed_at = "open", None, None
        reso_breached = reso_due if resolved_at is not None and resolved_at > reso_due else None
        if plan["pending"] and plan["pending"][1] and resolved_at is not None:
            reso_breached = None if resolved_at - (plan["pending"][1] - plan["pending"][0]) <= reso_due else reso_due
        plan.update(resolved=resolved_at, closed=closed_at, close_reason=close_reason)
        rating = plan["rating"]
        # the description is the subject alone: a marker such as 「（演示数据）」 swayed the ticket's
        # suggested articles (演示, 数据); the demo_userNNN requesters mark demo tickets
        rows.append({
            "number": number, "subject": subject, "description": f"{subject}。", "category": cat,
            "impact": "person", "urgency": "degraded", "priority": priority, "status": status, "source": source,
            "requester_id": requester.id, "contact_name": requester.username, "contact_email": requester.email,
            "access_token": secrets.token_hex(24), "article_id": article.id if article else None,
            "shown_articles": [], "opened_articles": [],
            "sla_response_due": resp_due, "sla_resolve_due": reso_due, "created_at": created,
            "updated_at": closed_at or resolved_at or first_resp or created, "resolved_at": resolved_at,
            "group_id": group.id, "assignee_id": rng.choice(agents).id if first_resp else None,
            "assigned_at": first_resp, "tier": group.tier, "version": 1, "first_response_at": first_resp,
            "last_public_update_at": first_resp, "closed_at": closed_at, "close_reason": close_reason,
            "pending_since": plan["pending"][0] if status == "pending" else None, "paused_seconds": 0,
            "sla_due_at": None, "response_breached_at": resp_breached, "resolve_breached_at": reso_breached,
            "resolution_article_id": (rng.choice(articles).id if articles and resolved_at and rng.random() < 0.3 else None),
            "csat_rating": rating, "csat_comment": rng.choice(["很快就解决了，谢谢", "等了比较久", "", "说明很清楚"]) or None if rating else None,
            "csat_at": closed_at if rating else None,
        })
        plans.append((plan, requester, rng.choice(agents)))
    ids = list(session.scalars(insert(Ticket).returning(Ticket.id, sort_by_parameter_order=True), rows))

    events = []
    for tid, row, (plan, requester, agent) in zip(ids, rows, plans):
        def ev(kind, when, public=True, author=None, changes=None, body=""):
            events.append({"ticket_id": tid, "created_at": when, "kind": kind, "public": public, "body": body,
                           "author_id": author.id if author else None, "changes": changes, "ticket_version": None})
        ev("created", plan["created"], author=requester, changes={"status": [None, "new"]})
        if plan["first_resp"] is None:
            continue
        ev("reply", plan["first_resp"], author=agent, changes={"status": ["new", "open"]}, body="您好，我们正在处理。")
        if plan["pending"]:
            p0, p1 = plan["pending"]
            ev("status", p0, author=agent, changes={"status": ["open", "pending"]})
            if p1:
                ev("reply", p1, author=requester, changes={"status": ["pending", "open"]}, body="补充信息。")
        end = plan["resolved"] or plan["closed"] or plan["first_resp"] + dt.timedelta(hours=1)
        for i in range(1, plan["replies"]):
            ev("reply", plan["first_resp"] + (end - plan["first_resp"]) * i / plan["replies"], author=agent, body="请再试一次。")
        if rng.random() < 0.3:
            ev("note", plan["first_resp"] + dt.timedelta(minutes=3), public=False, author=agent, body="内部备注")
        if plan["reopen"]:
            ev("resolved", plan["reopen"], author=agent, changes={"status": ["open", "resolved"]})
            ev("reply", plan["reopen"] + dt.timedelta(hours=1), author=requester,
               changes={"status": ["resolved", "open"]}, body="还是不行。")
        if plan["resolved"]:
            ev("resolved", plan["resolved"], author=agent, changes={"status": ["open", "resolved"]}, body="已解决。")
        if plan["closed"]:
            kind = {"confirmed": "confirmed", "auto": "auto_closed", "withdrawn": "withdrawn"}[plan["close_reason"]]
            before = "resolved" if plan["close_reason"] != "withdrawn" else "open"
            ev(kind, plan["closed"], author=None if kind == "auto_closed" else requester,
               changes={"status": [before, "closed"]})
    for i in range(0, len(events), 5000):
        session.execute(insert(TicketEvent), events[i:i + 5000])

    # searches: sessions of 1–4 searches
    logs, n, roles = [], 0, ("anonymous", "requester", "requester", "agent", "writer")
    while n < searches:
        t = _working_time(rng, rng.choices(days, weights)[0], tz)
        if t > now:
            continue
        key, role = secrets.token_hex(8), rng.choice(roles)
        for _ in range(min(rng.choice((1, 1, 2, 2, 3, 4)), searches - n)):
            pool = rng.choices((POPULAR, GAPS, NOCLICK), weights=(80, 10, 10))[0]
            q = rng.choice(pool)
            results = 0 if pool is GAPS else rng.randrange(1, 40)
            clicks = 0 if pool is not POPULAR or rng.random() < 0.3 else 1
            logs.append({"created_at": t, "query": q, "norm": norm(q), "results": results, "clicks": clicks,
                         "role": role, "source": "page", "session_key": key})
            t += dt.timedelta(seconds=rng.randrange(5, 120))
            n += 1
    for i in range(0, len(logs), 5000):
        session.execute(insert(SearchLog), logs[i:i + 5000])
    rollup.rebuild(session, tz)  # bulk rows bypass searchlog.record(): fold them in one pass

    # request-form visits (deflection) and article votes
    visits, votes = [], []
    slugs = [a.slug for a in public] or ["demo"]
    for i in range(tickets * 2):
        t = _working_time(rng, rng.choices(days, weights)[0], tz)
        if t > now:
            continue
        opened = [rng.choice(slugs)] if rng.random() < 0.5 else []
        solved = t + dt.timedelta(minutes=2) if opened and rng.random() < 0.4 else None
        visits.append({"token": secrets.token_urlsafe(24), "user_id": rng.choice(requesters).id, "started_at": t,
                       "last_seen_at": t + dt.timedelta(minutes=3), "queries": ["演示"], "shown": slugs[:3],
                       "opened": opened, "solved_at": solved, "solved_article": opened[0] if solved else None})
    for i in range(0, len(visits), 5000):
        session.execute(insert(FormVisit), visits[i:i + 5000])
    seen = set()
    for a in public:
        for _ in range(rng.randrange(0, 30)):
            voter = f"user:{rng.choice(requesters).id}"
            if (a.id, voter) in seen:
                continue
            seen.add((a.id, voter))
            t = _working_time(rng, rng.choices(days, weights)[0], tz)
            helpful = rng.random() < 0.75
            votes.append({"article_id": a.id, "article_version": a.version, "voter_key": voter, "helpful": helpful,
                          "reason": None if helpful else rng.choice(("not_solved", "unclear", "outdated")),
                          "created_at": min(t, now), "updated_at": min(t, now)})
    if votes:
        session.execute(insert(Feedback), votes)
    session.flush()
    return DemoResult(tickets=len(ids), events=len(events), searches=len(logs), visits=len(visits),
                      votes=len(votes), first=first, last=last)
