"""The search results page."""

from __future__ import annotations

from flask import Blueprint, render_template, request, session

from ..feedback import searchtrail
from ..articles.search import MAX_QUERY_CHARS, clip_query
from ..articles.search import search as search_articles
from ..reports.searchlog import log_search

bp = Blueprint("search", __name__)

PER_PAGE = 10


@bp.route("/search")
def results():
    q, truncated = clip_query(request.args.get("q", ""))
    category = request.args.get("category") or None
    try:
        page = max(1, min(1000, int(request.args.get("page", 1))))
    except ValueError:
        page = 1
    found = None
    if q:
        found = search_articles(q, category=category, page=page, per_page=PER_PAGE)
        searchtrail.remember(session, q, [hit.slug for hit in found.hits])  # the article page's 「转人工处理」
        if page == 1:
            log_search(q, found.total, "page", [hit.slug for hit in found.hits])
    pages = ((found.total + PER_PAGE - 1) // PER_PAGE) if found else 0
    return render_template("search.html", q=q, category=category, found=found, page=page, pages=pages,
                           truncated=truncated, max_query=MAX_QUERY_CHARS)
