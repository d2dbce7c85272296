"""One report: every metric family for a period, as the viewer may see it, with a group filter.

``build`` returns a plain dict (the ``/api/reports/summary`` body, stable names documented in
README.md and the contract); the page, the CSV exports and ``kb report`` all render from it.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import AgentGroup, Ticket, utcnow
from ..visibility import _role_of, report_shows_ticket_text
from .articles import article_metrics
from .period import Period
from .search import search_metrics
from .selfservice import selfservice_metrics
from .tickets import ticket_metrics

SCHEMA_VERSION = 1


def group_scope(group_id: int | None):
    def scope(query):
        return query if group_id is None else query.where(Ticket.group_id == group_id)
    return scope


def groups(session: Session) -> list[dict]:
    return [{"id": g.id, "name": g.name} for g in session.scalars(select(AgentGroup).order_by(AgentGroup.name))]


def build(session: Session, period: Period, user, group_id: int | None = None, now: dt.datetime | None = None) -> dict:
    now = (now or utcnow()).astimezone(dt.timezone.utc)
    role = _role_of(user)
    show_text = report_shows_ticket_text(user)
    scope = group_scope(group_id)
    group = session.get(AgentGroup, group_id) if group_id is not None else None
    search = search_metrics(session, period)
    report = {
        "schema": SCHEMA_VERSION,
        "from": period.first.isoformat(),
        "to": period.last.isoformat(),
        "timezone": period.tz.key,
        "label": period.label,
        "generated_at": now.isoformat(),
        "role": role,
        "group": {"id": group.id, "name": group.name} if group is not None else None,
        "ticket_text": show_text,
        "search": search,
        "self_service": selfservice_metrics(session, period, scope, role, now, search_sessions=search["sessions"]),
        "articles": article_metrics(session, period, role, scope),
        "tickets": ticket_metrics(session, period, scope, show_text, now, role),
    }
    today = now.astimezone(period.tz).date()
    if period.last > today:
        _stop_series_at(report, today)
    return report


# The day-by-day series of a period that runs past today (「本月」 on the 2nd) end today: the
# days to come are not days with no searches and no tickets (a trend line fell to 0 on the 3rd).
SERIES = (("search", "daily"), ("self_service", "trend"), ("tickets", "daily"), ("tickets", "category_by_day"))


def _stop_series_at(report: dict, today: dt.date) -> None:
    cut = today.isoformat()
    for section, key in SERIES:
        rows = report[section].get(key)
        if isinstance(rows, list):
            report[section][key] = [row for row in rows if str(row.get("day", "")) <= cut]
