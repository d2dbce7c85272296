"""Tickets (formulas: README.md "Tickets").

Populations (local days of ``KB_TIMEZONE``, the group filter applied to all of them):

* **created** — ``created_at`` in the period; **resolved** — ``resolved_at`` in the period (the
  latest resolution: a reopened and re-resolved ticket counts when it was last resolved).
* **backlog** at the end of a day — created before the day ended, not resolved by then
  (``resolved_at`` empty or later) and not closed unresolved by then (withdrawn).

Durations are on each ticket's SLA clock (``app/tickets/sla.py``): working hours of the
calendar for P2–P4, wall-clock hours for P1 (24×7), in hours, minus the time the ticket waited
for the requester (``pending`` intervals from its events, measured on the same clock):

* time to first response — created → ``first_response_at``, over created tickets with a response;
* time to resolution — created → ``resolved_at``, over resolved tickets.
* ``median`` is the middle value (mean of the two middle ones); ``p90`` the nearest rank
  ⌈0.9·n⌉ of the sorted values.

SLA met %:

* response — over created tickets with an outcome: *breached* when ``response_breached_at`` is
  set, the first response came after ``sla_response_due``, or there is none yet while the ticket
  is new/open and the due time has passed; *met* when it came in time. Others (waiting, withdrawn
  before any reply) have no outcome yet.
* resolution — over resolved tickets: breached when ``resolve_breached_at`` is set or
  ``resolved_at`` > ``sla_resolve_due``; met otherwise.
* ``met_pct`` = met ÷ (met + breached) × 100.

One-touch % = resolved tickets with at most one public staff reply (``reply`` events, public,
by an agent or admin) ÷ resolved × 100. Reopened % = resolved tickets that were ever moved
``resolved → open`` ÷ resolved × 100. Backlog age: open tickets at the period's end (or now),
by wall-clock age since creation. CSAT: ratings given in the period (``csat_at``): average,
count per score 1–5, comments (ticket staff only). Recurring problems: created tickets by
category, by matched article (the solution article, else the article it was escalated from)
and by error code found in subject and description (``indexer.codes``), top 10 each.
"""

from __future__ import annotations

import datetime as dt
import math
from bisect import bisect_right
from collections import Counter, defaultdict, namedtuple

from flask import current_app
from sqlalchemy import JSON, String, and_, func, or_, select
from sqlalchemy.orm import Session

from indexer.codes import find_codes
from indexer.text import normalise_pair

from ..models import AgentGroup, Article, Ticket, TicketEvent, User
from ..tickets import sla as sla_mod
from ..tickets.choices import CATEGORIES
from ..visibility import can_view
from .period import UTC, Period
from .workclock import WorkClock

TOP = 10
AGE_BUCKETS = (("lt1d", "不到 1 天", 1), ("1_3d", "1–3 天", 3), ("3_7d", "3–7 天", 7),
               ("7_30d", "7–30 天", 30), ("gt30d", "30 天以上", None))
STAFF = ("agent", "admin")
SOURCES = {"portal": "门户", "api": "API", "article_feedback": "文章转人工"}


def _aware(when):
    if when is None:
        return None
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


def median(values: list[float]) -> float | None:
    if not values:
        return None
    s = sorted(values)
    n = len(s)
    mid = n // 2
    return s[mid] if n % 2 else (s[mid - 1] + s[mid]) / 2


def p90(values: list[float]) -> float | None:
    if not values:
        return None
    s = sorted(values)
    return s[max(0, math.ceil(0.9 * len(s)) - 1)]


def _hours(td: dt.timedelta) -> float:
    return td.total_seconds() / 3600


def _pending_intervals(events, until: dt.datetime) -> list[tuple[dt.datetime, dt.datetime]]:
    """(start, end) of every wait for the requester, from the events' status changes
    (``(created_at, from, to)`` in order)."""
    out, since = [], None
    for created_at, old, new in events:
        if new == "pending" and since is None:
            since = _aware(created_at)
        elif old == "pending" and since is not None:
            out.append((since, _aware(created_at)))
            since = None
    if since is not None:
        out.append((since, until))
    return out


def clock_duration(target, clock: WorkClock, start, end, pauses) -> float:
    """Hours on ``target``'s clock from ``start`` to ``end`` minus the pauses inside it
    (``clock.on`` = ``target.between`` on the calendar, cached: :mod:`.workclock`)."""
    total = clock.on(target, start, end)
    for a, b in pauses:
        a, b = max(a, start), min(b, end)
        if b > a:
            total -= clock.on(target, a, b)
    return max(0.0, _hours(total))


