"""The agents' console (read-only for now): ``/agent/`` ticket list and ``/agent/tickets/<number>``.

Agents and admins only; writers and requesters get 403 (they are logged in), anonymous
visitors are sent to the login page.
"""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request, url_for
from sqlalchemy import func, select

from ..auth import role_required
from ..db import get_session
from ..models import FormVisit, Ticket, utcnow
from ..tickets import choices
from ..tickets.access import find_ticket
from ..tickets.priority import PRIORITIES
from ..tickets.sla import UTC
from ..visibility import can_view, current_role
from .tickets import _articles_by_slug, template_context

bp = Blueprint("agent", __name__, url_prefix="/agent")
PER_PAGE = 25


def is_overdue(ticket: Ticket, now=None) -> bool:
    """Still waiting for a first response after its response due time."""
    due = ticket.sla_response_due
    if due.tzinfo is None:
        due = due.replace(tzinfo=UTC)
    return ticket.status == "new" and due < (now or utcnow())


def _filters() -> dict[str, str]:
    wanted = {
        "status": choices.STATUSES,
        "priority": dict.fromkeys(PRIORITIES),
        "category": choices.CATEGORIES,
    }
    chosen = {}
    for name, allowed in wanted.items():
        value = request.args.get(name, "")
        if value in allowed:
            chosen[name] = value
    return chosen


@bp.get("/")
@role_required("agent")
def index():
    filters = _filters()
    try:
        page = max(1, int(request.args.get("page", 1)))
    except ValueError:
        page = 1
    query = select(Ticket)
    for name, value in filters.items():
        query = query.where(getattr(Ticket, name) == value)
    session = get_session()
    total = session.scalar(select(func.count()).select_from(query.subquery()))
    pages = max(1, -(-total // PER_PAGE))
    page = min(page, pages)
    tickets = session.scalars(
        query.order_by(Ticket.created_at.desc(), Ticket.id.desc()).offset((page - 1) * PER_PAGE).limit(PER_PAGE)
    ).all()
    now = utcnow()

    def page_url(n: int) -> str:
        return url_for("agent.index", page=n, **filters)

    return render_template(
        "agent/index.html",
        **template_context(
            tickets=tickets, total=total, page=page, pages=pages, filters=filters, page_url=page_url,
            overdue={t.id for t in tickets if is_overdue(t, now)}, priorities=PRIORITIES,
        ),
    )


@bp.get("/tickets/<number>")
@role_required("agent")
def ticket(number: str):
    session = get_session()
    ticket = find_ticket(session, number)
    if ticket is None:
        abort(404)
    visit = session.get(FormVisit, ticket.visit_id) if ticket.visit_id else None
    articles = _articles_by_slug([*(ticket.shown_articles or []), *(ticket.opened_articles or [])])
    role = current_role()  # the API takes slug lists from the caller: no draft titles for agents
    articles = {slug: a for slug, a in articles.items() if can_view(a, role)}
    return render_template(
        "agent/ticket.html",
        **template_context(
            ticket=ticket, visit=visit, articles=articles, overdue=is_overdue(ticket),
            attachment_token=None,
        ),
    )
