"""Ranking: executes a query plan (``query.Plan``) on one index snapshot.

Scores are BM25F over the ``title``, ``body`` and ``codes`` fields, computed set-at-a-time with
numpy from the snapshot's postings:

* **one saturation per word, not per field.**  A word's field frequencies are normalised by
  each field's length (``b`` per field) and weighted (``FIELDS``), *summed*, and only then
  saturated: ``tf~ = Σ w_f·tf_f / (1 − b_f + b_f·len_f/avg_f)``,
  ``score = idf · tf~·(k1+1) / (k1 + tf~)``.  A word in a three-word title can therefore not
  be worth more than ``idf·(k1+1)`` however the fields add up — summing per-field BM25 scores
  (Whoosh's BM25F) let short English stub titles beat the page whose body is about the need.
  ``idf`` counts the documents *the caller may see* that hold the word in any field (so
  neither scores nor plans depend on internal articles for anonymous searchers).
* **a group scores its best alternative** (the word, a code spelling, covering pieces, a
  variant, a synonym — each with its plan weight); a word and its synonym in the same page
  are not counted twice.  An alternative of several words needs all of them and scores their
  mean.
* **coordination instead of AND-then-OR**: every page matching any group is a candidate;
  ``share`` = the part of the plan's coverage weight (its informative groups, weighted by
  idf) the page matches.  Pages below the plan's ``min_share`` are dropped (unless that
  leaves nothing), and the score is multiplied by ``share ** COORD_EXP``, so pages that
  match more of the informative words come first without a cliff between "all words" and
  "some words".
* **proximity**: the best ``PROXIMITY_TOP`` pages get a bonus for each pair of neighbouring
  query groups that appear next to each other (in order, at most ``PROXIMITY_WINDOW``
  positions apart) in the title or the body.

Every visible match is scored (exact totals and facets; ranking signals may lift any of
them).  The per-snapshot caches hold the field lengths (numpy arrays) and each term's
combined scores (bounded by memory, ``TERM_CACHE_BYTES``); postings come from the engine's
per-segment cache (``segcache``), shared by every snapshot.
"""
from __future__ import annotations

import math
import threading
from bisect import bisect_left, bisect_right
from collections import OrderedDict
from dataclasses import dataclass
from functools import partial
from itertools import accumulate
from pickle import loads as _loads

from .segcache import DECODED_PER_TERM, segment_key
from .synonyms import VARIANT_WEIGHT

import numpy as np
from whoosh.formats import Positions as _WhooshPositions
from whoosh.system import _INT_SIZE

__all__ = ["RankIndex", "Ranked", "Terms", "rank", "prefix_term", "MODELS",
           "FIELDS", "K1"]

#: field → (weight, b) per scoring model.  Token boosts of ``analysis`` come on top: tags in
#: the title field weigh 0.6 per token, heading words 3 in the body, front-matter codes 4.
#: ``search`` ranks whole articles; ``titles`` ranks titles for suggest; ``prefix`` looks up
#: the edge n-grams of title words (existence only) for the fragment being typed.
MODELS = {
    "search": {"title": (3.0, 0.3), "body": (1.0, 0.75), "codes": (2.0, 0.0)},
    "titles": {"title": (5.0, 0.75), "codes": (2.5, 0.0)},
    # error codes: an identifier, not prose — a long reference table that lists the code
    # once answers as well as a short page, so no length normalisation
    "code": {"title": (3.0, 0.0), "body": (1.0, 0.0), "codes": (2.0, 0.0)},
    "prefix": {"prefix": (2.0, 0.0)},
}
FIELDS = MODELS["search"]
#: a term starting with this marker is looked up in the ``prefix`` model (``prefix_term``)
PREFIX_MARK = "\x00"
K1 = 1.2
COORD_EXP = 0.0
TITLE_COVER_WEIGHT = 1.0     # × (share of the query's coverage found in the title)²
TITLE_ALT_WEIGHT = 0.8       # alternatives that count for the title: word, codes, pieces, variants
PROXIMITY_TOP = 15
PROXIMITY_ALT_WEIGHT = 0.5   # alternatives looked for in positions (not English stand-ins)
PROXIMITY_WINDOW = 3
PROXIMITY_WEIGHT = 0.5
PROXIMITY_ORDERED = True     # neighbours must appear in query order
PROXIMITY_SAME_POSITION = True   # distance 0 counts: a compound's pieces share its position
#: a colloquial variant of several Chinese words (删不掉 → 无法 删除) scores the sum of its words,
#: not their mean: it is how articles state the need, every word of it is part of it; with the
#: mean it never beat the single-word variant beside it (删除), which pages about restoring
#: deleted files hold too (round 11).  Product names (win10 → windows 10) keep the mean.
PHRASE_VARIANT_SUM = True
#: …but only where its words stand next to each other (in order, ≤ PROXIMITY_WINDOW apart) in
#: the title or the body; checked for the PROXIMITY_TOP best candidates of a search (not of
#: suggest's title model), elsewhere the mean
PHRASE_ADJACENT = True
TERM_CACHE_BYTES = 32 * 1024 * 1024   # per snapshot: combined term scores (numpy)
#: per snapshot, visibility mask and model: remembered document frequencies (``Terms.df``;
#: a bench query reads ≈ 60), cleared when full
DF_CACHE_TERMS = 10_000     # ≈ 1.5 MB per (mask, model) at most
DF_CACHE_MASKS = 8
#: per snapshot: the merged scores of groups whose alternatives were merged over every
#: document number (``rank``'s dense groups, ≈ 0.4 MB each at 100,000 articles), keyed by
#: visibility mask, model, idf cap and alternatives — the 失败 or 连接 group recurs in many
#: distinct queries; LRU, bounded by bytes; ``Snapshot.clear_caches`` forgets them with the
#: ranked results (a repeated query must not count as a hit in the benchmarks)
GROUP_CACHE_BYTES = 16 * 1024 * 1024


@dataclass
class Ranked:
    """Visible matches, best first: ``ids`` (document numbers) and ``scores``; ``full`` is
    True when at least one of them matches every informative group."""
    ids: np.ndarray
    scores: np.ndarray
    full: bool = True
    #: the first ``sorted_upto`` matches are in final order; the rest (all scoring strictly
    #: less) in no particular order — see ``ranked_order`` (None: all sorted)
    sorted_upto: int | None = None

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def head(self) -> int:
        return len(self.ids) if self.sorted_upto is None else self.sorted_upto


def prefix_term(key: str) -> str:
    """The term for "a title word starts with ``key``" (suggest's fragment being typed)."""
    return PREFIX_MARK + key


_EMPTY_I = np.zeros(0, dtype=np.int32)
_EMPTY_F = np.zeros(0, dtype=np.float32)
_ZERO32 = np.float32(0.0)
#: fields whose postings carry positions (proximity reads them from the segment cache)
POSITION_FIELDS = frozenset({"title", "body"})
#: every field a model scores (``_compute`` looks terms up only in these)
RANKED_FIELDS = frozenset(f for m in MODELS.values() for f in m)


