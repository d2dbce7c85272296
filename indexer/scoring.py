"""Exact BM25F scores for every match of a query, from cached postings, without Whoosh's matchers.

Whoosh scores a query by walking a tree of matcher objects posting by posting, in pure Python
(~20–50 µs per matching document for our multi-field queries).  Searches need the score of
*every* visible match (exact totals and facets, ranking signals applied to every match), so
this module evaluates the same query trees set-at-a-time instead:

* a term's postings are read block by block from each segment (document numbers and weights
  are arrays in Whoosh's posting blocks) and scored with Whoosh's own BM25F formula, the
  global idf and average field length, and the same field lengths (byte-quantised) — once per
  index snapshot, cached (``TermCache``);
* ``Term`` → {docnum: score × boost}; ``Or`` sums the scores of the sub-queries that match;
  ``And`` intersects and sums; ``AndMaybe`` adds the optional part where the required part
  matches; ``Phrase`` (slop 1) checks positions only for documents the required part already
  matched, and scores like Whoosh (the sum of its words' scores × boost);
* any other query type falls back to Whoosh's matcher for that sub-tree.

The result is Whoosh's own scoring (``tests/indexer/test_ix_scoring.py`` compares both on many
queries); only the order of floating-point additions differs (≈ 1e-15 relative).
Deleted documents may be in the postings: callers intersect with the visible set, which holds
live documents only.
"""
from __future__ import annotations

import threading
from array import array
from collections import OrderedDict

from whoosh import query as wq
from whoosh.matching.wrappers import FilterMatcher
from whoosh.scoring import BM25F
from whoosh.util.numeric import byte_to_length

__all__ = ["TermCache", "SegmentLengths", "evaluate"]

TERM_CACHE_POSTINGS = 600_000      # per snapshot: ~12 bytes each (docnum + score)


class SegmentLengths:
    """Field lengths per segment, kept across snapshots (a segment's lengths never change;
    deletions do not touch them).  Keyed by segment id; ``retain`` drops vanished segments."""

    def __init__(self):
        self._data: dict[tuple[str, str], list] = {}
        self._lock = threading.Lock()

    def get(self, segreader, fieldname: str) -> list:
        seg = segreader.segment()
        key = (seg.segment_id() if seg is not None else str(id(segreader)), fieldname)
        v = self._data.get(key)
        if v is None:
            v = _read_lengths(segreader, fieldname)
            with self._lock:
                self._data[key] = v
        return v

    def retain(self, segment_ids) -> None:
        keep = set(segment_ids)
        with self._lock:
            for k in [k for k in self._data if k[0] not in keep]:
                del self._data[k]


def _read_lengths(segreader, fieldname: str) -> list:
    """``doc_field_length(d, fieldname, 1)`` for every document number of one segment."""
    n = segreader.doc_count_all()
    try:
        from whoosh.codec.whoosh3 import LENGTHS_COLUMN, _lenfield

        col = segreader._perdoc._cached_reader(_lenfield(fieldname), LENGTHS_COLUMN)
        if col is None:
            return [1] * n
        table = [byte_to_length(b) for b in range(256)]
        table[0] = None          # Whoosh: no length byte → None (never scored: no postings)
        return [table[b] for b in col]
    except (AttributeError, ImportError):   # another codec: the public, slower way
        return [segreader.doc_field_length(d, fieldname, 1) for d in range(n)]


def _raw_leaf(segreader, fieldname, text):
    m = segreader.postings(fieldname, text)
    while isinstance(m, FilterMatcher):      # deletions: filtered later (visible set)
        m = m.child
    return m


def _blocks(m, values: bool = False):
    """(ids, weights[, values]) per posting block of a leaf matcher."""
    if hasattr(m, "_read_ids") and hasattr(m, "_next_block"):
        while m.is_active():
            if m._ids is None:
                m._read_ids()
            if m._weights is None:
                m._read_weights()
            if values:
                if m._values is None:
                    m._read_values()
                yield m._ids, m._weights, m._values
            else:
                yield m._ids, m._weights
            m._next_block()
        return
    ids, ws, vs = [], [], []                # generic matcher: posting by posting
    while m.is_active():
        ids.append(m.id())
        ws.append(m.weight())
        if values:
            vs.append(m.value())
        m.next()
    yield (ids, ws, vs) if values else (ids, ws)


