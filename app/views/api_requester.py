"""The requester's calls on a ticket (INTERFACES.md; the console's module has the agents' ones).

* ``POST /api/tickets/<number>/confirm`` ``{"solved": bool, "rating"?: 1..5, "comment"?, "reason"?}``
  → ``200 TICKET``: solved closes it (with the rating); not solved reopens it and needs a
  ``reason`` (``comment`` is taken as the reason when ``reason`` is missing).
* ``POST /api/tickets/<number>/withdraw`` ``{"reason"?}`` → ``200 TICKET`` (closed, 用户撤回).
* ``POST /api/tickets/<number>/rating`` ``{"rating": 1..5, "comment"?}`` → ``200 TICKET``: rate a
  closed ticket afterwards (e.g. one that closed by itself).
* ``POST /api/tickets/<number>/follow-up`` ``{"description", "subject"?}`` → ``201 TICKET``: a new
  ticket linked to the closed one (「仍有问题」); ``Idempotency-Key`` works as for ``POST /api/tickets``.

Callers: the ticket's requester (logged in or Bearer token) or the holder of its secret link
(``?token=``). Anyone else — agents included, who work in the console — gets 404, as for a
missing ticket. Browser sessions send ``X-CSRFToken``; JSON bodies only (415 otherwise).
Refusals: ``409 {"error": "invalid_transition"}`` (e.g. confirming a ticket that is not
resolved), ``400 {"error": "validation_failed", "fields"}``.
"""

from __future__ import annotations

from flask import Blueprint, abort, jsonify, request
from flask import session as flask_session
from flask_login import current_user
from sqlalchemy.orm.exc import StaleDataError

from ..auth import caller_key
from ..db import get_session
from ..errors import json_error
from ..requests import requester as requester_mod
from ..security import csrf
from ..tickets import workflow
from ..tickets.access import find_ticket
from ..tickets.present import ticket_json
from ..tickets.service import IdempotencyConflict, TicketValidationError, request_fingerprint
from ..visibility import can_act_as_requester, can_view, current_role

bp = Blueprint("api_requester", __name__, url_prefix="/api/tickets")
csrf.exempt(bp)  # app/auth.py checks X-CSRFToken for browser sessions on every /api/* write


def _user():
    return current_user._get_current_object() if current_user.is_authenticated else None


def _ticket():
    session = get_session()
    token = request.args.get("token")
    ticket = find_ticket(session, request.view_args.get("number", ""))
    if ticket is None or not can_act_as_requester(ticket, current_user, token):
        abort(json_error(404, "not_found", "工单不存在，或者您无权查看。"))
    return session, ticket


def _body() -> dict:
    if not request.is_json:
        abort(json_error(415, "unsupported_media_type", "请以 JSON 格式提交（Content-Type: application/json）。"))
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        abort(json_error(400, "bad_request", "请求正文必须是一个 JSON 对象。"))
    return data


def _text(data: dict, name: str) -> str:
    value = data.get(name)
    if value is None:
        return ""
    if not isinstance(value, str):
        abort(json_error(400, "validation_failed", f"{name} 必须是字符串。", fields={name: "必须是字符串"}))
    return value


def _answer(ticket, status: int = 200, *, with_token: bool = False):
    body = ticket_json(ticket, with_token=with_token)
    if not can_view(ticket.article, current_role()):
        body["article"] = None
    body.setdefault("csat", {"rating": ticket.csat_rating, "comment": ticket.csat_comment}
                    if ticket.csat_rating else None)
    response = jsonify(body)
    response.status_code = status
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _refused(exc: workflow.WorkflowError):
    get_session().rollback()
    if isinstance(exc, workflow.ValidationFailed):
        return json_error(400, "validation_failed", exc.message, fields=exc.fields)
    if isinstance(exc, workflow.InvalidTransition):
        return json_error(409, "invalid_transition", exc.message)
    return json_error(409, exc.code, exc.message)


def _commit(session, ticket):
    try:
        session.commit()
    except StaleDataError:
        session.rollback()
        return json_error(409, "conflict", "服务台刚刚同时修改了这个工单，您的操作没有保存。请重新获取后再试。")
    return _answer(ticket)


@bp.post("/<number>/confirm")
def confirm(number: str):
    session, ticket = _ticket()
    data = _body()
    solved = data.get("solved")
    if not isinstance(solved, bool):
        return json_error(400, "validation_failed", "solved 必须是 true 或 false。", fields={"solved": "必须是布尔值"})
    rating = data.get("rating")
    if rating is not None and (isinstance(rating, bool) or not isinstance(rating, int)):
        return json_error(400, "validation_failed", "评分是 1 到 5 之间的整数。", fields={"rating": "评分是 1 到 5 之间的整数"})
    comment = _text(data, "comment")
    try:
        if solved:
            workflow.confirm(session, ticket, actor=_user(), solved=True, rating=rating, comment=comment)
        else:
            reason = _text(data, "reason") or comment
            workflow.confirm(session, ticket, actor=_user(), solved=False, reason=reason)
    except workflow.WorkflowError as exc:
        return _refused(exc)
    return _commit(session, ticket)


@bp.post("/<number>/withdraw")
def withdraw(number: str):
    session, ticket = _ticket()
    data = _body()
    try:
        workflow.withdraw(session, ticket, actor=_user(), reason=_text(data, "reason"))
    except workflow.WorkflowError as exc:
        return _refused(exc)
    return _commit(session, ticket)


@bp.post("/<number>/rating")
def rating(number: str):
    session, ticket = _ticket()
    data = _body()
    value = data.get("rating")
    if isinstance(value, bool) or not isinstance(value, int):
        return json_error(400, "validation_failed", "评分是 1 到 5 之间的整数。", fields={"rating": "评分是 1 到 5 之间的整数"})
    if ticket.status != "closed":
        return json_error(409, "invalid_transition", "请求关闭后才能单独评价；已解决的请求请用 confirm 确认并评分。")
    try:
        workflow.rate(session, ticket, actor=_user(), rating=value, comment=_text(data, "comment"))
    except workflow.WorkflowError as exc:
        return _refused(exc)
    return _commit(session, ticket)


@bp.post("/<number>/follow-up")
def follow_up(number: str):
    session, ticket = _ticket()
    data = _body()
    try:
        new = requester_mod.follow_up(
            session, ticket, user=_user(), description=_text(data, "description"),
            subject=_text(data, "subject") or None, source="api",
            idempotency_key=request.headers.get("Idempotency-Key"), caller=caller_key(flask_session, current_user),
            fingerprint=request_fingerprint(data),
        )
    except workflow.WorkflowError as exc:
        return _refused(exc)
    except TicketValidationError as exc:
        return json_error(400, "validation_failed", exc.message, fields=exc.errors)
    except IdempotencyConflict as exc:
        return json_error(422, "idempotency_key_reused", exc.message)
    response = _answer(new, 201, with_token=new.requester_id is None)
    if getattr(new, "replayed", False):
        response.headers["Idempotent-Replayed"] = "true"
    return response
