"""How a ticket is shown: local times, plain explanations, the TICKET JSON of the contract."""

from __future__ import annotations

import datetime as dt
import re

from flask import current_app, url_for
from markupsafe import Markup, escape

from ..models import Ticket
from .choices import PRIORITY_NAMES
from .sla import (
    describe_calendar,
    describe_target,
    policy_from_config,
    timezone_from_config,
    to_local,
)


def local(when: dt.datetime | None) -> dt.datetime | None:
    """``when`` in the configured zone (KB_TIMEZONE)."""
    return to_local(when, timezone_from_config(current_app.config))


def iso(when: dt.datetime | None) -> str | None:
    value = local(when)
    return value.isoformat(timespec="seconds") if value is not None else None


def display_time(when: dt.datetime | None) -> str:
    """E.g. "2026-11-23 10:30（周一）"."""
    value = local(when)
    if value is None:
        return ""
    return f"{value:%Y-%m-%d %H:%M}（周{'一二三四五六日'[value.weekday()]}）"


# A Markdown link ([title](url)), a web address, or a path to an article inside plain text.
_LINKS = re.compile(
    r"\[([^\]\n]{1,300})\]\(\s*((?:https?://|/)[^\s()<>\"']{1,1000})\s*\)"
    r"|(https?://[^\s<>\"'\u3000-\u303f\uff00-\uffef]{1,1000})"
    r"|(?<![\w/.:])(/articles/[^\s<>\"'\u3000-\u303f\uff00-\uffef]{1,500})")
_TRAILING = ".,;:!?)]}'\""


def linkify(text, absolute: bool = False) -> Markup:
    """Plain text (a reply, a description) as HTML with its links clickable: ``[title](url)``
    becomes ``<a>title</a>``, web addresses and ``/articles/…`` paths become links — only
    ``http(s)://`` and same-site paths, everything escaped. ``absolute`` (mails): a path gets
    ``KB_BASE_URL`` in front. Text a requester reads has been through ``requester_text`` first,
    so an internal article's link is already gone."""
    text = "" if text is None else str(text)
    out, pos = [], 0
    for m in _LINKS.finditer(text):
        if m.group(1) is not None:
            label, url, end = m.group(1), m.group(2), m.end()
        else:
            url = m.group(3) or m.group(4)
            trimmed = url.rstrip(_TRAILING)
            end = m.start() + len(trimmed)
            label = url = trimmed
        if not url or url.startswith("//"):
            continue
        out.append(escape(text[pos:m.start()]))
        href = url
        if absolute and url.startswith("/"):
            from ..worker.settings import base_url

            href = base_url(current_app.config).rstrip("/") + url
        out.append(Markup('<a href="{}">{}</a>').format(href, label))
        pos = end
    out.append(escape(text[pos:]))
    return Markup("").join(out)


def file_size(size) -> str:
    """An attachment's size as people read it: 「24 字节」, 「3.5 KB」, 「1.2 MB」 (never 「0.0 KB」)."""
    size = max(0, int(size or 0))
    if size < 1024:
        return f"{size} 字节"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KB"
    return f"{size / 1024 / 1024:.1f} MB"


def priority_explanation(priority: str) -> str:
    """E.g. "P2 · 高 · 2 小时内响应，1 个工作日内解决"."""
    policy = policy_from_config(current_app.config)
    response = describe_target(policy.response[priority], policy.calendar)
    resolve = describe_target(policy.resolve[priority], policy.calendar)
    return f"{priority} · {PRIORITY_NAMES.get(priority, '')} · {response}内响应，{resolve}内解决"


def clock_note(priority: str) -> str:
    policy = policy_from_config(current_app.config)
    if policy.response[priority].clock == "24x7":
        return "紧急请求全天候处理，节假日和夜间同样计时。"
    hours = describe_calendar(policy.calendar).removeprefix("工作时间：")
    return f"时限按工作时间计算：{hours}。非工作时间提交的请求从下一个工作时段开始计时。"


def ticket_url(ticket: Ticket, *, with_token: bool = False, external: bool = False) -> str:
    params = {"token": ticket.access_token} if with_token else {}
    return url_for("tickets.view", number=ticket.number, _external=external, **params)


def ticket_json(ticket: Ticket, *, with_token: bool = False, now: dt.datetime | None = None) -> dict:
    """TICKET exactly as INTERFACES.md defines it (with the console's fields)."""
    from ..models import utcnow
    from .sla import state as sla_state

    return {
        "number": ticket.number,
        "status": ticket.status,
        "priority": ticket.priority,
        "category": ticket.category,
        "impact": ticket.impact,
        "urgency": ticket.urgency,
        "sla_response_due": iso(ticket.sla_response_due),
        "sla_resolve_due": iso(ticket.sla_resolve_due),
        "article": ticket.article.slug if ticket.article is not None else None,
        "url": ticket_url(ticket, with_token=with_token),
        "subject": ticket.subject,
        "created_at": iso(ticket.created_at),
        "updated_at": iso(ticket.updated_at),
        "assignee": ticket.assignee.username if ticket.assignee is not None else None,
        "group": ticket.group.name if ticket.group is not None else None,
        "tier": ticket.tier or 1,
        "version": ticket.version,
        "first_response_at": iso(ticket.first_response_at),
        "resolved_at": iso(ticket.resolved_at),
        "closed_at": iso(ticket.closed_at),
        "close_reason": ticket.close_reason,
        "sla": {
            "state": sla_state(ticket, now or utcnow()),
            "response_due": iso(ticket.sla_response_due),
            "resolve_due": iso(ticket.sla_resolve_due),
        },
        "csat": {"rating": ticket.csat_rating, "comment": ticket.csat_comment} if ticket.csat_rating else None,
    }


def event_json(event) -> dict:
    """EVENT of the contract: {id, kind, created_at, author, public, body, changes?, attachments}."""
    author = event.author
    out = {
        "id": event.id,
        "kind": event.kind,
        "created_at": iso(event.created_at),
        "author": author.username if author is not None else None,
        "public": bool(event.public),
        "body": event.body,
        "attachments": [{"id": a.id, "filename": a.filename, "size": a.size} for a in event.attachments],
    }
    if event.changes:
        out["changes"] = event.changes
    return out


def public_history(ticket: Ticket) -> list[dict]:
    return [
        {"at": iso(e.created_at), "kind": e.kind, "text": e.body}
        for e in ticket.events
        if e.public
    ]