class TermCache:
    """Per-snapshot cache: (field, term) → (docnums, BM25F scores) over all segments."""

    def __init__(self, lengths: SegmentLengths, max_postings: int = TERM_CACHE_POSTINGS):
        self.lengths = lengths
        self.max_postings = max_postings
        self._data: OrderedDict = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()

    def clear(self) -> None:
        with self._lock:
            self._data.clear()
            self._size = 0

    def scores(self, s, fieldname: str, text: str) -> tuple[array, array]:
        key = (fieldname, text)
        v = self._data.get(key)
        if v is not None:
            with self._lock:
                if key in self._data:
                    self._data.move_to_end(key)
            return v
        v = self._compute(s, fieldname, text)
        with self._lock:
            if key not in self._data:
                self._data[key] = v
                self._size += len(v[0])
                while self._size > self.max_postings and len(self._data) > 1:
                    _k, old = self._data.popitem(last=False)
                    self._size -= len(old[0])
        return v

    def _compute(self, s, fieldname, text) -> tuple[array, array]:
        ids_out = array("i")
        sc_out = array("d")
        if (fieldname, text) not in s.reader():
            return ids_out, sc_out
        w = s.weighting
        B, K1 = (w._field_B.get(fieldname, w.B), w.K1) if isinstance(w, BM25F) else (0.75, 1.2)
        idf = s.idf(fieldname, text)
        avgfl = s.avg_field_length(fieldname) or 1
        k1p = K1 + 1
        for sub, offset in s.leaf_searchers():
            r = sub.reader()
            if (fieldname, text) not in r:
                continue
            lens = self.lengths.get(r, fieldname)
            for ids, ws in _blocks(_raw_leaf(r, fieldname, text)):
                # the expression of whoosh.scoring.bm25, term by term (same floats)
                sc_out.extend([idf * ((tf * k1p) / (tf + K1 * ((1 - B) + B * lens[d] / avgfl)))
                               for d, tf in zip(ids, ws)])
                ids_out.extend([d + offset for d in ids] if offset else ids)
        return ids_out, sc_out

    def positions(self, s, fieldname: str, text: str, docs) -> dict[int, list[int]]:
        """Positions of ``text`` in ``fieldname`` for the documents in ``docs`` (global)."""
        out: dict[int, list[int]] = {}
        fmt = s.schema[fieldname].format
        for sub, offset in s.leaf_searchers():
            r = sub.reader()
            if (fieldname, text) not in r:
                continue
            for ids, _ws, vs in _blocks(_raw_leaf(r, fieldname, text), values=True):
                for i, d in enumerate(ids):
                    g = d + offset
                    if g in docs:
                        out[g] = fmt.decode_as("positions", vs[i])
        return out


def evaluate(q, s, cache: TermCache, within=None) -> dict[int, float]:
    """{docnum: score} of every document matching ``q`` (deleted ones may be included).

    ``within``: optional set of document numbers the caller will keep anyway (lets phrases
    check positions for those only)."""
    if q is wq.NullQuery or isinstance(q, wq.NullQuery.__class__):
        return {}
    boost = getattr(q, "boost", 1.0)
    if type(q) is wq.Term:
        ids, sc = cache.scores(s, q.fieldname, q.text)
        if boost == 1.0:
            return dict(zip(ids, sc))
        return {d: v * boost for d, v in zip(ids, sc)}
    if isinstance(q, wq.AndMaybe):
        out = evaluate(q.a, s, cache, within)
        if out:
            opt = evaluate(q.b, s, cache, out.keys())
            for d, v in opt.items():
                if d in out:
                    out[d] = out[d] + v
        return out
    if isinstance(q, wq.And) and _plain(q, wq.And):
        parts = sorted((evaluate(c, s, cache, within) for c in q.subqueries), key=len)
        if not parts or not parts[0]:
            return {}
        keys = set(parts[0])
        for p in parts[1:]:
            keys.intersection_update(p.keys())
            if not keys:
                return {}
        first = parts[0]
        out = {d: first[d] for d in keys}
        for p in parts[1:]:
            for d in keys:
                out[d] = out[d] + p[d]
        return _boosted(out, boost)
    if isinstance(q, wq.Or) and _plain(q, wq.Or) and not q.scale and not q.minmatch:
        parts = [evaluate(c, s, cache, within) for c in q.subqueries]
        parts = [p for p in parts if p]
        if not parts:
            return {}
        parts.sort(key=len, reverse=True)
        out = dict(parts[0])
        for p in parts[1:]:
            get = out.get
            for d, v in p.items():
                out[d] = get(d, 0.0) + v
        return _boosted(out, boost)
    if type(q) is wq.Phrase and q.slop == 1 and within is not None and len(q.words) >= 2:
        return _phrase(q, s, cache, within)
    return _whoosh(q, s)


def _plain(q, base) -> bool:
    """Our evaluation is only right for the stock And/Or semantics (subclasses that merely
    choose another matcher, like ``query._Or``, are fine)."""
    return type(q).matcher is base.matcher and type(q)._matcher in (base._matcher, wq.Or._matcher,
                                                                     wq.And._matcher)


def _boosted(out: dict, boost: float) -> dict:
    if boost != 1.0:
        for d in out:
            out[d] = out[d] * boost
    return out


def _phrase(q, s, cache: TermCache, within) -> dict[int, float]:
    """Exact phrase (consecutive positions) among ``within``; score = Σ word scores × boost."""
    f = q.fieldname
    words = list(q.words)
    cand = within if isinstance(within, (set, frozenset)) else set(within)
    scored = []
    for w in words:
        ids, sc = cache.scores(s, f, w)
        if not ids:
            return {}
        cand = cand.intersection(ids)
        if not cand:
            return {}
        scored.append((ids, sc))
    pos = [cache.positions(s, f, w, cand) for w in words]
    hits = []
    for d in cand:
        first = pos[0].get(d)
        if not first:
            continue
        rest = [set(p.get(d, ())) for p in pos[1:]]
        if any(all(p0 + i + 1 in r for i, r in enumerate(rest)) for p0 in first):
            hits.append(d)
    if not hits:
        return {}
    out = {d: 0.0 for d in hits}
    for ids, sc in scored:
        for d, v in zip(ids, sc):
            if d in out:
                out[d] = out[d] + v
    return _boosted(out, q.boost)


def _whoosh(q, s) -> dict[int, float]:
    """Any other query: Whoosh's own matcher (global document numbers, deletions skipped)."""
    out = {}
    m = q.matcher(s)
    while m.is_active():
        out[m.id()] = m.score()
        m.next()
    return out
