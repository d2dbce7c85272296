"""The writers' workspace ``/writer/``: which articles fail readers, and why.

* ``/writer/`` — 「需要关注」 (articles ordered by the attention score of
  ``app/feedback/health.py``) and the health of every article.
* ``/writer/articles/<slug>`` — one article's health: views, helpful %, not-helpful votes by
  reason with comments, tickets escalated from it, its fix task.

Writers, agents and admins only: an anonymous visitor is sent to the login page, a requester
gets 404 (the workspace does not exist for them). Each staff role sees only articles it may
read (agents: no drafts).
"""

from __future__ import annotations

from functools import wraps
from pathlib import Path

from flask import Blueprint, abort, current_app, render_template
from flask_login import current_user
from sqlalchemy import select

from ..auth import login_manager
from ..db import get_session
from ..feedback import health
from ..feedback.votes import REASONS
from ..models import Article
from ..tickets.choices import STATUS_SHORT
from ..visibility import audiences_for, can_see_drafts, can_view, current_role

bp = Blueprint("writer", __name__, url_prefix="/writer")

WORKSPACE_ROLES = ("writer", "agent", "admin")


def workspace_required(view):
    @wraps(view)
    def wrapped(*args, **kwargs):
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        if current_user.role not in WORKSPACE_ROLES:
            abort(404)
        return view(*args, **kwargs)

    return wrapped


def _visible_articles(role: str):
    statuses = ("published", "draft") if can_see_drafts(role) else ("published",)
    return get_session().scalars(
        select(Article)
        .where(Article.status.in_(statuses), Article.audience.in_(audiences_for(role)))
        .order_by(Article.category, Article.title)
    ).all()


def _fmt(when) -> str:
    from ..tickets.present import local

    value = local(when)
    return value.strftime("%Y-%m-%d %H:%M") if value is not None else ""


@bp.get("/")
@workspace_required
def index():
    session = get_session()
    articles = _visible_articles(current_role())
    table = health.health_table(session, articles)
    attention = sorted((h for h in table if h.score > 0),
                       key=lambda h: (-h.score, -h.not_helpful, -h.views, h.article.title))
    return render_template("writer/index.html", attention=attention, table=table, reasons=REASONS), 200, {
        "Cache-Control": "private, no-store"}


def _library_path(path: str | None) -> str | None:
    """The article's file relative to the library folder (the server's layout is nobody's business)."""
    if not path:
        return None
    root = Path(current_app.config["KB_ARTICLES_DIR"])
    try:
        return Path(path).relative_to(root).as_posix()
    except ValueError:
        return Path(path).name


@bp.get("/articles/<path:slug>")
@workspace_required
def article(slug: str):
    session = get_session()
    article = session.scalar(select(Article).where(Article.slug == slug))
    if not can_view(article, current_role()):
        abort(404)
    h = health.health_for(session, article)
    tasks = health.fix_tasks(session, article)
    task_feedback = {t.id: health.task_feedback(session, t) for t in tasks[:5]}
    return render_template(
        "writer/article.html",
        article=article,
        h=h,
        reasons=REASONS,
        entries=health.not_helpful_entries(session, article),
        tickets=health.escalated_tickets(session, article),
        tasks=tasks,
        task_feedback=task_feedback,
        can_open_tickets=current_user.role in ("agent", "admin"),
        source_file=_library_path(article.source_path),
        statuses=STATUS_SHORT,
        fmt=_fmt,
    ), 200, {"Cache-Control": "private, no-store"}
