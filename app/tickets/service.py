"""Creating a ticket: validate, prioritise, set SLA dues, number it, save it — all or nothing.

Every way a ticket is born goes through :func:`create_ticket`: the request form
(``source="portal"``), ``POST /api/tickets`` (``"api"``) and "this article did not solve my
problem" feedback (``"article_feedback"``, with ``article=``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import secrets
from collections.abc import Mapping

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..models import (
    TICKET_SOURCES,
    Article,
    FormVisit,
    Ticket,
    TicketEvent,
    User,
    utcnow,
)
from ..security import storable
from . import attachments as attachment_store
from .choices import CATEGORIES, IMPACTS, URGENCIES, normalize_choice
from .numbering import next_number
from .priority import compute_priority, matrix_from_config
from .sla import policy_from_config

SUBJECT_MAX = 200
DESCRIPTION_MAX = 20_000
NAME_MAX = 100
EMAIL_MAX = 254
PHONE_MAX = 40
SEARCH_TEXT_MAX = 2_000
MAX_LINKED_ARTICLES = 50

FIELDS = (
    "subject", "description", "category", "impact", "urgency",
    "contact_name", "contact_email", "contact_phone",
    "shown_articles", "opened_articles", "search_text",
)

# A domain label's character: an ASCII letter or digit, or any character from U+00A1 to U+FFFF
# (internationalised domains typed in their own script) — [A-Za-z0-9\u00a1-\uffff] — and the same
# with the hyphen.  Written as "none of the others": ``re`` compiles a class holding a range as
# wide as \u00a1-\uffff by visiting each of its code points in Python, and the five such classes
# of this pattern cost 25 ms of every web process's start (issue 15, worker ready); their
# complements are a few short ranges (tests/tickets/test_email_pattern.py compares every code point).
_LABEL_CHAR = r"[^\x00-/:-@\[-`{-\xa0\U00010000-\U0010ffff]"
_LABEL_CHAR_OR_HYPHEN = r"[^\x00-,./:-@\[-`{-\xa0\U00010000-\U0010ffff]"
_LABEL = rf"{_LABEL_CHAR}(?:{_LABEL_CHAR_OR_HYPHEN}*{_LABEL_CHAR})?"
_EMAIL = re.compile(rf"^[^@\s<>()\[\],;:\"]+@{_LABEL}(?:\.{_LABEL})+$")
_PHONE = re.compile(r"^[0-9+()\-\s.#*/转分机ext]+$", re.IGNORECASE)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class TicketValidationError(ValueError):
    """Bad input: ``errors`` maps field → Chinese message, ``values`` is what was typed (to refill the form)."""

    def __init__(self, errors: dict[str, str], values: dict | None = None):
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = dict(errors)
        self.values = dict(values or {})

    @property
    def message(self) -> str:
        return "提交的内容有误，请按提示修改后重新提交。"


def clean_text(value, *, single_line: bool = False) -> str:
    """Text as stored: str, no NUL/control characters or lone surrogates; newlines kept unless single_line."""
    if value is None:
        return ""
    if not isinstance(value, str):
        value = str(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else ""
    value = storable(value)  # lone surrogates → "?", NULs gone (the rule every request body follows)
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    value = _CONTROL.sub("", value)
    if single_line:
        value = " ".join(value.split())
    return value


def _slug_list(value) -> list[str]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, (list, tuple)):
        return []
    seen: list[str] = []
    for item in value:
        if isinstance(item, str):
            slug = clean_text(item, single_line=True)[:300]
            if slug and slug not in seen:
                seen.append(slug)
        if len(seen) >= MAX_LINKED_ARTICLES:
            break
    return seen


def _existing_slugs(session: Session, slugs: list[str]) -> list[str]:
    if not slugs:
        return []
    found = set(session.scalars(select(Article.slug).where(Article.slug.in_(slugs))))
    return [s for s in slugs if s in found]


def validate(data: Mapping, *, user: User | None, source: str) -> tuple[dict, dict]:
    """(cleaned values, errors). Values keep what was typed so a form can show it again."""
    if not isinstance(data, Mapping):
        data = {}
    values: dict = {}
    errors: dict[str, str] = {}

    subject = clean_text(data.get("subject"), single_line=True).strip()
    values["subject"] = subject
    if not subject:
        errors["subject"] = "请填写标题，用一句话说明遇到的问题。"
    elif len(subject) > SUBJECT_MAX:
        errors["subject"] = f"标题最多 {SUBJECT_MAX} 个字，现在是 {len(subject)} 个字。请精简，详细情况写在描述里。"

    description = clean_text(data.get("description")).strip()
    values["description"] = description
    if len(description) > DESCRIPTION_MAX:
        errors["description"] = (
            f"问题描述最多 {DESCRIPTION_MAX:,} 个字，现在是 {len(description):,} 个字。"
            "日志等长内容请作为附件上传（TXT、LOG 或 ZIP）。"
        )

    for field, choices, missing, wrong in (
        ("category", CATEGORIES, "请选择问题类别。", "请从列表中选择问题类别。"),
        ("impact", IMPACTS, "请选择影响范围。", "请从列表中选择影响范围。"),
        ("urgency", URGENCIES, "请选择紧急程度。", "请从列表中选择紧急程度。"),
    ):
        raw = data.get(field)
        key = normalize_choice(raw, choices)
        values[field] = key or clean_text(raw, single_line=True)[:100]
        if key is None:
            errors[field] = wrong if values[field] else missing

    name = clean_text(data.get("contact_name"), single_line=True).strip()
    email = clean_text(data.get("contact_email"), single_line=True).strip()
    phone = clean_text(data.get("contact_phone"), single_line=True).strip()
    if user is not None:
        name = name or user.name
        email = email or (user.email or "")
    values.update(contact_name=name, contact_email=email, contact_phone=phone)
    anonymous = user is None
    if anonymous and not name:
        errors["contact_name"] = "请填写您的姓名，方便我们联系您。"
    elif len(name) > NAME_MAX:
        errors["contact_name"] = f"姓名最多 {NAME_MAX} 个字。"
    if anonymous and not email:
        errors["contact_email"] = "请填写您的邮箱，处理进展会发到这里。"
    elif email and (len(email) > EMAIL_MAX or not _EMAIL.match(email)):
        errors["contact_email"] = "邮箱格式不正确，例如 zhangsan@example.com。"
    if anonymous and source == "portal" and not phone:
        errors["contact_phone"] = "请填写联系电话或分机号，紧急时我们会打电话给您。"
    elif phone and (len(phone) > PHONE_MAX or not _PHONE.match(phone) or sum(c.isdigit() for c in phone) < 3):
        errors["contact_phone"] = "电话格式不正确，可以填写手机号、座机或分机号，例如 138 0000 0000 或 8021。"

    values["shown_articles"] = _slug_list(data.get("shown_articles"))
    values["opened_articles"] = _slug_list(data.get("opened_articles"))
    values["search_text"] = clean_text(data.get("search_text"), single_line=True).strip()[:SEARCH_TEXT_MAX]
    return values, errors


class IdempotencyConflict(Exception):
    """The caller reused an ``Idempotency-Key`` for a different request (answer 422)."""

    message = "这个 Idempotency-Key 已经用于另一份不同的请求内容；新的请求请使用新的 Idempotency-Key。"

    def __init__(self, ticket: Ticket):
        super().__init__(ticket.number)
        self.ticket = ticket


def idempotency_digest(key, caller: str | None) -> str | None:
    """What is stored for an ``Idempotency-Key``: a hash scoped to the caller.

    ``caller`` is :func:`app.auth.caller_key` — a user, or one anonymous browser session — so
    two callers' keys never meet, and a replay can only ever return the caller's own ticket.
    Without a caller there is no scope, so the key is ignored (no replay is possible).
    """
    if key is None or not caller:
        return None
    text = clean_text(key, single_line=True).strip()
    if not text:
        return None
    return hashlib.sha256(f"{caller}\n{text}".encode()).hexdigest()


def request_fingerprint(data) -> str:
    """A stable hash of a request body: a replayed key must come with the same body."""
    canonical = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode("utf-8", "replace")).hexdigest()


def find_by_idempotency(session: Session, digest: str | None, fingerprint: str | None = None) -> Ticket | None:
    """The caller's earlier ticket for this key; IdempotencyConflict when the body differs."""
    if digest is None:
        return None
    ticket = session.scalar(select(Ticket).where(Ticket.idempotency_key == digest))
    if ticket is not None and fingerprint is not None and ticket.idempotency_fingerprint != fingerprint:
        raise IdempotencyConflict(ticket)
    return ticket


