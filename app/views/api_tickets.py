"""``POST /api/tickets`` and ``GET /api/tickets/<number>`` (INTERFACES.md).

* ``POST`` takes a JSON object (``Content-Type: application/json`` is required, which also
  keeps other sites from creating tickets with a logged-in user's cookie). Category, impact
  and urgency accept the keys or their Chinese labels. ``201`` with TICKET; for an anonymous
  caller ``url`` carries the private ``?token=`` (shown only in this response).
  Bad input: ``400 {"error": "validation_failed", "message", "fields": {field: message}}``.
* ``Idempotency-Key`` header: a repeat with the same key and the same body from the same
  caller (the same logged-in user or token, or the same anonymous browser session — keep the
  session cookie) answers ``201`` with the first response's body and the header
  ``Idempotent-Replayed: true``; no second ticket is created. The same key with another body
  answers ``422 {"error": "idempotency_key_reused"}``. Keys never cross callers, so a replay
  can only return the caller's own ticket (and its secret link only to the one who made it).
  Use a random key (a UUID) per logical request.
* ``GET`` answers TICKET plus ``subject``, ``created_at`` and ``history`` (public entries)
  for the requester (logged in, or ``?token=``), agents and admins; ``404`` for anyone else.
"""

from __future__ import annotations

from flask import Blueprint, abort, jsonify, request
from flask import session as flask_session
from flask_login import current_user

from ..auth import caller_key
from ..db import get_session
from ..errors import json_error
from ..security import csrf
from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from ..console import queue
from ..models import AgentGroup, Article, User, utcnow
from ..tickets import workflow
from ..tickets.access import find_ticket, ticket_or_404
from ..tickets.present import event_json, iso, public_history, ticket_json, ticket_url
from ..tickets.workflow import InvalidTransition, ValidationFailed, VersionConflict, WorkflowError
from ..tickets.service import IdempotencyConflict, TicketValidationError, create_ticket, request_fingerprint
from ..visibility import can_act_as_requester, can_view, current_role, is_ticket_staff, visible_events

bp = Blueprint("api_tickets", __name__, url_prefix="/api")
csrf.exempt(bp)


@bp.post("/tickets")
def create():
    if not request.is_json:
        return json_error(415, "unsupported_media_type", "请以 JSON 格式提交（Content-Type: application/json）。")
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        return json_error(400, "bad_request", "请求正文必须是一个 JSON 对象。")
    user = current_user if current_user.is_authenticated else None
    try:
        ticket = create_ticket(
            get_session(),
            data,
            user=user._get_current_object() if user is not None else None,
            source="api",
            idempotency_key=request.headers.get("Idempotency-Key"),
            caller=caller_key(flask_session, current_user),
            fingerprint=request_fingerprint(data),
        )
    except TicketValidationError as exc:
        return json_error(400, "validation_failed", exc.message, fields=exc.errors)
    except IdempotencyConflict as exc:
        return json_error(422, "idempotency_key_reused", exc.message)
    response = jsonify(ticket_json(ticket, with_token=ticket.requester_id is None))
    response.status_code = 201
    if getattr(ticket, "replayed", False):
        response.headers["Idempotent-Replayed"] = "true"
    response.headers["Location"] = ticket_url(ticket)
    response.headers["Cache-Control"] = "no-store"
    return response


def _ticket_body(ticket, user) -> dict:
    body = ticket_json(ticket)
    if not can_view(ticket.article, current_role()):  # the article became internal, a draft or archived
        body["article"] = None
    return body


def _no_store(response, status: int = 200):
    response.status_code = status
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/tickets/<number>")
def show(number: str):
    ticket = ticket_or_404(get_session(), number, request.args.get("token"))
    body = _ticket_body(ticket, current_user)
    body.update(subject=ticket.subject, description=ticket.description or "", created_at=iso(ticket.created_at),
                history=public_history(ticket), events=[event_json(e) for e in visible_events(ticket, current_user)])
    if not is_ticket_staff(current_user):  # no links to internal articles in what requesters read
        from ..requests.requester import own_description, requester_text

        session = get_session()
        for item, key in [*((h, "text") for h in body["history"]), *((e, "body") for e in body["events"])]:
            item[key] = requester_text(session, item[key])
        body["description"] = own_description(requester_text(session, body["description"]))   # as their page shows it
    return _no_store(jsonify(body))


# --- The console's API (agents; GET /api/tickets also for requesters: their own) -------------


def _user():
    return current_user._get_current_object() if current_user.is_authenticated else None


def _staff_ticket(number: str):
    """The ticket for an agent/admin caller; 404 for anyone else (nothing is revealed)."""
    session = get_session()
    ticket = find_ticket(session, number)
    if ticket is None or not is_ticket_staff(current_user):
        abort(404, description="工单不存在，或者您无权查看。")
    return session, ticket


def _json_body():
    if not request.is_json:
        abort(json_error(415, "unsupported_media_type", "请以 JSON 格式提交（Content-Type: application/json）。"))
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        abort(json_error(400, "bad_request", "请求正文必须是一个 JSON 对象。"))
    return data


def _workflow_error(exc: WorkflowError):
    session = get_session()
    session.rollback()
    if isinstance(exc, VersionConflict):
        return json_error(409, "conflict", exc.message, current_version=exc.current,
                          changes=[event_json(e) for e in exc.events])
    if isinstance(exc, InvalidTransition):
        return json_error(409, "invalid_transition", exc.message)
    if isinstance(exc, ValidationFailed):
        return json_error(400, "validation_failed", exc.message, fields=exc.fields)
    return json_error(409, exc.code, exc.message)


def _stale():
    get_session().rollback()
    return json_error(409, "conflict", "别人刚刚同时修改了这个工单，您的修改没有保存。请重新加载后再试。")


