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
        errors = dict(form.errors)
        status = 200 if step == "edit" else 400
        if "attachments" not in errors:                   # the files are fine: keep them for the next submit
            staged, refused = _keep_files(visit, form, staged)
            if refused is not None:
                errors["attachments"], status = refused.message, refused.status
        return _render_form(visit, form.values, errors, article=article, status=status, staged=staged)
    if step == "check":
        found = suggestions.suggest(
            form.values["subject"], form.values["description"],
            CATEGORIES.get(form.values["category"]), audiences_for(current_role()),
        )
        visits.record_query(visit, found.query, found.slugs)
        session.commit()
        if found.hits:
            staged, refused = _keep_files(visit, form, staged)
            if refused is not None:
                return _render_form(visit, form.values, {"attachments": refused.message}, article=article,
                                    status=refused.status, staged=staged)
            return render_template(
                "requests/check.html", visit=visit, values=form.values, hits=found.hits,
                article=article, staged=staged, categories=CATEGORIES, impacts=IMPACTS,
                urgencies=URGENCIES,
            )
    return _create(visit, form, article, staged)


def _keep_files(visit, form, staged: list[str]):
    """Stage the files this post uploaded beside those already staged, so a form that comes back
    (a field to fix, articles to look at first) loses no attachment: (staged names, None), or
    (the names as they were, :class:`staging.StagingRefused`) over a quota."""
    if not form.files:
        return staged, None
    files = (staging.load(visit.token) if staged else []) + form.files
    try:
        return staging.stage(visit.token, files, request.remote_addr), None
    except staging.StagingRefused as refused:
        return staged, refused


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
        errors = dict(exc.errors)
        if "attachments" not in errors:
            staged, refused = _keep_files(visit, form, staged)
            if refused is not None:
                errors["attachments"] = refused.message
        return _render_form(visit, values, errors, article=article, status=400, staged=staged)
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


# =============================================================================================
# The requester's side of a ticket: 「我的请求」, the ticket page's actions, link recovery.
# GET /requests/<number> itself is ``tickets.view`` (app/views/tickets.py), which renders
# :func:`ticket_page`. Every action is a POST (links in mails only open the page: mail scanners
# follow links) by the requester or the holder of the secret link, through app/tickets/workflow.py.
# =============================================================================================

from ..requests import requester as requester_mod  # noqa: E402
from ..requests.settings import RequesterSettings  # noqa: E402
from ..requests.settings import current as requester_settings  # noqa: E402

mine_bp = Blueprint("my_requests", __name__, url_prefix="/requests")
RATINGS = {5: "非常满意", 4: "满意", 3: "一般", 2: "不满意", 1: "很不满意"}
RECOVER_DEFAULT_LIMITS = {"email": (3, 3600), "address": (20, 3600)}
RECOVER_SENT = ("如果这个邮箱地址提交过服务请求，我们已经把请求链接发到这个邮箱。"
                "几分钟内没有收到，请检查垃圾邮件，或者换一个当时填写的地址再试。")


def _token_arg() -> str | None:
    token = request.form.get("token") or request.args.get("token")
    return token if isinstance(token, str) and token else None


def _link_token(ticket, token):
    """The token to keep in links and forms: only for a viewer who is neither the owner nor staff."""
    from ..visibility import is_ticket_staff, owns_ticket

    if not token or is_ticket_staff(current_user) or owns_ticket(ticket, current_user):
        return None
    return token