class RankIndex:
    """Per-snapshot ranking data: field lengths and term scores (shared by threads).

    Postings come from the engine's ``SegmentCache`` (kept across snapshots, so a snapshot
    after a commit reads only the new segment's postings); what is per snapshot is their
    combination over the segments with this snapshot's average field lengths, cached per term
    and bounded by memory (``max_bytes``)."""

    def __init__(self, segcache, max_bytes: int = TERM_CACHE_BYTES):
        self.segcache = segcache               # SegmentCache, kept across snapshots
        self.max_bytes = max_bytes
        self._lock = threading.Lock()
        self._ready = False
        self._terms: OrderedDict = OrderedDict()
        self._size = 0
        self._dfs: dict = {}
        self.group_bytes = GROUP_CACHE_BYTES
        self._groups: OrderedDict = OrderedDict()
        self._groups_size = 0
        self._positions: OrderedDict = OrderedDict()     # ``positions`` memo
        self._positions_docs = 0                          # documents in it

    def clear(self) -> None:
        """Forget every cached term, document frequency, group and decoded position (the field
        lengths stay)."""
        with self._lock:
            self._terms.clear()
            self._size = 0
            self._dfs.clear()
            self._positions.clear()
            self._positions_docs = 0
        self.clear_groups()

    def clear_groups(self) -> None:
        """Forget the merged group scores."""
        with self._lock:
            self._groups.clear()
            self._groups_size = 0

    def group_memo(self, allowed: np.ndarray, key):
        """The remembered merged scores ``[best, mean, title docs]`` of a group (``key``:
        model, idf cap, alternatives; the title docs as numbers or as a mask, ``title_docs``)
        as the documents ``allowed`` holds see them, or None.
        Keyed by the mask object, which is kept with them (as in ``df_memo``)."""
        got = self._groups.get((id(allowed), key))
        if got is None or got[0] is not allowed:
            return None
        with self._lock:
            k = (id(allowed), key)
            if k in self._groups:
                self._groups.move_to_end(k)
        return got[1]

    def group_remember(self, allowed: np.ndarray, key, entry: list) -> None:
        """Keep ``entry`` (``[best, mean or None, title docs or None, the phrase variants'
        documents or None]``, read-only arrays)
        for ``group_memo``; the oldest go past ``group_bytes``."""
        size = _entry_bytes(entry)
        if size > self.group_bytes:
            return
        k = (id(allowed), key)
        with self._lock:
            old = self._groups.pop(k, None)
            if old is not None:
                self._groups_size -= _entry_bytes(old[1])
            self._groups[k] = (allowed, entry)
            self._groups_size += size
            self._shrink_groups()

    def _shrink_groups(self) -> None:
        while self._groups_size > self.group_bytes and self._groups:   # (lock held)
            _k, gone = self._groups.popitem(last=False)
            self._groups_size -= _entry_bytes(gone[1])

    def group_titles(self, allowed: np.ndarray, key, entry: list, titles: np.ndarray) -> None:
        """Add a remembered group's title documents to its entry (counted in its size)."""
        with self._lock:
            got = self._groups.get((id(allowed), key))
            if got is not None and got[1] is entry and entry[2] is None:
                entry[2] = titles
                self._groups_size += titles.nbytes
                self._shrink_groups()

    def df_memo(self, allowed: np.ndarray, model: str) -> dict:
        """The remembered document frequencies (text → count) of the documents ``allowed``
        holds, in the fields of ``model`` (cleared past ``DF_CACHE_TERMS`` entries).  Keyed by
        the mask object, which is kept with them (the snapshot's masks are shared and never
        modified; its id cannot be reused while it is held here)."""
        key = (id(allowed), model)
        got = self._dfs.get(key)
        if got is None or got[0] is not allowed:
            with self._lock:
                got = self._dfs.get(key)
                if got is None or got[0] is not allowed:
                    if len(self._dfs) >= DF_CACHE_MASKS:
                        self._dfs.clear()
                    got = self._dfs[key] = (allowed, {})
        if len(got[1]) >= DF_CACHE_TERMS:
            got[1].clear()
        return got[1]

    # -- snapshot-wide data ---------------------------------------------------------------
    def _setup(self, s) -> None:
        if self._ready:
            return
        with self._lock:
            if self._ready:
                return
            r = s.reader()
            self.ndocs_all = r.doc_count_all()
            self.ndocs = max(1, r.doc_count())
            self.leaves = [(sub.reader(), off) for sub, off in s.leaf_searchers()]
            # where each leaf's document numbers start, and the end of the last one
            self.leaf_bounds = np.array([off for _lr, off in self.leaves]
                                        + [self.ndocs_all], dtype=np.int64)
            self.lengths = {}
            self.avg = {}
            self._norms = {}
            infos = [self.segcache.info(lr) for lr, _off in self.leaves]
            for f in {f for m in MODELS.values() for f in m}:
                if f == "prefix":         # existence only, b = 0: lengths are never used
                    continue
                parts = [info.lengths(lr, f) for info, (lr, _off) in zip(infos, self.leaves)]
                arr = np.concatenate(parts) if parts else np.zeros(0, dtype=np.float32)
                self.lengths[f] = arr
                self.avg[f] = float(s.avg_field_length(f) or 1.0) or 1.0
            self._ready = True

    # -- one term -------------------------------------------------------------------------
    def term(self, s, text: str, model: str = "search") -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(sorted document numbers, saturated BM25F term frequencies ``tf~(k1+1)/(k1+tf~)``,
        sorted document numbers with the term in the title) of ``text`` over the fields of
        ``model``; multiplied by an idf the second array holds BM25F scores.  A
        ``prefix_term`` is looked up in the ``prefix`` model whatever ``model`` says."""
        if text.startswith(PREFIX_MARK):
            model, text = "prefix", text[len(PREFIX_MARK):]
        key = (model, text)
        v = self._terms.get(key)
        if v is not None:
            with self._lock:
                if key in self._terms:
                    self._terms.move_to_end(key)
            return v
        self._setup(s)
        v = self._compute(text, MODELS[model])
        size = v[0].nbytes + v[1].nbytes + v[2].nbytes + 200
        with self._lock:
            if key not in self._terms:
                self._terms[key] = v
                self._size += size
                while self._size > self.max_bytes and len(self._terms) > 1:
                    _k, old = self._terms.popitem(last=False)
                    self._size -= old[0].nbytes + old[1].nbytes + old[2].nbytes + 200
        return v

    def norm(self, field: str, b: float) -> np.ndarray:
        """``(1 - b) + b·len/avg`` of ``field`` for every document number (float32, per
        snapshot): the same float32 operations ``_compute`` did on each posting's length, done
        once over all the lengths (element by element the same values)."""
        key = (field, b)
        v = self._norms.get(key)
        if v is None:
            v = (1.0 - b) + b * (self.lengths[field] / self.avg[field])
            v.flags.writeable = False
            self._norms[key] = v       # (two threads computing it keep equal arrays)
        return v

    def _compute(self, text: str, fields: dict):
        fids, ftfs = [], []          # per field of the model: document numbers, BM25F parts
        title = _EMPTY_I
        postings = self.segcache.postings
        # (a small segment that does not hold the text at all is passed over: no look-up in
        # each of its fields)
        leaves = [leaf for leaf in self._keyed_leaves() if leaf[3] is None or text in leaf[3]]
        for f, (weight, b) in fields.items():
            keep = f in POSITION_FIELDS
            got = []
            for lr, off, seg, _texts in leaves:
                p = postings(lr, f, text, keep, seg)
                if len(p.ids):
                    got.append((p, off))
            if not got:
                continue
            ids, tf = _joined(got, weight)
            if b:
                # (``take`` with int32 positions: ``norm[ids]`` converts them to intp first;
                # mode "wrap" skips the bounds errors — every posting's number is in range —
                # ≈ 35 % less than "raise")
                np.divide(tf, self.norm(f, b).take(ids, mode="wrap"), out=tf)
            fids.append(ids)
            ftfs.append(tf)
            if f == "title":
                title = ids
        if not fids:
            return _EMPTY_I, _EMPTY_F, _EMPTY_I
        ids, tf = sum_fields(fids, ftfs, self.ndocs_all)
        # tf*(k1+1)/(tf+k1) in float32, in place (``tf`` is this call's own array)
        den = tf + K1
        np.multiply(tf, K1 + 1.0, out=tf)
        np.divide(tf, den, out=tf)
        return ids.astype(np.int32, copy=False), tf, title.astype(np.int32, copy=False)

    def _keyed_leaves(self) -> list:
        """``leaves`` with each one's segment key and, for a small segment, the texts of its
        terms (``SegmentInfo.texts``; else None): ``(reader, offset, key, texts)`` (for
        ``SegmentCache.postings``; set on first use, after ``_setup``)."""
        got = getattr(self, "_kleaves", None)
        if got is None:
            info = self.segcache.info
            got = self._kleaves = [(lr, off, segment_key(lr), info(lr).texts(lr, RANKED_FIELDS))
                                   for lr, off in self.leaves]
        return got

    # -- positions (proximity) ------------------------------------------------------------
    def field_docs(self, field: str, text: str) -> np.ndarray | None:
        """A sorted superset of the documents holding ``text`` in ``field``, from the term
        scores already cached (the title list, or the documents of a model that scores the
        body); None when no cached entry tells."""
        for model in ("search", "code", "titles"):
            v = self._terms.get((model, text))
            if v is not None and field in MODELS[model]:
                return v[2] if field == "title" else v[0]
        return None

    def positions(self, s, field: str, text: str, docs: np.ndarray) -> dict[int, list[int]]:
        """Positions of ``text`` in ``field`` for those of the (sorted) document numbers
        ``docs`` that hold it, in the order of ``docs``; only the documents that can hold it
        (``_holders``) are looked up.

        Remembered per term for the documents asked (also those without the term; at most
        ``POSITIONS_MEMO_PER_TERM`` a term, ``POSITIONS_MEMO_DOCS`` in all, the terms used
        least recently forgotten first): the best pages of a
        term come back query after query, and looking them up again in every segment costs
        ≈ 20 µs a call (a segment-cache look-up and half a dozen numpy calls per segment) where
        the memo answers in 2–3 µs.  Otherwise decoded from the raw values of the term's
        postings (the segment's posting store, or the blocks the segment cache keeps: no block
        is read again; ``_positions_read``)."""
        key = (field, text)
        memo = self._positions.get(key)
        want = docs.tolist()
        if memo is not None:
            out: dict[int, list[int]] = {}
            for d in want:
                ps = memo.get(d, _UNKNOWN)
                if ps is _UNKNOWN:
                    break
                if ps is not None:
                    out[d] = ps
            else:
                with self._lock:
                    if key in self._positions:
                        self._positions.move_to_end(key)
                return out
        ask = self._holders(field, text, docs)
        out = self._positions_read(s, field, text, ask) if len(ask) else {}
        if len(want) > POSITIONS_MEMO_PER_TERM:
            return out
        new = {} if memo is None or len(memo) + len(want) > POSITIONS_MEMO_PER_TERM else dict(memo)
        for d in want:
            new[d] = out.get(d)
        with self._lock:
            old = self._positions.pop(key, None)
            if old is not None:
                self._positions_docs -= len(old)
            self._positions[key] = new
            self._positions_docs += len(new)
            while self._positions_docs > POSITIONS_MEMO_DOCS and len(self._positions) > 1:
                _k, gone = self._positions.popitem(last=False)
                self._positions_docs -= len(gone)
        return out

    def _holders(self, field: str, text: str, docs: np.ndarray) -> np.ndarray:
        """Those of ``docs`` that can hold ``text`` in ``field``, as the cached term scores tell
        (``field_docs``; all of them when no cached entry tells): the others would be looked up
        in vain — most words of a query are in none of the best candidates' titles."""
        known = self.field_docs(field, text)
        if known is None:
            return docs
        if not len(known):
            return docs[:0]
        # (``docs`` in the dtype of ``known``: numpy would convert all of ``known`` to int64
        # first, ≈ 5 µs for a word in 24,000 documents; exact, document numbers fit in int32)
        k = known.searchsorted(docs.astype(known.dtype, copy=False))
        np.minimum(k, len(known) - 1, out=k)
        return docs[known[k] == docs]

    def _positions_read(self, s, field: str, text: str, docs: np.ndarray) -> dict[int, list[int]]:
        """``positions`` from the term's postings, leaf by leaf: the documents holding the term
        are picked out with one binary search per leaf, and the raw values of those not
        decoded yet are read in one call (``raws``) and decoded by ``_position_decoder``.

        Per leaf a binary search in numpy and the rest in Python over the few documents asked
        (≈ 9 a call in the bench's first round): a leaf's share of ``docs`` is found with
        ``bisect`` on their list, whether a document holds the term is read from a
        ``memoryview`` of the term's document numbers, instead of a ``minimum``, a gather and
        three ``tolist`` per leaf and a ``searchsorted`` per call (≈ 1 µs each).  The numbers
        searched for are cast to the dtype of ``ids`` (int32): numpy searches int64 needles
        (``docs`` as the callers build them) in int32 postings by first converting the whole
        posting list, ≈ 4 µs for 18,000 postings.  On the bench's first round at 100k (383
        calls, 3,587 documents; postings cached, decoded memos cleared; ``raws`` included):
        13.5 → 10.5–11.1 ms with the stores' pages left mapped, CPU 21.7–23.9 → 18.0–20.6 ms
        with them unmapped as ``trim`` does (the page faults, ≈ 40 % of it, stay)."""
        out: dict[int, list[int]] = {}
        decode = _position_decoder(s.schema[field].format)
        self._setup(s)
        want = docs.tolist()
        leaves = self.leaves
        # each leaf's share of ``docs`` (sorted): ``want[lo:hi]``
        cuts = [bisect_left(want, b) for b in self.leaf_bounds.tolist()]
        postings = self.segcache.postings
        for (lr, off), lo, hi in zip(leaves, cuts, cuts[1:]):
            if lo == hi:
                continue
            p = postings(lr, field, text, True)
            ids = p.ids
            n = len(ids)
            if not n:
                continue
            # (in the dtype of ``ids``: see above; exact, a leaf's numbers fit in it)
            local = (docs[lo:hi] - off) if off else docs[lo:hi]
            ks = ids.searchsorted(local.astype(ids.dtype, copy=False)).tolist()
            at = memoryview(ids)
            decoded = p.decoded
            todo = []
            for g, kk in zip(want[lo:hi], ks):
                d = g - off
                if kk == n or at[kk] != d:    # the term is not in that document
                    continue
                ps = decoded.get(d)
                if ps is None:
                    todo.append(kk)
                out[g] = ps                   # (in the order of ``docs``; filled below)
            if todo:
                for kk, raw in zip(todo, p.raws(todo)):
                    d = at[kk]
                    ps = decode(raw)
                    if len(decoded) >= DECODED_PER_TERM:
                        decoded.clear()
                    decoded[d] = ps
                    out[d + off] = ps
        return out


