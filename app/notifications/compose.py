"""One function per notification: a ticket (and what happened) in, a :class:`~app.worker.Mail` out.

Every message has a plain-text and an HTML part written in Simplified Chinese
(``app/templates/mail/<kind>.txt`` / ``.html``), absolute links from ``KB_BASE_URL``, the
ticket's threading headers (``thread.py``) and a dedupe key, so queueing the same notification
twice sends it once. Nothing here writes to the database; :mod:`.dispatch` queues the result.

Visibility, enforced here and not left to callers:

* requester messages go only to the ticket's own requester address (``ValueError`` otherwise),
  and only they carry the secret ``?token=`` link (when the requester was not logged in);
* replies must be public events — an internal note raises ``NotPublic`` and is never rendered;
* suggested articles are filtered to public, published ones whatever the caller passes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from flask import current_app

from ..models import Article, Ticket
from ..tickets import present
from ..tickets.choices import CATEGORIES, PRIORITY_NAMES, STATUSES, label
from ..tickets.sla import describe_target, policy_from_config
from ..visibility import can_view
from ..worker.message import Mail
from . import links, thread
from .recipients import Recipient, requester

SUBJECT_CHARS = 60  # of the ticket's subject inside a mail subject
TARGETS = {"response": "首次响应", "resolve": "解决"}
CLOSE_REASONS = {
    "confirmed": "您确认问题已经解决",
    "auto": "问题解决后我们没有收到您的回复，请求已自动关闭",
    "withdrawn": "您撤回了这个请求",
    "agent": "服务台关闭了这个请求",
}


class NotPublic(ValueError):
    """An internal note (or another non-public event) was offered to a message."""


def _env():
    ext = current_app.extensions
    if "kb.mail_env" not in ext:
        # The app's environment (loader, filters, autoescape for .html) with tidy whitespace for text.
        ext["kb.mail_env"] = current_app.jinja_env.overlay(trim_blocks=True, lstrip_blocks=True)
    return ext["kb.mail_env"]


def _short(text: str, limit: int = SUBJECT_CHARS) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _facts(ticket: Ticket) -> dict:
    policy = policy_from_config(current_app.config)
    return {
        "number": ticket.number,
        "subject": ticket.subject,
        "category": label(CATEGORIES, ticket.category),
        "priority": present.priority_explanation(ticket.priority),
        "priority_short": f"{ticket.priority} {PRIORITY_NAMES.get(ticket.priority, '')}".strip(),
        "status": label(STATUSES, ticket.status),
        "response_in": describe_target(policy.response[ticket.priority], policy.calendar),
        "response_due": present.display_time(ticket.sla_response_due),
        "resolve_due": present.display_time(ticket.sla_resolve_due),
        "clock_note": present.clock_note(ticket.priority),
        "created": present.display_time(ticket.created_at),
    }


def _render(kind: str, **context) -> tuple[str, str]:
    env = _env()
    text = env.get_template(f"mail/{kind}.txt").render(**context)
    html = env.get_template(f"mail/{kind}.html").render(**context)
    return text.strip() + "\n", html


def _mail(kind: str, ticket: Ticket, to: Recipient, subject: str, dedupe: str, *, is_root: bool = False,
          **context) -> Mail:
    message_id, headers = thread.headers_for(ticket.number, kind, is_root=is_root)
    text, html = _render(kind, ticket=ticket, t=_facts(ticket), to=to, **context)
    return Mail(
        kind=kind,
        dedupe_key=f"{dedupe}:{to.email.lower()}",
        to_addr=to.email,
        to_name=to.name,
        subject=f"[{ticket.number}] {subject}",
        text=text,
        html=html,
        message_id=message_id,
        headers=headers,
        ticket_id=ticket.id,
    )


def _check_requester(ticket: Ticket, to: Recipient) -> None:
    own = requester(ticket)
    if own is None or own.email.strip().lower() != to.email.strip().lower():
        raise ValueError(f"{ticket.number}: requester messages go to the ticket's own address only")
    if to.anonymous and ticket.requester_id is not None:
        raise ValueError(f"{ticket.number}: the secret link is only for requesters who were not logged in")


def _requester_link(ticket: Ticket, to: Recipient, **params) -> str:
    return links.requester_ticket(ticket, token=to.anonymous and ticket.requester_id is None, **params)


def _public(event) -> None:
    if event is None or not getattr(event, "public", False):
        raise NotPublic("only public events may be e-mailed")


def _for_requester(ticket: Ticket, text: str | None) -> str | None:
    """``text`` without links to articles the requester could not open (app/requests/requester.py)."""
    if not text:
        return text
    from sqlalchemy.orm import object_session

    from ..requests.requester import requester_text

    session = object_session(ticket)
    if session is None:
        from ..db import get_session

        session = get_session()
    return requester_text(session, text)


def _auto_close_words() -> str:
    from ..requests.settings import RequesterSettings, current

    return RequesterSettings.describe(current().auto_close_days)


def public_articles(articles: Iterable[Article]) -> list[dict]:
    """``articles`` an anonymous reader may see, as {title, url}; anything else is dropped."""
    return [{"title": a.title, "url": links.article(a.slug)} for a in articles if can_view(a, "anonymous")]


# --- To the requester ---------------------------------------------------------------------

def ticket_received(ticket: Ticket, to: Recipient, *, articles: Iterable[Article] = ()) -> Mail:
    """Number, priority, expected response (in words and as a time), the link, and up to three
    public articles that might solve it — a last chance to solve it alone."""
    _check_requester(ticket, to)
    return _mail(
        "ticket_received", ticket, to, f"已收到您的服务请求：{_short(ticket.subject)}", f"received:{ticket.id}",
        is_root=True, link=_requester_link(ticket, to), articles=public_articles(articles)[:3],
    )


def public_reply(ticket: Ticket, event, to: Recipient, *, author: str | None = None) -> Mail:
    """An agent's public reply, quoted in full."""
    _check_requester(ticket, to)
    _public(event)
    return _mail(
        "public_reply", ticket, to, f"服务台回复了您的请求：{_short(ticket.subject)}", f"reply:{event.id}",
        link=_requester_link(ticket, to), body=_for_requester(ticket, event.body), author=author,
        waiting=ticket.status == "pending",
    )


