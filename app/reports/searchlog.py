"""The search log: one cheap INSERT per search on ``/search`` and ``/api/search`` (first page).

``norm`` groups queries typed differently: :func:`indexer.text.normalise` (controls removed,
NFKC full-width → half-width, Traditional → Simplified, lower case), then whitespace and
sentence punctuation removed, so ``VPN 809``, ``ｖｐｎ８０９`` and ``vpn809`` are one line.

Only search-box text is logged. The request form's suggestions are not (that text is the
ticket's subject and description, which writers must not see), nor the header's typeahead
(every keystroke), nor later result pages (the same search again).

A click is an article opened from the results of the browser's last logged search
(``/search`` remembers the log id in the session next to :mod:`app.feedback.searchtrail`).
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
import time
from typing import NamedTuple

from sqlalchemy import insert, update
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from indexer.text import normalise

from ..models import SearchLog, utcnow
from . import rollup

MAX_QUERY = 200
SESSION_KEY = "kb_search_session"
LAST_KEY = "kb_search_log"
SESSION_IDLE = 30 * 60  # seconds without a search before the next one starts a new session
_DROP = re.compile(r"[\s,，.。、;；:：!！?？\"'“”‘’`()（）\[\]【】《》<>〈〉{}「」『』…·~～]+")


def norm(query: str) -> str:
    """The grouping key of a query ('' for nothing searchable)."""
    return _DROP.sub("", normalise(query or ""))[:MAX_QUERY]


def clean(query: str) -> str:
    return " ".join((query or "").replace("\x00", " ").split())[:MAX_QUERY]


def _session_key(flask_session, now: float) -> str:
    held = flask_session.get(SESSION_KEY)
    if isinstance(held, list) and len(held) == 2 and isinstance(held[0], str) and now - float(held[1] or 0) < SESSION_IDLE:
        key = held[0]
    else:
        key = secrets.token_hex(8)
    flask_session[SESSION_KEY] = [key, int(now)]
    return key


def _zone():
    from flask import current_app

    from ..tickets.sla import timezone_from_config

    return timezone_from_config(current_app.config)


class Logged(NamedTuple):
    """What :func:`record` wrote (the columns :func:`.rollup.add` reads, and the id)."""
    id: int
    created_at: dt.datetime
    query: str
    norm: str
    results: int
    clicks: int


_INSERT = insert(SearchLog).returning(SearchLog.id)


def record(session: Session | Connection, flask_session, query: str, results: int, role: str, source: str,
           slugs=()) -> Logged | None:
    """Log one search and fold it into the daily rollup (:mod:`.rollup`) in the same transaction
    (flushes; the caller commits). Nothing for an empty or unsearchable query. ``session`` is an
    ORM session or a Core connection (what :func:`log_search` uses: no unit of work needed)."""
    text = clean(query)
    key = norm(text)
    if not key:
        return None
    now = utcnow()
    if flask_session is None or (source == "api" and SESSION_KEY not in flask_session):
        # an API client without the browser's session (a script, another tool): no session of
        # its own — every call would otherwise start one (and get a cookie it never sends back)
        session_key = None
    else:
        session_key = _session_key(flask_session, time.time())
    # a Core INSERT … RETURNING on the session's connection: session.add + flush (the ORM's unit
    # of work) and even session.execute (its ORM layer) cost more than the statement itself
    conn = session if isinstance(session, Connection) else session.connection()
    row_id = conn.execute(_INSERT, {
        "created_at": now, "query": text, "norm": key, "results": int(results), "clicks": 0,
        "role": role, "source": source, "session_key": session_key,
    }).scalar_one()
    row = Logged(row_id, now, text, key, int(results), 0)
    rollup.add(conn, row, _zone())
    if flask_session is not None and source == "page":
        flask_session[LAST_KEY] = {"id": row.id, "slugs": [str(s)[:300] for s in list(slugs)[:20]]}
    return row


def count_click(session: Session, flask_session, slug: str) -> bool:
    """The article ``slug`` is opened: a click on the last search if that search showed it (once)."""
    last = flask_session.get(LAST_KEY)
    if not isinstance(last, dict) or slug not in (last.get("slugs") or []) or not isinstance(last.get("id"), int):
        return False
    hit = session.execute(
        update(SearchLog).where(SearchLog.id == last["id"]).values(clicks=SearchLog.clicks + 1)
        .returning(SearchLog.clicks, SearchLog.results, SearchLog.created_at, SearchLog.norm, SearchLog.query)
        .execution_options(synchronize_session=False)
    ).first()
    if hit is not None and hit.clicks == 1 and hit.results > 0:  # this click made it a clicked search
        rollup.first_click(session, hit.created_at, hit.norm, hit.query, _zone())
    flask_session[LAST_KEY] = {"id": last["id"], "slugs": [s for s in last["slugs"] if s != slug]}
    return True


def count_view_per_day(session: Session, article_id: int) -> None:
    """One more view of the article today in ``article_views_daily`` (the caller commits)."""
    rollup.count_view(session, article_id, _zone())


def log_search(query: str, results: int, source: str, slugs=()) -> None:
    """From a view: log the search in its own commit; a failure is logged, never shown.

    The two statements run on a connection of their own (``engine.begin()``), not on the
    request's ORM session: a search needs nothing else from the database, and opening, committing
    and closing an ORM session around two Core statements cost about as much as the statements
    (issue 15: 100 of 225 µs per ``/api/search`` on SQLite). The view has written nothing before
    (a request session holding a write would make SQLite wait here)."""
    import logging

    from flask import session as flask_session
    from sqlalchemy.exc import SQLAlchemyError

    from ..db import get_engine
    from ..visibility import current_role

    try:
        with get_engine().begin() as conn:
            record(conn, flask_session, query, results, current_role(), source, slugs)
    except SQLAlchemyError:
        logging.getLogger("app.reports").warning("search not logged", exc_info=True)
