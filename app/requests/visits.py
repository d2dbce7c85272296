"""Form visits: what one visit to the request form searched, was shown, opened and did.

Opening ``/requests/new`` writes nothing: the page gets a random ``token``, also kept in the
visitor's session (the events API only accepts tokens the session holds).  The ``FormVisit``
row is created at the visit's first interaction — the first suggestion request while typing,
opening a suggestion, 「这解决了我的问题」 or a submit (``materialize``) — so crawlers, link
previews and people who only glance at the form are not visits (a crawl once made 122 visits
against about 10 real ones).  Known bots (``is_bot``: crawler and script user agents) never
start one except by submitting.  ``started_at`` is the first interaction; ``?q=`` text is kept
in the session until then and recorded as the first text searched.
While the visitor types, every suggestion request records the text searched (``queries``) and
the articles shown (``shown``); opening a suggestion appends to ``opened``; the button
「这解决了我的问题」 sets ``solved_at``/``solved_article``; submitting sets ``ticket_id``.
Every list is bounded (``MAX_*`` below) so a script cannot grow a row without limit.

Deflection — how each visit is counted by ``kb stats`` (``classify``):

* **confirmed deflection** (``confirmed``): the visitor marked a suggestion as solving the
  problem (「这解决了我的问题」) and no ticket followed within 24 hours of the visit start —
  neither from this visit nor from the same logged-in user.
* **potential deflection** (``potential``): not marked solved, but the visitor opened at least
  one suggested article, left, and no ticket followed within 24 hours (same rule).
* **no deflection** (``none``): a ticket was submitted within 24 hours (from this visit or by
  the same logged-in user), or nothing was opened nor marked solved.
* **pending** (``pending``): the visit is younger than 24 hours and has no ticket yet; it is not
  classified until its window closes, so yesterday's numbers do not move later.

Rates are over classified visits (confirmed + potential + none). Limitation: for anonymous
visitors a ticket filed later from a *different* visit (another browser, or after the session
cookie is gone) cannot be linked, so their deflection may be slightly overstated.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass, field
from typing import NamedTuple

import re

from sqlalchemy import Boolean, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.functions import FunctionElement

from ..models import FormVisit, Ticket, utcnow

WINDOW = dt.timedelta(hours=24)
MAX_QUERIES = 60  # texts searched kept per visit (the earliest ones are kept)
MAX_QUERY_CHARS = 300
MAX_SLUGS = 100  # distinct slugs shown / opened kept per visit
MAX_SLUG_CHARS = 300
SESSION_KEY = "kb_form_visits"
SESSION_MAX = 20  # tokens remembered per browser session
PENDING_KEY = "kb_form_pending"  # token -> ?q= text, until the visit's first interaction

#: user agents that are not people: search engines, link previews, monitors, HTTP libraries
BOT_PATTERN = re.compile(
    r"bot\b|bot/|crawl|spider|slurp|mediapartners|facebookexternalhit|embedly|preview|"
    r"monitor|pingdom|uptime|lighthouse|curl/|wget/|python-requests|"
    r"python-urllib|python-httpx|aiohttp|go-http-client|java/|libwww|okhttp|httpclient|scrapy|"
    r"feedfetcher|validator|checker",
    re.IGNORECASE,
)

OUTCOMES = ("confirmed", "potential", "none", "pending")


def new_token() -> str:
    return secrets.token_urlsafe(24)


def start_visit(session: Session, user_id: int | None = None) -> FormVisit:
    visit = FormVisit(token=new_token(), user_id=user_id, queries=[], shown=[], opened=[])
    session.add(visit)
    session.flush()
    return visit


def is_bot(user_agent: str | None) -> bool:
    """A known crawler or script (an empty user agent is not judged: proxies strip it)."""
    return bool(user_agent) and BOT_PATTERN.search(user_agent) is not None


class PendingVisit:
    """A form page's visit before its first interaction: a token, nothing in the database."""

    def __init__(self, token: str):
        self.token = token


def open_visit(flask_session, q: str = "") -> PendingVisit:
    """``GET /requests/new``: a token bound to this session; no database write."""
    token = new_token()
    remember_token(flask_session, token)
    if q:
        pending = {t: v for t, v in flask_session.get(PENDING_KEY, {}).items()
                   if t in flask_session.get(SESSION_KEY, [])}
        pending[token] = " ".join(q.split())[:MAX_QUERY_CHARS]
        flask_session[PENDING_KEY] = pending
    return PendingVisit(token)


