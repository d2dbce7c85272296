"""Per-snapshot document table: every document number's slug and category, and which document
numbers each audience set may see.

Built once per index snapshot (a pinned TOC generation, so every pooled searcher has the same
document numbers) and shared by all searches on it.  Works on an empty index: Whoosh gives an
``EmptyReader`` when there are no segments, and its ``column_reader`` raises
``NotImplementedError`` — every column read goes through :func:`column_values`.
"""
from __future__ import annotations

import threading

import numpy as np

__all__ = ["DocTable", "column_values"]


def column_values(reader, fieldname: str) -> list:
    """The column's value for every document number (deleted ones included); ``[]`` when the
    index has no documents (or the column does not exist)."""
    if reader.doc_count_all() == 0 or not reader.has_column(fieldname):
        return []
    return list(reader.column_reader(fieldname))


class DocTable:
    def __init__(self, reader):
        self.slugs: list[str] = column_values(reader, "slug")
        self.categories: list[str] = column_values(reader, "category")
        names = sorted(set(self.categories))
        code = {c: i for i, c in enumerate(names)}
        #: category of every document number as an index into ``category_names``
        self.category_names: list[str] = names
        self.category_codes = np.array([code[c] for c in self.categories], dtype=np.int32)
        self._live = list(reader.all_doc_ids()) if self.slugs else []
        self._docnums: dict[str, int] | None = None
        self._visible: dict[frozenset, set] = {}
        self._masks: dict[frozenset, np.ndarray] = {}
        self._lock = threading.Lock()

    def docnum(self, slug: str) -> int | None:
        """The live document number of ``slug`` (None when it is not in the index)."""
        m = self._docnums
        if m is None:
            slugs = self.slugs
            m = self._docnums = {slugs[d]: d for d in self._live}
        return m.get(slug)

    def visible_mask(self, searcher, audiences: frozenset) -> np.ndarray:
        """``visible`` as a boolean array over document numbers (shared: do not modify)."""
        m = self._masks.get(audiences)
        if m is None:
            m = np.zeros(len(self.slugs), dtype=bool)
            ids = self.visible(searcher, audiences)
            if ids:
                m[np.fromiter(ids, dtype=np.int64, count=len(ids))] = True
            with self._lock:
                self._masks[audiences] = m
        return m

    def visible(self, searcher, audiences: frozenset) -> set:
        """Live (not deleted) document numbers whose audience is in ``audiences`` (shared: do
        not modify; a ``set`` because Whoosh's ``filter=`` accepts no ``frozenset``)."""
        v = self._visible.get(audiences)
        if v is None:
            from whoosh import query as wq

            ids: set[int] = set()
            for a in audiences:
                ids.update(searcher.docs_for_query(wq.Term("audience", a)))
            v = ids
            with self._lock:
                if len(self._visible) > 16:
                    self._visible.clear()
                    self._masks.clear()
                self._visible[audiences] = v
        return v

    def hashes(self, reader) -> dict[str, str]:
        """``{slug: content_hash}`` of the live documents (for ``sync``)."""
        hashes = column_values(reader, "content_hash")
        if not hashes:
            return {}
        return {self.slugs[d]: hashes[d] for d in reader.all_doc_ids()}