#: documents whose positions (or absence) ``RankIndex.positions`` remembers per snapshot, in
#: all and per term (the best pages of a word shared by many queries differ from query to query)
POSITIONS_MEMO_DOCS = 65536
POSITIONS_MEMO_PER_TERM = 128
_UNKNOWN = object()


def _decode_positions(value: bytes) -> list[int]:
    """``whoosh.formats.Positions.decode_positions``: the value is the number of positions (4
    bytes) then a pickled list of their gaps; the gaps summed by ``accumulate`` (C) instead of
    a Python loop, and the format's ``decode_as`` look-up skipped.  A list of fewer than two
    gaps is its own positions: returned as loaded (40 % of the values proximity reads on the
    100k bench index hold one position; ``accumulate`` and a copy cost ≈ 0.2 µs each)."""
    if value[-1:] != b".":
        value += b"."
    gaps = _loads(value[_INT_SIZE:])
    if len(gaps) < 2 and type(gaps) is list:
        return gaps
    return list(accumulate(gaps))


def _position_decoder(fmt):
    """A function decoding a posting's raw value of ``fmt`` into its positions, as
    ``fmt.decode_as("positions", value)`` does: ``_decode_positions`` for Whoosh's own
    ``Positions`` (our title and body), the format's own method for any other."""
    if type(fmt).decode_positions is _WhooshPositions.decode_positions:
        return _decode_positions
    return partial(fmt.decode_as, "positions")


