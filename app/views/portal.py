"""Browsing: home page, categories and articles."""

from __future__ import annotations

import logging

from flask import Blueprint, abort, render_template
from flask import session as flask_session
from sqlalchemy import func, select, update
from sqlalchemy.exc import SQLAlchemyError

from ..db import get_session
from ..models import Article
from ..articles.rendering import render_markdown
from ..reports.searchlog import count_click, count_view_per_day
from ..visibility import audiences_for, can_view, current_role

bp = Blueprint("portal", __name__)
log = logging.getLogger("app.portal")

CATEGORY_ORDER = (
    "账号与密码",
    "VPN 与远程访问",
    "网络与 Wi-Fi",
    "邮件与日历",
    "打印与外设",
    "软件安装与授权",
    "电脑与系统",
    "信息安全",
    "协作与会议",
)


def visible_articles(role: str):
    """Published articles this role may read, as a select()."""
    return select(Article).where(
        Article.status == "published", Article.audience.in_(audiences_for(role))
    )


def category_counts(role: str) -> list[tuple[str, int]]:
    q = (
        select(Article.category, func.count())
        .where(Article.status == "published", Article.audience.in_(audiences_for(role)))
        .group_by(Article.category)
    )
    counts = dict(get_session().execute(q).all())
    ordered = [(c, counts.pop(c)) for c in CATEGORY_ORDER if c in counts]
    return ordered + sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))


@bp.get("/favicon.ico")
def favicon():
    """Browsers and tools that ask for /favicon.ico get the site's icon (pages link the SVG)."""
    from flask import current_app

    response = current_app.send_static_file("favicon.svg")
    response.headers["Cache-Control"] = "public, max-age=86400"
    return response


@bp.route("/")
def home():
    role = current_role()
    session = get_session()
    recent = session.scalars(
        visible_articles(role).order_by(Article.updated.desc().nulls_last(), Article.modified_at.desc()).limit(8)
    ).all()
    return render_template("home.html", categories=category_counts(role), recent=recent)


@bp.route("/categories/<path:name>")
def category(name: str):
    role = current_role()
    articles = get_session().scalars(
        visible_articles(role).where(Article.category == name).order_by(Article.title)
    ).all()
    if not articles:
        abort(404)
    return render_template("category.html", name=name, articles=articles)


ARTICLE_NOT_FOUND = "文章不存在或您无权查看。"


def load_visible_article(slug: str) -> Article:
    """The article at ``slug`` if the current user may read it, else 404 (never 403: no leaks)."""
    article = get_session().scalar(select(Article).where(Article.slug == slug))
    if not can_view(article, current_role()):
        abort(404, description=ARTICLE_NOT_FOUND)
    return article


@bp.route("/articles/<path:slug>")
def article(slug: str):
    article = load_visible_article(slug)
    count_view(article)
    rendered = render_markdown(article.body)
    return render_template(
        "article.html", article=article, rendered=rendered, related=related_articles(article)
    )


def count_view(article: Article) -> None:
    """Add one to the article's view counters — a nicety: reading never depends on it (a full
    disk or a read-only database must not turn the article page into an error)."""
    session = get_session()
    try:
        session.execute(update(Article).where(Article.id == article.id).values(
            view_count=Article.view_count + 1, version_views=Article.version_views + 1
        ))
        count_click(session, flask_session, article.slug)  # opened from the last search's results
        count_view_per_day(session, article.id)  # the reports' views of a period (app/reports/rollup.py)
        session.commit()
    except SQLAlchemyError as exc:
        session.rollback()
        log.warning("view of %s not counted: %s", article.slug, exc)


def related_articles(article: Article, limit: int = 5) -> list:
    """Search for the article's own title and tags; same visibility as the reader."""
    from ..articles.search import search as search_articles

    query = " ".join([article.title, *(article.tags or [])])
    try:
        results = search_articles(query, per_page=limit + 1)
    except Exception:  # related links are a nicety; never fail the article page for them
        return []
    return [hit for hit in results.hits if hit.slug != article.slug][:limit]
