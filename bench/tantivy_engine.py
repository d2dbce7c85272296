"""tantivy yardstick (the ``bench`` extra: ``pip install -e '.[bench]'``): the same records,
segmented the way our index is (rjieba search mode, lowercased, normalised), indexed with
tantivy's whitespace tokenizer into title + body, queried as an OR of the query's words over
both fields (BM25, top 10).  No synonyms, no visibility: it measures what a compiled engine
costs on the same text, beside SQLite FTS5 — not relevance.

``search`` is the yardstick issue 15 judges against: the ten best documents' slugs, no
snippets.  ``page`` is the like-for-like figure (stop 32): what our search returns for a results
page — each of the ten documents' title and a highlighted snippet of its body (tantivy's
``SnippetGenerator``, 100 characters like ours, HTML) besides the slug, and the total count.
It reads a second index with title and body stored as the words a reader sees (``PAGES``),
so that ``search`` reads the same index as before; a yardstick folder written before stop 32
has none, and no ``page`` (``has_page``).
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
    return _word_lists(low)[0]


def _word_lists(low: str) -> tuple[list[str], list[str]]:
    """The words of a normalised text in search mode (each word preceded by its sub-words: what
    the judged index holds) and in accurate mode (``_words(text, False)``: the words a reader
    sees, what the pages index stores and highlights), from one segmentation."""
    search, plain = [], []
    for w, subs in segment.get().cut_for_search(low):
        if w.strip() and any(c.isalnum() for c in w):
            search.extend(subs)
            search.append(w)
            plain.append(w)
    return search, plain


#: the pages index's folder inside the yardstick's (``Tantivy.page``)
PAGES = "pages"


def _schema(stored: bool):
    sb = tantivy.SchemaBuilder()
    sb.add_text_field("slug", stored=True, tokenizer_name="raw")
    sb.add_text_field("title", stored=stored, tokenizer_name="whitespace")
    sb.add_text_field("body", stored=stored, tokenizer_name="whitespace")
    return sb.build()


def _new_index(schema, path: Path | None):
    if path is None:
        return tantivy.Index(schema)
    path.mkdir(parents=True, exist_ok=True)
    return tantivy.Index(schema, path=str(path), reuse=False)


class Tantivy:
    def __init__(self, path: Path | None = None, pages: bool = True):
        """An empty index in RAM, or in the folder ``path`` (created; ``Tantivy.open`` reads it
        from another process — the paired timing, ``bench.paired``).

        ``pages``: a second index with title and body stored, for ``page``, in ``path / PAGES``:
        the words a reader sees (accurate mode, ``_word_lists``), separated by spaces — the snippets
        are cut from the stored body; search mode's sub-words would repeat half of it
        (``防火 火墙 防火墙``) and make each snippet cost more.  Not one index for both: with
        the bodies in tantivy's document store, fetching the ten slugs of ``search``
        decompresses blocks of bodies (100k, the 100 queries, 6 alternated rounds: p50 0.20 →
        0.35 ms, p95 0.97 → 1.12), which would have flattered the judged ratio.  False: no
        pages index (as before stop 32)."""
        self.schema = _schema(False)
        self.index = _new_index(self.schema, path)
        self.pages_schema = _schema(True) if pages else None
        self.pages_index = (_new_index(self.pages_schema, path / PAGES if path else None)
                            if pages else None)
        self.searcher = self.pages_searcher = None

    @classmethod
    def open(cls, path: Path) -> "Tantivy":
        """The indexes ``build`` wrote into ``path``, ready to search."""
        t = cls.__new__(cls)
        t.index = tantivy.Index.open(str(path))
        t.schema = t.index.schema
        t.searcher = t.index.searcher()
        t.pages_index = t.pages_schema = t.pages_searcher = None
        if (path / PAGES / "meta.json").is_file():
            t.pages_index = tantivy.Index.open(str(path / PAGES))
            t.pages_schema = t.pages_index.schema
            t.pages_searcher = t.pages_index.searcher()
        return t

    def build(self, records) -> dict:
        """Seconds spent segmenting (Python, like our analysis) and indexing (tantivy; the
        pages index apart, ``pages_s``)."""
        t0 = time.perf_counter()
        docs, plain = [], []
        for r in records:
            title, body = _word_lists(normalise(r.title)), _word_lists(normalise(r.body))
            docs.append((r.slug, " ".join(title[0]), " ".join(body[0])))
            plain.append((r.slug, " ".join(title[1]), " ".join(body[1])))
        t1 = time.perf_counter()
        self.searcher = self._write(self.index, docs)
        t2 = time.perf_counter()
        if self.pages_index is not None:
            self.pages_searcher = self._write(self.pages_index, plain)
        t3 = time.perf_counter()
        return {"segment_s": t1 - t0, "index_s": t2 - t1, "build_s": t2 - t0, "pages_s": t3 - t2}

    @staticmethod
    def _write(index, docs):
        w = index.writer(heap_size=256_000_000, num_threads=2)
        for slug, title, body in docs:
            w.add_document(tantivy.Document(slug=slug, title=title, body=body))
        w.commit()
        w.wait_merging_threads()
        index.reload()
        return index.searcher()

    def _query(self, q: str, schema):
        words = dict.fromkeys(_words(q, False))
        if not words:
            return None
        sub = [(tantivy.Occur.Should, tantivy.Query.term_query(schema, f, w))
               for w in words for f in ("title", "body")]
        return tantivy.Query.boolean_query(sub)

    def search(self, q: str) -> list[str]:
        query = self._query(q, self.schema)
        if query is None:
            return []
        res = self.searcher.search(query, 10)
        return [self.searcher.doc(addr)["slug"][0] for _score, addr in res.hits]

    def has_page(self) -> bool:
        """Whether there is a pages index (written since stop 32): ``page`` needs it."""
        return self.pages_searcher is not None

    def page(self, q: str) -> tuple[int, list[tuple[str, str, str]]]:
        """(total matches, the ten best as ``(slug, title, snippet HTML)``): the work of a
        results page, as ``SearchEngine.search(q, per_page=10)`` does it for ours."""
        s = self.pages_searcher
        query = self._query(q, self.pages_schema)
        if query is None:
            return 0, []
        res = s.search(query, 10, count=True)
        gen = tantivy.SnippetGenerator.create(s, query, self.pages_schema, "body")
        gen.set_max_num_chars(100)
        out = []
        for _score, addr in res.hits:
            doc = s.doc(addr)
            out.append((doc["slug"][0], doc["title"][0], gen.snippet_from_doc(doc).to_html()))
        return res.count, out
