"""Plain yardsticks for relevance: two untuned engines to print beside our figures.

A relevance figure alone says little; beside what a textbook engine scores on the same
documents and queries it says whether our analysis, synonyms and weights earn their keep.
Both baselines are deliberately *plain* — standard parameters, no synonyms, no Traditional →
Simplified conversion, no code handling, no field weights — and must stay that way: they are
rulers, not competitors to tune.

* :class:`JiebaBM25` — jieba's ``cut_for_search`` (the ``jieba`` package with its default
  dictionary and HMM, as anyone would call it) over ``title + "\\n" + body`` (the Markdown
  source), lowercased, tokens without a letter or digit dropped; Okapi BM25 with k1 = 1.2,
  b = 0.75 and Lucene's idf ``ln(1 + (N - df + 0.5) / (df + 0.5))``; each distinct query
  token counts once; ties go to the earlier document (input order). Pure Python.
* :class:`Fts5Trigram` — SQLite FTS5 with ``tokenize='trigram'`` over title and body (the
  same text), ranked by FTS5's built-in ``bm25()`` (k1 = 1.2, b = 0.75, both columns weight 1).
  The query is cut at whitespace and punctuation; every piece of 3 or more characters gives
  its overlapping 3-character substrings, each a quoted FTS5 string, all ORed (a trigram index
  cannot match anything shorter; a query with no such piece finds nothing).

Both filter by audience inside the search (same visibility as ours: a caller sees the
documents whose ``audience`` is in the set it passes) and return slugs, best first.

Cutting ~4,000 documents with jieba takes a minute or two, so with a ``cache_dir`` the
BM25 statistics are kept in ``bm25-jieba-<hash>.pickle`` there, keyed on every document's
slug, audience, title and body (and this module's ``CACHE_VERSION``); any change builds anew.
"""

from __future__ import annotations

import hashlib
import math
import os
import pickle
import re
import sqlite3
import unicodedata
from collections import Counter, defaultdict
from pathlib import Path
from typing import Iterable, Sequence

from .documents import IndexDocument

__all__ = ["JiebaBM25", "Fts5Trigram", "BASELINES"]

_WORDISH = re.compile(r"\w")


class JiebaBM25:
    """jieba ``cut_for_search`` + Okapi BM25 (k1 1.2, b 0.75) over title + body."""

    name = "jieba+BM25"
    key = "jieba_bm25"
    k1 = 1.2
    b = 0.75

    CACHE_VERSION = 1

    def __init__(self, docs: Sequence[IndexDocument], cache_dir: Path | None = None):
        self._jieba = _tokenizer(str(cache_dir) if cache_dir is not None else None)
        self.slugs = [d.slug for d in docs]
        self.audiences = [d.audience or "public" for d in docs]
        cache = Path(cache_dir) / f"bm25-jieba-{self._fingerprint(docs)}.pickle" if cache_dir else None
        if cache is not None and cache.is_file():
            with open(cache, "rb") as fh:
                self.postings, self.lengths = pickle.load(fh)  # noqa: S301 - our own cache file
        else:
            self.postings, self.lengths = self._count(docs)
            if cache is not None:
                tmp = cache.with_suffix(f".{os.getpid()}.tmp")
                with open(tmp, "wb") as fh:
                    pickle.dump((self.postings, self.lengths), fh, protocol=pickle.HIGHEST_PROTOCOL)
                os.replace(tmp, cache)
        self.avgdl = (sum(self.lengths) / len(self.lengths)) if self.lengths else 0.0

    def _count(self, docs: Sequence[IndexDocument]) -> tuple[dict[str, list[tuple[int, int]]], list[int]]:
        postings: dict[str, list[tuple[int, int]]] = defaultdict(list)
        lengths: list[int] = []
        for number, doc in enumerate(docs):
            counts = Counter(self.tokens(f"{doc.title}\n{doc.body}"))
            lengths.append(sum(counts.values()))
            for term, tf in counts.items():
                postings[term].append((number, tf))
        return dict(postings), lengths

    @classmethod
    def _fingerprint(cls, docs: Sequence[IndexDocument]) -> str:
        digest = hashlib.sha256(f"v{cls.CACHE_VERSION}".encode())
        for d in docs:
            for part in (d.slug, d.audience or "public", d.title, d.body):
                digest.update(part.encode("utf-8", "surrogatepass") + b"\0")
        return digest.hexdigest()[:20]

    def tokens(self, text: str) -> list[str]:
        return [t for t in (w.strip().lower() for w in self._jieba.cut_for_search(text)) if _WORDISH.search(t)]

    def idf(self, term: str) -> float:
        df = len(self.postings.get(term, ()))
        return math.log(1.0 + (len(self.lengths) - df + 0.5) / (df + 0.5))

    def search(self, query: str, audiences: Iterable[str], limit: int = 10) -> list[str]:
        allowed = frozenset(audiences)
        scores: dict[int, float] = defaultdict(float)
        for term in dict.fromkeys(self.tokens(query or "")):
            postings = self.postings.get(term)
            if not postings:
                continue
            idf = self.idf(term)
            for number, tf in postings:
                norm = self.k1 * (1 - self.b + self.b * self.lengths[number] / self.avgdl)
                scores[number] += idf * tf * (self.k1 + 1) / (tf + norm)
        ranked = sorted((n for n in scores if self.audiences[n] in allowed), key=lambda n: (-scores[n], n))
        return [self.slugs[n] for n in ranked[:limit]]


