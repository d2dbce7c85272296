"""The search log rolled up per local day: what the search and content-gap figures read.

``search_log_daily`` holds, per local day of ``KB_TIMEZONE`` (``tz``), normalised query
(``norm``) and spelling (``query``): ``searches``, ``zero`` (0 results), ``with_results``,
``clicked`` (results and ≥ 1 click) and ``last_seen`` (the latest ``created_at``). Every figure
of :func:`app.reports.search.search_metrics` except the distinct sessions is a sum (or a max)
of these over the period's days, so a month reads ~3,000 rollup rows instead of ~24,000 searches.

Kept exact, in the request's own transaction (no lag, no worker needed for correctness):

* :func:`add` — with each ``search_log`` INSERT (:func:`.searchlog.record`): one upsert
  (``INSERT … ON CONFLICT DO UPDATE`` on SQLite and PostgreSQL);
* :func:`first_click` — when a search row gets its first click (:func:`.searchlog.count_click`:
  ``UPDATE … RETURNING clicks`` tells which click is the first, atomically) and had results.

:func:`rebuild` recomputes the rollup of one zone from the raw rows (``kb reports-rollup``, run
by ``kb init``, ``kb demo-data`` and by the ``search_log_retention`` job when it is missing) and
marks the zone ready in ``search_log_rollup``. The report reads the rollup only for a period
whose zone is ready; otherwise (never built, ``KB_TIMEZONE`` changed, a period in another zone)
it reads ``search_log`` as before — slower, equally exact.

**Distinct sessions** cannot be summed from days (a session that searches on two days counts
once in a month). They are counted on the raw rows over the period (``COUNT(DISTINCT
session_key)`` answered from the index ``ix_search_log_created_session``), plus, for days whose
raw rows have expired (:func:`expire`), that day's distinct sessions stored in
``search_log_days`` just before the rows were deleted: for a period reaching past
``KB_SEARCH_LOG_DAYS``, a session counts once per expired day it searched on, once in the rest.

**Retention** (:func:`expire`, the worker job ``search_log_retention``): raw rows older than
``KB_SEARCH_LOG_DAYS`` whole local days (default 400, more than the longest report period of
366 days) are deleted; the rollup keeps their history.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from zoneinfo import ZoneInfo

from sqlalchemy import case, delete, func, select, text
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from ..models import ArticleViewDaily, SearchLog, SearchLogDaily, SearchLogDay, SearchLogRollup, utcnow
from .period import UTC, Period, quarter_hour, quarter_start

DEFAULT_KEEP_DAYS = 400
_KEY = ("tz", "day", "norm", "query")


def _aware(when: dt.datetime) -> dt.datetime:
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when


def local_day(when: dt.datetime, tz: ZoneInfo) -> dt.date:
    return _aware(when).astimezone(tz).date()


_UPSERTS: dict[str, object] = {}


def _upsert(session: Session | Connection):
    """The upsert statement of this dialect, built once (values come as parameters)."""
    dialect = (session.dialect if isinstance(session, Connection) else session.get_bind().dialect).name
    stmt = _UPSERTS.get(dialect)
    if stmt is None:
        if dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert
        elif dialect == "sqlite":
            from sqlalchemy.dialects.sqlite import insert
        else:  # pragma: no cover - the project runs on SQLite and PostgreSQL only
            raise NotImplementedError(f"search_log_daily: no upsert for {dialect}")
        t = SearchLogDaily.__table__
        ins = insert(t)
        ex = ins.excluded
        stmt = _UPSERTS[dialect] = ins.on_conflict_do_update(index_elements=list(_KEY), set_={
            "searches": t.c.searches + ex.searches,
            "zero": t.c.zero + ex.zero,
            "with_results": t.c.with_results + ex.with_results,
            "clicked": t.c.clicked + ex.clicked,
            "last_seen": case((ex.last_seen > t.c.last_seen, ex.last_seen), else_=t.c.last_seen),
        })
    return stmt


def add(session: Session | Connection, row: SearchLog, tz: ZoneInfo) -> None:
    """Fold one new ``search_log`` row (flushed: ``created_at`` set) into its day's line
    (``session``: an ORM session or a Core connection)."""
    results, clicks = int(row.results or 0), int(row.clicks or 0)
    conn = session if isinstance(session, Connection) else session.connection()
    conn.execute(_upsert(session), {
        "tz": tz.key, "day": local_day(row.created_at, tz), "norm": row.norm, "query": row.query, "searches": 1,
        "zero": int(results == 0), "with_results": int(results > 0), "clicked": int(results > 0 and clicks > 0),
        "last_seen": _aware(row.created_at),
    })


def first_click(session: Session, created_at: dt.datetime, norm: str, query: str, tz: ZoneInfo) -> None:
    """A search with results got its first click: one more ``clicked`` on its day's line."""
    session.execute(
        SearchLogDaily.__table__.update()
        .where(SearchLogDaily.tz == tz.key, SearchLogDaily.day == local_day(created_at, tz),
               SearchLogDaily.norm == norm, SearchLogDaily.query == query)
        .values(clicked=SearchLogDaily.clicked + 1)
    )


