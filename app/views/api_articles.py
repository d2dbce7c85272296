"""Writing articles over HTTP (INTERFACES.md): writers and admins, by session or API token.

* ``POST /api/articles`` ``{"title", "body", "category", "tags"?, "error_codes"?, "audience"?,
  "slug"?, "review_by"?, "note"?}`` → ``201 ARTICLE`` (a draft, revision 1).
* ``PUT /api/articles/<slug>`` ``{…, "base_revision": n}`` → ``200 ARTICLE`` with the new
  revision (fields left out keep the newest revision's value); a stale ``base_revision`` →
  ``409 {"error": "conflict", "current_revision": n}`` and nothing is saved.
* ``POST /api/articles/<slug>/publish`` ``{"revision"?: n}`` → ``200 ARTICLE`` (published), or
  ``202 ARTICLE`` when ``KB_REQUIRE_REVIEW`` turns it into a review request.
* ``GET /api/articles/<slug>/revisions`` → ``{"slug", "revision", "published_revision",
  "state", "revisions": [REVISION]}`` newest first; ``GET …/revisions/<n>`` one with its body.
* ``POST /api/articles/<slug>/review`` ``{"action": "approve"|"return", "comment"?}`` and
  ``POST /api/articles/<slug>/archive``.

Anonymous → 401, other roles → 403 (before the slug is looked at: nothing is learned).
Writes need ``Content-Type: application/json`` and, with a session cookie, the CSRF token
(``X-CSRFToken``); a request authenticated by ``Authorization: Bearer`` needs no CSRF token
(a browser never sends that header across sites without a CORS preflight we do not allow).
Errors are ``{"error", "message"}``; validation errors add ``"fields"``.
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, jsonify, request, url_for
from flask_login import current_user
from sqlalchemy import select

from ..db import get_session
from ..errors import json_error
from ..models import Article, parse_id
from ..security import csrf
from ..visibility import can_write_articles, current_role
from ..writer import workflow
from ..writer.content import ContentError, validate
from ..writer.present import article_json, revision_json

bp = Blueprint("api_articles", __name__, url_prefix="/api")
csrf.exempt(bp)  # session writes: app/auth.py checks X-CSRFToken for all of /api/*; tokens need none

WRITES = ("POST", "PUT", "PATCH", "DELETE")


@bp.before_request
def _writers_only():
    if not current_user.is_authenticated:
        return json_error(401, "unauthorized", "请先登录，或使用 API 令牌（Authorization: Bearer …）。")
    if not can_write_articles(current_role()):
        return json_error(403, "forbidden", "只有写作者和管理员可以编写文章。")
    if request.method in WRITES:
        if not request.is_json:
            return json_error(415, "unsupported_media_type", "请以 JSON 格式提交（Content-Type: application/json）。")
        # CSRF for session writes is checked for all of /api/* in app/auth.py (_api_csrf).
    return None


def _body() -> dict:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        abort(400, description="请求正文必须是一个 JSON 对象。")
    return data


def _article(slug: str) -> Article:
    article = get_session().scalar(select(Article).where(Article.slug == slug))
    if article is None:
        abort(404, description="文章不存在。")
    return article


def _answer(article: Article, status: int = 200):
    response = jsonify(article_json(get_session(), article, current_role()))
    response.status_code = status
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _refused(exc: workflow.WorkflowError, article: Article | None = None):
    extra = {}
    if isinstance(exc, workflow.Conflict) or exc.code == "conflict":
        extra["current_revision"] = exc.current.number if isinstance(exc, workflow.Conflict) else article.revision
    return json_error(exc.status, exc.code, exc.message, **extra)


def _invalid(exc: ContentError):
    return json_error(400, "validation_failed", exc.message, fields=exc.errors)


def _user():
    return current_user._get_current_object()


@bp.post("/articles")
def create():
    session = get_session()
    try:
        sub = validate(_body(), new=True)
        article = workflow.create(session, sub, user=_user(), origin="api")
    except ContentError as exc:
        return _invalid(exc)
    except workflow.WorkflowError as exc:
        session.rollback()
        return _refused(exc)
    session.commit()
    response = _answer(article, 201)
    response.headers["Location"] = url_for("api.article", slug=article.slug)
    return response


@bp.put("/articles/<path:slug>")
def update(slug: str):
    session = get_session()
    article = _article(slug)
    data = _body()
    base = data.get("base_revision")
    if isinstance(base, str):       # "3" as well as 3; not "²"
        base = parse_id(base)
    if isinstance(base, bool) or not isinstance(base, int):
        return json_error(400, "base_revision_required",
                          "请在 base_revision 中写明您修改所依据的版本号（GET /api/articles/<slug> 的 revision）。")
    try:
        sub = validate(data, base=workflow.head_content(session, article))
        workflow.save(session, article, sub, base_revision=base, user=_user(), origin="api")
    except ContentError as exc:
        return _invalid(exc)
    except workflow.WorkflowError as exc:
        session.rollback()
        return _refused(exc, article)
    session.commit()
    return _answer(article)


@bp.post("/articles/<path:slug>/publish")
def publish(slug: str):
    data = request.get_json(silent=True)
    data = data if isinstance(data, dict) else {}
    number = data.get("revision")
    if number is not None and (isinstance(number, bool) or not isinstance(number, int)):
        return json_error(400, "bad_request", "revision 应为版本号（整数）。")

    def run(session, article):
        if workflow.working_state(article) == "published" and number in (None, article.revision):
            return _answer(article)  # nothing new to publish: already what readers see
        return workflow.publish(session, article, user=_user(), number=number,
                                comment=str(data.get("comment") or "")[:2000])

    return _act(slug, run, lambda result: 200 if result == "published" else 202)


def _act(slug: str, action, status_for=lambda result: 200):
    """Run a workflow action on the article; its refusal, or the ARTICLE afterwards."""
    session = get_session()
    article = _article(slug)
    try:
        result = action(session, article)
    except workflow.WorkflowError as exc:
        session.rollback()
        return _refused(exc, article)
    if isinstance(result, Response):
        return result
    workflow.commit_and_index(session, article)
    return _answer(article, status_for(result))


@bp.post("/articles/<path:slug>/review")
def review(slug: str):
    data = _body()
    comment = str(data.get("comment") or "")[:2000]

    def run(session, article):
        if data.get("action") == "approve":
            return workflow.approve(session, article, user=_user(), number=data.get("revision"), comment=comment)
        if data.get("action") == "return":
            return workflow.send_back(session, article, user=_user(), comment=comment)
        return json_error(400, "bad_request", "action 只能是 approve（审核通过并发布）或 return（退回修改）。")

    return _act(slug, run)


@bp.post("/articles/<path:slug>/archive")
def archive(slug: str):
    return _act(slug, lambda session, article: workflow.archive(session, article, user=_user()))


@bp.get("/articles/<path:slug>/revisions")
def revisions(slug: str):
    session = get_session()
    article = _article(slug)
    body = {
        "slug": article.slug,
        "revision": article.revision,
        "published_revision": article.published_revision if article.status == "published" else None,
        "state": workflow.working_state(article),
        "revisions": [revision_json(r, article) for r in workflow.revisions(session, article)],
    }
    response = jsonify(body)
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/articles/<path:slug>/revisions/<int:number>")
def revision(slug: str, number: int):
    session = get_session()
    article = _article(slug)
    row = workflow.revision(session, article, number)
    if row is None:
        abort(404, description=f"没有第 {number} 版。")
    body = revision_json(row, article)
    body.update(category=row.category, tags=list(row.tags or []), error_codes=list(row.error_codes or []),
                audience=row.audience, body=row.body)
    response = jsonify(body)
    response.headers["Cache-Control"] = "private, no-store"
    return response