def ticket_page(ticket, token=None, *, status: int = 200, errors: dict | None = None,
                values: dict | None = None, focus: str | None = None):
    """The requester's page of ``ticket`` (already access-checked): summary, what was submitted,
    the public conversation, and the actions its state allows."""
    from ..tickets import choices as C
    from ..tickets import present as P
    from ..visibility import can_act_as_requester, is_ticket_staff

    session = get_session()
    link_token = _link_token(ticket, token)
    follow_ups = session.scalars(select(Ticket).where(Ticket.follow_up_of_id == ticket.id).order_by(Ticket.id)).all()
    staff = is_ticket_staff(current_user)
    html = render_template(
        "requests/ticket.html",
        ticket=ticket, C=C, P=P, token=link_token, attachment_token=link_token,
        # what was submitted, as the requester may read it now (an article linked from it may
        # have become internal since): the same rule as the conversation's replies
        description=ticket.description if staff else requester_mod.own_description(
            requester_mod.requester_text(session, ticket.description)),
        entries=requester_mod.conversation(session, ticket),
        submitted_files=[a for a in ticket.attachments if a.event_id is None],
        can_act=can_act_as_requester(ticket, current_user, token),
        staff=staff,
        status_words=requester_mod.status_words(ticket),
        close_words=requester_mod.CLOSE_WORDS.get(ticket.close_reason or "", "") if ticket.status == "closed" else "",
        article=ticket.article if can_view(ticket.article, current_role()) else None,
        follow_ups=follow_ups, original=ticket.follow_up_of,
        errors=errors or {}, values=values or {},
        focus=focus or request.args.get("action"),
        ratings=RATINGS, auto_close=RequesterSettings.describe(requester_settings().auto_close_days),
        accept=request_form.ACCEPT, max_files=request_form.MAX_FILES,
        max_file_mb=request_form.MAX_FILE_BYTES // 1024 // 1024,
    )
    return html, status, {"Cache-Control": "private, no-store"}


def _acting_ticket(number: str):
    """(session, ticket, token) for a requester action; 404 for anyone who may not act on it
    (agents act in the console; everyone else gets the same 404 as for a missing ticket)."""
    from ..tickets.access import find_ticket
    from ..visibility import can_act_as_requester

    session = get_session()
    token = _token_arg()
    ticket = find_ticket(session, number)
    if ticket is None or not can_act_as_requester(ticket, current_user, token):
        abort(404, description="工单不存在，或者您无权查看。")
    return session, ticket, token


def _back(ticket, token, message: str, anchor: str = "conversation"):
    from flask import flash

    flash(message, "success")
    link = _link_token(ticket, token)
    return redirect(url_for("tickets.view", number=ticket.number, token=link) + f"#{anchor}", code=303)


def _commit_or_page(session, ticket, token, values, field, focus=None):
    """Commit the change; a concurrent change (or a refused one) re-renders with the text kept."""
    from sqlalchemy.orm.exc import StaleDataError

    try:
        session.commit()
        return None
    except StaleDataError:
        session.rollback()
        session.expire_all()
        return ticket_page(ticket, token, status=409, values=values, focus=focus, errors={
            field: "服务台刚刚同时更新了这个请求，您的内容还没有提交。请看一下最新的记录，再提交一次。"})


def _refused(ticket, token, exc, values, field, focus=None):
    from ..tickets.workflow import ValidationFailed

    get_session().rollback()
    errors = dict(getattr(exc, "fields", {}) or {}) if isinstance(exc, ValidationFailed) else {}
    errors.setdefault(field, exc.message)
    return ticket_page(ticket, token, status=400 if isinstance(exc, ValidationFailed) else 409,
                       values=values, focus=focus, errors=errors)


@mine_bp.get("/mine")
def mine():
    if not current_user.is_authenticated:
        return render_template("requests/mine.html", mine=None, anonymous=True, C=choices, P=present,
                               words=requester_mod.status_words), 200, {"Cache-Control": "private, no-store"}
    found = requester_mod.my_tickets(get_session(), current_user)
    return render_template("requests/mine.html", mine=found, anonymous=False, C=choices, P=present,
                           words=requester_mod.status_words), 200, {"Cache-Control": "private, no-store"}


@mine_bp.post("/<number>/reply")
def reply(number: str):
    from ..tickets import workflow
    from ..tickets.attachments import AttachmentError

    session, ticket, token = _acting_ticket(number)
    values = {"body": request.form.get("body", "")}
    try:
        workflow.reply(session, ticket, actor=_user(), body=values["body"],
                       files=[f for f in request.files.getlist("attachments") if f and f.filename])
    except AttachmentError as exc:
        session.rollback()
        return ticket_page(ticket, token, status=400, values=values,
                           errors={"attachments": f"{exc} 您的回复还没有提交，文字都还在，请重新选择附件。"})
    except workflow.WorkflowError as exc:
        return _refused(ticket, token, exc, values, "body")
    failed = _commit_or_page(session, ticket, token, values, "body")
    if failed:
        return failed
    reopened = ticket.status == "open" and any(
        e.changes and e.changes.get("status") for e in ticket.events[-1:])
    return _back(ticket, token, "回复已发送，服务台会尽快处理。" + ("请求已重新进入处理。" if reopened else ""))