def ready(session: Session, tz: ZoneInfo) -> bool:
    """The rollup of ``tz`` is complete (built, then kept by every write)."""
    return session.scalar(select(SearchLogRollup.tz).where(SearchLogRollup.tz == tz.key)) is not None


def _expired_days(session: Session, tz: ZoneInfo) -> set[dt.date]:
    return set(session.scalars(select(SearchLogDay.day).where(SearchLogDay.tz == tz.key)))


def rebuild(session: Session, tz: ZoneInfo) -> int:
    """Recompute the rollup of ``tz`` from the raw rows (days whose raw rows expired keep their
    lines) and mark it ready; returns the number of lines written. The caller commits.

    Concurrent searches wait for it: on PostgreSQL the rollup table is locked for writes first
    (a search committed before the lock is in the raw rows read here; one after it upserts onto
    the rebuilt lines), SQLite serialises writers anyway (the DELETE comes first)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("LOCK TABLE search_log_daily IN EXCLUSIVE MODE"))
    expired = _expired_days(session, tz)
    gone = delete(SearchLogDaily).where(SearchLogDaily.tz == tz.key)
    if expired:
        gone = gone.where(SearchLogDaily.day > max(expired))
    session.execute(gone.execution_options(synchronize_session=False))
    bucket = quarter_hour(SearchLog.created_at)
    lines: dict[tuple, list] = {}
    for q, key, query, n, z, wr, c, last in session.execute(
        select(bucket, SearchLog.norm, SearchLog.query, func.count(),
               func.sum(case((SearchLog.results == 0, 1), else_=0)),
               func.sum(case((SearchLog.results > 0, 1), else_=0)),
               func.sum(case(((SearchLog.results > 0) & (SearchLog.clicks > 0), 1), else_=0)),
               func.max(SearchLog.created_at))
        .group_by(bucket, SearchLog.norm, SearchLog.query)
    ):
        day = quarter_start(q).astimezone(tz).date()
        if day in expired:
            continue
        line = lines.get((day, key, query))
        last = _aware(last)
        if line is None:
            lines[(day, key, query)] = [int(n), int(z or 0), int(wr or 0), int(c or 0), last]
        else:
            line[0] += int(n)
            line[1] += int(z or 0)
            line[2] += int(wr or 0)
            line[3] += int(c or 0)
            line[4] = max(line[4], last)
    values = [{"tz": tz.key, "day": day, "norm": key, "query": query, "searches": n, "zero": z,
               "with_results": wr, "clicked": c, "last_seen": last}
              for (day, key, query), (n, z, wr, c, last) in lines.items()]
    for i in range(0, len(values), 5000):
        session.execute(SearchLogDaily.__table__.insert(), values[i:i + 5000])
    # one zone is kept up to date (KB_TIMEZONE's): the others' lines stay as history, unread
    session.execute(delete(SearchLogRollup).execution_options(synchronize_session=False))
    session.add(SearchLogRollup(tz=tz.key, built_at=utcnow()))
    session.flush()
    return len(values)


def ensure(session: Session, tz: ZoneInfo) -> int | None:
    """Build the rollup of ``tz`` if it is not ready; lines written, or None when it was."""
    return None if ready(session, tz) else rebuild(session, tz)


# --- article views per day ------------------------------------------------------------------

_VIEW_UPSERTS: dict[str, object] = {}


def count_view(session: Session, article_id: int, tz: ZoneInfo, now: dt.datetime | None = None) -> None:
    """One view of the article today (local day of ``tz``), in the caller's transaction."""
    dialect = session.get_bind().dialect.name
    stmt = _VIEW_UPSERTS.get(dialect)
    if stmt is None:
        from sqlalchemy.dialects import postgresql, sqlite

        ins = (postgresql if dialect == "postgresql" else sqlite).insert(ArticleViewDaily.__table__)
        t = ArticleViewDaily.__table__
        stmt = _VIEW_UPSERTS[dialect] = ins.on_conflict_do_update(
            index_elements=["tz", "day", "article_id"], set_={"views": t.c.views + ins.excluded.views})
    session.execute(stmt, {"tz": tz.key, "day": local_day(now or utcnow(), tz), "article_id": article_id, "views": 1})