def ticket_metrics(session: Session, period: Period, scope, show_text: bool, now: dt.datetime,
                   role: str) -> dict:
    """The ticket half of the report; articles are named only where ``role`` may read them."""
    policy = sla_mod.policy_from_config(current_app.config)
    clock = WorkClock(policy.calendar)
    start, end = period.start, period.end
    cols = (Ticket.id, Ticket.number, Ticket.subject, Ticket.description, Ticket.category, Ticket.priority,
            Ticket.source, Ticket.status, Ticket.group_id, Ticket.created_at, Ticket.resolved_at, Ticket.closed_at,
            Ticket.close_reason, Ticket.first_response_at, Ticket.sla_response_due, Ticket.sla_resolve_due,
            Ticket.response_breached_at, Ticket.resolve_breached_at, Ticket.article_id,
            Ticket.resolution_article_id, Ticket.csat_rating, Ticket.csat_comment, Ticket.csat_at)
    # every ticket that matters: alive at some point of the period, or rated in it
    rows = session.execute(scope(select(*cols).where(
        Ticket.created_at < end,
        or_(Ticket.resolved_at.is_(None), Ticket.resolved_at >= start, Ticket.csat_at >= start),
        or_(Ticket.closed_at.is_(None), Ticket.closed_at >= start, Ticket.resolved_at >= start, Ticket.csat_at >= start),
    ))).all()
    rows = _rows(cols, rows)
    created = [r for r in rows if start <= r.created_at < end]
    resolved = [r for r in rows if r.resolved_at is not None and start <= r.resolved_at < end]

    # events of the tickets whose durations and touches are measured: the same tickets selected
    # again as a subquery (one semi-join per query, not IN lists of thousands of ids)
    need = scope(select(Ticket.id).where(or_(
        and_(Ticket.created_at >= start, Ticket.created_at < end, Ticket.first_response_at.is_not(None)),
        and_(Ticket.resolved_at >= start, Ticket.resolved_at < end))))
    events: dict[int, list] = defaultdict(list)
    reopened: set[int] = set()
    # public staff replies per ticket: counted by the database
    replies: Counter = Counter(dict(session.execute(
        select(TicketEvent.ticket_id, func.count()).join(User, User.id == TicketEvent.author_id)
        .where(TicketEvent.ticket_id.in_(need), TicketEvent.kind == "reply", TicketEvent.public.is_(True),
               User.role.in_(STAFF))
        .group_by(TicketEvent.ticket_id)).all()))
    # the only status changes that matter: into or out of pending (pauses), resolved → open
    # (reopenings); the database reads the JSON, Python gets four plain columns
    for tid, created_at, old, new in session.execute(_status_changes(session, need)):
        events[tid].append((created_at, old, new))
        if old == "resolved" and new == "open":
            reopened.add(tid)

    # --- per day: created, resolved, backlog ---
    per_day = {d: {"day": d.isoformat(), "created": 0, "resolved": 0, "backlog": 0} for d in period.days}
    for r in created:
        per_day[period.day_of(r.created_at)]["created"] += 1
    for r in resolved:
        per_day[period.day_of(r.resolved_at)]["resolved"] += 1
    # backlog: a ticket counts on the days d with created_at < end(d) <= gone, a run of days
    # found by bisection on the day ends and added as +1/−1 (a sweep, not tickets × days)
    day_ends = [period.day_end(d) for d in period.days]
    delta = [0] * (len(day_ends) + 1)
    for r in rows:
        gone = r.resolved_at
        if r.close_reason == "withdrawn" and r.closed_at is not None and (gone is None or r.closed_at < gone):
            gone = r.closed_at
        first = bisect_right(day_ends, r.created_at)  # first day ending after creation
        stop = len(day_ends) if gone is None else bisect_right(day_ends, gone)  # days ending at or before gone
        if first < stop:
            delta[first] += 1
            delta[stop] -= 1
    running = 0
    for i, d in enumerate(period.days):
        running += delta[i]
        per_day[d]["backlog"] = running

    # --- breakdowns ---
    groups = dict(session.execute(select(AgentGroup.id, AgentGroup.name)).all())
    by_category = Counter(r.category for r in created)
    by_priority = Counter(r.priority for r in created)
    by_source = Counter(r.source for r in created)
    by_group = Counter(groups.get(r.group_id, "（未分组）") for r in created)
    cat_day: dict[str, Counter] = defaultdict(Counter)
    for r in created:
        cat_day[period.day_of(r.created_at).isoformat()][r.category] += 1

    # --- durations ---
    response_h, resolve_h = [], []
    for r in created:
        if r.first_response_at is not None:
            pauses = _pending_intervals(events.get(r.id, ()), now)
            response_h.append(clock_duration(policy.response[r.priority], clock, r.created_at,
                                              r.first_response_at, pauses))
    for r in resolved:
        pauses = _pending_intervals(events.get(r.id, ()), now)
        resolve_h.append(clock_duration(policy.resolve[r.priority], clock, r.created_at, r.resolved_at, pauses))

    # --- SLA ---
    breaches = []
    resp = {"met": 0, "breached": 0}
    for r in created:
        due = r.sla_response_due
        if r.response_breached_at is not None or (r.first_response_at and due and r.first_response_at > due):
            outcome = "breached"
        elif r.first_response_at is not None:
            outcome = "met"
        elif r.status in sla_mod.ACTIVE_STATUSES and due is not None and due <= now:
            outcome = "breached"
        else:
            continue
        resp[outcome] += 1
        if outcome == "breached":
            done = r.first_response_at or now
            late = clock_duration(policy.response[r.priority], clock, due, done, []) if due else 0.0
            breaches.append(_breach(r, "response", period.local_iso(due), late, groups, show_text))
    reso = {"met": 0, "breached": 0}
    for r in resolved:
        due = r.sla_resolve_due
        if r.resolve_breached_at is not None or (due and r.resolved_at > due):
            reso["breached"] += 1
            late = clock_duration(policy.resolve[r.priority], clock, due, r.resolved_at, []) if due else 0.0
            breaches.append(_breach(r, "resolve", period.local_iso(due), late, groups, show_text))
        else:
            reso["met"] += 1
    breaches.sort(key=lambda b: (-b["late_hours"], b["number"]))

    # --- touches, reopen ---
    n_res = len(resolved)
    one_touch = sum(1 for r in resolved if replies[r.id] <= 1)
    reopened_n = sum(1 for r in resolved if r.id in reopened)

    # --- backlog age at the end (or now) ---
    ref = min(end, now)
    ages = Counter()
    for r in rows:
        gone = r.resolved_at if r.resolved_at is not None else (r.closed_at if r.close_reason == "withdrawn" else None)
        if r.created_at < ref and (gone is None or gone >= ref):
            days = (ref - r.created_at).total_seconds() / 86400
            for key, _label, upper in AGE_BUCKETS:
                if upper is None or days < upper:
                    ages[key] += 1
                    break

    # --- CSAT ---
    rated = [r for r in rows if r.csat_at is not None and start <= r.csat_at < end and r.csat_rating]
    dist = Counter(r.csat_rating for r in rated)
    comments = []
    if show_text:
        comments = [{"number": r.number, "rating": r.csat_rating, "comment": r.csat_comment,
                     "at": period.local_iso(r.csat_at)} for r in sorted(rated, key=lambda r: r.csat_at, reverse=True)
                    if r.csat_comment][:50]

    # --- recurring problems ---
    article_ids = Counter(r.resolution_article_id or r.article_id for r in created
                          if (r.resolution_article_id or r.article_id))
    titles = {}
    if article_ids:
        titles = {a.id: a for a in session.scalars(select(Article).where(Article.id.in_(list(article_ids))))
                  if can_view(a, role)}   # an archived, draft or internal article is not named to who may not read it
    codes = Counter()
    for r in created:
        codes.update(ticket_codes(r.id, r.subject, r.description))

    def pct(a, b):
        return round(100 * a / b, 1) if b else None

    return {
        "created": len(created),
        "resolved": n_res,
        "backlog_end": per_day[period.last]["backlog"] if period.days else 0,
        "daily": list(per_day.values()),
        "by_category": _labelled(by_category, CATEGORIES),
        "by_priority": [{"key": p, "label": p, "count": by_priority.get(p, 0)} for p in ("P1", "P2", "P3", "P4")],
        "by_source": _labelled(by_source, SOURCES),
        "by_group": [{"key": k, "label": k, "count": v} for k, v in by_group.most_common()],
        "category_by_day": [{"day": d.isoformat(), **{k: cat_day[d.isoformat()].get(k, 0) for k in CATEGORIES}}
                            for d in period.days],
        "first_response_hours": {"count": len(response_h), "median": _r(median(response_h)), "p90": _r(p90(response_h))},
        "resolution_hours": {"count": len(resolve_h), "median": _r(median(resolve_h)), "p90": _r(p90(resolve_h))},
        "sla": {
            "response": {**resp, "met_pct": pct(resp["met"], resp["met"] + resp["breached"])},
            "resolution": {**reso, "met_pct": pct(reso["met"], reso["met"] + reso["breached"])},
        },
        "breaches": breaches[:200],
        "breach_count": len(breaches),
        "one_touch_pct": pct(one_touch, n_res),
        "one_touch": one_touch,
        "reopened_pct": pct(reopened_n, n_res),
        "reopened": reopened_n,
        "backlog_age": [{"key": k, "label": label, "count": ages.get(k, 0)} for k, label, _ in AGE_BUCKETS],
        "csat": {
            "count": len(rated),
            "average": round(sum(r.csat_rating for r in rated) / len(rated), 2) if rated else None,
            "distribution": [{"rating": s, "count": dist.get(s, 0)} for s in (1, 2, 3, 4, 5)],
            "comments": comments,
        },
        "recurring": {
            "by_category": _labelled(by_category, CATEGORIES)[:TOP],
            "by_article": [{"slug": titles[a].slug, "title": titles[a].title, "audience": titles[a].audience,
                            "count": n} for a, n in article_ids.most_common() if a in titles][:TOP],
            "by_error_code": [{"code": c, "count": n} for c, n in sorted(codes.items(), key=lambda x: (-x[1], x[0]))][:TOP],
        },
    }


