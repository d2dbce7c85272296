"""Suggestions for the request form: which articles might solve what is being typed.

The text searched is the title plus the start of the description (``query_text``). Search's
ranking comes first; the title suggestions (``engine.suggest``: titles, the last word as a
prefix) fill the remaining places, so a word still being typed (``打印机脱``) finds 脱机 too.
The chosen category boosts matching articles but never hides the others (people often pick the
wrong one).

Measured (``bench/form_suggestions.py``, top 5, anonymous; MRR@10 / recall@5), the whole query
and the query with its last 1–3 characters not typed yet:

| set | order | whole | −1 | −2 | −3 |
| --- | --- | --- | --- | --- | --- |
| tests/relevance (230) | suggest first (before 2026-12-02) | 0.821 / 0.917 | 0.780 / 0.890 | 0.705 / 0.807 | 0.689 / 0.779 |
| | search first | 0.977 / 0.998 | 0.902 / 0.962 | 0.884 / 0.947 | 0.868 / 0.929 |
| corpus tuning half (192) | suggest first | 0.513 / 0.468 | 0.415 / 0.358 | 0.419 / 0.431 | 0.385 / 0.387 |
| | search first | 0.813 / 0.705 | 0.695 / 0.629 | 0.656 / 0.594 | 0.644 / 0.589 |

(Suggest first was chosen when search was weaker: recall@5 0.972 against 0.961 for search alone
on 181 queries then; search has improved since, title suggestions have not.)
"""

from __future__ import annotations

import re
import time
import unicodedata
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
    text = unicodedata.normalize("NFKC", text)  # full-width ＶＰＮ counts as VPN
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
    """Top ``limit`` articles the caller may see for the form's current text.

    ``category`` is a category label (as articles carry it), used as a boost only.
    """
    from ..articles.search import search as search_articles
    from ..articles.search import suggest as suggest_articles

    started = time.perf_counter()
    query = query_text(title, description)
    if not long_enough(query):
        return Suggestions(query, [], 0.0)
    searched = boost_category(list(search_articles(query, audiences=audiences, per_page=CANDIDATES).hits),
                              category)[:limit]
    seen = {h.slug for h in searched}
    typed = suggest_articles(query, audiences=audiences, limit=limit, category=category).hits
    hits = (searched + [h for h in typed if h.slug not in seen])[:limit]
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