def view_counts(session: Session, period: Period) -> tuple[dict[int, int], dt.date | None]:
    """Views per article in the period, and the first day views were counted per day (None: never)."""
    c = ArticleViewDaily
    views = {aid: int(n) for aid, n in session.execute(
        select(c.article_id, func.sum(c.views))
        .where(c.tz == period.tz.key, c.day >= period.first, c.day <= period.last).group_by(c.article_id))}
    return views, session.scalar(select(func.min(c.day)).where(c.tz == period.tz.key))


# --- reading ----------------------------------------------------------------------------------


def spelling_rows(session: Session, period: Period) -> list[tuple]:
    """Per (norm, spelling) over the period: norm, query, count, zero, clicked, with results,
    last seen — the same tuples as the raw GROUP BY of :func:`.search.search_metrics`."""
    c = SearchLogDaily
    return session.execute(
        select(c.norm, c.query, func.sum(c.searches), func.sum(c.zero), func.sum(c.clicked),
               func.sum(c.with_results), func.max(c.last_seen))
        .where(c.tz == period.tz.key, c.day >= period.first, c.day <= period.last)
        .group_by(c.norm, c.query)
    ).all()


def daily_rows(session: Session, period: Period) -> dict[dt.date, tuple[int, int]]:
    c = SearchLogDaily
    return {day: (int(n), int(z or 0)) for day, n, z in session.execute(
        select(c.day, func.sum(c.searches), func.sum(c.zero))
        .where(c.tz == period.tz.key, c.day >= period.first, c.day <= period.last)
        .group_by(c.day)
    )}


def sessions(session: Session, period: Period) -> int:
    """Distinct search sessions of the period: on the raw rows (index-only), plus the stored
    per-day counts of the period's expired days (see the module's docstring)."""
    keys = (select(SearchLog.session_key).where(SearchLog.created_at >= period.start, SearchLog.created_at < period.end,
                                                  SearchLog.session_key.is_not(None)).distinct().subquery())
    # COUNT over a DISTINCT subquery: PostgreSQL hashes it (COUNT(DISTINCT …) sorts: ~1.7× slower)
    raw = session.scalar(select(func.count()).select_from(keys)) or 0
    gone = session.scalar(select(func.sum(SearchLogDay.sessions)).where(
        SearchLogDay.tz == period.tz.key, SearchLogDay.day >= period.first, SearchLogDay.day <= period.last)) or 0
    return int(raw) + int(gone)


# --- retention --------------------------------------------------------------------------------


def keep_days(config) -> int:
    """``KB_SEARCH_LOG_DAYS``: whole local days of raw search rows kept (default 400, ≥ 1)."""
    value = config.get("KB_SEARCH_LOG_DAYS")
    if value in (None, ""):
        return DEFAULT_KEEP_DAYS
    try:
        days = int(str(value).strip())
    except ValueError:
        days = 0
    if days < 1:
        raise ValueError(f"KB_SEARCH_LOG_DAYS 应为不小于 1 的整数（天数），收到「{value}」；未删除任何搜索记录。")
    return days


def expire(session: Session, now: dt.datetime, tz: ZoneInfo, keep: int) -> int:
    """Delete raw search rows of the local days before the last ``keep`` days (today included),
    after storing each such day's distinct sessions; the rollup (built first if missing) keeps
    their figures. Returns the rows deleted. The caller commits."""
    ensure(session, tz)
    first_kept = _aware(now).astimezone(tz).date() - dt.timedelta(days=keep - 1)
    cutoff = dt.datetime.combine(first_kept, dt.time.min, tz).astimezone(UTC)
    bucket = quarter_hour(SearchLog.created_at)
    keys: dict[dt.date, set] = defaultdict(set)
    for q, key in session.execute(select(bucket, SearchLog.session_key).where(SearchLog.created_at < cutoff)
                                  .group_by(bucket, SearchLog.session_key)):
        day_keys = keys[quarter_start(q).astimezone(tz).date()]
        if key is not None:
            day_keys.add(key)
    if not keys:
        return 0
    stored = {d.day: d for d in session.scalars(select(SearchLogDay).where(
        SearchLogDay.tz == tz.key, SearchLogDay.day.in_(list(keys))))}
    for day, day_keys in keys.items():
        if day in stored:  # rows of an already expired day (written late): their sessions are added
            stored[day].sessions += len(day_keys)
        else:
            session.add(SearchLogDay(tz=tz.key, day=day, sessions=len(day_keys)))
    session.flush()
    result = session.execute(delete(SearchLog).where(SearchLog.created_at < cutoff)
                             .execution_options(synchronize_session=False))
    return int(result.rowcount or 0)


def retention_job(session: Session, now: dt.datetime) -> int:
    """Worker job ``search_log_retention``: build the rollup if missing, expire old raw rows."""
    from flask import current_app

    from ..tickets.sla import timezone_from_config

    config = current_app.config
    return expire(session, now, timezone_from_config(config), keep_days(config))