class Fts5Trigram:
    """SQLite FTS5 ``trigram`` tokenizer + its ``bm25()`` ranking, OR of the query's trigrams."""

    name = "FTS5 trigram"
    key = "fts5_trigram"

    def __init__(self, docs: Sequence[IndexDocument], cache_dir: Path | None = None):
        self.db = sqlite3.connect(":memory:", check_same_thread=False)
        self.db.execute(
            "CREATE VIRTUAL TABLE docs USING fts5(slug UNINDEXED, audience UNINDEXED, title, body, tokenize='trigram')"
        )
        with self.db:
            self.db.executemany(
                "INSERT INTO docs(slug, audience, title, body) VALUES (?, ?, ?, ?)",
                ((d.slug, d.audience or "public", d.title, d.body) for d in docs),
            )

    @staticmethod
    def match_expression(query: str) -> str | None:
        pieces = re.split(r"[\s\W_]+", query or "")
        grams = dict.fromkeys(p[i:i + 3] for p in pieces if len(p) >= 3 for i in range(len(p) - 2))
        if not grams:
            return None
        return " OR ".join('"' + g.replace('"', '""') + '"' for g in grams)

    def search(self, query: str, audiences: Iterable[str], limit: int = 10) -> list[str]:
        expression = self.match_expression(unicodedata.normalize("NFC", query or ""))
        allowed = sorted(set(audiences))
        if expression is None or not allowed:
            return []
        marks = ",".join("?" * len(allowed))
        rows = self.db.execute(
            f"SELECT slug FROM docs WHERE docs MATCH ? AND audience IN ({marks}) ORDER BY rank, rowid LIMIT ?",
            (expression, *allowed, limit),
        )
        return [slug for (slug,) in rows]

    def close(self) -> None:
        self.db.close()


BASELINES = (JiebaBM25, Fts5Trigram)


_TOKENIZER = None


def _tokenizer(cache_dir: str | None):
    """One private jieba tokenizer per process (loading the dictionary takes a second or more);
    never the process-wide ``jieba.dt`` the app may configure."""
    global _TOKENIZER
    if _TOKENIZER is None:
        import jieba

        tokenizer = jieba.Tokenizer()
        if cache_dir is not None:
            tokenizer.tmp_dir = cache_dir
        tokenizer.initialize()
        _TOKENIZER = tokenizer
    return _TOKENIZER