def _commit_and_answer(session, ticket, status: int = 200):
    try:
        session.commit()
    except StaleDataError:
        return _stale()
    return _no_store(jsonify(_ticket_body(ticket, current_user)), status)


@bp.get("/tickets")
def list_tickets():
    if not current_user.is_authenticated:
        return json_error(401, "unauthorized", "请先登录，或使用 Authorization: Bearer 令牌。")
    session = get_session()
    filters = queue.parse_filters(request.args, session, check_names=is_ticket_staff(current_user))
    if filters.errors:
        return json_error(400, "validation_failed", "筛选条件有误。", fields=filters.errors)
    try:
        page = int(request.args.get("page") or 1)
        per_page = int(request.args.get("per_page") or queue.PER_PAGE)
    except ValueError:
        return json_error(400, "validation_failed", "page 和 per_page 必须是整数。",
                          fields={"page": "必须是整数"})
    view = request.args.get("view") or "all"
    if view not in queue.VIEWS:
        return json_error(400, "validation_failed", f"未知的视图「{view[:40]}」。", fields={"view": "未知的视图"})
    if not is_ticket_staff(current_user):
        view = "all"
    now = utcnow()
    result = queue.fetch(session, _user(), view=view, filters=filters, page=page, per_page=per_page, now=now)
    return _no_store(jsonify({
        "total": result.total, "page": result.page, "pages": result.pages, "per_page": result.per_page,
        "results": [_ticket_body(t, current_user) for t in result.tickets],
    }))


@bp.patch("/tickets/<number>")
def patch(number: str):
    session, ticket = _staff_ticket(number)
    data = _json_body()
    known = {"status", "assignee", "group", "category", "impact", "urgency", "version", "reason"}
    unknown = sorted(set(data) - known)
    if unknown:
        return json_error(400, "validation_failed", f"不认识的字段：{', '.join(unknown)}。",
                          fields={k: "不认识的字段" for k in unknown})
    actor = _user()
    try:
        workflow.check_version(ticket, data.get("version"))
        reason = data.get("reason") or ""
        if any(k in data for k in ("category", "impact", "urgency")):
            workflow.classify(session, ticket, actor=actor, category=data.get("category"), impact=data.get("impact"),
                              urgency=data.get("urgency"), reason=reason)
        if "assignee" in data or "group" in data:
            assignee, group = "keep", "keep"
            if "assignee" in data:
                assignee = _resolve_assignee(session, data["assignee"], actor)
            if "group" in data:
                group = _resolve_group(session, data["group"])
            workflow.assign(session, ticket, actor=actor, assignee=assignee, group=group)
        if data.get("status"):
            workflow.change_status(session, ticket, str(data["status"]), actor=actor, reason=reason,
                                   note_required=False)    # INTERFACES.md: {"status": "resolved"} alone is a resolve
    except WorkflowError as exc:
        return _workflow_error(exc)
    return _commit_and_answer(session, ticket)


def _resolve_assignee(session, value, actor):
    if value in (None, "", "none"):
        return None
    if value == "me":
        return actor
    user = session.scalar(select(User).where(User.username == str(value)))
    if user is None:
        raise ValidationFailed(f"没有用户名为「{str(value)[:40]}」的账号。", {"assignee": "没有这个账号"})
    return user


def _resolve_group(session, value):
    if value in (None, "", "none"):
        return None
    group = session.scalar(select(AgentGroup).where(AgentGroup.name == str(value)))
    if group is None:
        raise ValidationFailed(f"没有名为「{str(value)[:40]}」的组。", {"group": "没有这个组"})
    return group


@bp.post("/tickets/<number>/replies")
def replies(number: str):
    session = get_session()
    token = request.args.get("token")
    ticket = ticket_or_404(session, number, token)
    data = _json_body()
    staff = is_ticket_staff(current_user)
    internal = data.get("internal", False)
    if not isinstance(internal, bool):
        return json_error(400, "validation_failed", "internal 必须是 true 或 false。", fields={"internal": "必须是布尔值"})
    if internal and not staff:
        return json_error(403, "forbidden", "只有服务台可以写内部备注。")
    if not staff and not can_act_as_requester(ticket, current_user, token):
        abort(404)
    status = data.get("status") if staff else None
    try:
        workflow.check_version(ticket, data.get("version"))
        event = workflow.reply(session, ticket, actor=_user(), body=data.get("body"), internal=internal,
                               status=status or None)
        session.commit()
    except WorkflowError as exc:
        return _workflow_error(exc)
    except StaleDataError:
        return _stale()
    response = jsonify(event_json(event))
    return _no_store(response, 201)


@bp.post("/tickets/<number>/escalate")
def escalate(number: str):
    session, ticket = _staff_ticket(number)
    data = _json_body()
    try:
        workflow.check_version(ticket, data.get("version"))
        group = _resolve_group(session, data["group"]) if data.get("group") else None
        workflow.escalate(session, ticket, actor=_user(), reason=data.get("reason"), group=group)
    except WorkflowError as exc:
        return _workflow_error(exc)
    return _commit_and_answer(session, ticket)


@bp.post("/tickets/<number>/resolve")
def resolve(number: str):
    session, ticket = _staff_ticket(number)
    data = _json_body()
    article = None
    if data.get("article"):
        article = session.scalar(select(Article).where(Article.slug == str(data["article"])))
        if article is None or not can_view(article, current_role()):
            return json_error(400, "validation_failed", "找不到这篇文章。", fields={"article": "找不到这篇文章"})
    try:
        workflow.check_version(ticket, data.get("version"))
        workflow.resolve(session, ticket, actor=_user(), body=data.get("body") or "", article=article)
    except WorkflowError as exc:
        return _workflow_error(exc)
    return _commit_and_answer(session, ticket)
