"""Self-service and deflection (formulas: README.md "Self-service").

* Deflection per local day (or per ISO week when the period is longer than 62 days): the
  request form's visits classified exactly as ``kb stats`` does
  (:func:`app.requests.visits.deflection_stats`: confirmed / potential / none / pending).
* ``self_service_score`` = help-centre users ÷ ticket submitters, where help-centre users =
  distinct search sessions in the period (``search_log.session_key``) + request-form visits that
  were shown suggestions, and ticket submitters = distinct requesters of the period's tickets
  (account, else contact e-mail, else the ticket itself). ``None`` when nobody submitted.
* Articles that led to tickets: per article, tickets created in the period that were escalated
  from it (``tickets.article_id``) plus tickets whose submitter opened it among the request
  form's suggestions before submitting (``tickets.opened_articles``); an article counts once per
  ticket. Only articles the viewer may read are listed (``app/visibility.py``).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import Article, Ticket
from ..requests.visits import OUTCOMES, DeflectionStats, visit_outcomes
from ..visibility import can_view
from . import rollup
from .period import Period

TOP = 10


def buckets(period: Period) -> list[tuple[str, dt.date, dt.date]]:
    """(label, first day, last day): days, or ISO weeks for long periods."""
    if len(period.days) <= 62:
        return [(d.isoformat(), d, d) for d in period.days]
    out, day = [], period.first
    while day <= period.last:
        end = min(period.last, day + dt.timedelta(days=6 - day.weekday()))
        out.append((day.isoformat(), day, end))
        day = end + dt.timedelta(days=1)
    return out


def selfservice_metrics(session: Session, period: Period, tickets_scope, role: str, now: dt.datetime,
                        search_sessions: int | None = None) -> dict:
    total = DeflectionStats(start=period.start, end=period.end)
    spans = buckets(period)
    per = {label: dict.fromkeys(OUTCOMES, 0) for label, _, _ in spans}
    label_of = {first + dt.timedelta(days=i): label for label, first, last in spans
                for i in range((last - first).days + 1)}  # each local day → its bucket
    for visit, outcome, ticketed in visit_outcomes(session, period.start, period.end, now):
        total.add(visit, outcome, ticketed)
        per[label_of[period.day_of(visit.started_at)]][outcome] += 1
    trend = [{"day": label, **per[label]} for label, _, _ in spans]
    total = total.as_json()
    window = (Ticket.created_at >= period.start, Ticket.created_at < period.end)
    if search_sessions is None:  # build() passes the search family's count: one scan fewer
        search_sessions = rollup.sessions(session, period)
    visits_shown = total["with_suggestions"]  # form visits shown at least one article (counted above)
    rows = session.execute(tickets_scope(select(
        Ticket.id, Ticket.requester_id, Ticket.contact_email, Ticket.article_id, Ticket.opened_articles
    ).where(*window))).all()
    submitters = {f"u{r.requester_id}" if r.requester_id else
                  (f"e{r.contact_email.strip().lower()}" if r.contact_email else f"t{r.id}") for r in rows}
    by_id: dict[int, int] = {}
    by_slug: dict[str, int] = {}
    for r in rows:
        if r.article_id:
            by_id[r.article_id] = by_id.get(r.article_id, 0) + 1
        for slug in set(r.opened_articles or []):
            by_slug[str(slug)] = by_slug.get(str(slug), 0) + 1
    articles = {}
    if by_id or by_slug:
        for a in session.scalars(select(Article).where(Article.id.in_(list(by_id)) | Article.slug.in_(list(by_slug)))):
            articles[a.id] = a
    slug_ids = {a.slug: a.id for a in articles.values()}
    led = {}
    for r in rows:
        hit = {slug_ids[s] for s in set(r.opened_articles or []) if s in slug_ids}
        if r.article_id:
            hit.add(r.article_id)
        for aid in hit:
            led[aid] = led.get(aid, 0) + 1
    escalated = by_id
    leading = [
        {"slug": a.slug, "title": a.title, "audience": a.audience, "tickets": led[a.id],
         "escalated": escalated.get(a.id, 0), "opened_before_ticket": by_slug.get(a.slug, 0)}
        for a in articles.values() if a.id in led and can_view(a, role)
    ]
    leading.sort(key=lambda x: (-x["tickets"], x["slug"]))
    helpers = int(search_sessions) + visits_shown
    return {
        "deflection": total,
        "trend": trend,
        "help_centre_users": helpers,
        "search_sessions": int(search_sessions),
        "form_visits_with_suggestions": visits_shown,
        "ticket_submitters": len(submitters),
        "self_service_score": round(helpers / len(submitters), 2) if submitters else None,
        "articles_leading_to_tickets": leading[:TOP],
    }
