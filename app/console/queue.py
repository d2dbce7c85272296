"""The queue: saved views, filters, counts per view, ordering by SLA urgency, paging.

Order everywhere: tickets whose clock runs first, by the due time they run against
(``sla_due_at`` — a breached ticket's due time is in the past, so breached come first, then the
nearest), then priority, then age. Paused and finished tickets follow, newest update first.
All of it is SQL over composite indexes that hold each view's filter and the order columns
(``ix_tickets_queue`` status…, ``ix_tickets_assignee_queue``, ``ix_tickets_group_queue``,
``ix_tickets_due_order``; migration 0006_console_speed), so a page lists ids from the indexes
and loads only its own rows; ``bench/tickets.py`` measures it at 50,000 tickets.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session, selectinload

from ..models import AgentGroup, AgentGroupMember, Ticket, User
from ..tickets.choices import CATEGORIES, SOURCES, STATUSES
from ..tickets.priority import PRIORITIES
from ..visibility import ticket_list_scope, ticket_search_terms_public_only
from .search import search_clause

UNRESOLVED = ("new", "open", "pending")
ACTIVE = ("new", "open")
PER_PAGE = 25
MAX_PER_PAGE = 100
#: pages past this are read as this one (then as the last page there is): the offset must stay a
#: number the database takes
MAX_PAGE = 1_000_000

# key → (label, description)
VIEWS: dict[str, str] = {
    "default": "我的和未分配",
    "mine": "我的",
    "unassigned": "未分配",
    "group": "本组",
    "pending": "待用户回复",
    "at_risk": "即将超时",
    "breached": "已超时",
    "all": "全部",
}
SLA_FILTERS = {"ok": "正常", "at_risk": "即将超时", "breached": "已超时", "paused": "已暂停", "met": "已达成"}


@dataclass
class Filters:
    status: str | None = None
    priority: str | None = None
    category: str | None = None
    group: str | None = None          # group name
    assignee: str | None = None       # "me" | "none" | username
    source: str | None = None
    tier: int | None = None
    sla: str | None = None
    q: str = ""
    errors: dict = field(default_factory=dict)

    def as_args(self) -> dict:
        out = {k: v for k, v in self.__dict__.items() if k != "errors" and v not in (None, "")}
        return out


def parse_filters(args, session: Session, *, check_names: bool = True) -> Filters:
    """Filters from query arguments; unknown values are reported in ``errors`` (Chinese) and ignored.

    ``check_names`` off (a caller outside the service desk, e.g. a requester's API token): a group
    or user name is taken as given and simply matches nothing when there is none — "no such
    account" would tell anyone which usernames and groups exist."""
    f = Filters()
    checks = {"status": STATUSES, "priority": dict.fromkeys(PRIORITIES), "category": CATEGORIES,
              "source": SOURCES, "sla": SLA_FILTERS}
    for name, allowed in checks.items():
        value = (args.get(name) or "").strip()
        if value:
            if value in allowed:
                setattr(f, name, value)
            else:
                f.errors[name] = f"无法识别的筛选值「{value[:40]}」"
    tier = (args.get("tier") or "").strip()
    if tier:
        if tier in ("1", "2"):
            f.tier = int(tier)
        else:
            f.errors["tier"] = "级别只能是 1 或 2"
    group = (args.get("group") or "").strip()
    if group:
        if not check_names or session.scalar(select(AgentGroup.id).where(AgentGroup.name == group)) is not None:
            f.group = group
        else:
            f.errors["group"] = f"没有名为「{group[:40]}」的组"
    assignee = (args.get("assignee") or "").strip()
    if assignee:
        if (assignee in ("me", "none") or not check_names
                or session.scalar(select(User.id).where(User.username == assignee)) is not None):
            f.assignee = assignee
        else:
            f.errors["assignee"] = f"没有用户名为「{assignee[:40]}」的账号"
    f.q = (args.get("q") or "").strip()[:200]
    return f


def my_group_ids(session: Session, user) -> list[int]:
    return list(session.scalars(select(AgentGroupMember.group_id).where(AgentGroupMember.user_id == user.id)))


def view_clause(view: str, user, now: dt.datetime, group_ids: list[int]):
    if view == "default":
        return and_(Ticket.status.in_(UNRESOLVED), or_(Ticket.assignee_id == user.id, Ticket.assignee_id.is_(None)))
    if view == "mine":
        return and_(Ticket.status.in_(UNRESOLVED), Ticket.assignee_id == user.id)
    if view == "unassigned":
        return and_(Ticket.status.in_(UNRESOLVED), Ticket.assignee_id.is_(None))
    if view == "group":
        return and_(Ticket.status.in_(UNRESOLVED), Ticket.group_id.in_(group_ids or [-1]))
    if view == "pending":
        return Ticket.status == "pending"
    if view == "at_risk":
        return sla_clause("at_risk", now)
    if view == "breached":
        return sla_clause("breached", now)
    return None  # all


def sla_clause(state: str, now: dt.datetime):
    if state == "breached":
        return and_(Ticket.status.in_(ACTIVE), Ticket.sla_due_at <= now)
    if state == "at_risk":
        return and_(Ticket.status.in_(ACTIVE), Ticket.sla_warn_at <= now, Ticket.sla_due_at > now)
    if state == "ok":
        return and_(Ticket.status.in_(ACTIVE), or_(Ticket.sla_due_at.is_(None), Ticket.sla_warn_at > now))
    if state == "paused":
        return Ticket.status == "pending"
    return and_(Ticket.status.in_(("resolved", "closed")), Ticket.response_breached_at.is_(None),
                Ticket.resolve_breached_at.is_(None))


def filter_clauses(f: Filters, user, now: dt.datetime, session: Session) -> list:
    out = []
    for name in ("status", "priority", "category", "source", "tier"):
        value = getattr(f, name)
        if value is not None:
            out.append(getattr(Ticket, name) == value)
    if f.group:
        out.append(Ticket.group_id == select(AgentGroup.id).where(AgentGroup.name == f.group).scalar_subquery())
    if f.assignee == "me":
        out.append(Ticket.assignee_id == user.id)
    elif f.assignee == "none":
        out.append(Ticket.assignee_id.is_(None))
    elif f.assignee:
        out.append(Ticket.assignee_id == select(User.id).where(User.username == f.assignee).scalar_subquery())
    if f.sla:
        out.append(sla_clause(f.sla, now))
    if f.q:
        clause = search_clause(f.q, public_only=ticket_search_terms_public_only(user))
        if clause is not None:
            out.append(clause)
    return out


def ordering():
    # "P1" < "P2" < … sorts as text: no CASE needed; ids grow with creation time.
    return (Ticket.sla_due_at.is_(None), Ticket.sla_due_at, Ticket.priority, Ticket.id)


@dataclass
class Page:
    tickets: list
    total: int
    page: int
    pages: int
    per_page: int


def base_query(user, view: str, f: Filters, now: dt.datetime, session: Session, columns=None, group_ids=None):
    query = ticket_list_scope(select(*(columns or (Ticket,))), user, Ticket)
    if view != "all":
        groups = group_ids if group_ids is not None else my_group_ids(session, user)
        clause = view_clause(view, user, now, groups)
        if clause is not None:
            query = query.where(clause)
    for c in filter_clauses(f, user, now, session):
        query = query.where(c)
    return query


def fetch(session: Session, user, *, view: str = "all", filters: Filters | None = None, page: int = 1,
          per_page: int = PER_PAGE, now: dt.datetime) -> Page:
    """One page of a view. Ids first — filter, order, count and page read only the queue
    indexes (no wide rows in the sort) — then the page's 25 rows by id (a deferred join)."""
    f = filters or Filters()
    groups = my_group_ids(session, user) if view == "group" else []
    per_page = max(1, min(int(per_page), MAX_PER_PAGE))
    page = max(1, min(int(page), MAX_PAGE))      # ?page=99999999999999999999 is the last page

    def page_ids(page, with_total):
        cols = (Ticket.id, func.count().over()) if with_total else (Ticket.id,)
        return session.execute(base_query(user, view, f, now, session, columns=cols, group_ids=groups)
                               .order_by(*ordering()).offset((page - 1) * per_page).limit(per_page)).all()

    total, rows = None, None
    if f.q:
        # A search reads each matching ticket's order columns from the table (its ids come from
        # ticket_terms): total and page in one pass (a window count) instead of two.
        rows = page_ids(page, True)
        total = rows[0][1] if rows else None
    if total is None:  # index-only views: a count and an ordered id list are cheaper than a window
        total = session.scalar(base_query(user, view, f, now, session, columns=(func.count(Ticket.id),),
                                          group_ids=groups))
        rows = None
    pages = max(1, -(-total // per_page))
    if page > pages:
        page, rows = pages, None
    if not total:
        return Page([], 0, page, pages, per_page)
    ids = [r[0] for r in (rows if rows is not None else page_ids(page, False))]
    rows = session.scalars(
        select(Ticket).where(Ticket.id.in_(ids))
        .options(selectinload(Ticket.assignee), selectinload(Ticket.requester), selectinload(Ticket.group))
    ).all()
    by_id = {t.id: t for t in rows}
    return Page([by_id[i] for i in ids if i in by_id], total, page, pages, per_page)


def counts(session: Session, user, now: dt.datetime) -> dict[str, int]:
    """Tickets per saved view (the views' own conditions, no extra filters). Each is one count
    over a range of a covering index (``ix_tickets_assignee_queue``, ``ix_tickets_group_queue``,
    ``ix_tickets_queue``), a few milliseconds at 50,000 tickets; 「我的和未分配」 is the sum of the
    two disjoint views 「我的」 and 「未分配」 (its OR would need a row-id set). A single pass summing
    every view's clause (CASE per row) measured 4–5× slower on SQLite (``bench/tickets.py``)."""
    groups = my_group_ids(session, user)
    out = {}
    for view in VIEWS:
        if view == "default":
            continue
        query = select(func.count()).select_from(Ticket)
        clause = view_clause(view, user, now, groups)
        if clause is not None:
            query = query.where(clause)
        out[view] = session.scalar(query)
    out["default"] = out["mine"] + out["unassigned"]
    return {v: out[v] for v in VIEWS}
