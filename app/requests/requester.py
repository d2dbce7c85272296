"""The requester's side of a ticket: 「我的请求」, the public conversation, follow-ups, link recovery.

Pages (``app/views/requests.py``) and the API (``app/views/api_requester.py``) call these; every
change to a ticket itself goes through :mod:`app.tickets.workflow` (reply, confirm, rate,
withdraw), so its notifications are queued in the same transaction.

What a requester sees of a ticket is decided in :mod:`app.visibility` (public events only);
:func:`conversation` shapes those events for the page and :func:`requester_text` removes links
to articles an anonymous reader could not open (an agent may paste a link to an internal
article into a public reply: the requester gets neither its address nor its title).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from urllib.parse import unquote

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..models import Article, Ticket, User
from ..tickets.choices import STATUSES
from ..visibility import can_view, is_ticket_staff, ticket_list_scope, visible_events

OPEN_STATUSES = ("new", "open", "pending", "resolved")
MINE_LIMIT = 200  # per list on 「我的请求」
RECOVER_LIMIT = 30  # tickets listed in one recovery mail
# Requester-facing words for what happened (the agents' timeline has its own).
KIND_WORDS = {
    "created": "提交了请求",
    "reply": "回复",
    "status": "状态变化",
    "resolved": "已解决",
    "reopened": "重新打开",
    "closed": "已关闭",
    "confirmed": "确认已解决",
    "withdrawn": "撤回了请求",
    "auto_closed": "自动关闭",
    "rated": "评价",
    "follow_up": "后续请求",
}
SYSTEM_KINDS = frozenset({"auto_closed", "sla_breached", "follow_up"})
HIDDEN_LINK = "〔内部资料，不对外提供〕"

# A Markdown link to an article, or a bare article address (absolute, or a path).
_ARTICLE_URL = r"(?:https?://[^\s/()<>\"'，。]+)?(?:/[\w\-.~%]+)*?/articles/([\w\-.~%/]+[\w\-~%])"
_MD_LINK = re.compile(r"\[([^\]\n]{0,300})\]\(\s*(" + _ARTICLE_URL + r")\s*\)")
_BARE = re.compile(_ARTICLE_URL)


# --- What the requester reads -----------------------------------------------------------------


def _hidden_slugs(session: Session, slugs: set[str]) -> set[str]:
    """Of ``slugs``, those naming an article an anonymous reader may not open."""
    if not slugs:
        return set()
    rows = {a.slug: a for a in session.scalars(select(Article).where(Article.slug.in_(sorted(slugs))))}
    return {s for s in slugs if s in rows and not can_view(rows[s], "anonymous")}


def requester_text(session: Session, text: str | None) -> str:
    """``text`` with every link to a non-public article (and a Markdown link's title) replaced."""
    if not text or "/articles/" not in text:
        return text or ""
    slugs = {unquote(m.group(1)).strip("/") for m in _BARE.finditer(text)}
    hidden = _hidden_slugs(session, slugs)
    if not hidden:
        return text

    def md(match: re.Match) -> str:
        return HIDDEN_LINK if unquote(match.group(3)).strip("/") in hidden else match.group(0)

    def bare(match: re.Match) -> str:
        return HIDDEN_LINK if unquote(match.group(1)).strip("/") in hidden else match.group(0)

    return _BARE.sub(bare, _MD_LINK.sub(md, text))


@dataclass
class Entry:
    """One entry of the public conversation as the requester's page shows it."""

    id: int
    kind: str
    words: str
    at: dt.datetime
    who: str
    mine: bool
    staff: bool
    body: str
    attachments: list = field(default_factory=list)


def _own_words() -> tuple[tuple[str, str], ...]:
    """The desk's wording of what the requester did (workflow's texts: 「用户确认问题已解决，评分 4」)
    → how the requester's own page shows it under 「您 · 确认已解决」: without the third person."""
    from ..tickets.workflow import CLOSE_REASON_TEXT, NOT_SOLVED_TEXT

    confirmed, withdrawn = CLOSE_REASON_TEXT["confirmed"], CLOSE_REASON_TEXT["withdrawn"]
    return ((confirmed + "，", ""), (confirmed, ""), (NOT_SOLVED_TEXT, "问题没有解决："),
            (withdrawn + "：", "撤回原因："), (withdrawn, ""))


_FEEDBACK_SOURCE = re.compile(r"（(?:https?://[^\s，）]*)?/articles/[^\s，）]*，第 \d+ 版）")


def own_description(text: str) -> str:
    """A ticket's description as its requester reads it: the note an escalation from an article
    appends for the desk (escalation.feedback_note) without its address-and-version detail and in
    the second person (「您搜索的内容」)."""
    from ..feedback.escalation import OPINION_LABEL, SEARCHED_LABEL

    text = _FEEDBACK_SOURCE.sub("", text or "")
    return text.replace("\n" + SEARCHED_LABEL, "\n您搜索的内容：").replace("\n" + OPINION_LABEL, "\n您对文章的意见：")


def _as_own_words(body: str) -> str:
    for desk, own in _own_words():
        if body.startswith(desk):
            rest = body[len(desk):]
            if rest.startswith("评分 "):
                rest = f"评分：{rest[3:]} 分"
            return own + rest
    return body


def conversation(session: Session, ticket: Ticket, viewer=None) -> list[Entry]:
    """The public events of ``ticket`` (never notes, never internal changes), oldest first.
    ``viewer`` only decides whether an entry reads 「您」."""
    entries = []
    requester_id = ticket.requester_id
    for event in visible_events(ticket, "anonymous"):  # the requester's view, whoever looks
        author: User | None = event.author
        staff = author is not None and is_ticket_staff(author)
        if staff:
            who, mine = f"服务台 · {author.name}", False
        elif event.kind in SYSTEM_KINDS or (author is None and event.kind not in ("created", "reply", "confirmed",
                                                                                  "withdrawn", "rated")):
            who, mine = "系统", False
        else:
            mine = author is None or author.id == requester_id
            who = "您" if mine else (author.name if author is not None else "提交人")
        body = requester_text(session, event.body)
        if mine:
            body = _as_own_words(body)
        entries.append(Entry(
            id=event.id, kind=event.kind, words=KIND_WORDS.get(event.kind, event.kind),
            at=event.created_at, who=who, mine=mine, staff=staff,
            body=body,
            attachments=[a for a in event.attachments],
        ))
    return entries


# --- 「我的请求」 -------------------------------------------------------------------------------


@dataclass
class MyTickets:
    open: list[Ticket]
    closed: list[Ticket]
    closed_total: int


def my_tickets(session: Session, user) -> MyTickets:
    """``user``'s own tickets: the open ones (waiting for them first, then most recently
    updated) and the most recently closed."""
    base = ticket_list_scope(select(Ticket), user, Ticket)
    waiting_first = (Ticket.status.in_(("pending", "resolved"))).desc()
    open_rows = session.scalars(
        base.where(Ticket.status.in_(OPEN_STATUSES))
        .order_by(waiting_first, Ticket.updated_at.desc(), Ticket.id.desc()).limit(MINE_LIMIT)
    ).all()
    closed_q = base.where(Ticket.status == "closed")
    closed_rows = session.scalars(closed_q.order_by(Ticket.updated_at.desc(), Ticket.id.desc()).limit(MINE_LIMIT)).all()
    closed_total = session.scalar(select(func.count()).select_from(closed_q.subquery()))
    return MyTickets(list(open_rows), list(closed_rows), int(closed_total or 0))


#: why a request closed, as its requester reads it (the desk's words: workflow.CLOSE_REASON_TEXT)
CLOSE_WORDS = {"confirmed": "您确认问题已解决", "auto": "解决后没有收到您的回复，自动关闭",
               "withdrawn": "您已撤回", "agent": "服务台关闭"}


def status_words(ticket: Ticket) -> str:
    """The status as the requester reads it (「等待您的回复」, 「已关闭（您已撤回）」)."""
    words = STATUSES.get(ticket.status, ticket.status)
    if ticket.status == "closed" and ticket.close_reason == "withdrawn":
        return f"{words}（{CLOSE_WORDS['withdrawn']}）"
    if ticket.status == "resolved":
        return "已解决，请确认"
    return words


# --- 「仍有问题」: a follow-up of a closed ticket -------------------------------------------------


def follow_up(session: Session, original: Ticket, *, user, description: str, subject: str | None = None,
              files=None, source: str = "portal", idempotency_key: str | None = None, caller: str | None = None,
              fingerprint: str | None = None) -> Ticket:
    """A new ticket linked to the closed ``original``: same category, impact and urgency, the
    original's contact details; routed to the agent (and group) who handled the original when
    they are still active. Committed by ``create_ticket`` (raises TicketValidationError)."""
    from ..tickets.service import create_ticket
    from ..tickets.workflow import InvalidTransition, ValidationFailed

    if original.status != "closed":
        raise InvalidTransition("工单还没有关闭：请直接在这个请求里回复。")
    if not isinstance(description, str) or not description.strip():
        raise ValidationFailed("请写下现在的情况：问题又出现了什么、和上次有什么不同。")
    data = {
        "subject": subject or f"仍有问题：{original.subject}"[:200],
        "description": description,
        "category": original.category,
        "impact": original.impact,
        "urgency": original.urgency,
        "contact_name": original.contact_name or "",
        "contact_email": original.contact_email or "",
        "contact_phone": original.contact_phone or "",
    }
    return create_ticket(session, data, user=user, source=source, files=files, follow_up_of=original,
                         idempotency_key=idempotency_key, caller=caller, fingerprint=fingerprint)


# --- 「找回我的请求链接」 ------------------------------------------------------------------------


def normalize_email(value) -> str | None:
    from ..tickets.service import _EMAIL

    if not isinstance(value, str):
        return None
    text = value.strip()
    if not text or len(text) > 254 or not _EMAIL.match(text):
        return None
    return text


def tickets_for_address(session: Session, email: str, limit: int = RECOVER_LIMIT) -> list[Ticket]:
    """Tickets whose contact address is ``email`` (case-insensitive), open ones first."""
    open_first = Ticket.status.in_(OPEN_STATUSES).desc()
    return list(session.scalars(
        select(Ticket).where(func.lower(Ticket.contact_email) == email.lower())
        .order_by(open_first, Ticket.created_at.desc(), Ticket.id.desc()).limit(limit)
    ))


def recover_links(session: Session, email: str, *, now: dt.datetime | None = None) -> int:
    """Queue one message to ``email`` with its tickets' links (none found: a message saying
    so). The caller answers the same in both cases and commits."""
    from ..notifications import compose
    from ..notifications.dispatch import queue

    tickets = tickets_for_address(session, email)
    return queue(session, [compose.request_links(email, tickets, now=now)])