def _status_changes(session: Session, need):
    """(ticket, time, from, to) of the measured tickets' status changes into or out of pending
    and resolved → open, in order. PostgreSQL: ``changes`` is ``json`` (text, parsed by every
    operator), so ``changes -> 'status'`` is taken once per event in a fenced subquery
    (``OFFSET 0``: not flattened into the filter) and its two elements read from that small
    value — ~40 % less time than four ``#>>`` on the whole document. SQLite's ``json_extract``
    is cheap: the plain form."""
    if session.get_bind().dialect.name == "postgresql":
        inner = (select(TicketEvent.id, TicketEvent.ticket_id, TicketEvent.created_at,
                        TicketEvent.changes.op("->", return_type=JSON)("status").label("st"))
                 .where(TicketEvent.ticket_id.in_(need), TicketEvent.kind != "created").offset(0).subquery())
        was = inner.c.st.op("->>", return_type=String)(0)
        became = inner.c.st.op("->>", return_type=String)(1)
        return (select(inner.c.ticket_id, inner.c.created_at, was, became)
                .where(or_(was == "pending", became == "pending", and_(was == "resolved", became == "open")))
                .order_by(inner.c.ticket_id, inner.c.id))
    was = TicketEvent.changes[("status", 0)].as_string()
    became = TicketEvent.changes[("status", 1)].as_string()
    return (select(TicketEvent.ticket_id, TicketEvent.created_at, was, became)
            .where(TicketEvent.ticket_id.in_(need), TicketEvent.kind != "created",
                   or_(was == "pending", became == "pending", and_(was == "resolved", became == "open")))
            .order_by(TicketEvent.ticket_id, TicketEvent.id))


