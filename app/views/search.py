"""The search results page."""

from __future__ import annotations

from flask import Blueprint, render_template, request, session

from ..feedback import searchtrail
from ..models import parse_page
from ..articles.search import MAX_QUERY_CHARS, clip_query
from ..articles.search import search as search_articles
from ..reports.searchlog import log_search

bp = Blueprint("search", __name__)

PER_PAGE = 10


@bp.route("/search")
def results():
    q, truncated = clip_query(request.args.get("q", ""))
    category = request.args.get("category") or None
    page = parse_page(request.args.get("page"))
    found = None
    if q:
        found = search_articles(q, category=category, page=page, per_page=PER_PAGE)
        last = max(1, (found.total + PER_PAGE - 1) // PER_PAGE)
        if page > last:                                   # ?page= past the end: the last page, not an empty one
            found = search_articles(q, category=category, page=last, per_page=PER_PAGE)
        typed_page, page = page, found.page
        searchtrail.remember(session, q, [hit.slug for hit in found.hits])  # the article page's 「转人工处理」
        if typed_page == 1:                               # later pages (even one past the end) are the same search
            log_search(q, found.total, "page", [hit.slug for hit in found.hits])
    pages = ((found.total + PER_PAGE - 1) // PER_PAGE) if found else 0
    return render_template("search.html", q=q, category=category, found=found, page=page, pages=pages,
                           truncated=truncated, max_query=MAX_QUERY_CHARS)
