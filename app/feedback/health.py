"""Article health: how an article is doing, for writers and agents.

Everything is judged on the article's **current version** (votes cast on it, escalations
from it, ``version_views``); a new version starts clean. Tickets escalated from the article
are listed for all versions (open / resolved), since agents still work on them.

Attention score (the 「需要关注」 list, highest first)::

    score = 100 × wilson_lower(not_helpful, votes) + 10 × min(escalations, 5)

* ``wilson_lower`` is the lower bound of the 95 % Wilson score interval (z = 1.96) of the
  not-helpful rate. It is small when there are few votes — 1 of 1 not helpful gives 20.7,
  5 of 5 gives 56.6, 20 of 20 gives 83.9, 10 of 40 gives 14.2 — so one grumpy vote does not
  outrank an article many people found useless.
* ``escalations`` counts readers who escalated this version to a person (「转人工处理」): each
  is a confirmed failure worth 10 points, at most 50, so escalations lift an article but
  votes still decide among articles with many escalations.

An article is listed when its score is above zero (at least one not-helpful vote or one
escalation on the current version). Ties: more not-helpful votes first, then more views.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Iterable

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from ..models import Article, Feedback, FixTask, Ticket
from .votes import REASONS

Z = 1.96
ESCALATION_POINTS = 10.0
ESCALATION_CAP = 5
OPEN_TICKET_STATUSES = ("new", "open", "pending")
RESOLVED_TICKET_STATUSES = ("resolved", "closed")


def wilson_lower(k: int, n: int, z: float = Z) -> float:
    """Lower bound of the Wilson score interval for k successes in n trials (0 when n = 0)."""
    if n <= 0:
        return 0.0
    p = k / n
    z2 = z * z
    centre = p + z2 / (2 * n)
    margin = z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n))
    return max(0.0, (centre - margin) / (1 + z2 / n))


def attention_score(not_helpful: int, votes: int, escalations: int) -> float:
    return round(100 * wilson_lower(not_helpful, votes) + ESCALATION_POINTS * min(escalations, ESCALATION_CAP), 1)


@dataclass
class ArticleHealth:
    article: Article
    helpful: int = 0
    not_helpful: int = 0
    reasons: dict[str, int] = field(default_factory=lambda: {r: 0 for r in REASONS})
    escalations: int = 0  # readers who escalated the current version
    tickets_open: int = 0  # tickets escalated from the article (all versions)
    tickets_resolved: int = 0
    fix_task: FixTask | None = None

    @property
    def votes(self) -> int:
        return self.helpful + self.not_helpful

    @property
    def views(self) -> int:
        return self.article.version_views or 0

    @property
    def total_views(self) -> int:
        return self.article.view_count or 0

    @property
    def helpful_pct(self) -> int | None:
        return round(100 * self.helpful / self.votes) if self.votes else None

    @property
    def last_updated(self) -> dt.date:
        return self.article.shown_date

    @property
    def score(self) -> float:
        return attention_score(self.not_helpful, self.votes, self.escalations)


def health_table(session: Session, articles: Iterable[Article]) -> list[ArticleHealth]:
    """Health of ``articles`` in a handful of queries (not one per article)."""
    rows = {a.id: ArticleHealth(article=a) for a in articles}
    if not rows:
        return []
    ids = list(rows)
    current = and_(Feedback.article_id == Article.id, Feedback.article_version == Article.version)
    votes = session.execute(
        select(
            Feedback.article_id,
            func.sum(case((Feedback.helpful.is_(True), 1), else_=0)),
            func.sum(case((Feedback.helpful.is_(False), 1), else_=0)),
            func.sum(case((Feedback.ticket_id.is_not(None), 1), else_=0)),
        )
        .join(Article, current)
        .where(Feedback.article_id.in_(ids))
        .group_by(Feedback.article_id)
    ).all()
    for article_id, helpful, not_helpful, escalations in votes:
        h = rows[article_id]
        h.helpful, h.not_helpful, h.escalations = int(helpful or 0), int(not_helpful or 0), int(escalations or 0)
    reasons = session.execute(
        select(Feedback.article_id, Feedback.reason, func.count())
        .join(Article, current)
        .where(Feedback.article_id.in_(ids), Feedback.helpful.is_(False), Feedback.reason.is_not(None))
        .group_by(Feedback.article_id, Feedback.reason)
    ).all()
    for article_id, reason, n in reasons:
        if reason in rows[article_id].reasons:
            rows[article_id].reasons[reason] = int(n)
    tickets = session.execute(
        select(Ticket.article_id, Ticket.status, func.count())
        .where(Ticket.article_id.in_(ids), Ticket.source == "article_feedback")
        .group_by(Ticket.article_id, Ticket.status)
    ).all()
    for article_id, status, n in tickets:
        if status in RESOLVED_TICKET_STATUSES:
            rows[article_id].tickets_resolved += int(n)
        else:
            rows[article_id].tickets_open += int(n)
    tasks = session.scalars(
        select(FixTask).where(FixTask.article_id.in_(ids), FixTask.status == "open").order_by(FixTask.id)
    ).all()
    for task in tasks:
        rows[task.article_id].fix_task = task
    return list(rows.values())


def health_for(session: Session, article: Article) -> ArticleHealth:
    return health_table(session, [article])[0]


def attention_list(session: Session, articles: Iterable[Article], limit: int | None = None) -> list[ArticleHealth]:
    """Articles that need a writer's attention, most urgent first (see the module docstring)."""
    table = [h for h in health_table(session, articles) if h.score > 0]
    table.sort(key=lambda h: (-h.score, -h.not_helpful, -h.views, h.article.title))
    return table[:limit] if limit else table


@dataclass
class FeedbackEntry:
    feedback: Feedback
    ticket: Ticket | None

    @property
    def reason_label(self) -> str:
        return REASONS.get(self.feedback.reason or "", "")


def not_helpful_entries(session: Session, article: Article, limit: int = 200) -> list[FeedbackEntry]:
    """Not-helpful votes on the current version, newest first, with their tickets."""
    rows = session.execute(
        select(Feedback, Ticket)
        .outerjoin(Ticket, Ticket.id == Feedback.ticket_id)
        .where(
            Feedback.article_id == article.id,
            Feedback.article_version == article.version,
            Feedback.helpful.is_(False),
        )
        .order_by(Feedback.updated_at.desc(), Feedback.id.desc())
        .limit(limit)
    ).all()
    return [FeedbackEntry(feedback=f, ticket=t) for f, t in rows]


def escalated_tickets(session: Session, article: Article, limit: int = 100) -> list[Ticket]:
    return list(
        session.scalars(
            select(Ticket)
            .where(Ticket.article_id == article.id, Ticket.source == "article_feedback")
            .order_by(Ticket.created_at.desc(), Ticket.id.desc())
            .limit(limit)
        )
    )


def fix_tasks(session: Session, article: Article) -> list[FixTask]:
    return list(session.scalars(select(FixTask).where(FixTask.article_id == article.id).order_by(FixTask.id.desc())))


def task_feedback(session: Session, task: FixTask) -> list[Feedback]:
    return list(
        session.scalars(select(Feedback).where(Feedback.fix_task_id == task.id).order_by(Feedback.updated_at.desc()))
    )