def _link_follow_up(session: Session, ticket: Ticket, original: Ticket, now: dt.datetime) -> None:
    """Link a follow-up to the ticket it continues; back to the original's agent and group."""
    from .workflow import assign

    ticket.follow_up_of_id = original.id
    ticket.events[0].body = f"服务请求已提交（{original.number} 的后续请求）"
    original.events.append(TicketEvent(
        kind="follow_up", body=f"已创建后续请求 {ticket.number}", public=True, created_at=now,
        changes={"follow_up": ticket.number}, ticket_version=original.version,
    ))
    agent = original.assignee if original.assignee is not None and original.assignee.active else None
    if agent is not None and agent.role in ("agent", "admin"):
        assign(session, ticket, actor=None, assignee=agent, group=original.group, now=now, auto=True)


def create_ticket(
    session: Session,
    data: Mapping,
    *,
    user: User | None = None,
    source: str = "portal",
    idempotency_key: str | None = None,
    caller: str | None = None,
    fingerprint: str | None = None,
    article: Article | None = None,
    visit: FormVisit | None = None,
    files=None,
    now: dt.datetime | None = None,
    follow_up_of: Ticket | None = None,
) -> Ticket:
    """Validate ``data`` and save a new ticket (committed), or raise TicketValidationError.

    ``data`` keys: subject, description, category, impact, urgency (keys or Chinese labels),
    contact_name, contact_email, contact_phone, shown_articles, opened_articles (slug lists),
    search_text. ``files``: uploaded files (werkzeug FileStorage list) saved as attachments.
    With ``idempotency_key`` and ``caller`` (:func:`app.auth.caller_key`), a repeat (same key,
    same caller) returns the first ticket; check ``ticket.replayed`` (True on a repeat). With
    ``fingerprint`` (:func:`request_fingerprint` of the body) a repeat whose body differs raises
    IdempotencyConflict instead. ``follow_up_of``: the closed ticket this one follows up (「仍有问题」):
    linked, noted on the original, and routed to the original's agent when still active.

    Transactions: TicketValidationError is raised before anything is written (the session is
    left as it was). Otherwise the session is committed on success — the caller's own pending
    changes in ``session`` are committed with the ticket — and rolled back on any failure
    (attachment files written so far are deleted, the day's number is given back).
    """
    if source not in TICKET_SOURCES:
        raise ValueError(f"unknown ticket source {source!r}")
    digest = idempotency_digest(idempotency_key, caller)
    existing = find_by_idempotency(session, digest, fingerprint)
    if existing is not None:
        existing.replayed = True
        return existing

    values, errors = validate(data, user=user, source=source)
    staged = []
    try:
        staged = attachment_store.stage_files(files)
    except attachment_store.AttachmentError as exc:
        errors[attachment_store.FIELD] = str(exc)
    if errors:
        raise TicketValidationError(errors, values)

    config = current_app.config
    policy = policy_from_config(config)
    created = (now or utcnow()).astimezone(dt.timezone.utc)
    priority = compute_priority(values["impact"], values["urgency"], matrix_from_config(config))
    response_due, resolve_due = policy.due_times(priority, created)

    try:
        # The counter UPDATE comes first: on SQLite it takes the write lock before any read
        # of this transaction, on PostgreSQL it serialises same-day numbering.
        number = next_number(session, created, policy.calendar.tz)
        shown = _existing_slugs(session, values["shown_articles"])
        opened = _existing_slugs(session, values["opened_articles"])
        ticket = Ticket(
            number=number,
            subject=values["subject"],
            description=values["description"],
            category=values["category"],
            impact=values["impact"],
            urgency=values["urgency"],
            priority=priority,
            status="new",
            source=source,
            requester_id=user.id if user is not None else None,
            contact_name=values["contact_name"] or None,
            contact_email=values["contact_email"] or None,
            contact_phone=values["contact_phone"] or None,
            access_token=secrets.token_urlsafe(32),
            article_id=article.id if article is not None else None,
            search_text=values["search_text"] or None,
            shown_articles=shown,
            opened_articles=opened,
            visit_id=visit.id if visit is not None else None,
            idempotency_key=digest,
            idempotency_fingerprint=fingerprint if digest is not None else None,
            sla_response_due=response_due,
            sla_resolve_due=resolve_due,
            created_at=created,
            updated_at=created,
        )
        ticket.events.append(
            TicketEvent(kind="created", body="服务请求已提交", public=True, created_at=created,
                        author_id=user.id if user is not None else None)
        )
        session.add(ticket)
        session.flush()
        attachment_store.store_staged(session, ticket, staged)
        if visit is not None:
            visit.ticket_id = ticket.id
        session.flush()
        from ..console.search import index_ticket
        from ..notifications.dispatch import ticket_created  # (import here: notifications import tickets)
        from .sla import refresh_schedule
        from .workflow import auto_assign

        ticket.last_public_update_at = created
        refresh_schedule(ticket, policy)
        index_ticket(session, ticket)
        ticket_created(session, ticket)  # the "received" mail, queued in this same transaction
        if follow_up_of is not None:
            _link_follow_up(session, ticket, follow_up_of, created)
        auto_assign(session, ticket, now=created)  # group by skill, agent by load (app/tickets/assignment.py)
        session.commit()
    except IntegrityError:
        session.rollback()
        again = find_by_idempotency(session, digest, fingerprint)
        if again is None:
            raise
        again.replayed = True
        return again
    except BaseException:
        session.rollback()
        raise
    ticket.replayed = False
    return ticket