def awaiting_reply(ticket: Ticket, to: Recipient, *, since: dt.datetime, question=None) -> Mail:
    """Reminder: the ticket has waited for the requester's answer since ``since``. One per
    waiting period (the key includes ``since``). ``question``: the public event that asked."""
    _check_requester(ticket, to)
    if question is not None:
        _public(question)
    return _mail(
        "awaiting_reply", ticket, to, f"提醒：您的请求在等待您的回复：{_short(ticket.subject)}",
        f"awaiting:{ticket.id}:{present.iso(since)}", link=_requester_link(ticket, to),
        since=present.display_time(since),
        question=_for_requester(ticket, question.body) if question is not None else None,
    )


def resolved(ticket: Ticket, to: Recipient, *, event=None, auto_close: str | None = None) -> Mail:
    """The agent resolved it: the resolution (a public event), and links to confirm or reopen.
    The links open the ticket page; nothing changes until the requester presses a button there
    (mail scanners open links too)."""
    _check_requester(ticket, to)
    if event is not None:
        _public(event)
    key = event.id if event is not None else present.iso(ticket.resolved_at or ticket.updated_at)
    return _mail(
        "resolved", ticket, to, f"您的请求已解决，请确认：{_short(ticket.subject)}", f"resolved:{ticket.id}:{key}",
        link=_requester_link(ticket, to), confirm_link=_requester_link(ticket, to, action="confirm"),
        reopen_link=_requester_link(ticket, to, action="reopen"),
        body=_for_requester(ticket, event.body) if event is not None else None,
        auto_close=auto_close or _auto_close_words(),
    )


def close_reminder(ticket: Ticket, to: Recipient, *, closes_at: dt.datetime) -> Mail:
    """The one reminder before a resolved ticket closes by itself at ``closes_at``: confirm,
    or say it is not solved. One per resolution (the key includes when it was resolved)."""
    _check_requester(ticket, to)
    return _mail(
        "close_reminder", ticket, to, f"请确认问题是否已解决，否则将自动关闭：{_short(ticket.subject)}",
        f"close_reminder:{ticket.id}:{present.iso(ticket.resolved_at)}",
        link=_requester_link(ticket, to), confirm_link=_requester_link(ticket, to, action="confirm"),
        reopen_link=_requester_link(ticket, to, action="reopen"), closes_at=present.display_time(closes_at),
        resolved_at=present.display_time(ticket.resolved_at),
    )


def closed(ticket: Ticket, to: Recipient, *, reason: str, rating: int | None = None) -> Mail:
    """The ticket is closed (``reason``: confirmed, auto, withdrawn, agent)."""
    _check_requester(ticket, to)
    if reason not in CLOSE_REASONS:
        raise ValueError(f"unknown close reason {reason!r}")
    return _mail(
        "closed", ticket, to, f"您的请求已关闭：{_short(ticket.subject)}", f"closed:{ticket.id}",
        link=_requester_link(ticket, to), reason=CLOSE_REASONS[reason], rating=rating,
        new_request=links.absolute("requests.new"),
    )


# --- To agents ----------------------------------------------------------------------------