@mine_bp.post("/<number>/confirm")
def confirm(number: str):
    from ..tickets import workflow

    session, ticket, token = _acting_ticket(number)
    values = {"rating": request.form.get("rating", ""), "comment": request.form.get("comment", "")}
    try:
        workflow.confirm(session, ticket, actor=_user(), solved=True, rating=values["rating"] or None,
                         comment=values["comment"])
    except workflow.WorkflowError as exc:
        return _refused(ticket, token, exc, values, "rating", focus="confirm")
    failed = _commit_or_page(session, ticket, token, values, "rating", focus="confirm")
    if failed:
        return failed
    thanks = "感谢您的确认和评价！" if ticket.csat_rating else "感谢您的确认！也欢迎在下面为这次服务打分。"
    return _back(ticket, token, f"请求已关闭。{thanks}")


@mine_bp.post("/<number>/reopen")
def reopen(number: str):
    from ..tickets import workflow

    session, ticket, token = _acting_ticket(number)
    values = {"reason": request.form.get("reason", "")}
    try:
        workflow.confirm(session, ticket, actor=_user(), solved=False, reason=values["reason"])
    except workflow.WorkflowError as exc:
        return _refused(ticket, token, exc, values, "reason", focus="reopen")
    failed = _commit_or_page(session, ticket, token, values, "reason", focus="reopen")
    if failed:
        return failed
    return _back(ticket, token, "请求已重新打开，服务台会继续处理。")


@mine_bp.post("/<number>/rate")
def rate(number: str):
    from ..tickets import workflow

    session, ticket, token = _acting_ticket(number)
    values = {"rating": request.form.get("rating", ""), "comment": request.form.get("comment", "")}
    if ticket.status != "closed":
        return ticket_page(ticket, token, status=409, values=values, errors={"rating": "请求关闭后才能评价。"})
    try:
        workflow.rate(session, ticket, actor=_user(), rating=values["rating"], comment=values["comment"])
    except workflow.WorkflowError as exc:
        return _refused(ticket, token, exc, values, "rating", focus="rate")
    failed = _commit_or_page(session, ticket, token, values, "rating", focus="rate")
    if failed:
        return failed
    return _back(ticket, token, "感谢您的评价！")


@mine_bp.post("/<number>/withdraw")
def withdraw(number: str):
    from ..tickets import workflow

    session, ticket, token = _acting_ticket(number)
    values = {"withdraw_reason": request.form.get("withdraw_reason", "")}
    try:
        workflow.withdraw(session, ticket, actor=_user(), reason=values["withdraw_reason"])
    except workflow.WorkflowError as exc:
        return _refused(ticket, token, exc, values, "withdraw_reason", focus="withdraw")
    failed = _commit_or_page(session, ticket, token, values, "withdraw_reason", focus="withdraw")
    if failed:
        return failed
    return _back(ticket, token, "请求已撤回。如果以后又需要帮助，随时可以提交新的请求。")


