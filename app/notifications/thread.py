"""Threading headers: every message about one ticket joins one conversation in mail clients.

Each ticket has a stable thread root, ``<ticket.IT-20261201-0001@<sender's domain>>``. The first
message to the requester ("received") carries the root as its own ``Message-ID``; every other
message — to the requester or to agents — gets a unique ``Message-ID`` and points at the root with
``In-Reply-To`` and ``References``. Clients that thread by references (Thunderbird, Apple Mail,
Gmail) group a ticket's mail even when the recipient never got the root; the subject starts with
``[IT-…]`` for clients that group by subject (Outlook).
"""

from __future__ import annotations

import re
import secrets

from flask import current_app

from ..worker.settings import parse_sender

_SAFE = re.compile(r"[^A-Za-z0-9.\-]")


def domain() -> str:
    return parse_sender(current_app.config.get("KB_MAIL_FROM") or "").domain


def thread_root(number: str) -> str:
    return f"<ticket.{_SAFE.sub('', number)}@{domain()}>"


def new_message_id(number: str, kind: str) -> str:
    return f"<ticket.{_SAFE.sub('', number)}.{_SAFE.sub('', kind)}.{secrets.token_hex(8)}@{domain()}>"


def headers_for(number: str, kind: str, *, is_root: bool = False) -> tuple[str, dict[str, str]]:
    """(Message-ID, other headers) for a message about ticket ``number``."""
    root = thread_root(number)
    extra = {"X-KB-Ticket": number, "X-KB-Notification": kind}
    if is_root:
        return root, extra
    return new_message_id(number, kind), {"In-Reply-To": root, "References": root, **extra}
