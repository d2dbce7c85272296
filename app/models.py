"""The data model, in one place (SQLAlchemy 2.0 declarative)."""

from __future__ import annotations

import datetime as dt

from flask_login import UserMixin
from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy import false as sa_false
from sqlalchemy import true as sa_true
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

ROLES = ("requester", "agent", "writer", "admin")
STAFF_ROLES = ("agent", "writer", "admin")

#: the largest value an ``Integer`` column holds on both databases (32 bits on PostgreSQL; every
#: id and number of ours is one): a number from outside past it is no row, never a query
MAX_INTEGER = 2 ** 31 - 1


def parse_page(value, last: int = MAX_INTEGER) -> int:
    """A page number from a query string (``?page=``) as 1 … ``last``: absent, empty or not a
    number is the first page, 0 or less the first, past ``last`` the last — one rule for every
    list that pages (search, the agents' queue, the admin lists). The callers that must refuse a
    bad number instead (``GET /api/tickets`` answers 400) parse it themselves."""
    from indexer.hits import clamp_int    # the engine's own rule for page and per_page

    return clamp_int(value, 1, last)


def parse_id(value) -> int | None:
    """An id or number from outside (a form, a query, JSON) as an ``int`` an ``Integer`` column
    holds (1 … ``MAX_INTEGER``), else None — for "²" (``isdigit`` but not a number), "٣" (a
    number), "2147483648" (no row can have it) and ten thousand digits (past ``int``'s limit)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        value = value.strip()
        if not value.isdecimal() or len(value) > len(str(MAX_INTEGER)):
            return None
        value = int(value)
    if not isinstance(value, int):
        return None
    return value if 1 <= value <= MAX_INTEGER else None


NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class User(UserMixin, Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    email: Mapped[str | None] = mapped_column(String(254))
    display_name: Mapped[str | None] = mapped_column(String(100))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20), default="requester")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # A temporary password (from `kb init` or an admin's reset) must be changed at next login.
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sa_false())
    password_changed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    last_login_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    # Agents' console: an away agent gets no automatic assignments (manual assignment still works).
    away: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sa_false())

    # The login this object was loaded for (not stored; see app/accounts/sessions.py).
    session_key = None

    def get_login_key(self) -> str | None:
        """What flask-login keeps in the session cookie: the login's key, not the user id."""
        return self.session_key

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    @property
    def is_active(self) -> bool:  # flask-login
        return self.active

    @property
    def is_staff(self) -> bool:
        return self.role in STAFF_ROLES

    @property
    def name(self) -> str:
        return self.display_name or self.username


