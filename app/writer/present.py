"""How articles and revisions are shown: the ARTICLE JSON of the contract, labels, times."""

from __future__ import annotations

from sqlalchemy.orm import Session

from ..articles.rendering import render_markdown
from ..models import Article, ArticleRevision
from ..visibility import can_see_review_marks, can_write_articles
from . import review, workflow


def when(value) -> str:
    """A stored time in KB_TIMEZONE, e.g. "2026-12-02 10:30"."""
    from ..tickets.present import local

    value = local(value)
    return value.strftime("%Y-%m-%d %H:%M") if value is not None else ""


def iso(value) -> str | None:
    from ..tickets.present import iso as ticket_iso

    return ticket_iso(value)


def author_name(user) -> str:
    return user.name if user is not None else "文件导入"


def revision_json(rev: ArticleRevision, article: Article) -> dict:
    return {
        "number": rev.number,
        "created_at": iso(rev.created_at),
        "author": rev.author.username if rev.author is not None else None,
        "note": rev.note,
        "origin": rev.origin,
        "restored_from": rev.restored_from,
        "title": rev.title,
        "published": article.status == "published" and rev.number == article.published_revision,
        "in_review": rev.number == article.review_revision,
    }


def article_json(session: Session, article: Article, role: str) -> dict:
    """ARTICLE (INTERFACES.md): the reader's view plus ``status`` and ``revision``.

    Readers get the published revision's number. Writers and admins get the newest revision
    (the ``base_revision`` a PUT must name) with the Markdown ``body``, the workflow ``state``,
    the review date and, when a newer revision is not published yet, a ``draft`` object.
    """
    from ..feedback.votes import counts

    helpful, not_helpful = counts(session, article)
    body = {
        "slug": article.slug,
        "title": article.title,
        "category": article.category,
        "tags": list(article.tags or []),
        "error_codes": list(article.error_codes or []),
        "audience": article.audience,
        "updated": article.shown_date.isoformat(),
        "html": render_markdown(article.body).html,
        "helpful": helpful,
        "not_helpful": not_helpful,
        "status": article.status,
        "revision": article.published_revision or article.revision,
    }
    if can_see_review_marks(role):
        body["review_due"] = review.due_date(article).isoformat()
        body["outdated"] = review.is_overdue(article)
    if can_write_articles(role):
        body.update(
            revision=article.revision,
            published_revision=article.published_revision if article.status == "published" else None,
            state=workflow.working_state(article),
            body=article.body,
            review_by=article.review_by.isoformat() if article.review_by else None,
            draft=None,
        )
        if workflow.has_pending_changes(article):
            newest = workflow.head(session, article)
            body["draft"] = {
                "revision": newest.number, "state": workflow.working_state(article), "title": newest.title,
                "category": newest.category, "tags": list(newest.tags or []),
                "error_codes": list(newest.error_codes or []), "audience": newest.audience, "body": newest.body,
                "html": render_markdown(newest.body).html, "created_at": iso(newest.created_at),
                "author": newest.author.username if newest.author is not None else None,
            }
    return body
