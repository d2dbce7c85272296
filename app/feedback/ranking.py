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

Computed in a few queries for all published articles and cached per process for
``KB_RANKING_TTL`` seconds (default 5); a vote made in this process refreshes it at once.
"""

from __future__ import annotations

import math
import time
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
DEFAULT_TTL = 5.0
_CACHE_KEY = "kb.ranking"


def multiplier(helpful: int, votes: int, views: int) -> float:
    """The score multiplier for one article (see the module docstring)."""
    h = (helpful + PRIOR_VOTES * PRIOR_HELPFUL) / (votes + PRIOR_VOTES)
    f_help = 1 + HELP_WEIGHT * (h - PRIOR_HELPFUL)
    f_pop = 1 + POP_WEIGHT * min(1.0, math.log10(1 + max(0, views)) / POP_SATURATION)
    return min(HIGHEST, max(LOWEST, f_help * f_pop))


def compute(session: Session) -> dict[str, float]:
    """``{slug: multiplier}`` for published articles whose multiplier is not 1."""
    current = and_(Feedback.article_id == Article.id, Feedback.article_version == Article.version)
    rows = session.execute(
        select(
            Article.slug,
            Article.view_count,
            func.coalesce(func.sum(case((Feedback.helpful.is_(True), 1), else_=0)), 0),
            func.count(Feedback.id),
        )
        .outerjoin(Feedback, current)
        .where(Article.status == "published")
        .group_by(Article.id, Article.slug, Article.view_count)
    ).all()
    signals = {}
    for slug, views, helpful, votes in rows:
        m = multiplier(int(helpful or 0), int(votes or 0), int(views or 0))
        if abs(m - 1.0) > 1e-9:
            signals[slug] = round(m, 4)
    return signals


def current_signals() -> Mapping[str, float]:
    """This process's cached signals, recomputed when older than ``KB_RANKING_TTL`` seconds."""
    from ..db import session_scope

    ext = current_app.extensions
    ttl = float(current_app.config.get("KB_RANKING_TTL", DEFAULT_TTL))
    cached = ext.get(_CACHE_KEY)
    now = time.monotonic()
    if cached is not None and now < cached[0]:
        return cached[1]
    try:
        with session_scope() as session:
            signals = compute(session)
    except Exception:  # ranking is a nicety: never fail a search for it
        current_app.logger.exception("ranking signals unavailable")
        signals = cached[1] if cached else {}
    ext[_CACHE_KEY] = (now + ttl, signals)
    return signals


def invalidate() -> None:
    """Forget the cached signals (after a vote in this process)."""
    current_app.extensions.pop(_CACHE_KEY, None)