class Article(Base):
    """An article as imported from the Markdown library; never deleted, only archived."""

    __tablename__ = "articles"
    __table_args__ = (Index("ix_articles_listing", "status", "audience", "category"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(300), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    category: Mapped[str] = mapped_column(String(100))
    tags: Mapped[list] = mapped_column(JSON, default=list)
    error_codes: Mapped[list] = mapped_column(JSON, default=list)
    audience: Mapped[str] = mapped_column(String(20), default="public")
    status: Mapped[str] = mapped_column(String(20), default="published")
    updated: Mapped[dt.date | None] = mapped_column(Date)
    body: Mapped[str] = mapped_column(Text, default="")
    source_path: Mapped[str | None] = mapped_column(Text)
    content_hash: Mapped[str] = mapped_column(String(64), default="")
    # Bumped whenever the content changes; feedback is judged per version.
    version: Mapped[int] = mapped_column(Integer, default=1)
    view_count: Mapped[int] = mapped_column(Integer, default=0)
    # Views of the current version only (reset when a new version is imported).
    version_views: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    modified_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow
    )
    # --- writers' workspace (app/writer/README.md) ---
    # Newest revision number: the base every save must name (optimistic concurrency).
    revision: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # The revision readers see while status is "published" (this row then holds its content).
    published_revision: Mapped[int | None] = mapped_column(Integer)
    # The revision waiting for approval (KB_REQUIRE_REVIEW); in review while it is the newest.
    review_revision: Mapped[int | None] = mapped_column(Integer)
    # Changed in the browser/API since the Markdown files last agreed (import or export):
    # a file changed meanwhile is a conflict for `kb sync`.
    web_edited: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    review_by: Mapped[dt.date | None] = mapped_column(Date)
    reviewed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # The ticket a KCS draft was written from (no FK: tickets already point at articles).
    source_ticket_id: Mapped[int | None] = mapped_column(Integer, index=True)
    # Tickets resolved with this article from the agents' console (KCS reuse).
    reuse_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    @property
    def url(self) -> str:
        return f"/articles/{self.slug}"

    @property
    def shown_date(self) -> dt.date:
        return self.updated or self.modified_at.date()


# --- Tickets (the request form, the API and "not helpful" escalations) -------------------

IMPACTS = ("person", "department", "company")
URGENCIES = ("stopped", "degraded", "question")
PRIORITIES = ("P1", "P2", "P3", "P4")
TICKET_STATUSES = ("new", "open", "pending", "resolved", "closed")
TICKET_SOURCES = ("portal", "api", "article_feedback")
# Why a ticket was closed: the requester confirmed, auto-closed after the waiting time, the
# requester withdrew it, or an agent closed it.
CLOSE_REASONS = ("confirmed", "auto", "withdrawn", "agent")
SLA_STATES = ("ok", "at_risk", "breached", "paused", "met")
TIERS = (1, 2)


class AgentGroup(Base):
    """A team of agents: its ``skills`` are ticket category keys (app/tickets/choices.py)."""

    __tablename__ = "agent_groups"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    skills: Mapped[list] = mapped_column(JSON, default=list)
    tier: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    description: Mapped[str] = mapped_column(Text, default="", server_default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    members: Mapped[list["User"]] = relationship(secondary="agent_group_members", order_by="User.username")


class AgentGroupMember(Base):
    __tablename__ = "agent_group_members"

    group_id: Mapped[int] = mapped_column(ForeignKey("agent_groups.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True)
    added_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Ticket(Base):
    __tablename__ = "tickets"
    # The console's queue (app/console/queue.py, 0006_console_speed): every view filters on one of
    # status / assignee / group first and orders by (sla_due_at, priority, id); these hold all of
    # it, so listing ids, ordering and counting read the indexes only.
    __table_args__ = (
        Index("ix_tickets_queue", "status", "sla_due_at", "priority", "sla_warn_at", "assignee_id", "group_id"),
        Index("ix_tickets_assignee_queue", "assignee_id", "status", "sla_due_at", "priority"),
        Index("ix_tickets_group_queue", "group_id", "status", "sla_due_at", "priority"),
        Index("ix_tickets_due_order", "sla_due_at", "priority", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(24), unique=True)
    subject: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    category: Mapped[str] = mapped_column(String(40))
    impact: Mapped[str] = mapped_column(String(20))
    urgency: Mapped[str] = mapped_column(String(20))
    priority: Mapped[str] = mapped_column(String(2))
    status: Mapped[str] = mapped_column(String(20), default="new")
    source: Mapped[str] = mapped_column(String(20), default="portal")
    requester_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    contact_name: Mapped[str | None] = mapped_column(String(100))
    contact_email: Mapped[str | None] = mapped_column(String(254), index=True)
    contact_phone: Mapped[str | None] = mapped_column(String(40))
    # Secret for the requester's link when they were not logged in (compare in constant time).
    access_token: Mapped[str] = mapped_column(String(64), unique=True)
    article_id: Mapped[int | None] = mapped_column(ForeignKey("articles.id"), index=True)
    search_text: Mapped[str | None] = mapped_column(Text)
    shown_articles: Mapped[list] = mapped_column(JSON, default=list)
    opened_articles: Mapped[list] = mapped_column(JSON, default=list)
    visit_id: Mapped[int | None] = mapped_column(ForeignKey("form_visits.id"))
    # sha256(caller + key): a replay is only ever found by the caller who made the ticket.
    idempotency_key: Mapped[str | None] = mapped_column(String(128), unique=True)
    # sha256 of the request body that came with the key (API calls): another body → 422.
    idempotency_fingerprint: Mapped[str | None] = mapped_column(String(64))
    sla_response_due: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    sla_resolve_due: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    resolved_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))

    # --- agents' console (app/tickets/README.md) ---
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))  # ix_tickets_assignee_queue
    group_id: Mapped[int | None] = mapped_column(ForeignKey("agent_groups.id", ondelete="SET NULL"))  # ix_tickets_group_queue
    assigned_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    tier: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    escalated_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    # Optimistic concurrency: bumped by every change (app/tickets/workflow.py).
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    first_response_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    last_public_update_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    close_reason: Mapped[str | None] = mapped_column(String(20))  # CLOSE_REASONS
    # SLA bookkeeping (app/tickets/sla.py): the due times above move when a pending pause ends.
    pending_since: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    paused_seconds: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # The due time the ticket now runs against (response before the first public reply, then
    # resolution) and the instant it becomes at risk (25 % left); None while paused or done.
    sla_due_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))  # ix_tickets_due_order
    sla_warn_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    sla_warned_due: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    response_breached_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    resolve_breached_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    # The article the ticket was resolved with (reuse; app/tickets/workflow.py resolve()).
    resolution_article_id: Mapped[int | None] = mapped_column(ForeignKey("articles.id"))
    # Requester side: satisfaction, follow-up of a closed ticket.
    csat_rating: Mapped[int | None] = mapped_column(Integer)
    csat_comment: Mapped[str | None] = mapped_column(Text)
    csat_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    follow_up_of_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"))

    requester: Mapped[User | None] = relationship(foreign_keys=[requester_id])
    assignee: Mapped[User | None] = relationship(foreign_keys=[assignee_id])
    group: Mapped[AgentGroup | None] = relationship()
    article: Mapped[Article | None] = relationship(foreign_keys=[article_id])
    resolution_article: Mapped[Article | None] = relationship(foreign_keys=[resolution_article_id])
    follow_up_of: Mapped["Ticket | None"] = relationship(remote_side=[id])

    # A writer that read an older version fails (StaleDataError) instead of overwriting;
    # app/tickets/workflow.py sets the new version itself.
    __mapper_args__ = {"version_id_col": version, "version_id_generator": False}
    events: Mapped[list["TicketEvent"]] = relationship(
        back_populates="ticket", order_by="TicketEvent.id", cascade="all, delete-orphan"
    )
    attachments: Mapped[list["Attachment"]] = relationship(
        back_populates="ticket", order_by="Attachment.id", cascade="all, delete-orphan"
    )