def _entry_bytes(entry) -> int:
    return sum(a.nbytes for a in entry if a is not None) + 200


def _joined(got, weight: float) -> tuple[np.ndarray, np.ndarray]:
    """One field's postings over the segments (``(postings, offset)`` in the leaves' order):
    document numbers (ascending: each segment's are, and a leaf's offset is past the one
    before; one segment at offset 0: its array as it is, a view of the store) and
    ``weight`` × weights (float32, a new array of the caller's)."""
    if len(got) == 1:
        p, off = got[0]
        return (p.ids + np.int32(off) if off else p.ids), weight * p.weights
    ids = np.concatenate([p.ids for p, _off in got])
    at = 0
    for p, off in got:
        n = len(p.ids)
        if off:
            ids[at:at + n] += np.int32(off)
        at += n
    ws = np.concatenate([p.weights for p, _off in got])
    if weight != 1.0:                    # (a float32 times 1.0 is itself)
        np.multiply(ws, weight, out=ws)  # (= weight * ws: one float32 product each)
    return ids, ws


#: ``sum_fields`` adds the other fields' postings onto the longest field's (by their sorted
#: numbers) when they number fewer than 1/MERGE_SHARE of the document numbers, else adds
#: every part in an array over every document number
MERGE_SHARE = 16


def sum_fields(fids: list, ftfs: list, ndocs: int) -> tuple[np.ndarray, np.ndarray]:
    """(document numbers ascending, float32 sums): each document's parts summed in float64 in
    the order of ``fids`` (ascending document numbers without repeats) and ``ftfs`` (their
    float32 parts), then cast to float32 — as adding each part in order into a float64 array
    over every document number would.

    The longest field (the body, for most words) holds nearly every document: the others'
    postings are looked up in it (``_sum_onto``), and only the documents they hold are
    summed in float64 — one alone in the longest field sums to ``0.0 + part``, that part
    itself (``+ 0.0`` turns a -0.0 into 0.0, as that sum does).  Its cost follows the other
    fields' postings, not the longest one's nor the number of documents: at 100,000
    articles a bench word of 23,000 body and 400 title postings took ≈ 140 µs over every
    document number (zeros, ``bincount``, ``flatnonzero``, a gather), ≈ 30 µs so (≈ 70 µs
    with title documents the body lacks, inserted).  When the other fields
    hold many postings (a word as common in titles as in bodies), one ``bincount`` of the
    parts in that order (it adds each document's weights in the order they come, from 0.0:
    the same float64 sums) over every document number costs less than looking each of them
    up, and the documents are those whose sum is not 0 — every part is a frequency divided
    by a length norm, > 0 (checked: else a mask of the documents tells)."""
    if len(fids) == 1:            # (a float32 through float64 and back is itself)
        return fids[0], ftfs[0]
    lens = [len(a) for a in fids]
    li = lens.index(max(lens))                  # (the first of the longest)
    if (sum(lens) - lens[li]) * MERGE_SHARE < ndocs:
        return _sum_onto(fids, ftfs, li)
    acc = np.bincount(np.concatenate(fids), np.concatenate(ftfs), minlength=ndocs)
    if all(len(t) and t.min() > 0 for t in ftfs):
        ids = np.flatnonzero(acc != 0)
    else:                         # (a part of 0 or less: its document is still a match)
        seen = np.zeros(ndocs, dtype=bool)
        for a in fids:
            seen[a.astype(np.intp)] = True
        ids = np.flatnonzero(seen)
    return ids, acc[ids].astype(np.float32)


def _sum_onto(fids: list, ftfs: list, li: int) -> tuple[np.ndarray, np.ndarray]:
    """``sum_fields`` by the longest field ``fids[li]``: the union ``u`` of the other fields'
    numbers is looked up in it once (``searchsorted``); the documents of ``u`` get their
    float64 sums of every field's part in field order (the longest's gathered at the
    positions found), the longest's other documents their own part; the numbers of ``u`` it
    lacks are inserted in place."""
    longest, tl = fids[li], ftfs[li]
    if len(fids) == 2:
        u = fids[1 - li]
    else:
        u = _union_sorted([a for i, a in enumerate(fids) if i != li])
    out = tl + _ZERO32                            # (a new array: the documents alone in it)
    if not len(u):
        return longest, out
    k = longest.searchsorted(u)
    hit = longest.take(k, mode="clip") == u       # ("clip": a number past the last one)
    every = bool(hit.all())
    acc = np.zeros(len(u), dtype=np.float64)
    for i, (a, t) in enumerate(zip(fids, ftfs)):
        if i == li:
            if every:
                acc += tl.take(k)
            else:
                acc[hit] += tl.take(k[hit])
        elif a is u:
            acc += t
        else:
            acc[u.searchsorted(a)] += t
    if every:
        out[k] = acc                              # (cast to float32 as ``astype`` does)
        return longest, out
    out[k[hit]] = acc[hit]
    miss = ~hit
    return _inserted(longest, out, k[miss], u[miss], acc[miss])


