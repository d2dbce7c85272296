"""Search and content gaps (formulas: README.md "Search and content gaps").

Over searches logged in the period (``search_log``, see :mod:`.searchlog`):

* ``searches`` — rows; ``sessions`` — distinct ``session_key``;
* ``zero_result_rate`` = searches with 0 results ÷ searches;
* ``click_through_rate`` = searches with results and ≥ 1 click ÷ searches with results;
* lines grouped by ``norm``: ``count``, ``zero`` (0 results), ``no_click`` (results, no click),
  ``last_seen``, ``query`` = the most frequent spelling (ties: the latest);
* ``top_queries`` — by count; ``zero_results`` — lines with zero > 0, by zero;
  ``no_click`` — lines with no_click > 0 and no zero-result search, by no_click.
"""

from __future__ import annotations

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from ..models import SearchLog
from . import rollup
from .period import UTC, Period, quarter_hour, quarter_start

TOP = 20


def _aware(when):
    return when.replace(tzinfo=UTC) if when is not None and when.tzinfo is None else when


def search_metrics(session: Session, period: Period, top: int = TOP, use_rollup: bool = True) -> dict:
    """The search family. Reads the daily rollup (:mod:`.rollup`) when it is built for the
    period's zone, else the raw rows (``use_rollup=False`` forces the raw path: the tests compare
    the two); the distinct sessions always come from :func:`.rollup.sessions`."""
    sessions = rollup.sessions(session, period)
    if use_rollup and rollup.ready(session, period.tz):
        rows = rollup.spelling_rows(session, period)
        per = rollup.daily_rows(session, period)
        daily = [{"day": d.isoformat(), "searches": per.get(d, (0, 0))[0], "zero_results": per.get(d, (0, 0))[1]}
                 for d in period.days]
    else:
        rows = _raw_spellings(session, period)
        daily = _daily(session, period)
    searches = sum(int(r[2]) for r in rows)
    zeros = sum(int(r[3] or 0) for r in rows)
    clicks = sum(int(r[4] or 0) for r in rows)
    with_results = sum(int(r[5] or 0) for r in rows)
    lines: dict[str, dict] = {}
    best: dict[str, tuple] = {}
    for key, query, count, z, c, wr, last in rows:
        count = int(count)
        line = lines.setdefault(key, {"norm": key, "query": query, "count": 0, "zero": 0, "no_click": 0,
                                      "clicked": 0, "last_seen": None, "spellings": 0})
        last = _aware(last)
        line["count"] += count
        line["zero"] += int(z or 0)
        line["clicked"] += int(c or 0)
        line["no_click"] += int(wr or 0) - int(c or 0)
        line["spellings"] += 1
        if line["last_seen"] is None or last > line["last_seen"]:
            line["last_seen"] = last
        rank = (count, last)
        if key not in best or rank > best[key]:
            best[key] = rank
            line["query"] = query
    all_lines = list(lines.values())
    for line in all_lines:
        line["last_seen"] = period.local_iso(line["last_seen"])
    top_queries = sorted(all_lines, key=lambda x: (-x["count"], x["norm"]))[:top]
    zero_results = sorted((x for x in all_lines if x["zero"]), key=lambda x: (-x["zero"], -x["count"], x["norm"]))[:top]
    no_click = sorted((x for x in all_lines if x["no_click"] and not x["zero"]),
                      key=lambda x: (-x["no_click"], -x["count"], x["norm"]))[:top]
    return {
        "searches": int(searches),
        "sessions": int(sessions),
        "zero_result_searches": int(zeros),
        "zero_result_rate": round(zeros / searches, 4) if searches else None,
        "click_through_rate": round(clicks / with_results, 4) if with_results else None,
        "distinct_queries": len(all_lines),
        "top_queries": top_queries,
        "zero_results": zero_results,
        "no_click": no_click,
        "daily": daily,
    }


def _raw_spellings(session: Session, period: Period) -> list[tuple]:
    """Per spelling: count, zero, clicked, with results, last — folded into lines per norm by the
    caller; the totals are the sums of these groups (one scan of the period's searches)."""
    zero = case((SearchLog.results == 0, 1), else_=0)
    clicked = case(((SearchLog.results > 0) & (SearchLog.clicks > 0), 1), else_=0)
    return session.execute(
        select(
            SearchLog.norm, SearchLog.query, func.count(), func.sum(zero), func.sum(clicked),
            func.sum(case((SearchLog.results > 0, 1), else_=0)), func.max(SearchLog.created_at),
        ).where(SearchLog.created_at >= period.start, SearchLog.created_at < period.end)
        .group_by(SearchLog.norm, SearchLog.query)
    ).all()


def _daily(session: Session, period: Period) -> list[dict]:
    """Searches and zero-result searches per local day: GROUP BY a 15-minute UTC bucket in the
    database (:func:`.period.quarter_hour`), each bucket mapped to its local day here — exact for
    every time zone and DST change (all offsets are whole quarter hours), ≤ 96 groups a day."""
    bucket = quarter_hour(SearchLog.created_at)
    per = {d: [0, 0] for d in period.days}
    for q, n, z in session.execute(
        select(bucket, func.count(), func.sum(case((SearchLog.results == 0, 1), else_=0)))
        .where(SearchLog.created_at >= period.start, SearchLog.created_at < period.end).group_by(bucket)
    ):
        counts = per[period.day_of(quarter_start(q))]
        counts[0] += int(n)
        counts[1] += int(z or 0)
    return [{"day": d.isoformat(), "searches": n, "zero_results": z} for d, (n, z) in per.items()]