class TicketCounter(Base):
    """Per-day sequence behind ticket numbers (IT-YYYYMMDD-NNNN)."""

    __tablename__ = "ticket_counters"

    day: Mapped[str] = mapped_column(String(8), primary_key=True)
    last: Mapped[int] = mapped_column(Integer, default=0)


class TicketEvent(Base):
    """A ticket's history; ``public`` entries are shown to the requester."""

    __tablename__ = "ticket_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    kind: Mapped[str] = mapped_column(String(30))
    body: Mapped[str] = mapped_column(Text, default="")
    public: Mapped[bool] = mapped_column(Boolean, default=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # What changed: {"status": ["new", "open"], "assignee": [null, "wang"], …} (JSON).
    changes: Mapped[dict | None] = mapped_column(JSON)
    # The ticket's version after this event (collision: "what changed since you opened it").
    ticket_version: Mapped[int | None] = mapped_column(Integer)

    ticket: Mapped[Ticket] = relationship(back_populates="events")
    author: Mapped[User | None] = relationship()
    attachments: Mapped[list["Attachment"]] = relationship(back_populates="event", order_by="Attachment.id")


class TicketTerm(Base):
    """Ticket search: one row per distinct analysed term of a ticket (indexer/analysis.py).

    ``public`` terms come from what the requester may see (subject, description, public
    replies); internal notes give non-public rows, searched only for agents.
    """

    __tablename__ = "ticket_terms"
    __table_args__ = (Index("ix_ticket_terms_term", "term", "ticket_id"),)

    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), primary_key=True)
    term: Mapped[str] = mapped_column(String(64), primary_key=True)
    public: Mapped[bool] = mapped_column(Boolean, primary_key=True)


