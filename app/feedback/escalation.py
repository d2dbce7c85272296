"""「转人工处理」: a 没有解决我的问题 vote becomes a ticket for the service desk.

The ticket is made by ``create_ticket`` like any other (same validation, priority matrix,
SLA, numbering) with ``source="article_feedback"`` and the article linked. Its description is
what the reader wrote, followed by what the agent needs about the article: which article and
version failed, the reason, what the reader had searched for and their comment on the
article — so the agent sees it on the ticket page without looking anywhere else.

Each escalation also opens the article's fix task (or adds to the open one) for its writers.
A reader who already has an open (not yet resolved) ticket from this article gets that ticket
back instead of a second one.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy.orm import Session

from ..models import Article, Feedback, Ticket, User
from ..tickets.choices import CATEGORIES, normalize_choice
from . import fixtasks
from .votes import REASONS

OPEN_STATUSES = ("new", "open", "pending")
DEFAULT_IMPACT = "person"
DEFAULT_URGENCY = "degraded"
SUBJECT_MAX = 200


def category_for(article: Article) -> str:
    """The ticket category matching the article's category label (else "other")."""
    return normalize_choice(article.category, CATEGORIES) or "other"


def default_subject(article: Article) -> str:
    return f"文章《{article.title}》没有解决我的问题"[:SUBJECT_MAX]


def default_values(article: Article, *, query: str | None = None, user: User | None = None) -> dict:
    """The escalation form, pre-filled — except 影响范围 and 紧急程度, which the reader chooses, as on
    the request form: a pre-set 仅我本人 + 效率降低 quietly filed someone who cannot work at all as
    P3. (``POST /api/articles/<slug>/feedback`` without them still takes ``DEFAULT_IMPACT`` /
    ``DEFAULT_URGENCY``.)"""
    return {
        "subject": default_subject(article),
        "description": "",
        "category": category_for(article),
        "impact": "",
        "urgency": "",
        "contact_name": (user.name if user is not None else "") or "",
        "contact_email": (user.email if user is not None else "") or "",
        "contact_phone": "",
        "search_text": query or "",
    }


#: labels of the note's lines that quote the reader (their page shows them in the second person)
SEARCHED_LABEL = "用户搜索的内容："
OPINION_LABEL = "对文章的意见："


def feedback_note(article: Article, feedback: Feedback, details: str = "") -> str:
    """The lines appended to the ticket description for the agent."""
    lines = [
        "——",
        f"来自文章反馈：《{article.title}》（{article.url}，第 {article.version} 版）",
        f"原因：{REASONS.get(feedback.reason or 'not_solved', '没有解决我的问题')}",
    ]
    if feedback.query:
        lines.append(f"{SEARCHED_LABEL}{feedback.query}")
    if feedback.comment and feedback.comment.strip() != details.strip():
        lines.append(f"{OPINION_LABEL}{feedback.comment}")
    return "\n".join(lines)


def ticket_data(article: Article, feedback: Feedback, data: Mapping) -> dict:
    """``create_ticket`` input: the reader's fields with defaults, the description with the note."""
    values = {k: data.get(k) for k in ("subject", "description", "category", "impact", "urgency",
                                        "contact_name", "contact_email", "contact_phone")}
    values["subject"] = values["subject"] or default_subject(article)
    values["category"] = values["category"] or category_for(article)
    values["impact"] = values["impact"] or DEFAULT_IMPACT
    values["urgency"] = values["urgency"] or DEFAULT_URGENCY
    details = (values["description"] or "").strip() if isinstance(values["description"], str) else ""
    values["description"] = (details + "\n\n" if details else "") + feedback_note(article, feedback, details)
    values["search_text"] = feedback.query or data.get("search_text") or ""
    values["opened_articles"] = [article.slug]
    return values


def precheck(article: Article, data: Mapping, *, user: User | None) -> dict[str, str]:
    """The ticket's field errors before anything is saved (same rules as ``create_ticket``)."""
    from ..tickets.service import validate

    probe = Feedback(reason="not_solved", helpful=False)
    _, errors = validate(ticket_data(article, probe, data), user=user, source="article_feedback")
    return errors


def existing_open_ticket(session: Session, article: Article, feedback: Feedback) -> Ticket | None:
    if feedback.ticket_id is None:
        return None
    ticket = session.get(Ticket, feedback.ticket_id)
    if ticket is not None and ticket.article_id == article.id and ticket.status in OPEN_STATUSES:
        return ticket
    return None


def escalate(
    session: Session,
    article: Article,
    feedback: Feedback,
    data: Mapping,
    *,
    user: User | None,
    idempotency_key: str | None = None,
    caller: str | None = None,
    fingerprint: str | None = None,
) -> Ticket:
    """Create the ticket for ``feedback`` (a flushed not-solved vote) and commit everything.

    Raises ``TicketValidationError`` (the session rolled back) on bad input; call
    :func:`precheck` first to show every message before saving the vote. ``idempotency_key``,
    ``caller`` and ``fingerprint`` work as in :func:`app.tickets.service.create_ticket`
    (``IdempotencyConflict`` when a key comes back with another body).
    """
    from ..tickets.service import create_ticket

    ticket = existing_open_ticket(session, article, feedback)
    if ticket is not None:
        fixtasks.open_or_add(session, article, feedback)
        session.commit()
        ticket.replayed = True
        return ticket
    fixtasks.open_or_add(session, article, feedback)
    ticket = create_ticket(
        session,
        ticket_data(article, feedback, data),
        user=user,
        source="article_feedback",
        idempotency_key=idempotency_key,
        caller=caller,
        fingerprint=fingerprint,
        article=article,
    )  # commits the vote and the fix task with it
    feedback.ticket_id = ticket.id
    session.commit()
    return ticket
