"""The request form ``/requests/new``: live suggestions, deflection, and the ticket at the end.

Steps (the same URL, ``step`` in the form):

* ``GET`` — a new form visit token (``app/requests/visits.py``) in the page and the session; no
  database write (the visit row starts at the first interaction, and reading the form never
  depends on a write succeeding); ``?q=`` fills the title, ``?article=<slug>`` links the
  request to that article.
* ``POST step=submit`` — sent by the page's script (the visitor already saw live suggestions):
  the ticket is created at once.
* ``POST step=check`` — without JavaScript: the server searches and, if anything matches,
  shows the articles with 「这解决了我的问题」 and 「仍然提交」; the typed text travels in hidden
  fields and the attachments wait on the server (``app/requests/staging.py``) until
* ``POST step=confirm`` — creates the ticket. ``step=edit`` goes back to the filled-in form.

One ticket per visit: the idempotency key is derived from the visit token, so a double click
or a browser retry returns the first ticket.

A database that refuses writes (disk full, read-only) never loses what was typed: the form
comes back filled in with 「系统暂时无法保存，请稍后再试」 (HTTP 503).
"""

from __future__ import annotations

import logging

from flask import (
    Blueprint,
    abort,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask import (
    session as flask_session,
)
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from werkzeug.exceptions import RequestEntityTooLarge

from ..requests import form as request_form
from ..requests import staging, suggestions, visits
from ..auth import caller_key
from ..db import get_session
from ..errors import UNAVAILABLE, json_error
from ..requests.form_salvage import salvage_fields
from ..models import Article, Ticket
from ..security import csrf
from ..tickets import choices, present
from ..tickets.choices import (
    CATEGORIES,
    IMPACT_HINTS,
    IMPACTS,
    URGENCIES,
    URGENCY_HINTS,
)
from ..visibility import audiences_for, can_view, current_role
from .portal import ARTICLE_NOT_FOUND

log = logging.getLogger("app.requests")

bp = Blueprint("requests", __name__, url_prefix="/requests/new")
api_bp = Blueprint("visits_api", __name__, url_prefix="/api/visits")
csrf.exempt(api_bp)  # token-bound instead: the visit token must be one this session opened

SUBMITTED_KEY = "kb_submitted_tickets"
MAX_EVENT_BYTES = 8 * 1024


# --- helpers ------------------------------------------------------------------------------


def _anonymous() -> bool:
    return not current_user.is_authenticated


def _user():
    return current_user._get_current_object() if current_user.is_authenticated else None


def _user_id() -> int | None:
    return current_user.id if current_user.is_authenticated else None


def _visible_article(slug: str | None) -> Article | None:
    if not slug or len(slug) > 300 or "\x00" in slug:  # PostgreSQL refuses NUL in a query
        return None
    article = get_session().scalar(select(Article).where(Article.slug == slug))
    return article if can_view(article, current_role()) else None


def _category_key(label: str | None) -> str:
    for key, name in CATEGORIES.items():
        if name == label:
            return key
    return ""


def _own_visit(token: str | None):
    """The visit for ``token`` if this browser session opened it (started now if this is its
    first interaction; never for a known bot), else None.  A ``PendingVisit`` (token only)
    when the database refuses the write: the visitor's path never depends on statistics."""
    create = not visits.is_bot(request.headers.get("User-Agent"))
    session = get_session()
    try:
        visit = visits.materialize(session, flask_session, token, _user_id(), create=create)
        if visit is not None and create:
            session.commit()
        return visit
    except SQLAlchemyError as exc:
        session.rollback()
        log.warning("form visit not started: %s", exc)
        return visits.PendingVisit(token) if visits.session_owns(flask_session, token) else None


def _save(visit, record) -> None:
    """Record an interaction with ``record(visit)`` and commit; a write the database refuses
    is logged and forgotten (statistics never break the visitor's path)."""
    if visit is None or isinstance(visit, visits.PendingVisit):
        return
    session = get_session()
    try:
        record(visit)
        session.commit()
    except SQLAlchemyError as exc:
        session.rollback()
        log.warning("form visit %s: interaction not recorded: %s", visit.token[:8], exc)


def _visit_for_post():
    """The visit named by the form, or a new one (an expired session must not lose the request)."""
    session = get_session()
    token = request.form.get("visit", "")
    visit = visits.materialize(session, flask_session, token, _user_id())
    if visit is None:
        visit = visits.find_visit(session, token)
        if visit is not None and visit.user_id not in (None, _user_id()):
            visit = None  # someone else's visit: start afresh
    if visit is None:
        visit = visits.start_visit(session, _user_id())
    session.commit()
    visits.remember_token(flask_session, visit.token)
    return visit


def _visit_or_pending(token: str | None):
    """For re-showing the form after an error: the visit, or (when the database refuses to
    write one) a token only — the typed text matters more than the statistics."""
    session = get_session()
    try:
        visit = visits.materialize(session, flask_session, token, _user_id())
        if visit is None:
            visit = visits.start_visit(session, _user_id())
        session.commit()
        visits.remember_token(flask_session, visit.token)
        return visit
    except SQLAlchemyError as exc:
        session.rollback()
        log.warning("form visit not saved: %s", exc)
        if token and visits.session_owns(flask_session, token):
            return visits.PendingVisit(token)
        return visits.open_visit(flask_session)


def _unavailable(exc: Exception):
    """The database refused the write: the form again, filled in, with the reason (503)."""
    log.error("request form not saved: %s", exc)
    get_session().rollback()
    token = request.form.get("visit", "")
    visit = visits.PendingVisit(token) if visits.session_owns(flask_session, token) else visits.open_visit(flask_session)
    values = request_form.read_values(request.form)
    staged = staging.staged_names(visit.token)
    response = _render_form(visit, values, {}, article=_visible_article(request.form.get("article")),
                            status=503, top_error=UNAVAILABLE, staged=staged)
    return response


def _request_limit() -> int:
    return current_app.config.get("MAX_CONTENT_LENGTH") or 25 * 1024 * 1024


def _default_values(q: str = "", article: Article | None = None) -> dict:
    values = dict.fromkeys(request_form.FIELDS, "")
    values["subject"] = request_form.clean_text(q)[: request_form.MAX_SUBJECT]
    if article is not None:
        if not values["subject"]:
            values["subject"] = f"文章《{article.title}》没有解决我的问题"[: request_form.MAX_SUBJECT]
        values["category"] = _category_key(article.category)
    if current_user.is_authenticated:
        values["contact_name"] = current_user.name or ""
        values["contact_email"] = current_user.email or ""
    return values


def _render_form(visit, values: dict, errors: dict | None = None, *, article=None, status=200,
                 top_error: str | None = None, staged: list[str] | None = None):
    errors = errors or {}
    return (
        render_template(
            "requests/form.html",
            visit=visit,
            values=values,
            errors=errors,
            top_error=top_error,
            article=article,
            staged=staged or [],
            categories=CATEGORIES,
            impacts=IMPACTS,
            urgencies=URGENCIES,
            impact_hints=IMPACT_HINTS,
            urgency_hints=URGENCY_HINTS,
            anonymous=_anonymous(),
            accept=request_form.ACCEPT,
            max_file_mb=request_form.MAX_FILE_BYTES // 1024 // 1024,
            max_files=request_form.MAX_FILES,
            max_request_mb=_request_limit() // 1024 // 1024,
        ),
        status,
    )


# --- the form -----------------------------------------------------------------------------


@bp.get("")
def new():
    article = _visible_article(request.args.get("article"))
    q = request.args.get("q", "")
    visit = visits.open_visit(flask_session, q)
    return _render_form(visit, _default_values(q, article), article=article)


@bp.post("")
def submit():
    try:
        return _submit()
    except IntegrityError:
        raise
    except SQLAlchemyError as exc:
        return _unavailable(exc)


def _submit():
    session = get_session()
    visit = _visit_for_post()
    step = request.form.get("step", "check")
    article = _visible_article(request.form.get("article"))
    staged = staging.staged_names(visit.token)
    if visit.ticket_id is not None:  # a repeated submit of a visit that already made its ticket
        ticket = session.get(Ticket, visit.ticket_id)
        if ticket is not None:
            return _to_confirmation(ticket)
    form = request_form.check(
        request.form, request.files.getlist("attachments"), user=_user(), staged=staged
    )
    if step == "edit" or not form.ok:
        return _render_form(visit, form.values, form.errors, article=article,
                            status=200 if step == "edit" else 400, staged=staged)
    if step == "check":
        found = suggestions.suggest(
            form.values["subject"], form.values["description"],
            CATEGORIES.get(form.values["category"]), audiences_for(current_role()),
        )
        visits.record_query(visit, found.query, found.slugs)
        session.commit()
        if found.hits:
            if form.files:
                try:
                    staged = staging.stage(visit.token, form.files, request.remote_addr)
                except staging.StagingRefused as refused:
                    return _render_form(visit, form.values, {"attachments": refused.message}, article=article,
                                        status=refused.status, staged=staged)
            return render_template(
                "requests/check.html", visit=visit, values=form.values, hits=found.hits,
                article=article, staged=staged, categories=CATEGORIES, impacts=IMPACTS,
                urgencies=URGENCIES,
            )
    return _create(visit, form, article, staged)


def _create(visit, form, article, staged: list[str]):
    """Create the ticket (with its attachments, all or nothing) and go to the confirmation."""
    from ..tickets.service import TicketValidationError, create_ticket

    session = get_session()
    files = (staging.load(visit.token) if staged else []) + form.files
    data = form.ticket_data()
    data["shown_articles"] = list(visit.shown or [])
    data["opened_articles"] = list(visit.opened or [])
    data["search_text"] = visits.last_query(visit)
    try:
        ticket = create_ticket(
            session, data, user=_user(), source="portal",
            idempotency_key=f"form-visit:{visit.token}", caller=caller_key(flask_session, current_user),
            article=article, visit=visit, files=files,
        )
    except TicketValidationError as exc:
        values = {**form.values, **{k: v for k, v in exc.values.items() if k in form.values and isinstance(v, str)}}
        return _render_form(visit, values, dict(exc.errors), article=article, status=400, staged=staged)
    staging.discard(visit.token)
    return _to_confirmation(ticket)


def _to_confirmation(ticket: Ticket):
    numbers = [n for n in flask_session.get(SUBMITTED_KEY, []) if n != ticket.number]
    flask_session[SUBMITTED_KEY] = (numbers + [ticket.number])[-20:]
    return redirect(url_for("requests.submitted", number=ticket.number), code=303)


@bp.get("/submitted/<number>")
def submitted(number: str):
    session = get_session()
    ticket = session.scalar(select(Ticket).where(Ticket.number == number))
    own = ticket is not None and (
        number in flask_session.get(SUBMITTED_KEY, [])
        or (current_user.is_authenticated and ticket.requester_id == current_user.id)
    )
    if not own:
        abort(404)
    # Anonymous requesters: the link with its secret is their only way back to the ticket.
    private_link = present.ticket_url(ticket, with_token=True, external=True) if ticket.requester_id is None else None
    return render_template(
        "tickets/confirmation.html", ticket=ticket, C=choices, P=present, private_link=private_link
    )


# --- 「这解决了我的问题」 and opening suggestions without JavaScript ---------------------------------


@bp.post("/solved")
def solved():
    visit = _own_visit(request.form.get("visit"))
    slug = request.form.get("article_slug", "")
    article = _visible_article(slug)
    if visit is None:
        abort(404)
    _save(visit, lambda v: visits.record_solved(v, article.slug if article else None))
    staging.discard(visit.token)
    return redirect(url_for("requests.thanks", article=article.slug if article else None), code=303)


@bp.get("/thanks")
def thanks():
    article = _visible_article(request.args.get("article"))
    return render_template("requests/thanks.html", article=article)


@bp.get("/open/<token>/<path:slug>")
def open_article(token: str, slug: str):
    article = _visible_article(slug)
    if article is None:
        abort(404)
    _save(_own_visit(token), lambda v: visits.record_opened(v, article.slug))
    return redirect(url_for("portal.article", slug=article.slug))


# --- errors on this form: keep what was typed ---------------------------------------------


@bp.errorhandler(RequestEntityTooLarge)
def too_large(_exc):
    fields, filenames = salvage_fields(request.environ)
    visit = _visit_or_pending(fields.get("visit", ""))
    values = request_form.read_values(fields)
    names = "、".join(f"“{n[:60]}”" for n in filenames[:3]) or "附件"
    limit = _request_limit() // 1024 // 1024
    errors = {"attachments": f"{names}太大了：一次最多上传 {limit} MB（单个附件不超过 "
              f"{request_form.MAX_FILE_BYTES // 1024 // 1024} MB）。请压缩或截取关键部分后重新选择附件，其他内容已为您保留。"}
    return _render_form(visit, values, errors, article=_visible_article(fields.get("article")), status=413)


@bp.errorhandler(CSRFError)
def csrf_failed(_exc):
    visit = _visit_or_pending(request.form.get("visit", ""))
    values = request_form.read_values(request.form)
    message = "页面停留太久，安全校验已过期。您填写的内容都还在，请检查后重新提交（附件需要重新选择）。"
    return _render_form(visit, values, {}, article=_visible_article(request.form.get("article")),
                        status=400, top_error=message)


# --- JSON: suggestions and events for one visit -------------------------------------------



def _api_visit(token: str):
    visit = _own_visit(token)
    if visit is None:
        return None, json_error(404, "not_found", "表单访问已失效，请刷新页面。")
    if (request.content_length or 0) > MAX_EVENT_BYTES:
        return None, json_error(413, "too_large", "请求内容太长。")
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return None, json_error(400, "bad_request", "请求内容应为 JSON 对象。")
    return (visit, body), None


@api_bp.post("/<token>/suggest")
def api_suggest(token: str):
    """Suggestions for the form's current text; records the text searched and what was shown."""
    found, error = _api_visit(token)
    if error:
        return error
    visit, body = found

    def text(name):
        value = body.get(name)
        return value if isinstance(value, str) else ""

    category = CATEGORIES.get(text("category"))
    result = suggestions.suggest(
        text("subject")[:1000], text("description")[:2000], category, audiences_for(current_role()),
        limit=5,
    )
    if suggestions.long_enough(result.query):  # searched: kept even when nothing matched
        _save(visit, lambda v: visits.record_query(v, result.query, result.slugs))
    from .api import hit_json

    return jsonify(
        query=result.query,
        total=len(result.hits),
        took_ms=round(result.took_ms, 2),
        results=[
            {**hit_json(h), "open_url": url_for("requests.open_article", token=visit.token, slug=h.slug)}
            for h in result.hits
        ],
    )


EVENT_TYPES = ("opened", "solved")


@api_bp.post("/<token>/events")
def api_event(token: str):
    """``{"type": "opened"|"solved", "slug": "..."}`` → ``{"ok": true}`` (+ ``redirect`` for solved)."""
    found, error = _api_visit(token)
    if error:
        return error
    visit, body = found
    kind = body.get("type")
    if kind not in EVENT_TYPES:
        return json_error(400, "bad_request", "未知的事件类型。")
    slug = body.get("slug") if isinstance(body.get("slug"), str) else None
    article = _visible_article(slug)
    if article is None:
        return json_error(404, "not_found", ARTICLE_NOT_FOUND)
    if kind == "opened":
        _save(visit, lambda v: visits.record_opened(v, article.slug))
        return jsonify(ok=True)
    _save(visit, lambda v: visits.record_solved(v, article.slug))
    staging.discard(visit.token)
    return jsonify(ok=True, redirect=url_for("requests.thanks", article=article.slug))