class Macro(Base):
    """A canned reply with placeholders ({{requester}}, {{number}}…), managed by admins."""

    __tablename__ = "macros"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(100), unique=True)
    body: Mapped[str] = mapped_column(Text, default="")
    internal: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sa_false())
    # Status to set with the reply (e.g. "pending"), or None.
    set_status: Mapped[str | None] = mapped_column(String(20))
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=sa_true())
    usage_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Attachment(Base):
    __tablename__ = "attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    stored_name: Mapped[str] = mapped_column(String(80), unique=True)
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # The reply or note it came with (None: submitted with the request). An attachment of an
    # internal note is as internal as the note (app/visibility.py).
    event_id: Mapped[int | None] = mapped_column(ForeignKey("ticket_events.id", ondelete="SET NULL"), index=True)

    ticket: Mapped[Ticket] = relationship(back_populates="attachments")
    event: Mapped[TicketEvent | None] = relationship(back_populates="attachments")


class FormVisit(Base):
    """One visit to the request form: what was suggested, opened, solved, submitted."""

    __tablename__ = "form_visits"

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    started_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    last_seen_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    queries: Mapped[list] = mapped_column(JSON, default=list)
    shown: Mapped[list] = mapped_column(JSON, default=list)
    opened: Mapped[list] = mapped_column(JSON, default=list)
    solved_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    solved_article: Mapped[str | None] = mapped_column(String(300))
    # The ticket submitted from this visit (no FK: tickets already point here via visit_id).
    ticket_id: Mapped[int | None] = mapped_column(Integer)


# --- Article feedback and the writers' fix tasks -----------------------------------------

FEEDBACK_REASONS = ("not_solved", "unclear", "outdated", "irrelevant")


class FixTask(Base):
    """One open task per failing article for its writers; closed by a new version."""

    __tablename__ = "fix_tasks"

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id"), index=True)
    article_version: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20), default="open")
    opened_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    closed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    closed_by_version: Mapped[int | None] = mapped_column(Integer)

    article: Mapped[Article] = relationship()


class Feedback(Base):
    """A reader's vote on one article version; one per voter per article, changeable."""

    __tablename__ = "feedback"
    __table_args__ = (UniqueConstraint("article_id", "voter_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id"), index=True)
    article_version: Mapped[int] = mapped_column(Integer)
    # "user:<id>" for logged-in readers, "session:<random>" for anonymous browsers.
    voter_key: Mapped[str] = mapped_column(String(100))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    helpful: Mapped[bool] = mapped_column(Boolean)
    reason: Mapped[str | None] = mapped_column(String(20))
    comment: Mapped[str | None] = mapped_column(Text)
    query: Mapped[str | None] = mapped_column(Text)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"))
    fix_task_id: Mapped[int | None] = mapped_column(ForeignKey("fix_tasks.id"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    article: Mapped[Article] = relationship()
    ticket: Mapped[Ticket | None] = relationship()


# --- Worker: the e-mail outbox and timed-job leases (app/worker/) -------------------------

OUTBOX_STATUSES = ("pending", "sending", "sent", "failed")


class OutboxMessage(Base):
    """One e-mail to one recipient, written in the transaction of the change that caused it.

    ``kb worker`` claims due rows (``pending`` with ``next_attempt_at`` reached, or ``sending``
    whose lease expired), sends them over SMTP and records the outcome. ``dedupe_key`` makes
    the same notification impossible to queue twice.
    """

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    dedupe_key: Mapped[str] = mapped_column(String(255), unique=True)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id", ondelete="SET NULL"), index=True)
    to_addr: Mapped[str] = mapped_column(String(254))
    to_name: Mapped[str | None] = mapped_column(String(100))
    subject: Mapped[str] = mapped_column(String(300))
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str | None] = mapped_column(Text)
    message_id: Mapped[str] = mapped_column(String(255))
    # Threading and other headers: {"In-Reply-To": "<…>", "References": "<…>"}.
    headers: Mapped[dict] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    claimed_by: Mapped[str | None] = mapped_column(String(100))
    lease_until: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    sent_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class WorkerJob(Base):
    """The schedule and lease of one timed job: two workers never run the same job at once."""

    __tablename__ = "worker_jobs"

    name: Mapped[str] = mapped_column(String(80), primary_key=True)
    next_run_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    locked_by: Mapped[str | None] = mapped_column(String(100))
    lease_until: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    last_started_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    last_finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    last_result: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)
    runs: Mapped[int] = mapped_column(Integer, default=0)
    failures: Mapped[int] = mapped_column(Integer, default=0)