def materialize(session: Session, flask_session, token: str | None, user_id: int | None,
                *, create: bool = True) -> FormVisit | None:
    """The visit row of ``token`` if this session holds the token; created now (the visit's
    first interaction) unless ``create`` is false.  Not committed."""
    if not token or not session_owns(flask_session, token):
        return None
    visit = find_visit(session, token)
    if visit is not None or not create:
        return visit
    visit = FormVisit(token=token, user_id=user_id, queries=[], shown=[], opened=[])
    try:
        with session.begin_nested():  # two first interactions at once: one row
            session.add(visit)
    except IntegrityError:
        return find_visit(session, token)
    pending = dict(flask_session.get(PENDING_KEY, {}))
    q = pending.pop(token, None)
    if q:
        flask_session[PENDING_KEY] = pending
        record_query(visit, q, [])
    return visit


def find_visit(session: Session, token: str | None) -> FormVisit | None:
    if not token or len(token) > 64 or "\x00" in token:  # PostgreSQL refuses NUL in a query
        return None
    return session.scalar(select(FormVisit).where(FormVisit.token == token))


def remember_token(flask_session, token: str) -> None:
    """Bind the visit to this browser session (the events API checks it)."""
    tokens = [t for t in flask_session.get(SESSION_KEY, []) if t != token]
    tokens.append(token)
    flask_session[SESSION_KEY] = tokens[-SESSION_MAX:]


def session_owns(flask_session, token: str) -> bool:
    return token in flask_session.get(SESSION_KEY, [])


def _touch(visit: FormVisit) -> None:
    visit.last_seen_at = utcnow()


def _add_unique(items: list, values, limit: int) -> list:
    out = list(items or [])
    for value in values:
        value = str(value)[:MAX_SLUG_CHARS]
        if value and value not in out and len(out) < limit:
            out.append(value)
    return out


def record_query(visit: FormVisit, query: str, shown_slugs) -> None:
    """One suggestion request: the text searched and the articles it showed."""
    query = " ".join((query or "").split())[:MAX_QUERY_CHARS]
    queries = list(visit.queries or [])
    if query and (not queries or queries[-1] != query) and len(queries) < MAX_QUERIES:
        queries.append(query)
        visit.queries = queries  # reassign: JSON columns do not track in-place changes
    visit.shown = _add_unique(visit.shown, shown_slugs, MAX_SLUGS)
    _touch(visit)


def record_opened(visit: FormVisit, slug: str) -> None:
    visit.opened = _add_unique(visit.opened, [slug], MAX_SLUGS)
    _touch(visit)


def record_solved(visit: FormVisit, slug: str | None) -> None:
    if slug:
        record_opened(visit, slug)
    if visit.solved_at is None:
        visit.solved_at = utcnow()
        visit.solved_article = (slug or "")[:MAX_SLUG_CHARS] or None
    _touch(visit)


def record_ticket(visit: FormVisit, ticket: Ticket) -> None:
    visit.ticket_id = ticket.id
    _touch(visit)


def last_query(visit: FormVisit | None) -> str | None:
    if visit is None or not visit.queries:
        return None
    return visit.queries[-1]


# --- Deflection ---------------------------------------------------------------------------


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)


def classify(visit: FormVisit | VisitFacts, followed_by_ticket: bool, now: dt.datetime) -> str:
    """One visit's outcome (see the module docstring)."""
    if visit.ticket_id is not None or followed_by_ticket:
        return "none"
    if _aware(now) - _aware(visit.started_at) < WINDOW:
        return "pending"
    if visit.solved_at is not None:
        return "confirmed"
    if visit.opened:
        return "potential"
    return "none"


