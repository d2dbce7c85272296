"""The JSON API (see INTERFACES.md); errors are ``{"error", "message"}`` with a 4xx code."""

from __future__ import annotations

from urllib.parse import quote

from flask import Blueprint, has_request_context, jsonify, request, url_for

from ..articles.search import clip_query
from ..articles.search import search as search_articles
from ..articles.search import suggest as suggest_articles
from ..models import parse_page
from ..reports.searchlog import log_search
from ..security import csrf
from .portal import load_visible_article

bp = Blueprint("api", __name__, url_prefix="/api")
csrf.exempt(bp)

MAX_LIMIT = 50
RECOVERING = "搜索正在恢复，结果可能不完整，请稍后再试。"



#: (script root, slug) → ``url_for("portal.article", slug=…)``: building the URL through the
#: URL map cost about as much as the rest of a suggestion's JSON (5 hits per keystroke, issue 15)
_URLS: dict[tuple[str, str], str] = {}
_URLS_MAX = 50_000


def article_url(slug: str) -> str:
    """The article's URL, also outside a request (``kb search --json``)."""
    if has_request_context():
        key = (request.script_root, slug)
        url = _URLS.get(key)
        if url is None:
            url = url_for("portal.article", slug=slug)
            if len(_URLS) >= _URLS_MAX:
                _URLS.clear()
            _URLS[key] = url
        return url
    return "/articles/" + quote(slug, safe="/")


def hit_json(hit) -> dict:
    return {
        "slug": hit.slug,
        "title": hit.title,
        "category": hit.category,
        "url": article_url(hit.slug),
        "snippet": hit.snippet,
        "error_codes": list(hit.error_codes),
        "score": round(float(hit.score), 4),
    }


def search_body(query: str, results, truncated: bool = False) -> dict:
    body = {
        "query": query,
        "total": results.total,
        "took_ms": round(results.took_ms, 2),
        "results": [hit_json(h) for h in results.hits],
        "facets": results.facets,
        "did_you_mean": results.did_you_mean,
        "page": results.page,
        # the index is being rebuilt (deleted or damaged): results are from an older snapshot
        # or missing — show 「搜索正在恢复」, never an empty list as if nothing matched
        "recovering": bool(getattr(results, "recovering", False)),
    }
    if truncated:  # only the first MAX_QUERY_CHARS characters were searched
        body["truncated"] = True
    if body["recovering"]:
        body["message"] = RECOVERING
    return body


def _limit(default: int) -> int:
    try:
        return max(1, min(MAX_LIMIT, int(request.args.get("limit", default))))
    except ValueError:
        return default


@bp.get("/search")
def search():
    q, truncated = clip_query(request.args.get("q", ""))
    page = parse_page(request.args.get("page"))
    results = search_articles(
        q, category=request.args.get("category") or None, page=page, per_page=_limit(10)
    )
    if page == 1:
        log_search(q, results.total, "api")
    return jsonify(search_body(q, results, truncated))


@bp.get("/suggest")
def suggest():
    q, truncated = clip_query(request.args.get("q", ""))
    results = suggest_articles(q, limit=_limit(5), category=request.args.get("category") or None)
    return jsonify(search_body(q, results, truncated))


@bp.get("/articles/<path:slug>")
def article(slug: str):
    from ..db import get_session
    from ..visibility import current_role
    from ..writer.present import article_json

    article = load_visible_article(slug)  # 404 JSON from the shared error handler
    response = jsonify(article_json(get_session(), article, current_role()))
    if current_role() != "anonymous" or article.status != "published" or article.audience != "public":
        response.headers["Cache-Control"] = "private, no-store"  # drafts and review data for writers
    return response
