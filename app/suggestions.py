"""Suggestions for the request form: which articles might solve what is being typed.

The text searched is the title plus the start of the description (``query_text``); the chosen
category boosts matching articles but never hides the others (people often pick the wrong one).
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass

DESCRIPTION_CHARS = 200  # how much of the description joins the title in the query
TITLE_CHARS = 200
CANDIDATES = 15  # hits fetched before the category boost re-ranks them
CATEGORY_BOOST = 1.35  # score multiplier for hits in the chosen category

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN = re.compile(r"[0-9A-Za-z]")


def _squash(text: str) -> str:
    return " ".join((text or "").split())


def query_text(title: str, description: str = "") -> str:
    """Title + the first ``DESCRIPTION_CHARS`` characters of the description, whitespace folded."""
    title = _squash(title)[:TITLE_CHARS]
    description = _squash(description)[:DESCRIPTION_CHARS]
    return f"{title} {description}".strip()


def long_enough(text: str) -> bool:
    """From 2 Chinese characters or 3 Latin letters/digits (the same rule as the browser)."""
    return len(_CJK.findall(text)) >= 2 or len(_LATIN.findall(text)) >= 3


@dataclass
class Suggestions:
    query: str
    hits: list
    took_ms: float

    @property
    def slugs(self) -> list[str]:
        return [h.slug for h in self.hits]


def suggest(title: str, description: str, category: str | None, audiences, limit: int = 5) -> Suggestions:
    """Top ``limit`` visible articles for the form's current text.

    A title alone is text still being typed (``engine.suggest``: the last word may be
    incomplete); with a description it is a full request, ranked with ``engine.search``.
    """
    from .search import engine

    started = time.perf_counter()
    query = query_text(title, description)
    if not long_enough(query):
        return Suggestions(query, [], 0.0)
    eng = engine()
    if _squash(description):
        hits = list(eng.search(query, audiences=audiences, per_page=CANDIDATES).hits)
    else:
        hits = list(eng.suggest(query, audiences=audiences, limit=CANDIDATES).hits)
    hits = boost_category(hits, category)[:limit]
    return Suggestions(query, hits, (time.perf_counter() - started) * 1000)


def boost_category(hits: list, category: str | None) -> list:
    """Stable re-rank: hits in ``category`` count ``CATEGORY_BOOST`` times their score."""
    if not category:
        return hits

    def key(item):
        index, hit = item
        score = float(getattr(hit, "score", 0) or 0)
        return (-(score * CATEGORY_BOOST if hit.category == category else score), index)

    return [hit for _, hit in sorted(enumerate(hits), key=key)]
