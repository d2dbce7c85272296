"""One open index snapshot: a pinned Whoosh generation, a pool of searchers on it, and every
cache whose keys are its document numbers.

A snapshot is a folder (generation) at one TOC generation.  Every pooled searcher reads
exactly that TOC, so document numbers mean the same thing in all of them and caches can be
shared: the document table (slugs, categories, visibility), term statistics and postings
for ranking, suggest candidates, ranked results and the did-you-mean vocabulary.  A commit
or swap makes the engine open a new snapshot; the old one is retired (its searchers closed
as soon as no search uses them) and its caches go with it.
"""
from __future__ import annotations

import bisect
import threading
from collections import OrderedDict
from pathlib import Path

from whoosh import index as windex
from whoosh.filedb.filestore import FileStorage

import numpy as np

from . import homophones, lru, ranking, spelling
from .searching import new_result_cache
from .doctable import DocTable
from .segcache import SegmentCache
from .homophones import HomophoneIndex

__all__ = ["Snapshot", "close_quietly"]

POOL_SIZE = 8            # idle searchers kept per snapshot


def _vocab_fields(audiences) -> frozenset:
    return frozenset("dym_public" if a == "public" else "dym_internal" for a in audiences)


class Snapshot:
    def __init__(self, path: Path, key, segments: SegmentCache):
        self.path = path
        self.key = key
        # No mmap: a segment file overwritten or truncated in place (a restore with cp, a
        # broken disk) must give read errors we can recover from, not SIGBUS in every worker.
        self.ix = FileStorage(str(path), supports_mmap=False).open_index()
        self._toc = self.ix._read_toc()   # pinned: every pooled searcher sees the same docnums
        # data of segments merged away since the last snapshot is not needed again
        # (and where this generation's posting stores are: see segcache)
        segments.retain((seg.segment_id() for seg in self._toc.segments), folder=path)
        self.segments = segments
        self._pool: list = []
        self._lock = threading.Lock()
        self._borrowed = 0
        self.retired = False
        self.readable = True      # False after a read error: never used as a fallback again
        self.suggest_cache: OrderedDict = OrderedDict()
        self.result_cache = new_result_cache()      # ranked matches per query (``searching``)
        self.vocab: dict = {}
        self._table: DocTable | None = None
        self.rank = ranking.RankIndex(segments)   # field lengths, term scores (search, suggest)

    # -- per-snapshot data ----------------------------------------------------------------
    def table(self, s) -> DocTable:
        """Slugs, categories and visibility of this snapshot (built on first use)."""
        t = self._table
        if t is None:
            t = self._table = DocTable(s.reader(), self.segments)
        return t

    def allowed(self, s, audiences: frozenset) -> set:
        """Live document numbers the audience set may see."""
        return self.table(s).visible(s, audiences)

    def allowed_mask(self, s, audiences: frozenset) -> np.ndarray:
        """``allowed`` as a boolean array over document numbers."""
        return self.table(s).visible_mask(s, audiences)

    def vocabulary(self, s, audiences: frozenset, dictionary_terms) -> spelling.Combined:
        """Did-you-mean vocabulary: title/tag words of the articles ``audiences`` may see, plus
        ``dictionary_terms()`` (user dictionary, synonyms)."""
        key = _vocab_fields(audiences)
        v = self.vocab.get(key)
        if v is None:
            # Only Latin words can be corrected, and they sort first (ASCII bytes): each
            # segment's ASCII terms, kept per segment (the merged multi-segment lexicon looks
            # every term up in every segment: 157 ms instead of 12 at 10,000 articles), and
            # indexed per segment (``SegmentInfo.latin_vocabulary``): after a commit only the
            # new segment's words are, not the whole vocabulary again
            parts = []
            r = s.reader()
            for leaf, _offset in (r.leaf_readers() if r.doc_count_all() else []):
                info = self.segments.info(leaf)
                for f in sorted(key):
                    parts.append(info.latin_vocabulary(leaf, f))
            v = self.vocab[key] = spelling.Combined(
                parts, spelling.dictionary_part(dictionary_terms()))
        return v

    def homophones(self, s, audiences: frozenset, dictionary_terms) -> HomophoneIndex:
        """Homophone keys of the Chinese did-you-mean vocabulary (title/tag words of the
        articles ``audiences`` may see, plus ``dictionary_terms()``): each segment's keys
        (``SegmentInfo.homophone_keys``, built once per segment and kept across snapshots —
        after a commit only the new segment's words are keyed) and the dictionary's
        (``homophones.dictionary_part``, kept while the terms stay the same), combined on
        first need."""
        key = ("homophones", _vocab_fields(audiences))
        v = self.vocab.get(key)
        if v is None:
            parts = []
            r = s.reader()
            for leaf, _offset in (r.leaf_readers() if r.doc_count_all() else []):
                info = self.segments.info(leaf)
                for f in sorted(key[1]):
                    parts.append(info.homophone_keys(leaf, f))
            parts.append(homophones.dictionary_part(dictionary_terms()))
            v = self.vocab[key] = HomophoneIndex(parts=parts)
        return v

    def visible_term(self, s, audiences: frozenset, term: str) -> bool:
        """True when ``term`` is a title/tag word of an article ``audiences`` may see."""
        allowed = self.allowed_mask(s, audiences)
        for f in sorted(_vocab_fields(audiences)):
            r = s.reader()
            for lr, off in (r.leaf_readers() if r.doc_count_all() else []):
                p = self.segments.postings(lr, f, term)
                if len(p.ids) and allowed[p.ids + off].any():
                    return True
        return False

    def _leaf(self, s, docnum: int):
        """(segment reader, local document number) of ``docnum`` in searcher ``s``."""
        r = s.reader()
        if r.is_atomic():
            return r, docnum
        leaves = r.leaf_readers()
        k = bisect.bisect_right([off for _lr, off in leaves], docnum) - 1
        lr, off = leaves[k]
        return lr, docnum - off

    def hit_record(self, s, docnum: int):
        """(fields, text, prepared) of a hit: the small stored fields ``make_hit`` shows, its
        ``stored_text``, and what the hit store prepared for its snippet
        (``hitstore.Prepared``; None: ``snippets`` computes it) — from the segment's hit store
        (``hitstore``) when it has a usable one, else from Whoosh's stored fields (the same
        values)."""
        got = self._from_hitstore(s, docnum, "record")
        if got is not None:
            return got
        stored = s.stored_fields(docnum)
        return stored, stored.get("stored_text", ""), None

    def hit_fields(self, s, docnum: int) -> dict:
        """The stored fields ``make_hit`` shows (no text: suggest), as ``hit_record``."""
        got = self._from_hitstore(s, docnum, "fields")
        return got if got is not None else s.stored_fields(docnum)

    def _from_hitstore(self, s, docnum: int, what: str):
        """``HitStore.record`` or ``.fields`` (``what``) of a hit from its segment's hit store;
        None when the segment has no usable store or the store defers to Whoosh's fields."""
        if docnum < 0:
            return None
        lr, local = self._leaf(s, docnum)
        st = self.segments.hitstore(lr)
        return getattr(st, what)(local) if st is not None else None

    def clear_caches(self, *, terms: bool = False, segments: bool = False) -> None:
        """Forget cached results, suggestions and merged group scores (benchmarks measure
        the work, not the caches: a repeated query would find all its groups remembered);
        ``terms``: also the combined term scores and the vocabulary, as on a new snapshot after
        a commit; ``segments``: also every cached posting, as in a new process."""
        self.suggest_cache.clear()
        self.result_cache.clear()
        self.rank.clear_groups()
        if terms or segments:
            self.rank.clear()
            self.vocab.clear()
        if segments:
            self.segments.clear_postings()

    cache_get = staticmethod(lru.get)
    cache_put = staticmethod(lru.put)

    # -- searchers ------------------------------------------------------------------------
    def acquire(self):
        with self._lock:
            s = self._pool.pop() if self._pool else None
            self._borrowed += 1
        if s is None:
            try:
                s = self._new_searcher()
            except BaseException:
                with self._lock:
                    self._borrowed -= 1
                raise
        return s

    def _new_searcher(self):
        from whoosh.searching import Searcher

        toc = self._toc
        reader = windex.FileIndex._reader(self.ix.storage, toc.schema, list(toc.segments),
                                          toc.generation)
        return Searcher(reader, fromindex=self.ix)

    def release(self, s, ok: bool = True) -> None:
        close = []
        with self._lock:
            self._borrowed -= 1
            if self.retired or not ok or len(self._pool) >= POOL_SIZE:
                close.append(s)
            else:
                self._pool.append(s)
        for c in close:
            close_quietly(c)

    def retire(self) -> None:
        with self._lock:
            self.retired = True
            idle, self._pool = self._pool, []
        for s in idle:
            close_quietly(s)


def close_quietly(s) -> None:
    try:
        s.close()
    except Exception:  # pragma: no cover - closing a half-broken reader
        pass
