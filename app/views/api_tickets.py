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

from flask import Blueprint, jsonify, request
from flask import session as flask_session
from flask_login import current_user

from ..auth import caller_key
from ..db import get_session
from ..errors import json_error
from ..security import csrf
from ..tickets.access import ticket_or_404
from ..tickets.present import iso, public_history, ticket_json, ticket_url
from ..tickets.service import IdempotencyConflict, TicketValidationError, create_ticket, request_fingerprint
from ..visibility import can_view, current_role

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


@bp.get("/tickets/<number>")
def show(number: str):
    ticket = ticket_or_404(get_session(), number, request.args.get("token"))
    body = ticket_json(ticket)
    if not can_view(ticket.article, current_role()):  # the article became internal, a draft or archived
        body["article"] = None
    body.update(subject=ticket.subject, created_at=iso(ticket.created_at), history=public_history(ticket))
    response = jsonify(body)
    response.headers["Cache-Control"] = "private, no-store"
    return response