_TIMES = {"created_at", "resolved_at", "closed_at", "first_response_at", "sla_response_due", "sla_resolve_due",
          "response_breached_at", "resolve_breached_at", "csat_at"}


def _rows(cols, rows) -> list:
    """Plain named tuples with UTC-aware times (SQLite hands back naive UTC)."""
    make = namedtuple("TicketRow", [c.key for c in cols])._make
    idx = [i for i, c in enumerate(cols) if c.key in _TIMES]
    out = []
    for r in rows:
        values = list(r)
        for i in idx:
            v = values[i]
            if v is not None and v.tzinfo is None:  # the constructor: ~4× cheaper than .replace()
                values[i] = _dt(v.year, v.month, v.day, v.hour, v.minute, v.second, v.microsecond, UTC)
        out.append(make(values))
    return out


_dt = dt.datetime
_CODES: dict[tuple[int, int, int], frozenset] = {}
_CODES_MAX = 20_000


def ticket_codes(ticket_id: int, subject: str, description: str | None) -> frozenset:
    """The strong error codes of a ticket's text (``indexer.codes``), remembered per ticket and
    text (its hash: the cache holds no ticket text): a pure function of the text, so the month's
    ~2,300 texts are segmented once per process, not once per page."""
    key = (ticket_id, hash(subject), hash(description))
    hit = _CODES.get(key)
    if hit is None:
        cased, low = normalise_pair(f"{subject}\n{description or ''}")
        hit = frozenset(c.main for c in find_codes(low, cased, strong_only=True))
        if len(_CODES) >= _CODES_MAX:
            _CODES.clear()
        _CODES[key] = hit
    return hit


def _r(value):
    return None if value is None else round(value, 2)


def _labelled(counter: Counter, labels: dict) -> list[dict]:
    return [{"key": k, "label": labels.get(k, k), "count": n}
            for k, n in sorted(counter.items(), key=lambda x: (-x[1], x[0]))]


def _breach(r, target: str, due: str | None, late: float, groups: dict, show_text: bool) -> dict:
    out = {"number": r.number, "target": target, "priority": r.priority, "category": r.category,
           "group": groups.get(r.group_id), "due": due, "late_hours": round(late, 2)}
    if show_text:
        out["subject"] = r.subject
    return out