# The messages for the service desk: they are only sent while their address still belongs to
# an active agent or admin (re-checked by the worker at delivery: app/worker/delivery.py).
STAFF_KINDS = frozenset({"assigned", "new_in_group", "new_unrouted", "requester_replied", "sla_at_risk",
                         "sla_breached"})


def assigned(ticket: Ticket, to: Recipient, *, key, by: str | None = None) -> Mail:
    """The ticket was assigned to ``to``; ``key`` identifies the assignment (e.g. its event id)."""
    return _mail(
        "assigned", ticket, to, f"分配给您：{_short(ticket.subject)}（{ticket.priority}）", f"assigned:{ticket.id}:{key}",
        link=links.agent_ticket(ticket), by=by,
    )


def new_in_group(ticket: Ticket, to: Recipient, *, group: str) -> Mail:
    return _mail(
        "new_in_group", ticket, to, f"{group} 有新工单：{_short(ticket.subject)}（{ticket.priority}）",
        f"new_in_group:{ticket.id}:{group}", link=links.agent_ticket(ticket), group=group,
    )


def new_unrouted(ticket: Ticket, to: Recipient, *, category: str, group: str | None = None) -> Mail:
    """A new ticket in a category no group has as a skill (or whose ``group`` has nobody who can
    be mailed): every agent and admin is told."""
    return _mail(
        "new_unrouted", ticket, to, f"有新工单（没有负责的组）：{_short(ticket.subject)}（{ticket.priority}）",
        f"new_unrouted:{ticket.id}", link=links.agent_ticket(ticket), category=category, group=group,
    )


def requester_replied(ticket: Ticket, event, to: Recipient) -> Mail:
    _public(event)
    return _mail(
        "requester_replied", ticket, to, f"提交人回复了：{_short(ticket.subject)}", f"requester_replied:{event.id}",
        link=links.agent_ticket(ticket), body=event.body, reopened=_reopened(event),
    )


def _reopened(event) -> bool:
    """The reply moved the ticket back to 处理中 (from 等待回复 or 已解决), not one already in it."""
    status = (getattr(event, "changes", None) or {}).get("status")
    return isinstance(status, list) and len(status) == 2 and status[0] != status[1] and status[1] == "open"


def _sla(kind: str, ticket: Ticket, to: Recipient, target: str, due: dt.datetime, subject: str) -> Mail:
    if target not in TARGETS:
        raise ValueError(f"unknown SLA target {target!r}")
    return _mail(
        kind, ticket, to, subject, f"{kind}:{ticket.id}:{target}:{present.iso(due)}",
        link=links.agent_ticket(ticket), target=TARGETS[target], due=present.display_time(due),
    )


def sla_at_risk(ticket: Ticket, to: Recipient, *, target: str, due: dt.datetime) -> Mail:
    return _sla("sla_at_risk", ticket, to, target, due,
                f"SLA 即将超时：{TARGETS.get(target, '')}期限 {present.display_time(due)}")


def sla_breached(ticket: Ticket, to: Recipient, *, target: str, due: dt.datetime) -> Mail:
    return _sla("sla_breached", ticket, to, target, due,
                f"SLA 已超时：{TARGETS.get(target, '')}期限 {present.display_time(due)}已过")


# --- Not about one ticket -------------------------------------------------------------------

def request_links(email: str, tickets: Iterable[Ticket], *, now: dt.datetime | None = None) -> Mail:
    """「找回我的请求链接」: the links of the tickets whose contact address is ``email`` (those
    submitted without logging in carry their secret link; the others need a login), or a note
    that there are none. Sent only to ``email`` itself, so the link goes where the tickets' own
    mail went."""
    import secrets as _secrets

    from ..models import utcnow

    items = []
    for ticket in tickets:
        own = requester(ticket)
        if own is None or own.email.strip().lower() != email.strip().lower():
            raise ValueError(f"{ticket.number}: links go to the ticket's own address only")
        items.append({
            "number": ticket.number, "subject": _short(ticket.subject, 80),
            "status": label(STATUSES, ticket.status), "created": present.display_time(ticket.created_at),
            "link": _requester_link(ticket, own), "login": ticket.requester_id is not None,
        })
    when = now or utcnow()
    context = dict(to=Recipient(email=email), items=items, ticket=None, new_request=links.absolute("requests.new"),
                   login=links.absolute("auth.login"), recover=links.absolute("my_requests.recover"))
    text, html = _render("request_links", **context)
    return Mail(
        kind="request_links",
        dedupe_key=f"request_links:{email.lower()}:{present.iso(when)}:{_secrets.token_hex(4)}",
        to_addr=email,
        subject="您在 IT 服务台的请求链接" if items else "IT 服务台：没有找到这个邮箱提交的请求",
        text=text,
        html=html,
    )
