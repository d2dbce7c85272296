"""Canned replies (macros): text with placeholders, managed by admins (``/admin/console/macros``).

Placeholders: ``{{requester}}`` (the requester's name), ``{{number}}`` (ticket number),
``{{subject}}``, ``{{agent}}`` (the agent using it), ``{{category}}``, ``{{priority}}``.
Unknown placeholders are left as typed, so a typo is visible rather than silently empty.
"""

from __future__ import annotations

import re

from .choices import CATEGORIES, label

PLACEHOLDERS = {
    "requester": "提交人姓名",
    "number": "工单号",
    "subject": "工单标题",
    "agent": "当前处理人（您）",
    "category": "问题类别",
    "priority": "优先级",
}
_PLACEHOLDER = re.compile(r"\{\{\s*(\w+)\s*\}\}")
TITLE_MAX = 100
BODY_MAX = 10_000


def values(ticket, agent) -> dict[str, str]:
    requester = ticket.contact_name or (ticket.requester.name if ticket.requester is not None else "") or "您好"
    return {
        "requester": requester,
        "number": ticket.number,
        "subject": ticket.subject,
        "agent": agent.name if agent is not None else "服务台",
        "category": label(CATEGORIES, ticket.category),
        "priority": ticket.priority,
    }


def render(body: str, ticket, agent) -> str:
    known = values(ticket, agent)
    return _PLACEHOLDER.sub(lambda m: known.get(m.group(1), m.group(0)), body or "")


def unknown_placeholders(body: str) -> list[str]:
    return sorted({m.group(1) for m in _PLACEHOLDER.finditer(body or "") if m.group(1) not in PLACEHOLDERS})
