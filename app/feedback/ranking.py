"""Search ranking signals from readers: helpfulness of the current version and popularity.

The search engine multiplies each hit's text score by ``signals[slug]`` (missing = 1.0), in
``/search``, ``/api/search`` and ``/api/suggest``. Per published article::

    h      = (helpful + A·P0) / (votes + A)            A = 4 pseudo-votes, P0 = 0.7
    f_help = 1 + 0.3 · (h − P0)                         0.79 … 1.09
    f_pop  = 1 + 0.06 · min(1, log10(1 + views) / 3)    1.00 … 1.06 (saturates at ~1,000 views)
    m      = clamp(f_help · f_pop, 0.80, 1.15)

* ``helpful`` / ``votes`` count only votes on the article's **current version**, so a fixed
  article (new version via ``kb sync``) is back to neutral helpfulness at once.
* The Bayesian prior (4 votes at 70 % helpful — about what a typical article gets) keeps a
  handful of votes from swinging the ranking: one 没有帮助 moves h from 0.70 to 0.56
  (m 0.958); twenty of them to 0.12 (m 0.825).
* ``views`` is the article's lifetime ``view_count`` (how much people need the topic), on a
  log scale so the most-read article cannot run away with every query.
* The clamp bounds the effect: a bad article loses at most 20 % of its text score — it drops
  below a comparable article but is never buried under unrelated ones — and popularity and
  helpfulness together add at most 15 %.

Off the request path (computing them takes 0.1 s at 10,000 articles and over a second at
100,000): the ``kb worker`` job ``ranking_signals`` (every 30 s, see ``app/worker/jobs.py``)
computes them and writes ``KB_INSTANCE_DIR/ranking-signals.json`` (atomically, only when they
changed; its modification time says when they were last checked).  Every web worker reads that
file when it changes — in a background thread, keeping the signals it has meanwhile — so a
search pays one ``stat`` a second at most.

* A vote in this process recomputes **that article's** multiplier at once (one small query)
  and patches this process's copy; other workers see it at the job's next run.
* When no ``kb worker`` runs (``flask run``, tests), the file gets older than
  ``KB_RANKING_TTL`` seconds (default 120) and the web worker recomputes it itself in a
  background thread (one at a time), writing the file for the others.
* Only the very first search of a process without any file computes in the request (once).
  ``KB_RANKING_TTL = 0`` computes on every search (tests that need every vote at once).
"""

from __future__ import annotations

import json
import logging
import math
import os
import threading
import time
from pathlib import Path
from typing import Mapping

from flask import current_app
from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from ..models import Article, Feedback

PRIOR_VOTES = 4.0
PRIOR_HELPFUL = 0.7
HELP_WEIGHT = 0.3
POP_WEIGHT = 0.06
POP_SATURATION = 3.0  # log10(views + 1) at which popularity stops growing (≈ 1,000 views)
LOWEST = 0.80
HIGHEST = 1.15
DEFAULT_TTL = 120.0
FILE_NAME = "ranking-signals.json"
STAT_EVERY = 1.0  # seconds between two looks at the file's modification time
_CACHE_KEY = "kb.ranking"

log = logging.getLogger("app.feedback.ranking")


def multiplier(helpful: int, votes: int, views: int) -> float:
    """The score multiplier for one article (see the module docstring)."""
    h = (helpful + PRIOR_VOTES * PRIOR_HELPFUL) / (votes + PRIOR_VOTES)
    f_help = 1 + HELP_WEIGHT * (h - PRIOR_HELPFUL)
    f_pop = 1 + POP_WEIGHT * min(1.0, math.log10(1 + max(0, views)) / POP_SATURATION)
    return min(HIGHEST, max(LOWEST, f_help * f_pop))


def _rows(session: Session, where=None):
    current = and_(Feedback.article_id == Article.id, Feedback.article_version == Article.version)
    stmt = (
        select(
            Article.slug,
            Article.view_count,
            func.coalesce(func.sum(case((Feedback.helpful.is_(True), 1), else_=0)), 0),
            func.count(Feedback.id),
        )
        .outerjoin(Feedback, current)
        .where(Article.status == "published")
        .group_by(Article.id, Article.slug, Article.view_count)
    )
    if where is not None:
        stmt = stmt.where(where)
    return session.execute(stmt).all()


def compute(session: Session) -> dict[str, float]:
    """``{slug: multiplier}`` for published articles whose multiplier is not 1."""
    signals = {}
    for slug, views, helpful, votes in _rows(session):
        m = multiplier(int(helpful or 0), int(votes or 0), int(views or 0))
        if abs(m - 1.0) > 1e-9:
            signals[slug] = round(m, 4)
    return signals


def compute_one(session: Session, article_id: int) -> tuple[str, float] | None:
    """(slug, multiplier) of one article (None when it is not published)."""
    rows = _rows(session, Article.id == article_id)
    if not rows:
        return None
    slug, views, helpful, votes = rows[0]
    return slug, round(multiplier(int(helpful or 0), int(votes or 0), int(views or 0)), 4)


