"""tantivy yardstick (the ``bench`` extra: ``pip install -e '.[bench]'``): the same records,
segmented the way our index is (rjieba search mode, lowercased, normalised), indexed with
tantivy's whitespace tokenizer into title + body, queried as an OR of the query's words over
both fields (BM25, top 10).  No snippets, no synonyms, no visibility: it measures what a
compiled engine costs on the same text, beside SQLite FTS5 — not relevance.
"""
from __future__ import annotations

import time
from pathlib import Path

from indexer import segment
from indexer.text import normalise

try:
    import tantivy
except ImportError:   # pragma: no cover - optional (bench extra)
    tantivy = None

__all__ = ["Tantivy", "available"]


def available() -> bool:
    return tantivy is not None


def _words(text: str, search_mode: bool) -> list[str]:
    seg = segment.get()
    low = normalise(text)
    if not search_mode:
        return [w for w in seg.cut(low) if w.strip() and any(c.isalnum() for c in w)]
    out = []
    for w, subs in seg.cut_for_search(low):
        if w.strip() and any(c.isalnum() for c in w):
            out.extend(subs)
            out.append(w)
    return out


class Tantivy:
    def __init__(self, path: Path | None = None):
        """An empty index in RAM, or in the folder ``path`` (created; ``Tantivy.open`` reads it
        from another process — the paired timing, ``bench.paired``)."""
        sb = tantivy.SchemaBuilder()
        sb.add_text_field("slug", stored=True, tokenizer_name="raw")
        sb.add_text_field("title", stored=False, tokenizer_name="whitespace")
        sb.add_text_field("body", stored=False, tokenizer_name="whitespace")
        self.schema = sb.build()
        if path is None:
            self.index = tantivy.Index(self.schema)
        else:
            path.mkdir(parents=True, exist_ok=True)
            self.index = tantivy.Index(self.schema, path=str(path), reuse=False)
        self.searcher = None

    @classmethod
    def open(cls, path: Path) -> "Tantivy":
        """The index ``build`` wrote into ``path``, ready to search."""
        t = cls.__new__(cls)
        t.index = tantivy.Index.open(str(path))
        t.schema = t.index.schema
        t.searcher = t.index.searcher()
        return t

    def build(self, records) -> dict:
        """Seconds spent segmenting (Python, like our analysis) and indexing (tantivy)."""
        t0 = time.perf_counter()
        docs = [(r.slug, " ".join(_words(r.title, True)), " ".join(_words(r.body, True)))
                for r in records]
        t1 = time.perf_counter()
        w = self.index.writer(heap_size=256_000_000, num_threads=2)
        for slug, title, body in docs:
            w.add_document(tantivy.Document(slug=slug, title=title, body=body))
        w.commit()
        w.wait_merging_threads()
        self.index.reload()
        self.searcher = self.index.searcher()
        t2 = time.perf_counter()
        return {"segment_s": t1 - t0, "index_s": t2 - t1, "build_s": t2 - t0}

    def search(self, q: str) -> list[str]:
        words = dict.fromkeys(_words(q, False))
        if not words:
            return []
        sub = [(tantivy.Occur.Should, tantivy.Query.term_query(self.schema, f, w))
               for w in words for f in ("title", "body")]
        res = self.searcher.search(tantivy.Query.boolean_query(sub), 10)
        return [self.searcher.doc(addr)["slug"][0] for _score, addr in res.hits]