# --- Accounts: login sessions, API tokens, the admin audit log ---------------------------


class UserSession(Base):
    """One login (a browser): revoked by logout, a password change or disabling the account.

    The browser's cookie holds a random key; only its SHA-256 is stored here.
    """

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    remember: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_seen_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    address: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(200))

    user: Mapped[User] = relationship()


class ApiToken(Base):
    """A Bearer token for ``/api/*`` as its user; only the SHA-256 of the token is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100), default="")
    # The first characters of the token, to recognise it in lists ("kb_Ab3x…").
    prefix: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    created_by: Mapped[str | None] = mapped_column(String(120))
    last_used_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))

    user: Mapped[User] = relationship()


class AuditEvent(Base):
    """Who did what to which account, when: every admin action (page or `kb` command)."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # Kept as text so the entry still says who it was after the account is renamed or gone.
    actor: Mapped[str] = mapped_column(String(120))
    action: Mapped[str] = mapped_column(String(40))
    target_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    target: Mapped[str | None] = mapped_column(String(120))
    details: Mapped[dict] = mapped_column(JSON, default=dict)
    address: Mapped[str | None] = mapped_column(String(64))


# --- Writers' workspace: revisions, workflow log, autosaved drafts, images ---------------


class ArticleRevision(Base):
    """One save of an article (browser, API, file import, restore); never changed afterwards."""

    __tablename__ = "article_revisions"
    __table_args__ = (UniqueConstraint("article_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(300))
    category: Mapped[str] = mapped_column(String(100))
    tags: Mapped[list] = mapped_column(JSON, default=list)
    error_codes: Mapped[list] = mapped_column(JSON, default=list)
    audience: Mapped[str] = mapped_column(String(20), default="public")
    body: Mapped[str] = mapped_column(Text, default="")
    note: Mapped[str] = mapped_column(String(200), default="")
    # web | api | file | restore | kcs
    origin: Mapped[str] = mapped_column(String(20), default="web")
    restored_from: Mapped[int | None] = mapped_column(Integer)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    article: Mapped[Article] = relationship()
    author: Mapped[User | None] = relationship()


class ArticleEvent(Base):
    """The article's workflow log: submitted, approved, returned, published, archived, verified…"""

    __tablename__ = "article_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(30))
    revision: Mapped[int | None] = mapped_column(Integer)
    comment: Mapped[str] = mapped_column(Text, default="")
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    user: Mapped[User | None] = relationship()


class ArticleAutosave(Base):
    """A writer's unsaved editor content, kept so a closed tab loses nothing (not a revision)."""

    __tablename__ = "article_autosaves"
    __table_args__ = (UniqueConstraint("user_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    # "article:<id>", "new" or "ticket:<id>": which editor the text belongs to.
    key: Mapped[str] = mapped_column(String(40))
    base_revision: Mapped[int | None] = mapped_column(Integer)
    data: Mapped[dict] = mapped_column(JSON, default=dict)
    saved_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ArticleImage(Base):
    """An image uploaded or pasted in the editor, stored under <instance>/images/."""

    __tablename__ = "article_images"

    id: Mapped[int] = mapped_column(primary_key=True)
    stored_name: Mapped[str] = mapped_column(String(80), unique=True)
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    # The article it was uploaded for (None until that article's first save).
    article_id: Mapped[int | None] = mapped_column(ForeignKey("articles.id"), index=True)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


# --- Reports: the search log (app/reports/README.md) ----------------------------------------


class SearchLog(Base):
    """One search typed on the portal (``/search`` and ``/api/search``, first page only).

    Holds the text as typed (trimmed, at most 200 characters), its grouping key (``norm``:
    Traditional→Simplified, full-width→half-width, case folded, spaces removed), how many
    results the searcher saw and whether they opened one of them. No user id, and nothing from
    the request form (that text is a ticket's description): only what people typed into search.
    ``session_key`` is a random per-browser value (30 minutes of inactivity start a new one).
    """

    __tablename__ = "search_log"
    __table_args__ = (
        Index("ix_search_log_norm", "norm", "created_at"),
        # distinct sessions of a period read from the index alone (reports14)
        Index("ix_search_log_created_session", "created_at", "session_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    query: Mapped[str] = mapped_column(String(200))
    norm: Mapped[str] = mapped_column(String(200))
    results: Mapped[int] = mapped_column(Integer, default=0)
    clicks: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # anonymous | requester | agent | writer | admin (what results the searcher could see)
    role: Mapped[str] = mapped_column(String(20), default="anonymous")
    # "page" (/search) or "api" (/api/search)
    source: Mapped[str] = mapped_column(String(10), default="page")
    session_key: Mapped[str | None] = mapped_column(String(32))


class SearchLogDaily(Base):
    """The search log rolled up per local day (``tz`` = ``KB_TIMEZONE``) and spelling: what the
    report's search and content-gap figures read instead of the raw rows (app/reports/rollup.py).

    Written in the same transaction as each ``search_log`` row (an upsert) and on a first click;
    rebuilt from the raw rows by ``kb reports-rollup``; kept when raw rows expire.
    """

    __tablename__ = "search_log_daily"
    __table_args__ = (UniqueConstraint("tz", "day", "norm", "query", name="uq_search_log_daily_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tz: Mapped[str] = mapped_column(String(64))
    day: Mapped[dt.date] = mapped_column(Date)
    norm: Mapped[str] = mapped_column(String(200))
    query: Mapped[str] = mapped_column(String(200))
    searches: Mapped[int] = mapped_column(Integer, default=0)
    zero: Mapped[int] = mapped_column(Integer, default=0)  # with 0 results
    with_results: Mapped[int] = mapped_column(Integer, default=0)  # with results
    clicked: Mapped[int] = mapped_column(Integer, default=0)  # with results and at least one click
    last_seen: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class SearchLogDay(Base):
    """Per local day of ``tz``: the distinct search sessions of a day whose raw rows expired
    (``KB_SEARCH_LOG_DAYS``), counted just before they were deleted. A row here means the raw
    rows of that day are gone."""

    __tablename__ = "search_log_days"

    tz: Mapped[str] = mapped_column(String(64), primary_key=True)
    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    sessions: Mapped[int] = mapped_column(Integer, default=0)


class SearchLogRollup(Base):
    """The rollup's state: one row per time zone whose ``search_log_daily`` rows are complete
    (built from the raw rows, then kept by every write). The report reads the rollup only when
    its period's zone has a row here; otherwise it reads ``search_log`` (exact, slower)."""

    __tablename__ = "search_log_rollup"

    tz: Mapped[str] = mapped_column(String(64), primary_key=True)
    built_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ArticleViewDaily(Base):
    """Article views per local day of ``tz`` (``KB_TIMEZONE``): one upsert with each counted view
    (beside ``articles.view_count``, which stays the all-time figure), so the report can give
    the views of a period. Counting starts with this table: earlier views are all-time only."""

    __tablename__ = "article_views_daily"

    tz: Mapped[str] = mapped_column(String(64), primary_key=True)
    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True)
    views: Mapped[int] = mapped_column(Integer, default=0)