def _inserted(ids: np.ndarray, vals: np.ndarray, at: np.ndarray, new_ids: np.ndarray,
              new_vals: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``np.insert(ids, at, new_ids), np.insert(vals, at, new_vals)`` (``at`` ascending, the
    values cast to ``vals``' type): the places computed once for both (two ``np.insert``
    cost ≈ 20 µs even for a few numbers)."""
    n = len(ids) + len(at)
    put = at + np.arange(len(at))
    keep = np.ones(n, dtype=bool)
    keep[put] = False
    out_ids = np.empty(n, dtype=ids.dtype)
    out_ids[put] = new_ids
    out_ids[keep] = ids
    out_vals = np.empty(n, dtype=vals.dtype)
    out_vals[put] = new_vals
    out_vals[keep] = vals
    return out_ids, out_vals


def _union(arrays: list, ndocs: int) -> np.ndarray:
    """The sorted union of arrays of document numbers (each without repeats): sorted together
    when they are few, else marked in a mask over every document number (linear)."""
    if sum(len(a) for a in arrays) * MERGE_SHARE < ndocs:
        return np.unique(np.concatenate(arrays))
    seen = np.zeros(ndocs, dtype=bool)
    for a in arrays:
        seen[a.astype(np.intp)] = True
    return np.flatnonzero(seen)


def _union_sorted(arrays: list) -> np.ndarray:
    """The sorted union of ascending arrays without repeats: the longest one, with the others'
    numbers it lacks inserted in place (the longest itself when it holds them all)."""
    longest = u = max(arrays, key=len)
    for a in arrays:
        if a is longest or not len(a):
            continue
        k = u.searchsorted(a)
        new = u[np.minimum(k, len(u) - 1)] != a
        if new.any():
            u = np.insert(u, k[new], a[new])
    return u


class Terms:
    """Term scores as one caller sees them: idf from the documents ``allowed`` (a boolean
    array over document numbers) holds.  One per query."""

    def __init__(self, rx: RankIndex, s, allowed: np.ndarray, model: str = "search"):
        rx._setup(s)
        self.rx, self.s, self.allowed, self.model = rx, s, allowed, model
        self.ndocs = max(1, int(np.count_nonzero(allowed)))
        self._df: dict[str, int] = rx.df_memo(allowed, model)   # shared by later queries

    def df(self, text: str) -> int:
        """Visible documents holding ``text`` in any field of the model."""
        d = self._df.get(text)
        if d is None:
            ids = self.rx.term(self.s, text, self.model)[0]
            d = int(np.count_nonzero(np.take(self.allowed, ids))) if len(ids) else 0
            self._df[text] = d
        return d

    def idf(self, text: str) -> float:
        df = self.df(text)
        return math.log(1.0 + (self.ndocs - df + 0.5) / (df + 0.5))

    def title(self, text: str) -> np.ndarray:
        """Document numbers with ``text`` in the title field (sorted)."""
        return self.rx.term(self.s, text, self.model)[2]

    def scores(self, text: str, cap: float | None = None,
               model: str | None = None) -> tuple[np.ndarray, np.ndarray]:
        """BM25F scores of ``text``; its idf is capped at ``cap`` (the group's idf)."""
        ids, sat, _title = self.rx.term(self.s, text, model or self.model)
        idf = self.idf(text)
        if cap is not None and cap < idf:
            idf = cap
        return ids, sat * np.float32(idf)


def alternative_scores(tv: Terms, terms: tuple[str, ...], cap=None,
                       model=None, phrase: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """One alternative: a word, or several words that must all occur (mean of their scores; the
    sum when ``phrase``: a colloquial variant stated as several words)."""
    ids, sc = tv.scores(terms[0], cap, model)
    if len(terms) == 1 or not len(ids):
        return ids, sc
    total = sc.astype(np.float32, copy=True)
    for t in terms[1:]:
        ids2, sc2 = tv.scores(t, cap, model)
        common, i1, i2 = _intersect_sorted(ids, ids2)
        if not len(common):
            return _EMPTY_I, _EMPTY_F
        ids, total = common, total[i1] + sc2[i2]
    return ids, (total if phrase else total / len(terms))


#: ``_intersect_sorted`` maps positions over the document numbers when the shorter list has at
#: least this many numbers and at least 1/INTERSECT_MAP_RATIO of the longer one's
INTERSECT_MAP_FROM = 2048
INTERSECT_MAP_RATIO = 3


def _intersect_sorted(a: np.ndarray, b: np.ndarray):
    """``np.intersect1d(a, b, assume_unique=True, return_indices=True)`` for two ascending
    arrays without repeats (document numbers): a binary search of the shorter in the longer
    instead of sorting both together, or for two long lists of similar length a map of ``b``'s
    positions over the document numbers."""
    if not len(a) or not len(b):
        return a[:0], np.zeros(0, dtype=np.intp), np.zeros(0, dtype=np.intp)
    short, long_ = sorted((len(a), len(b)))
    if short >= INTERSECT_MAP_FROM and short * INTERSECT_MAP_RATIO >= long_:
        # two long lists of about the same length: ``b``'s positions scattered into an array
        # over the document numbers, gathered at ``a``'s (linear; the binary searches cost
        # twice as much on the bench's 6,000-27,000-posting pairs)
        pos = np.full(max(int(a[-1]), int(b[-1])) + 1, -1, dtype=np.int32)
        pos[b.astype(np.intp)] = np.arange(len(b), dtype=np.int32)    # (see ``_dense_max``)
        k = np.take(pos, a)
        i1 = np.flatnonzero(k >= 0)
        return a[i1], i1, k[i1]
    if len(b) < len(a):            # the shorter one is looked for in the longer one
        k = np.searchsorted(a, b)
        np.minimum(k, len(a) - 1, out=k)
        i2 = np.flatnonzero(a[k] == b)
        return b[i2], k[i2], i2
    k = np.searchsorted(b, a)
    np.minimum(k, len(b) - 1, out=k)
    i1 = np.flatnonzero(b[k] == a)
    return a[i1], i1, k[i1]


def title_docs(tv: Terms, alts, mask: bool = False) -> np.ndarray:
    """Documents whose title holds the group (one of its same-word alternatives, all words):
    sorted document numbers — or with ``mask``, when the alternatives' titles are many, a
    boolean array over every document number (the union's own mask, not picked out)."""
    out = []
    for terms, weight in alts:
        if weight < TITLE_ALT_WEIGHT:
            continue
        ids = tv.title(terms[0])
        for t in terms[1:]:
            if not len(ids):
                break
            ids = _intersect_sorted(ids, tv.title(t))[0]
        if len(ids):
            out.append(ids)
    if not out:
        return _EMPTY_I
    if len(out) == 1:
        return out[0]
    if sum(len(ids) for ids in out) * 16 < tv.rx.ndocs_all:   # a few titles: sort them
        return np.unique(np.concatenate(out))
    seen = np.zeros(tv.rx.ndocs_all, dtype=bool)     # a union without sorting
    for ids in out:
        seen[ids.astype(np.intp)] = True                # (see ``_dense_max``)
    return seen if mask else np.flatnonzero(seen)


def _phrase(terms, weight) -> bool:
    """A colloquial variant of several Chinese words (not a product name: windows 10)."""
    return (len(terms) > 1 and weight == VARIANT_WEIGHT
            and not any(w.isascii() for w in terms))


def group_scores(tv: Terms, alts, cap=None, model=None,
                 phrase_sum: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """A group's score per document: the best of its weighted alternatives (document numbers
    ascending).  Several alternatives are merged in one dense array over every document number
    (a fancy-indexed maximum per alternative: linear, where sorting the concatenation was
    n log n and the largest cost of a search at 100,000 articles)."""
    ids, sc, mean = _group_scores(tv, alts, cap, model, phrase_sum)
    return ids, sc


def _group_scores(tv: Terms, alts, cap=None, model=None, phrase_sum: bool = True,
                  dense: bool = False, phrase_docs: list | None = None):
    """(ids, scores, mean scores or None): ``group_scores`` and, when the group has a phrase
    variant scored as a sum, in the same pass the scores with that variant's mean instead
    (``group_scores(..., phrase_sum=False)``: the same documents in the same order; each
    alternative is read once and the other alternatives' maxima are merged once).

    With ``dense``, a group whose alternatives had to be merged comes back as
    ``(None, best, mean or None)``: the merged arrays over every document number, -1 where
    the group is absent (``rank`` adds them as they are, instead of picking the documents out
    and scattering them back); ``phrase_docs`` (a list) then receives the document numbers of
    the phrase variants summed — the only ones where the two arrays can differ."""
    parts, sums, means = [], [], []
    for terms, weight in alts:
        phrase = PHRASE_VARIANT_SUM and phrase_sum and _phrase(terms, weight)
        ids, sc = alternative_scores(tv, terms, cap, model, phrase)
        if not len(ids):
            continue
        if phrase:
            sums.append((ids, sc * weight))
            means.append((ids, (sc / len(terms)) * weight))
        else:       # (``sc`` is a new array: ``sc * weight`` in place)
            parts.append((ids, np.multiply(sc, weight, out=sc)))
    if dense:       # only where whole-array operations cost less than the scatters
        dense = sum(len(ids) for ids, _sc in parts + sums) * DENSE_SHARE >= tv.rx.ndocs_all
    if not sums:
        if dense and len(parts) > 1:
            return None, _dense_max(tv, parts), None
        return (*_merge_max(tv, parts), None)
    if len(parts) + len(sums) == 1:
        return sums[0][0], sums[0][1], means[0][1]
    # the other alternatives' maxima once, then the phrase variants' sums on it and their
    # means on a copy (a maximum does not depend on the order it is taken in)
    best = _dense_max(tv, parts)
    mean = best.copy()
    if phrase_docs is not None:
        phrase_docs.extend(ids for ids, _sc in sums)
    for (ids, sc), (_ids, m) in zip(sums, means):
        np.maximum.at(best, ids, sc)
        np.maximum.at(mean, ids, m)
    if dense:
        return None, best, mean
    ix = np.flatnonzero(best >= 0)         # the same documents in both
    return ix.astype(np.int32), best[ix], mean[ix]


#: a group's merged alternatives are added to a search's totals as whole arrays when their
#: postings number at least 1/DENSE_SHARE of the document numbers (five passes over every
#: document number against picking them out and two ``add.at`` of ≈ 2 ns per posting)
DENSE_SHARE = 8


def _dense_max(tv: Terms, parts) -> np.ndarray:
    """Each document's best score over ``parts`` in an array over every document number
    (-1 where none has it: scores are >= 0)."""
    best = np.full(tv.rx.ndocs_all, -1.0, dtype=np.float32)
    if parts:
        # the longest part set (the maximum of -1 and a score; a maximum does not depend on
        # the order the parts are taken in), the others' maxima on it
        first = max(range(len(parts)), key=lambda i: len(parts[i][0]))
        ids, sc = parts[first]
        # (an assignment through int32 positions takes numpy's slow path: converted to intp
        # first it costs half — 68 against 37 µs for 20,000 numbers)
        best[ids.astype(np.intp)] = sc
        parts = parts[:first] + parts[first + 1:]
    for ids, sc in parts:
        # (``ufunc.at`` takes int32 positions as they are; ``best[ids]`` converts them to
        # intp for the read and again for the write: twice the time)
        np.maximum.at(best, ids, sc)
    return best


def _merge_max(tv: Terms, parts) -> tuple[np.ndarray, np.ndarray]:
    """Each document's best score over ``parts`` (document numbers ascending)."""
    if not parts:
        return _EMPTY_I, _EMPTY_F
    if len(parts) == 1:
        return parts[0]
    best = _dense_max(tv, parts)
    ix = np.flatnonzero(best >= 0)
    return ix.astype(np.int32), best[ix]


def rank(tv: Terms, plan, memo: dict | None = None) -> Ranked:
    """Every visible document matching ``plan``, best first.

    ``memo`` (a dict the caller keeps for one query): the scores and title documents of groups
    not merged over every document number, for a second plan of the same query with the same
    groups (suggest ranks a text both as typed and as complete words); merged groups are
    remembered on the snapshot (``group_memo``) anyway."""
    rx, s, allowed = tv.rx, tv.s, tv.allowed
    n = rx.ndocs_all
    total = np.zeros(n, dtype=np.float32)
    cover = np.zeros(n, dtype=np.float32)
    tcover = np.zeros(n, dtype=np.float32) if TITLE_COVER_WEIGHT else None
    required = None
    phrased = []                 # (phrase alternatives, doc numbers, what the sum added there)
    for g in plan.groups:
        model = "code" if g.kind == "code" and tv.model == "search" else None
        key = (model or tv.model, g.idf or None, tuple(g.alts))
        entry = rx.group_memo(allowed, key)
        if entry is not None:
            ids, sc, mean = None, entry[0], entry[1]
        elif memo is not None and key in memo:
            ids, sc, mean = memo[key][:3]
        else:
            pdocs = []
            ids, sc, mean = _group_scores(tv, g.alts, g.idf or None, model, dense=True,
                                          phrase_docs=pdocs)
            if ids is not None and memo is not None:
                memo[key] = [ids, sc, mean, None]     # (the title documents when asked)
            if ids is None:      # merged over every document number: remembered (read-only)
                sc.flags.writeable = False
                if mean is not None:
                    mean.flags.writeable = False
                    # the phrase variants' documents (sorted, once each): only there can the
                    # sum and the mean differ
                    pdocs = pdocs[0] if len(pdocs) == 1 else _union(pdocs, n)
                entry = [sc, mean, None, pdocs if mean is not None else None]
                rx.group_remember(allowed, key, entry)
        if ids is None:
            # merged alternatives: ``sc`` (and ``mean``) over every document number, -1 where
            # the group is absent — the same float32 values added to the same documents as
            # below, by whole-array operations (a score of -1 × False adds -0.0: nothing)
            present = sc >= 0
            if PHRASE_VARIANT_SUM and PHRASE_ADJACENT and mean is not None:
                phrases = [terms for terms, weight in g.alts if _phrase(terms, weight)]
                # what the sum adds: 0 wherever no phrase variant is (there the two arrays
                # are the same maxima), so computed at the phrase variants' documents only
                docs = entry[3]
                extra = g.weight * (sc[docs] - mean[docs])
                keep = np.flatnonzero(extra > 0)
                if phrases and len(keep):
                    phrased.append((phrases, docs[keep], extra[keep]))
            if g.required:
                required = present
            part = sc * present
            np.add(total, part if g.weight == 1.0 else g.weight * part, out=total)
            if g.cover:
                # (a cover of 1 adds the mask itself: True as 1.0, as np.float32(1.0) would)
                np.add(cover, present if g.cover == 1.0 else present * np.float32(g.cover),
                       out=cover)
                if tcover is not None:
                    titles = entry[2]
                    if titles is None:
                        titles = title_docs(tv, g.alts, mask=True)
                        if titles.dtype == bool:          # (a new array: kept read-only)
                            titles.flags.writeable = False
                        rx.group_titles(allowed, key, entry, titles)
                    if titles.dtype == bool:
                        # the union's mask over every document number: the cover where it is
                        # True, 0.0 elsewhere (True as 1.0, as np.float32(1.0) would)
                        np.add(tcover, titles if g.cover == 1.0
                               else titles * np.float32(g.cover), out=tcover)
                    else:
                        np.add.at(tcover, titles, np.float32(g.cover))
            continue
        if PHRASE_VARIANT_SUM and PHRASE_ADJACENT and len(ids):
            phrases = [terms for terms, weight in g.alts if _phrase(terms, weight)]
            if phrases:
                if mean is None:   # no phrase variant matched: the mean is the sum
                    mean = sc
                extra = g.weight * (sc - mean)     # the same documents, in the same order
                more = extra > 0
                if more.any():
                    phrased.append((phrases, ids[more], extra[more]))
        if g.required:
            required = np.zeros(n, dtype=bool)
            required[ids.astype(np.intp)] = True
        if not len(ids):
            continue
        # ``a[ids] += x`` as ``np.add.at`` (each group's document numbers are unique: the same
        # float32 sums, without converting int32 positions twice); a float32 scalar, as
        # ``+=`` casts it (``add.at`` would add a Python float in float64)
        np.add.at(total, ids, sc if g.weight == 1.0 else g.weight * sc)
        if g.cover:
            np.add.at(cover, ids, np.float32(g.cover))
            if tcover is not None:
                titles = memo[key][3] if memo is not None else None
                if titles is None:
                    titles = title_docs(tv, g.alts)
                    if memo is not None:
                        memo[key][3] = titles
                np.add.at(tcover, titles, np.float32(g.cover))
    cover_total = sum(g.cover for g in plan.groups)
    if not cover_total:                       # nothing informative: coverage says nothing
        cover[:] = 1.0
        cover_total = 1.0
    hit = (total > 0) & allowed
    if required is not None:
        hit &= required
    floor = plan.min_share - 1e-6
    full_at = 1.0 - 1e-6
    # every document's share, over every document number (one pass; the candidates' shares
    # gathered from it are the same float32 quotients)
    share = np.divide(cover, cover_total)
    cand = np.flatnonzero(hit & (share >= floor)) if floor > 0 else _EMPTY_I
    if not len(cand):          # (no floor: every hit; a share is never below 0)
        cand = np.flatnonzero(hit)
    if not len(cand):
        return Ranked(_EMPTY_I, _EMPTY_F, False)
    if floor <= full_at:
        # a hit with a full share is past the floor, so a candidate: looked for over every
        # document number (three cheap passes) instead of gathering the candidates' shares
        full = bool((hit & (share >= full_at)).any())
    else:
        full = bool((share[cand] >= full_at).any())
    if COORD_EXP:
        scores = total[cand] * np.power(share[cand], COORD_EXP)
    if tcover is not None:
        # (1 + w·(title share)²): a factor of exactly 1 where no title holds a group — computed
        # over every document number in ``tcover``'s own array (not read again): the same
        # float32 operations as on the candidates whose title holds a group, × 1.0 for the
        # others (picking those out cost twice as much); multiplied into the totals there too
        # (a product does not depend on the order of its two factors), so the candidates'
        # scores are gathered once
        factor = np.divide(tcover, cover_total, out=tcover)
        # (x·x: bit for bit np.power(x, 2) for every float32 from 0 to inf — checked
        # exhaustively with numpy 2.4 — in a quarter of the time, and correctly rounded
        # wherever numpy's power may not be)
        np.multiply(factor, factor, out=factor)
        np.multiply(factor, TITLE_COVER_WEIGHT, out=factor)
        np.add(factor, 1.0, out=factor)
        if COORD_EXP:
            np.multiply(scores, factor[cand], out=scores)
        else:
            scores = np.multiply(factor, total, out=factor)[cand]
    elif not COORD_EXP:
        scores = total[cand]
    scores = scores.astype(np.float32, copy=False)
    top = None      # the PROXIMITY_TOP best of ``scores`` (both checks read the same ones)
    if phrased and tv.model != "titles":   # a title is short: its words stand together
        top = _top_candidates(scores)
        out = _apart_phrases(rx, s, phrased, cand, scores, total, ("title", "body"), top)
        if out is not scores:               # some lowered: their best are chosen again
            scores, top = out, None
    if PROXIMITY_WEIGHT and len(plan.pairs):
        scores = _proximity(rx, s, plan, cand, scores, top)
    ids, scores, head = _ranked_arrays(cand, scores)
    return Ranked(ids, scores, full, head)


#: matches put in final order by ``rank`` (the rest are only partitioned below them)
SORTED_TOP = 500


def _top_candidates(scores: np.ndarray) -> np.ndarray:
    """Positions of the ``PROXIMITY_TOP`` best candidates (all when there are no more)."""
    k = min(PROXIMITY_TOP, len(scores))
    return _top(scores, k) if len(scores) > k else np.arange(len(scores))


def _apart_phrases(rx, s, phrased, cand, scores, total, fields, top=None) -> np.ndarray:
    """A phrase variant (无法 删除) scored as the sum of its words keeps that sum only in a
    document where its words stand together (in order, at most ``PROXIMITY_WINDOW`` apart, in
    one of ``fields``: the title or the body); elsewhere the group falls back to the mean.
    Not for suggest's title model: a title is a few words, and the check would cost a
    keystroke 0.15 ms at p95 on the corpus index.  Checked for the best
    ``PROXIMITY_TOP`` candidates (positions are read per document)."""
    if top is None:
        top = _top_candidates(scores)
    docs = np.sort(cand[top])
    where = dict(zip(cand[top].tolist(), top.tolist()))
    out = scores
    for phrases, ids, extra in phrased:
        # which of them are among ``docs`` (np.isin: one comparison pass per document)
        sel = docs[np.minimum(np.searchsorted(docs, ids), len(docs) - 1)] == ids
        if not sel.any():
            continue
        together: set[int] = set()
        for terms in phrases:
            for field in fields:
                # each word's positions only in the documents holding every word before it
                # (the others cannot have them together: their positions are not decoded)
                pos = []
                held = docs
                for w in terms:
                    got = _positions(rx, s, field, w, held) if len(held) else {}
                    pos.append(got)
                    held = np.array(sorted(got), dtype=docs.dtype)
                for d in pos[0]:
                    if d in together:
                        continue
                    ok = True
                    for pa, pb in zip(pos, pos[1:]):
                        if d not in pb or not _near_lists(sorted(pa[d]), sorted(pb[d])):
                            ok = False
                            break
                    if ok:
                        together.add(d)
        for d, e in zip(ids[sel].tolist(), extra[sel].tolist()):
            if d in together:
                continue
            i = where[d]
            t = total[d]                  # the document's total (``total`` is over all)
            if t > 0:
                if out is scores:
                    out = scores.copy()
                out[i] = out[i] * max(0.0, 1.0 - e / float(t))
    return out


def ranked_order(ids: np.ndarray, scores: np.ndarray, top: int = SORTED_TOP):
    """(order, head): best first by score, then document number — fully for short lists;
    for long ones only the matches scoring at least the ``top``-th best score (ties included,
    so the head is exactly the full order's first ``head`` positions) are sorted, the others
    follow in no particular order (they all score less).  ``head`` is None when all are
    sorted."""
    n = len(ids)
    if n <= 2 * top or top < 1:
        return np.lexsort((ids, -scores)), None
    thr = _kth_largest(scores, top)
    upper = np.flatnonzero(scores >= thr)
    lower = np.flatnonzero(scores < thr)
    upper = upper[np.lexsort((ids[upper], -scores[upper]))]
    return np.concatenate([upper, lower]), len(upper)


def _ranked_arrays(ids: np.ndarray, scores: np.ndarray, top: int = SORTED_TOP):
    """(ids as int32, scores, head): the order of ``ranked_order`` for the head (the matches
    scoring at least the ``top``-th best, ties included, best first, then by document number);
    the rest follow in no particular order — here each in its own place, but for those that
    stood among the first ``head`` places: they move to the places the head's matches left.
    Two copies and a few hundred moves instead of picking out and gathering every match."""
    n = len(ids)
    if n <= 2 * top or top < 1:
        order = np.lexsort((ids, -scores))
        return ids[order].astype(np.int32, copy=False), scores[order], None
    thr = _kth_largest(scores, top)
    upper = np.flatnonzero(scores >= thr)
    h = len(upper)
    order = upper[np.lexsort((ids[upper], -scores[upper]))]
    out_ids = ids.astype(np.int32)
    out_scores = scores.copy()
    left = upper[upper >= h]                  # places past the head its matches leave
    stays = np.ones(h, dtype=bool)
    stays[upper[upper < h]] = False
    moved = np.flatnonzero(stays)             # head places holding a match of the rest
    out_ids[left] = ids[moved]
    out_scores[left] = scores[moved]
    out_ids[:h] = ids[order]
    out_scores[:h] = scores[order]
    return out_ids, out_scores, h


#: a top-k selection over more than this many scores first narrows them to a superset of the k
#: best (``_above_sample``)
SAMPLE_FROM = 4096
SAMPLE_STRIDE = 8


def _above_sample(scores: np.ndarray, k: int) -> np.ndarray | None:
    """Indices of a small superset of the ``k`` best scores: those at least the ``k``-th best
    of every ``SAMPLE_STRIDE``-th score (a subset's ``k``-th best is at most the whole's, so
    nothing of the ``k`` best is left out); about ``k × SAMPLE_STRIDE`` of them instead of a
    selection over all.  None when there are too few scores for it to pay."""
    n = len(scores)
    if n <= SAMPLE_FROM:
        return None
    sample = scores[::SAMPLE_STRIDE]
    m = len(sample)
    if m < 2 * k:
        return None
    lb = np.partition(sample, m - k)[m - k]
    return np.flatnonzero(scores >= lb)


def _kth_largest(scores: np.ndarray, k: int):
    """The ``k``-th best score (``np.partition(scores, n - k)[n - k]``; 1 ≤ k ≤ n)."""
    sel = _above_sample(scores, k)
    sub = scores if sel is None else scores[sel]
    m = len(sub)
    return np.partition(sub, m - k)[m - k]


def _top(scores: np.ndarray, k: int) -> np.ndarray:
    """Indices of the ``k`` best scores (k < n), in no order; among scores tied with the
    ``k``-th best the first positions are taken — the candidates are in document-number order,
    so these are the documents the final order (score, then document number) puts first.
    Found among a small superset when there are many scores (``_above_sample``).  (Before,
    argpartition over every score chose among the tied ones: a choice that differed with the
    CPU features numpy dispatches to, at 0.5-0.9 ms for 60,000 matches.)"""
    sel = _above_sample(scores, k)
    sub = scores if sel is None else scores[sel]
    m = len(sub)
    kth = np.partition(sub, m - k)[m - k]
    above = np.flatnonzero(sub > kth)
    tied = np.flatnonzero(sub == kth)[:k - len(above)]
    top = np.concatenate([above, tied])
    return top if sel is None else sel[top]


def _positions(rx, s, field: str, text: str, docs: np.ndarray) -> dict[int, list[int]]:
    """``rx.positions`` (the documents of ``docs`` holding ``text`` in ``field``: their
    positions)."""
    return rx.positions(s, field, text, docs)


def _near(psa: np.ndarray, psb: np.ndarray) -> bool:
    """Some position of ``b`` follows a position of ``a`` by at most ``PROXIMITY_WINDOW``."""
    i = np.searchsorted(psb, psa, side="left" if PROXIMITY_SAME_POSITION else "right")
    ok = i < len(psb)
    return bool(ok.any() and (psb[i[ok]] - psa[ok] <= PROXIMITY_WINDOW).any())


def _near_lists(psa: list, psb: list) -> bool:
    """``_near`` for ascending lists of positions (a few per document: a binary search each
    in Python costs less than numpy's calls on arrays this small)."""
    if len(psa) > 64:
        return _near(np.array(psa, dtype=np.int32), np.array(psb, dtype=np.int32))
    nb = len(psb)
    find = bisect_left if PROXIMITY_SAME_POSITION else bisect_right
    for a in psa:
        j = find(psb, a)
        if j == nb:                       # every later position is past the end too
            return False
        if psb[j] - a <= PROXIMITY_WINDOW:
            return True
    return False


def _proximity(rx, s, plan, cand, scores, top=None) -> np.ndarray:
    """Bonus for neighbouring query groups found next to each other (in order, at most
    ``PROXIMITY_WINDOW`` positions apart) in the title or the body, for the best
    ``PROXIMITY_TOP`` candidates only (positions are read per document)."""
    if top is None:                      # (``top``: already chosen from these scores)
        top = _top_candidates(scores)
    where = dict(zip(cand[top].tolist(), top.tolist()))     # docnum → index in cand
    docs = np.sort(cand[top])
    cache: dict = {}

    def positions(gi: int, field: str) -> dict[int, np.ndarray]:
        got = cache.get((gi, field))
        if got is None:
            merged: dict[int, list] = {}
            for terms, weight in plan.groups[gi].alts:
                if len(terms) == 1 and weight >= PROXIMITY_ALT_WEIGHT and not terms[0].startswith(PREFIX_MARK):
                    for d, ps in _positions(rx, s, field, terms[0], docs).items():
                        merged.setdefault(d, []).extend(ps)
            got = cache[(gi, field)] = {d: sorted(set(ps)) for d, ps in merged.items()}
        return got

    near: dict[int, int] = {}
    for a, b in plan.pairs:
        found = set()
        for field in ("title", "body"):
            pa = positions(a, field)
            if not pa:
                continue
            pb = positions(b, field)
            for d, psa in pa.items():
                psb = pb.get(d)
                if d in found or psb is None:
                    continue
                if _near_lists(psa, psb) or (not PROXIMITY_ORDERED and _near_lists(psb, psa)):
                    found.add(d)
        for d in found:
            near[d] = near.get(d, 0) + 1
    if not near:
        return scores
    out = scores.copy()
    npairs = len(plan.pairs)
    for d, nb in near.items():
        i = where[d]
        out[i] = out[i] * (1.0 + PROXIMITY_WEIGHT * nb / npairs)
    return out
