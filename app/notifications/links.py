"""Absolute links for e-mails, always from ``KB_BASE_URL`` (never from the request's Host).

Built with the app's own URL map, so a link is right wherever it is composed: in a request,
in ``kb worker`` or in a test, and under a sub-path (``https://corp.cn/helpdesk``).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app

from ..worker.settings import base_url


def absolute(endpoint: str, **values) -> str:
    parts = urlsplit(base_url(current_app.config))
    adapter = current_app.url_map.bind(parts.netloc, script_name=parts.path or "/", url_scheme=parts.scheme)
    return adapter.build(endpoint, values, force_external=True)


def requester_ticket(ticket, *, token: bool, **params) -> str:
    """The requester's page for ``ticket``; with the secret ``?token=`` for anonymous requesters."""
    query = {"token": ticket.access_token} if token else {}
    return absolute("tickets.view", number=ticket.number, **query, **params)


def agent_ticket(ticket) -> str:
    return absolute("agent.ticket", number=ticket.number)


def article(slug: str) -> str:
    return absolute("portal.article", slug=slug)


def portal_home() -> str:
    return absolute("portal.home")
