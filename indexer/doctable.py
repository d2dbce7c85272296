"""Per-snapshot document table: every document number's slug and category, and which document
numbers each audience set may see.

Built once per index snapshot (a pinned TOC generation, so every pooled searcher has the same
document numbers) and shared by all searches on it — from the engine's per-segment data
(``segcache.SegmentInfo``), so a snapshot after a commit only reads what the new segment adds:
the table is the segments' arrays joined, plus this generation's deletions.  Works on an empty
index: Whoosh gives an ``EmptyReader`` when there are no segments, and its ``column_reader``
raises ``NotImplementedError`` — every column read goes through :func:`column_values`.
"""
from __future__ import annotations

import threading

import numpy as np

__all__ = ["DocTable", "column_values", "hashes"]


def column_values(reader, fieldname: str) -> list:
    """The column's value for every document number (deleted ones included); ``[]`` when the
    index has no documents (or the column does not exist)."""
    if reader.doc_count_all() == 0 or not reader.has_column(fieldname):
        return []
    return list(reader.column_reader(fieldname))


def _leaves(reader) -> list:
    if reader.doc_count_all() == 0:
        return []
    return list(reader.leaf_readers())


class DocTable:
    def __init__(self, reader, segcache=None):
        if segcache is None:
            from .segcache import SegmentCache

            segcache = SegmentCache(max_bytes=0)
        leaves = _leaves(reader)
        self._leaves = [(lr, off, segcache.info(lr)) for lr, off in leaves]
        infos = [i for _lr, _off, i in self._leaves]
        self.slugs: list[str] = [s for i in infos for s in i.slugs]
        names = sorted({c for i in infos for c in i.category_names})
        code = {c: k for k, c in enumerate(names)}
        #: category of every document number as an index into ``category_names``
        self.category_names: list[str] = names
        parts = [np.array([code[c] for c in i.category_names], dtype=np.int32)[i.category_codes]
                 if len(i.category_codes) else np.zeros(0, dtype=np.int32) for i in infos]
        self.category_codes = np.concatenate(parts) if parts else np.zeros(0, dtype=np.int32)
        self._categories: list[str] | None = None
        # live (not deleted) documents of this generation
        self.live = np.ones(len(self.slugs), dtype=bool)
        for lr, off, _i in self._leaves:
            if lr.has_deletions():
                dels = np.fromiter(lr.segment().deleted_docs(), dtype=np.int64)
                if len(dels):
                    self.live[dels + off] = False
        self._docnums: dict[str, int] | None = None
        self._visible: dict[frozenset, set] = {}
        self._masks: dict[frozenset, np.ndarray] = {}
        self._signals: tuple | None = None
        self._lock = threading.Lock()

    @property
    def categories(self) -> list[str]:
        """Category name of every document number."""
        c = self._categories
        if c is None:
            names = self.category_names
            c = self._categories = [names[k] for k in self.category_codes.tolist()]
        return c

    def docnum(self, slug: str) -> int | None:
        """The live document number of ``slug`` (None when it is not in the index)."""
        m = self._docnums
        if m is None:
            slugs = self.slugs
            m = self._docnums = {slugs[d]: d for d in np.flatnonzero(self.live).tolist()}
        return m.get(slug)

    def visible_mask(self, searcher, audiences: frozenset) -> np.ndarray:
        """Live documents whose audience is in ``audiences``, as a boolean array over document
        numbers (shared: do not modify)."""
        m = self._masks.get(audiences)
        if m is None:
            parts = []
            for lr, _off, info in self._leaves:
                seg = np.zeros(info.n, dtype=bool)
                for a in audiences:
                    seg |= info.audience(lr, a)
                parts.append(seg)
            m = np.concatenate(parts) if parts else np.zeros(0, dtype=bool)
            m &= self.live
            with self._lock:
                if len(self._masks) > 16:
                    self._visible.clear()
                    self._masks.clear()
                self._masks[audiences] = m
        return m

    def visible(self, searcher, audiences: frozenset) -> set:
        """Live (not deleted) document numbers whose audience is in ``audiences`` (shared: do
        not modify; a ``set`` because Whoosh's ``filter=`` accepts no ``frozenset``)."""
        v = self._visible.get(audiences)
        if v is None:
            v = set(np.flatnonzero(self.visible_mask(searcher, audiences)).tolist())
            with self._lock:
                self._visible[audiences] = v
        return v

    def signal_multipliers(self, signals, clamp) -> np.ndarray | None:
        """``clamp(signals, slug)`` of every document number as a float32 array (None when no
        document has a multiplier other than 1).  Cached for the ``signals`` object (the app
        hands the same mapping until its signals change): built by walking whichever is
        smaller per segment, the segment's slugs or the signals."""
        cached = self._signals
        if cached is not None and cached[0] is signals:
            return cached[1]
        mult = np.ones(len(self.slugs), dtype=np.float32)
        any_set = False
        for _lr, off, info in self._leaves:
            if info.n <= len(signals):
                for d, slug in enumerate(info.slugs):
                    if slug in signals:
                        m = clamp(signals, slug)
                        if m != 1.0:
                            mult[off + d] = m
                            any_set = True
            else:
                index = info.slug_index()
                for slug in signals:
                    d = index.get(slug) if isinstance(slug, str) else None
                    if d is not None:
                        m = clamp(signals, slug)
                        if m != 1.0:
                            mult[off + d] = m
                            any_set = True
        out = mult if any_set else None
        self._signals = (signals, out)
        return out

    def hashes(self, reader) -> dict[str, str]:
        """``{slug: content_hash}`` of the live documents (for ``sync``)."""
        return hashes(reader)


def hashes(reader) -> dict[str, str]:
    """``{slug: content_hash}`` of the live documents of ``reader`` (for ``sync``)."""
    values = column_values(reader, "content_hash")
    if not values:
        return {}
    slugs = column_values(reader, "slug")
    return {slugs[d]: values[d] for d in reader.all_doc_ids()}
