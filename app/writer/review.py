"""Review-by dates (ServiceNow's valid-to, Zendesk's verification), derived at read time.

An article's **due date** is its ``review_by`` date, or — when none was set — the date it was
last updated plus ``KB_REVIEW_INTERVAL_DAYS`` (default 365), so a library imported from files
gets review dates without anyone typing them. A published article past its due date is listed
in 「待复核」 for writers and marked 「可能已过时」 for the service desk; reviewing it (「已复核」)
records who and when and sets the next date (default: today + the interval).
"""

from __future__ import annotations

import datetime as dt

from flask import current_app
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from ..models import Article, utcnow

DEFAULT_INTERVAL_DAYS = 365


def interval_days() -> int:
    try:
        days = int(current_app.config.get("KB_REVIEW_INTERVAL_DAYS", DEFAULT_INTERVAL_DAYS))
    except (TypeError, ValueError):
        return DEFAULT_INTERVAL_DAYS
    return days if days > 0 else DEFAULT_INTERVAL_DAYS


def today() -> dt.date:
    """Today in KB_TIMEZONE."""
    from ..tickets.present import local

    return local(utcnow()).date()


def due_date(article: Article) -> dt.date:
    return article.review_by or (article.shown_date + dt.timedelta(days=interval_days()))


def next_due_date(on: dt.date | None = None) -> dt.date:
    return (on or today()) + dt.timedelta(days=interval_days())


def is_overdue(article: Article | None, on: dt.date | None = None) -> bool:
    """Published and past its due date (drafts are not "out of date": nobody reads them)."""
    if article is None or article.status != "published":
        return False
    return due_date(article) <= (on or today())


def overdue_query(audiences, on: dt.date | None = None):
    """Published articles of ``audiences`` past their due date, oldest due first (a select())."""
    on = on or today()
    cutoff = on - dt.timedelta(days=interval_days())
    cutoff_at = dt.datetime.combine(cutoff + dt.timedelta(days=1), dt.time(), tzinfo=dt.timezone.utc)
    due = or_(
        Article.review_by <= on,
        and_(Article.review_by.is_(None), Article.updated <= cutoff),
        and_(Article.review_by.is_(None), Article.updated.is_(None), Article.modified_at < cutoff_at),
    )
    return (
        select(Article)
        .where(Article.status == "published", Article.audience.in_(audiences), due)
        .order_by(Article.review_by.asc().nulls_first(), Article.updated.asc().nulls_first(), Article.title)
    )


def overdue_articles(session: Session, audiences, on: dt.date | None = None, limit: int = 200) -> list[Article]:
    rows = session.scalars(overdue_query(audiences, on).limit(limit)).all()
    on = on or today()
    return [a for a in rows if due_date(a) <= on]  # the SQL is a superset near midnight UTC
