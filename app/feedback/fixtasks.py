"""Fix tasks: one open task per failing article for its writers.

An escalation (a 没有帮助 / 没有解决我的问题 vote turned into a ticket) opens the article's fix
task, or adds to the one already open; later 没有帮助 votes with a reason on the same version
join the open task too, so the writer sees every reason and comment in one place
(``Feedback.fix_task_id``). Publishing a new version of the article (``kb sync`` bumps
``Article.version``) closes the task with ``closed_by_version`` — the article is then judged
afresh on the new version.
"""

from __future__ import annotations

from typing import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import Article, Feedback, FixTask, utcnow


def open_task(session: Session, article: Article) -> FixTask | None:
    return session.scalar(
        select(FixTask).where(FixTask.article_id == article.id, FixTask.status == "open").order_by(FixTask.id.desc())
    )


def open_or_add(session: Session, article: Article, feedback: Feedback) -> FixTask:
    """The article's one open fix task (created if none), with ``feedback`` linked to it."""
    # Serialise concurrent escalations on the same article (PostgreSQL row lock; SQLite has
    # one writer at a time anyway) so two of them cannot both create a task.
    session.execute(select(Article.id).where(Article.id == article.id).with_for_update())
    task = open_task(session, article)
    if task is not None and task.article_version < article.version:
        _close(task, article.version)  # a version slipped past close_for_new_versions
        task = None
    if task is None:
        task = FixTask(article_id=article.id, article_version=article.version, status="open", opened_at=utcnow())
        session.add(task)
        session.flush()
    feedback.fix_task_id = task.id
    session.flush()
    return task


def join_open_task(session: Session, article: Article, feedback: Feedback) -> FixTask | None:
    """Link a not-helpful vote with a reason to the article's open task, if there is one."""
    if feedback.helpful or not feedback.reason:
        return None
    task = open_task(session, article)
    if task is None or task.article_version != article.version:
        return None
    feedback.fix_task_id = task.id
    return task


def _close(task: FixTask, version: int) -> None:
    task.status = "closed"
    task.closed_at = utcnow()
    task.closed_by_version = version


def close_for_new_versions(session: Session, articles: Iterable[Article] | None = None) -> int:
    """Close open tasks whose article has moved past the task's version; how many closed."""
    query = select(FixTask, Article).join(Article, Article.id == FixTask.article_id).where(FixTask.status == "open")
    if articles is not None:
        ids = [a.id for a in articles if a.id is not None]
        if not ids:
            return 0
        query = query.where(FixTask.article_id.in_(ids))
    closed = 0
    for task, article in session.execute(query).all():
        if article.version > task.article_version:
            _close(task, article.version)
            closed += 1
    return closed