@mine_bp.post("/<number>/follow-up")
def follow_up(number: str):
    from ..tickets.service import TicketValidationError
    from ..tickets.workflow import WorkflowError

    session, ticket, token = _acting_ticket(number)
    values = {"follow_up": request.form.get("description", "")}
    key = request.form.get("idem") or None
    try:
        new = requester_mod.follow_up(
            session, ticket, user=_user(), description=values["follow_up"],
            files=[f for f in request.files.getlist("attachments") if f and f.filename],
            idempotency_key=f"follow-up:{ticket.id}:{key}" if key else None,
            caller=caller_key(flask_session, current_user),
        )
    except WorkflowError as exc:
        return _refused(ticket, token, exc, values, "follow_up", focus="follow-up")
    except TicketValidationError as exc:
        message = exc.errors.get("description") or exc.errors.get("attachments") or next(iter(exc.errors.values()))
        if "description" in exc.errors:
            message = "请写下现在的情况：问题又出现了什么、和上次有什么不同。"
        return ticket_page(ticket, token, status=400, values=values, focus="follow-up",
                           errors={"follow_up": message})
    from flask import flash

    flash(f"已提交后续请求 {new.number}，它关联到 {ticket.number}，服务台会看到之前的处理记录。", "success")
    new_token = new.access_token if new.requester_id is None else None
    return redirect(url_for("tickets.view", number=new.number, token=new_token), code=303)


def _recover_limits() -> dict:
    return {**RECOVER_DEFAULT_LIMITS, **(current_app.config.get("KB_RECOVER_LIMITS") or {})}


def _recover_allowed(email: str) -> bool:
    from .. import ratelimit as windows

    if not windows.enabled():
        return True
    backend = windows.backend("kb-recover")
    limits = _recover_limits()
    for scope, who in (("email", email.lower()), ("address", request.remote_addr or "unknown")):
        limit, window = limits[scope]
        if not backend.hit(windows.key(f"recover_{scope}", who), int(limit), float(window)):
            return False
    return True


@mine_bp.route("/recover", methods=["GET", "POST"])
def recover():
    """「找回我的请求链接」: the same answer whether or not the address has tickets."""
    if request.method == "GET":
        return render_template("requests/recover.html", value=request.args.get("email", "")[:254], error=None,
                               sent=False)
    raw = request.form.get("email", "")
    email = requester_mod.normalize_email(raw)
    if email is None:
        return render_template("requests/recover.html", value=raw[:254], sent=False,
                               error="请填写提交请求时用的邮箱地址，例如 zhangsan@corp.cn。"), 400
    if not _recover_allowed(email):
        return render_template("requests/recover.html", value=email, sent=False,
                               error="请求太频繁了，请一小时后再试。已经发出的邮件可能还在路上，请先检查收件箱和垃圾邮件。"), 429
    session = get_session()
    requester_mod.recover_links(session, email)
    session.commit()
    return render_template("requests/recover.html", value="", sent=True, error=None, message=RECOVER_SENT,
                           email=email)


@mine_bp.errorhandler(RequestEntityTooLarge)
def action_too_large(_exc):
    fields, _names = salvage_fields(request.environ)
    number = (request.view_args or {}).get("number", "")
    from ..tickets.access import find_ticket
    from ..visibility import can_act_as_requester

    session = get_session()
    token = fields.get("token") or request.args.get("token")
    ticket = find_ticket(session, number)
    if ticket is None or not can_act_as_requester(ticket, current_user, token):
        abort(404)
    values = {"body": fields.get("body", ""), "follow_up": fields.get("description", "")}
    limit = _request_limit() // 1024 // 1024
    return ticket_page(ticket, token, status=413, values=values, errors={
        "attachments": f"附件太大：一次提交不能超过 {limit} MB。您写的文字都还在，请换小一点的文件再提交。"})


@mine_bp.errorhandler(CSRFError)
def action_csrf_failed(_exc):
    number = (request.view_args or {}).get("number", "")
    if not number:
        return render_template("requests/recover.html", value=request.form.get("email", "")[:254], sent=False,
                               error="页面停留太久，安全校验已过期，请再提交一次。"), 400
    from ..tickets.access import find_ticket
    from ..visibility import can_act_as_requester

    ticket = find_ticket(get_session(), number)
    token = _token_arg()
    if ticket is None or not can_act_as_requester(ticket, current_user, token):
        abort(404)
    values = {k: request.form.get(k, "") for k in ("body", "rating", "comment", "reason")}
    values["follow_up"] = request.form.get("description", "")
    values["withdraw_reason"] = request.form.get("withdraw_reason", "")
    return ticket_page(ticket, token, status=400, values=values, errors={
        "page": "页面停留太久，安全校验已过期。您写的内容都还在，请检查后再提交一次（附件需要重新选择）。"})
