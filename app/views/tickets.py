"""The requester's pages: ``/requests/<number>`` and its attachments, plus the confirmation
page the request form renders after a successful submit (:func:`confirmation`).

Access: the logged-in requester, anyone with the private link (``?token=``, compared in
constant time), agents and admins. Everyone else — including other requesters and wrong
tokens — gets the same 404 as for a number that does not exist; a visitor who is not logged in
is sent to the login page for the ticket page (the mails link it), whatever the number.
"""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request, send_file
from sqlalchemy import select

from ..db import get_session
from ..models import Article, Attachment
from ..tickets import choices, present
from ..tickets.access import is_ticket_staff, ticket_or_404
from ..tickets.attachments import attachment_path
from flask_login import current_user

from ..visibility import attachment_visible

bp = Blueprint("tickets", __name__)
bp.add_app_template_filter(present.file_size, "filesize")
bp.add_app_template_filter(present.linkify, "linkify")


@bp.record_once
def _check_settings(state) -> None:
    """A wrong KB_PRIORITY_MATRIX / KB_SLA_POLICY / calendar setting stops start-up with a clear message."""
    from ..tickets.priority import matrix_from_config
    from ..tickets.sla import policy_from_config

    matrix_from_config(state.app.config)
    policy_from_config(state.app.config)


def template_context(**extra) -> dict:
    """Everything ticket templates use to show labels, times and explanations."""
    return {"C": choices, "P": present, **extra}


def _articles_by_slug(slugs) -> dict[str, Article]:
    slugs = [s for s in slugs or [] if s]
    if not slugs:
        return {}
    return {a.slug: a for a in get_session().scalars(select(Article).where(Article.slug.in_(slugs)))}


def confirmation(ticket, *, status: int = 201):
    """The page shown right after a ticket was submitted (used by the request form).

    Shows the number, priority with its plain explanation and the expected response time; for
    an anonymous requester also the private link, with a note to keep it.
    """
    private_link = present.ticket_url(ticket, with_token=True, external=True) if ticket.requester_id is None else None
    html = render_template("tickets/confirmation.html", **template_context(ticket=ticket, private_link=private_link))
    return html, status, {"Cache-Control": "no-store"}


@bp.get("/requests/<number>")
def view(number: str):
    """The requester's page (app/views/requests.py renders it with its actions)."""
    from .requests import ticket_page

    token = request.args.get("token")
    return ticket_page(ticket_or_404(get_session(), number, token, ask_login=True), token)


def _owner_or_staff(ticket) -> bool:
    from flask_login import current_user

    if is_ticket_staff():
        return True
    return current_user.is_authenticated and ticket.requester_id == current_user.id


@bp.get("/requests/<number>/attachments/<int:attachment_id>")
def attachment(number: str, attachment_id: int):
    session = get_session()
    ticket = ticket_or_404(session, number, request.args.get("token"))
    row = session.get(Attachment, attachment_id)
    if row is None or row.ticket_id != ticket.id or not attachment_visible(row, current_user):
        abort(404)  # an internal note's attachment is as invisible as the note
    path = attachment_path(row)
    if not path.is_file():
        abort(404)
    response = send_file(
        path,
        mimetype=row.content_type,
        as_attachment=True,
        download_name=row.filename,
        max_age=0,
        conditional=True,
    )
    response.headers["Content-Type"] = row.content_type  # as stored: send_file would add a second charset
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