@dataclass
class DeflectionStats:
    start: dt.datetime
    end: dt.datetime
    visits: int = 0
    counts: dict = field(default_factory=lambda: dict.fromkeys(OUTCOMES, 0))
    with_suggestions: int = 0  # visits where at least one article was shown
    opened: int = 0  # visits where at least one suggestion was opened
    solved_clicks: int = 0  # visits where 「这解决了我的问题」 was clicked
    tickets: int = 0  # visits that submitted a ticket

    @property
    def classified(self) -> int:
        return self.visits - self.counts["pending"]

    def add(self, visit: FormVisit | VisitFacts, outcome: str, ticketed: bool) -> None:
        self.visits += 1
        self.counts[outcome] += 1
        self.with_suggestions += bool(visit.shown)
        self.opened += bool(visit.opened)
        self.solved_clicks += visit.solved_at is not None
        self.tickets += ticketed

    def rate(self, outcome: str) -> float | None:
        return round(self.counts[outcome] / self.classified, 4) if self.classified else None

    def as_json(self) -> dict:
        return {
            "from": self.start.isoformat(),
            "to": self.end.isoformat(),
            "visits": self.visits,
            "with_suggestions": self.with_suggestions,
            "opened": self.opened,
            "solved_clicks": self.solved_clicks,
            "tickets": self.tickets,
            "classified": self.classified,
            "confirmed": self.counts["confirmed"],
            "potential": self.counts["potential"],
            "none": self.counts["none"],
            "pending": self.counts["pending"],
            "confirmed_rate": self.rate("confirmed"),
            "potential_rate": self.rate("potential"),
            "none_rate": self.rate("none"),
        }


class VisitFacts(NamedTuple):
    """What deflection needs of one visit (``classify`` and ``DeflectionStats.add`` read these
    attributes): ``shown`` / ``opened`` are whether the lists are non-empty, decided by the database."""

    id: int
    user_id: int | None
    started_at: dt.datetime
    solved_at: dt.datetime | None
    shown: bool
    opened: bool
    ticket_id: int | None


class _nonempty_array(FunctionElement):
    """True when a JSON column holds a non-empty array (False for NULL, ``null``, ``[]``)."""

    type = Boolean()
    inherit_cache = True
    name = "nonempty_array"


@compiles(_nonempty_array)
def _nonempty_array_sqlite(element, compiler, **kw):  # json_array_length: 0 for non-arrays, NULL for NULL
    return f"(coalesce(json_array_length({compiler.process(element.clauses, **kw)}), 0) > 0)"


@compiles(_nonempty_array, "postgresql")
def _nonempty_array_pg(element, compiler, **kw):  # json_array_length raises on non-arrays: ask the type first
    col = compiler.process(element.clauses, **kw)
    return f"(CASE WHEN json_typeof({col}) = 'array' THEN json_array_length({col}) > 0 ELSE false END)"


def visit_outcomes(
    session: Session, start: dt.datetime, end: dt.datetime, now: dt.datetime | None = None
) -> list[tuple[VisitFacts, str, bool]]:
    """(visit, outcome, a ticket came from this visit) for visits started in ``[start, end)``.

    Plain tuples, not ORM objects, and no JSON decoded in Python: a month holds thousands of visits."""
    now = now or utcnow()
    visits = [VisitFacts(*row) for row in session.execute(
        select(FormVisit.id, FormVisit.user_id, FormVisit.started_at, FormVisit.solved_at,
               _nonempty_array(FormVisit.shown), _nonempty_array(FormVisit.opened), FormVisit.ticket_id)
        .where(FormVisit.started_at >= start, FormVisit.started_at < end)
    )]
    user_ids = {v.user_id for v in visits if v.user_id is not None}
    user_tickets: dict[int, list[dt.datetime]] = {}
    if user_ids:
        rows = session.execute(
            select(Ticket.requester_id, Ticket.created_at).where(
                Ticket.requester_id.in_(user_ids),
                Ticket.created_at >= start,
                Ticket.created_at < end + WINDOW,
            )
        ).all()
        for uid, created in rows:
            user_tickets.setdefault(uid, []).append(_aware(created))
    ticketed_visits = set()
    if visits:
        # one scan over the id range of these visits (tickets.visit_id has no index; an IN list
        # per chunk would scan once per chunk)
        lo, hi = min(v.id for v in visits), max(v.id for v in visits)
        ticketed_visits.update(session.scalars(
            select(Ticket.visit_id).where(Ticket.visit_id >= lo, Ticket.visit_id <= hi)).all())
    out = []
    for visit in visits:
        started = _aware(visit.started_at)
        followed = visit.id in ticketed_visits or any(
            started <= t < started + WINDOW for t in user_tickets.get(visit.user_id, ())
        )
        out.append((visit, classify(visit, followed, now), visit.ticket_id is not None or visit.id in ticketed_visits))
    return out


def deflection_stats(
    session: Session, start: dt.datetime, end: dt.datetime, now: dt.datetime | None = None
) -> DeflectionStats:
    """Counts for visits started in ``[start, end)``."""
    stats = DeflectionStats(start=start, end=end)
    for visit, outcome, ticketed in visit_outcomes(session, start, end, now):
        stats.add(visit, outcome, ticketed)
    return stats
