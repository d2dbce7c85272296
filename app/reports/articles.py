"""Articles (formulas: README.md "Articles").

For every published article the viewer may read (``app/visibility.py``):

* ``views`` — total views (``articles.view_count``; views are counted, not time-stamped, so this
  is all time, not the period); ``version_views`` — views of the current version;
* ``helpful_pct`` — helpful ÷ votes on the current version, in % (None without votes);
* ``health_score`` — the writers' attention score (:func:`app.feedback.health.attention_score`):
  100 × Wilson lower bound of the not-helpful rate + 10 × min(escalations, 5), current version;
* in the period: ``votes``, ``not_helpful`` (votes cast or changed in the period),
  ``escalations`` (「转人工处理」 tickets from the article), ``reuse`` (tickets resolved in the
  period with the article as their solution, ``tickets.resolution_article_id``);
* ``period_views`` — views in the period (``article_views_daily``, one upsert per counted view
  since reports14; ``views_counted_since`` = the first day counted, so a period that starts
  earlier shows only the views from that day on);
* ``stale`` — past its review-by date (:func:`app.writer.review.is_overdue`) on the period's last
  day, or today when the period is not over.

The table lists the articles with anything in the period or a health score above zero, worst
health first; ``stale`` lists every stale article, most overdue first.
"""

from __future__ import annotations

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from ..feedback.health import health_table
from ..models import Article, Feedback, Ticket
from ..visibility import audiences_for
from ..writer import review
from . import rollup
from .period import Period

TOP = 50


def article_metrics(session: Session, period: Period, role: str, tickets_scope) -> dict:
    articles = session.scalars(select(Article).where(
        Article.status == "published", Article.audience.in_(sorted(audiences_for(role))))).all()
    health = {h.article.id: h for h in health_table(session, articles)}
    votes = {aid: (int(n or 0), int(bad or 0), int(esc or 0)) for aid, n, bad, esc in session.execute(
        select(Feedback.article_id, func.count(), func.sum(case((Feedback.helpful.is_(False), 1), else_=0)),
               func.sum(case((Feedback.ticket_id.is_not(None), 1), else_=0)))
        .where(Feedback.updated_at >= period.start, Feedback.updated_at < period.end)
        .group_by(Feedback.article_id))}
    reuse = dict(session.execute(tickets_scope(
        select(Ticket.resolution_article_id, func.count())
        .where(Ticket.resolution_article_id.is_not(None), Ticket.resolved_at >= period.start,
               Ticket.resolved_at < period.end)
        .group_by(Ticket.resolution_article_id))).all())
    period_views, since = rollup.view_counts(session, period)
    today = min(period.last, review.today())  # stale as of the period's last day (or today)
    rows, stale = [], []
    for a in articles:
        h = health[a.id]
        v = votes.get(a.id, (0, 0, 0))
        row = {
            "slug": a.slug, "title": a.title, "category": a.category, "audience": a.audience,
            "views": a.view_count or 0, "version_views": a.version_views or 0,
            "period_views": period_views.get(a.id, 0),
            "helpful_pct": h.helpful_pct, "health_score": h.score,
            "votes": v[0], "not_helpful": v[1], "escalations": v[2], "reuse": int(reuse.get(a.id, 0)),
            "review_by": review.due_date(a).isoformat(), "stale": review.is_overdue(a, today),
        }
        if row["stale"]:
            stale.append(row)
        if v[0] or row["reuse"] or h.score > 0:
            rows.append(row)
    rows.sort(key=lambda r: (-r["health_score"], -r["escalations"], -r["votes"], r["slug"]))
    stale.sort(key=lambda r: (r["review_by"], r["slug"]))
    return {
        "published": len(articles),
        "stale_count": len(stale),
        "views_counted_since": since.isoformat() if since else None,
        "votes": sum(v[0] for aid, v in votes.items() if aid in health),
        "escalations": sum(v[2] for aid, v in votes.items() if aid in health),
        "reuse": sum(int(n) for aid, n in reuse.items() if aid in health),
        "table": rows[:TOP],
        "stale": stale[:TOP],
        "most_viewed": sorted(({k: r[k] for k in ("slug", "title", "views", "period_views", "helpful_pct")}
                               for r in (_row_min(a, health[a.id], period_views) for a in articles)),
                              key=lambda r: (-r["views"], r["slug"]))[:10],
    }


def _row_min(a: Article, h, period_views: dict[int, int]) -> dict:
    return {"slug": a.slug, "title": a.title, "views": a.view_count or 0, "period_views": period_views.get(a.id, 0),
            "helpful_pct": h.helpful_pct}