# -- the shared file ---------------------------------------------------------------------
def signals_file(config) -> Path:
    return Path(config["KB_INSTANCE_DIR"]) / FILE_NAME


def write_file(path: Path, signals: Mapping[str, float]) -> bool:
    """Write ``signals`` atomically when they differ from the file's; touch it otherwise (its
    modification time = when the signals were last checked).  True when written."""
    body = json.dumps(signals, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    try:
        if path.read_text(encoding="utf-8") == body:
            os.utime(path)
            return False
    except (OSError, ValueError):
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    tmp.write_text(body, encoding="utf-8")
    os.replace(tmp, path)
    return True


def read_file(path: Path) -> dict[str, float] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict):
        return None
    return {k: float(v) for k, v in data.items() if isinstance(k, str) and isinstance(v, (int, float))}


def refresh(session: Session, now=None) -> int:
    """The ``kb worker`` job: recompute every signal and write the shared file (number of
    articles with a multiplier other than 1)."""
    from flask import current_app as app

    signals = compute(session)
    write_file(signals_file(app.config), signals)
    return len(signals)


# -- per process -------------------------------------------------------------------------
class _State:
    """This process's signals: the mapping (replaced, never modified, so the search engine
    can cache per mapping), the file's mtime it came from, when the file was last looked at."""

    def __init__(self):
        self.signals: Mapping[str, float] | None = None
        self.mtime = None
        self.checked = 0.0
        self.lock = threading.Lock()
        self.busy = False
        self.force = False      # ignore the file once: recompute (after ``invalidate()``)


def _state(app) -> _State:
    st = app.extensions.get(_CACHE_KEY)
    if st is None:
        st = app.extensions.setdefault(_CACHE_KEY, _State())
    return st


def _mtime(path: Path):
    try:
        return path.stat().st_mtime
    except OSError:
        return None


def _compute_and_write(app) -> dict[str, float]:
    from ..db import session_scope

    with app.app_context(), session_scope() as session:
        signals = compute(session)
    try:
        write_file(signals_file(app.config), signals)
    except OSError:  # a read-only instance folder: this process still has them
        log.warning("could not write %s", signals_file(app.config))
    return signals


def _in_background(app, st: _State, work) -> None:
    """Run ``work()`` (which returns (signals, mtime)) in a thread, one at a time."""
    with st.lock:
        if st.busy:
            return
        st.busy = True

    def run():
        try:
            signals, mtime = work()
            if signals is not None:
                st.signals, st.mtime = signals, mtime
        except Exception:  # noqa: BLE001 - ranking is a nicety
            log.exception("ranking signals unavailable")
        finally:
            st.busy = False

    threading.Thread(target=run, name="kb-ranking-signals", daemon=True).start()


def current_signals() -> Mapping[str, float]:
    """This process's signals (see the module docstring: read from the file ``kb worker``
    writes, never computed on the request path except once in a process without a file)."""
    app = current_app._get_current_object()
    st = _state(app)
    ttl = float(app.config.get("KB_RANKING_TTL", DEFAULT_TTL))
    try:
        if ttl <= 0:
            st.signals = _compute_and_write(app)
            return st.signals
        now = time.monotonic()
        if st.signals is not None and now - st.checked < STAT_EVERY:
            return st.signals   # every search and keystroke but one a second: no path built
        st.checked = now
        path = signals_file(app.config)
        mtime = _mtime(path)
        if st.signals is None:                      # first search of this process
            fresh = mtime is not None and time.time() - mtime < ttl and not st.force
            data = read_file(path) if fresh else None
            st.force = False
            if data is None:
                data = _compute_and_write(app)
                mtime = _mtime(path)
            st.signals, st.mtime = data, mtime
            return data
        if mtime is None or time.time() - mtime >= ttl:   # nobody refreshed them: we do
            _in_background(app, st, lambda: (_compute_and_write(app), _mtime(path)))
        elif mtime != st.mtime:                           # kb worker wrote new ones
            _in_background(app, st, lambda: (read_file(path), mtime))
        return st.signals
    except Exception:  # ranking is a nicety: never fail a search for it
        app.logger.exception("ranking signals unavailable")
        return st.signals or {}


def invalidate(article=None) -> None:
    """After a vote in this process: recompute ``article``'s multiplier now and patch this
    process's signals (other workers see it at the next ``ranking_signals`` run).  Without
    an article: forget them, the next search recomputes everything."""
    app = current_app._get_current_object()
    st = _state(app)
    if article is None or st.signals is None:
        st.signals, st.mtime, st.checked, st.force = None, None, 0.0, True
        return
    from ..db import session_scope

    try:
        with session_scope() as session:
            got = compute_one(session, article.id)
    except Exception:  # noqa: BLE001
        app.logger.exception("ranking signal of %s unavailable", getattr(article, "slug", article))
        return
    if got is None:
        return
    slug, m = got
    signals = dict(st.signals)
    if abs(m - 1.0) > 1e-9:
        signals[slug] = m
    else:
        signals.pop(slug, None)
    st.signals = signals
