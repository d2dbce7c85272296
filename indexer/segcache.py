"""Per-segment data kept across index snapshots (one ``SegmentCache`` per engine).

A Whoosh segment never changes once written: a commit adds a new segment (and may merge small
ones into a new one), and deletions are recorded in the TOC, not in the segment's files.  So
everything read from a segment's files can outlive the snapshot that read it, and a new
snapshot after a commit only reads what the new segment adds:

* ``SegmentInfo`` — per document number of the segment: slug, category (as codes), field
  lengths (numpy), which documents carry each audience (boolean arrays), the ASCII
  did-you-mean terms (and their ``spelling.Vocabulary``), the Chinese ones and their
  homophone keys (``homophones.keyed``).  Deletions are *not* in it: they change from
  generation to generation and are applied by the snapshot (``live_mask``).
* ``postings`` — one term's postings in one field of one segment: document numbers local to
  the segment and weights as numpy arrays, plus, for fields with positions, each posting's
  raw position value, so proximity decodes the positions of a document without re-reading
  anything.  From the segment's posting store (``poststore``: a file written after the commit,
  mmapped — views, no copies) when the generation folder has a valid one; otherwise read
  from Whoosh's posting blocks (each block unpickled and decompressed once) and kept in a
  memory-bounded LRU (``max_bytes``).

``retain(segment ids, folder)`` drops segments merged away and says where their stores are
(called when a snapshot opens); a segment that had no usable store is looked at again then,
and a store whose file changed (inode, size, mtime) is dropped and reopened.
"""
from __future__ import annotations

import os
import threading
from array import array
from collections import OrderedDict
from pathlib import Path

import numpy as np
from whoosh.codec.whoosh3 import W3LeafMatcher
from whoosh.columns import TranslatingColumnReader, VarBytesColumn
from whoosh.matching.wrappers import FilterMatcher

from . import hitstore, homophones, spelling
from .hitstore import HitStore
from .poststore import EMPTY as _STORE_EMPTY
from .poststore import PostingStore, read_blocks, store_path
from .text import is_cjk

__all__ = ["SegmentCache", "SegmentInfo", "SegPostings", "segment_key", "segment_lengths",
           "POSTINGS_BYTES", "MAPPED_BYTES", "MAPPED_HARD"]

#: memory for cached postings per engine (numpy arrays + raw position values)
POSTINGS_BYTES = 96 * 1024 * 1024
#: growth of the process's file-backed RSS (the stores' pages it has read) past which they are
#: unmapped from it (``SegmentCache.trim``) — after the response, by ``housekeeping``: a trim
#: costs the call that runs it ≈ 12 µs per MB unmapped, and the pages read afterwards fault in
#: again, so inside a search it was that search's cost (issue 15, stop 33: 32 trims in the
#: bench's first round at 100,000 articles, 12.5 ms).  64 MB since stop 33 (32 before): fewer
#: pages of the common words read again after each trim; a worker's RSS at 100,000 articles
#: after the bench's queries is the same (240 MB), its peak ≤ 64 MB above
MAPPED_BYTES = 64 * 1024 * 1024
#: … and past ``MAPPED_HARD`` × that, at once, inside the call that reads (a process that never
#: calls ``housekeeping``: a script, ``kb search``), so the growth stays bounded anyway
MAPPED_HARD = 4
#: postings asked of the stores between two looks at the process's file-backed RSS
MAPPED_CHECK_EVERY = 32
#: a segment of at most this many documents (what an edit, or an import of a few articles,
#: commits) keeps the set of its terms' texts (``SegmentInfo.texts``): a word it does not
#: hold is passed over without a look-up per field (stop 34: at 100,000 articles with the
#: bench's one- and two-document segments, 1,508 of round 1's 2,571 store look-ups were in
#: them, all but 29 in vain).  The set is read once per segment at ≈ 2 µs a term — 0.4 ms
#: for one article, 8 ms for 31 long corpus pages (3,800 terms) — on the first search that
#: meets the segment, so the bound stays small
SMALL_SEGMENT_DOCS = 8
_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096
_ENTRY_OVERHEAD = 200          # dict/tuple/array headers per cached term
DECODED_PER_TERM = 32          # decoded position lists kept per cached term
_EMPTY_I = np.zeros(0, dtype=np.int32)
_EMPTY_F = np.zeros(0, dtype=np.float32)
_UNKNOWN = object()            # a segment whose store was not looked for yet


_STATM_LOCK = threading.Lock()
_statm = (-1, -1)                # (pid, descriptor of its /proc/self/statm), see below


def _shared_bytes() -> int | None:
    """File-backed (and shared) resident bytes of this process, or None where unknown.

    Read with ``pread`` from a descriptor kept open per process (≈ 1.4 µs, where opening the
    file each time cost ≈ 8.5 µs; it is read every ``MAPPED_CHECK_EVERY`` look-ups).  A
    forked child (a gunicorn worker of a preloading master) inherits the descriptor of its
    parent's file — ``self`` was resolved when it was opened — so a new process id opens its
    own; the inherited one is left alone (its number may have been reused by then)."""
    global _statm
    pid = os.getpid()
    try:
        owner, fd = _statm
        if owner != pid:
            with _STATM_LOCK:
                owner, fd = _statm
                if owner != pid:
                    fd = os.open("/proc/self/statm", os.O_RDONLY)   # (not inheritable)
                    _statm = (pid, fd)
        return int(os.pread(fd, 128, 0).split()[2]) * _PAGE
    except (OSError, ValueError, IndexError, AttributeError):
        return None


def _length_table() -> np.ndarray:
    from whoosh.util.numeric import byte_to_length

    t = np.array([byte_to_length(b) for b in range(256)], dtype=np.float32)
    t[0] = 0.0
    return t


_LENGTH_TABLE = _length_table()


def segment_key(segreader) -> str:
    seg = segreader.segment()
    return seg.segment_id() if seg is not None else f"reader-{id(segreader)}"


def segment_lengths(segreader, fieldname: str) -> np.ndarray:
    """Field length (Whoosh's byte-quantised value) of every document number of one segment."""
    n = segreader.doc_count_all()
    try:
        from whoosh.codec.whoosh3 import LENGTHS_COLUMN, _lenfield

        col = segreader._perdoc._cached_reader(_lenfield(fieldname), LENGTHS_COLUMN)
        if col is None:
            return np.zeros(n, dtype=np.float32)
        raw = np.frombuffer(bytes(col._dbfile.get(col._basepos, col._count)), dtype=np.uint8)
        out = np.zeros(n, dtype=np.float32)
        out[:min(n, len(raw))] = _LENGTH_TABLE[raw[:n]]
        return out
    except (AttributeError, ImportError):   # another codec: the public, slower way
        return np.array([segreader.doc_field_length(d, fieldname, 0) or 0 for d in range(n)],
                        dtype=np.float32)


class SegPostings:
    """One term in one field of one segment: ``ids`` (local, sorted), ``weights``; with
    positions: ``starts`` (index of each block's first posting) and ``values`` (each block's
    raw values, decoded per document on demand)."""
    __slots__ = ("ids", "weights", "starts", "values", "nbytes", "decoded")

    def __init__(self, ids, weights, starts=None, values=None):
        self.ids, self.weights, self.starts, self.values = ids, weights, starts, values
        #: positions already decoded, per local document (the best pages of common terms
        #: come back query after query); bounded by ``DECODED_PER_TERM``
        self.decoded: dict[int, list[int]] = {}
        n = ids.nbytes + weights.nbytes + _ENTRY_OVERHEAD
        if values is not None:
            n += starts.nbytes + sum(56 + 8 * len(v) + sum(map(len, v)) for v in values)
        self.nbytes = n

    @property
    def has_values(self) -> bool:
        """Raw values were kept (or there is no posting to keep them for)."""
        return self.values is not None or not len(self.ids)

    def raw(self, k: int):
        """The raw value of the ``k``-th posting, or None when values were not kept."""
        if self.values is None:
            return None
        b = int(np.searchsorted(self.starts, k, side="right")) - 1
        return self.values[b][k - int(self.starts[b])]

    def raws(self, ks) -> list:
        """``[raw(k) for k in ks]`` (``poststore.MappedPostings.raws``)."""
        if self.values is None:
            return [None] * len(ks)
        ks = np.asarray(ks, dtype=np.int64)
        blocks = (np.searchsorted(self.starts, ks, side="right") - 1)
        firsts = self.starts[blocks]
        values = self.values
        return [values[b][k - f] for b, k, f in zip(blocks.tolist(), ks.tolist(), firsts.tolist())]

    def value(self, local: int):
        """The raw value (positions) of document ``local``, or None when it has none."""
        k = int(np.searchsorted(self.ids, local))
        if k >= len(self.ids) or self.ids[k] != local:
            return None
        return self.raw(k)


_NONE = SegPostings(_EMPTY_I, _EMPTY_F)


def _raw_leaf(segreader, fieldname, text):
    m = segreader.postings(fieldname, text)
    while isinstance(m, FilterMatcher):      # deletions: filtered by the visible set
        m = m.child
    return m


def _fast_w3(m) -> bool:
    """A Whoosh 3 leaf matcher over integer document numbers (every field of our schema)."""
    return type(m) is W3LeafMatcher and not m._byteids


def read_postings(segreader, fieldname: str, text: str, keep_values: bool) -> SegPostings:
    """Every posting of ``text`` in ``fieldname`` of one segment, block by block (each block
    is unpickled once; its values are kept when ``keep_values``)."""
    if (fieldname, text) not in segreader:
        return _NONE
    m = _raw_leaf(segreader, fieldname, text)
    if _fast_w3(m):
        id_parts, w_parts = [], []
        starts = [] if keep_values else None
        values = [] if keep_values else None
        n = 0
        for ids, ws, vs in read_blocks(m._postfile, m._baseoffset, m._fixedsize, keep_values):
            id_parts.append(ids)
            w_parts.append(ws)
            if keep_values:
                starts.append(n)
                values.append(vs)
            n += len(ids)
        return SegPostings(np.concatenate(id_parts) if id_parts else _EMPTY_I,
                           np.concatenate(w_parts) if w_parts else _EMPTY_F,
                           np.array(starts, dtype=np.int32) if keep_values else None,
                           values)
    # any other matcher (inline postings of a term in one document, another codec): posting by
    # posting, from the first one (the deletion filter may have skipped some; kept, as above)
    m.reset()
    ids = array("i")
    ws = array("f")
    starts = array("i") if keep_values else None
    values = [] if keep_values else None
    while m.is_active():
        if keep_values:
            starts.append(len(ids))
            values.append((m.value(),))
        ids.append(m.id())
        ws.append(m.weight())
        m.next()
    return SegPostings(np.frombuffer(ids, dtype=np.int32).copy(),
                       np.frombuffer(ws, dtype=np.float32).copy(),
                       np.frombuffer(starts, dtype=np.int32).copy() if keep_values else None,
                       values)


def column_values(segreader, fieldname: str) -> list:
    """The field's column value of every document of the segment (deleted ones included).

    A variable-length column (``slug``, ``category``) is read in one piece and cut at its
    lengths: Whoosh's own iteration reads each value with a seek and a read of the segment's
    file — two values per document of every segment, ~15 ms per 5,000 documents of the
    master's start at each ``gunicorn`` start (``SearchEngine.preload``; issue 15, worker
    ready) and of the first snapshot that sees a new segment.  Same values, same order
    (``tests/indexer/test_ix_speed.py``); any other column type is read through Whoosh."""
    if segreader.doc_count_all() == 0 or not segreader.has_column(fieldname):
        return []
    reader = segreader.column_reader(fieldname)
    raw = reader.raw_column() if isinstance(reader, TranslatingColumnReader) else None
    if type(raw) is not VarBytesColumn.Reader:
        return list(reader)
    lengths = raw._lengths
    data = raw._dbfile.get(raw._basepos, sum(lengths))
    translate = segreader.schema[fieldname].from_column_value
    out = []
    pos = 0
    for n in lengths:
        out.append(translate(data[pos:pos + n]))
        pos += n
    return out


class SegmentInfo:
    """What one segment holds per document number (deletions excluded, see module doc)."""

    def __init__(self, segreader, read=None):
        self.key = segment_key(segreader)
        self._read = read or read_postings     # (segreader, field, text, keep_values) -> postings
        self.n = segreader.doc_count_all()
        self.slugs: list[str] = column_values(segreader, "slug")
        cats = column_values(segreader, "category")
        names = sorted(set(cats))
        code = {c: i for i, c in enumerate(names)}
        self.category_names: list[str] = names
        self.category_codes = np.array([code[c] for c in cats], dtype=np.int32)
        self._reader_fields = set(segreader.schema.names())
        self._lengths: dict[str, np.ndarray] = {}
        self._audiences: dict[str, np.ndarray] = {}
        self._slug_index: dict[str, int] | None = None
        self._vocab: dict[str, dict[str, int]] = {}
        self._nonascii: dict[str, bool] = {}
        self._homophones: dict[str, dict[str, tuple[str, ...]]] = {}
        self._spellings: dict[str, spelling.Vocabulary] = {}
        self._texts: dict[frozenset, frozenset | None] = {}
        self._lock = threading.Lock()

    def lengths(self, segreader, field: str) -> np.ndarray:
        v = self._lengths.get(field)
        if v is None:
            v = self._lengths[field] = segment_lengths(segreader, field)
        return v

    def audience(self, segreader, audience: str) -> np.ndarray:
        """Boolean array: documents of this segment whose audience is ``audience``."""
        v = self._audiences.get(audience)
        if v is None:
            v = np.zeros(self.n, dtype=bool)
            p = self._read(segreader, "audience", audience, False)
            if len(p.ids):
                v[p.ids] = True
            self._audiences[audience] = v
        return v

    def slug_index(self) -> dict[str, int]:
        """{slug: local document number}; a slug updated within the segment maps to its last
        (live) copy."""
        m = self._slug_index
        if m is None:
            m = self._slug_index = {s: d for d, s in enumerate(self.slugs)}
        return m

    def texts(self, segreader, fields: frozenset) -> frozenset | None:
        """The texts of every term of ``fields`` in a segment of at most
        ``SMALL_SEGMENT_DOCS`` documents (a term a deleted document holds included: the
        postings do too); None for a bigger segment — look each term up.  Read once per
        segment, on the first search that meets it (≈ 2 µs a term: 180 terms and 0.4 ms for
        one article, up to a few thousand terms for eight long ones)."""
        v = self._texts.get(fields, _UNKNOWN)
        if v is _UNKNOWN:
            v = None
            if self.n <= SMALL_SEGMENT_DOCS:
                v = frozenset(btext.decode("utf-8") for field, btext in segreader.all_terms()
                              if field in fields)
            self._texts[fields] = v
        return v

    def ascii_terms(self, segreader, field: str) -> dict[str, int]:
        """{term: document frequency} of the field's ASCII terms (did-you-mean vocabulary;
        they sort first, so the scan stops at the first non-ASCII term)."""
        v = self._vocab.get(field)
        if v is None:
            v = {}
            if field in self._reader_fields:
                for btext, ti in segreader.iter_field(field):
                    if btext[:1] >= b"\x80":
                        break
                    v[btext.decode("utf-8")] = ti.doc_frequency()
            self._vocab[field] = v
        return v

    def has_nonascii(self, segreader, field: str) -> bool:
        """The field holds a term with a non-ASCII character in this segment.  Terms sort by
        their UTF-8 bytes, so one look at the first term from U+0080 on tells; ``codes`` holds
        only ASCII terms (unless a front-matter code is written in Chinese), and a Chinese
        word looked up there is then known absent without a term look-up — the store's table
        or Whoosh's (``SegmentCache.postings``)."""
        v = self._nonascii.get(field)
        if v is None:
            v = False
            if field in self._reader_fields:
                for _btext, _ti in segreader.iter_field(field, "\x80"):
                    v = True
                    break
            self._nonascii[field] = v
        return v

    def cjk_terms(self, segreader, field: str) -> list[str]:
        """The field's Chinese terms of 2-4 characters (homophone vocabulary), read from the
        first CJK term on."""
        key = "\x00cjk:" + field
        v = self._vocab.get(key)
        if v is None:
            v = []
            if field in self._reader_fields:
                for btext, _ti in segreader.iter_field(field, "\u4e00"):
                    t = btext.decode("utf-8")
                    if t[:1] > "\u9fff":
                        break
                    if 2 <= len(t) <= 4 and is_cjk(t):
                        v.append(t)
            self._vocab[key] = v
        return v

    def latin_vocabulary(self, segreader, field: str) -> spelling.Vocabulary:
        """``spelling.Vocabulary`` of ``ascii_terms``: this segment's part of every snapshot's
        did-you-mean vocabulary (``Snapshot.vocabulary``), indexed once per segment."""
        v = self._spellings.get(field)
        if v is None:
            v = self._spellings[field] = spelling.Vocabulary(self.ascii_terms(segreader, field))
        return v

    def homophone_keys(self, segreader, field: str) -> dict[str, tuple[str, ...]]:
        """``homophones.keyed`` of ``cjk_terms``: this segment's part of every snapshot's
        homophone index (``Snapshot.homophones``), keyed once per segment.  Words of documents
        deleted since stay in it (a segment's terms never change); a slip only becomes a word
        visible articles hold (``searching.homophone_fixes`` counts them)."""
        key = "\x00hom:" + field
        v = self._homophones.get(key)
        if v is None:
            v = self._homophones[key] = homophones.keyed(self.cjk_terms(segreader, field))
        return v


class SegmentCache:
    """Segment infos and term postings of every live segment, shared by all snapshots.

    Postings come from the segment's posting store (``poststore``, mmapped) when the
    generation folder has a valid one, else from Whoosh's blocks, cached (LRU, ``max_bytes``).
    A segment found without a store is looked at again on the next snapshot (``retain`` with
    its folder): a store written after this process first read the segment is picked up."""

    def __init__(self, max_bytes: int = POSTINGS_BYTES, use_stores: bool = True,
                 mapped_bytes: int = MAPPED_BYTES):
        self.max_bytes = max_bytes
        self.use_stores = use_stores
        #: store pages read (file-backed RSS growth) before they are unmapped from this process
        self.mapped_bytes = mapped_bytes
        self._infos: dict[str, SegmentInfo] = {}
        self._postings: OrderedDict = OrderedDict()
        self.nbytes = 0
        self._folders: dict[str, Path] = {}
        #: segment id -> PostingStore, or None (looked for, not usable: Whoosh's blocks)
        self._stores: dict[str, PostingStore | None] = {}
        #: segment id -> HitStore, or None (looked for, not usable: Whoosh's stored fields)
        self._hitstores: dict[str, HitStore | None] = {}
        self._reads = 0                 # postings asked of a store (RSS checked every few)
        self._shared_base: int | None = None   # file-backed RSS after the last trim
        #: the mapped pages outgrew ``mapped_bytes``: ``housekeeping`` trims
        self.trim_due = False
        self._lock = threading.Lock()

    def info(self, segreader) -> SegmentInfo:
        key = segment_key(segreader)
        v = self._infos.get(key)
        if v is None:
            v = SegmentInfo(segreader, self.read)
            with self._lock:
                v = self._infos.setdefault(key, v)
        return v

    def read(self, segreader, field: str, text: str, keep_values: bool = False):
        """One term's postings, from the store when there is one, not cached."""
        st = self.store(segreader)
        v = st.postings(segreader, field, text) if st is not None else None
        return v if v is not None else read_postings(segreader, field, text, keep_values)

    def store(self, segreader) -> PostingStore | None:
        """The segment's posting store, opened on first use (None: no usable store)."""
        key = segment_key(segreader)
        try:
            return self._stores[key]
        except KeyError:
            pass
        folder = self._folders.get(key)
        st = None
        if folder is not None and self.use_stores:
            st = PostingStore.open(store_path(folder, key), key, segreader.doc_count_all())
        with self._lock:
            if key in self._stores:
                return self._stores[key]
            if folder is not None:        # not known (no snapshot named its folder): ask again
                self._stores[key] = st
            if st is not None:
                # postings read from the blocks before the store was there: the store has them
                for k in [k for k in self._postings if k[0] == key]:
                    self.nbytes -= self._postings.pop(k).nbytes
        return st

    def hitstore(self, segreader) -> HitStore | None:
        """The segment's hit store (``hitstore``), opened on first use (None: no usable store,
        read Whoosh's stored fields)."""
        key = segment_key(segreader)
        try:
            return self._hitstores[key]
        except KeyError:
            pass
        folder = self._folders.get(key)
        st = None
        if folder is not None and self.use_stores:
            st = HitStore.open(hitstore.store_path(folder, key), key, segreader.doc_count_all())
        with self._lock:
            if key in self._hitstores:
                return self._hitstores[key]
            if folder is not None:        # not known (no snapshot named its folder): ask again
                self._hitstores[key] = st
        return st

    def postings(self, segreader, field: str, text: str, keep_values: bool = False,
                 seg: str | None = None):
        """One term's postings in one segment: ``SegPostings`` (Whoosh's blocks) or
        ``poststore.MappedPostings`` (the store); both have ``ids``, ``weights``,
        ``has_values``, ``raw``/``raws``/``value`` and ``decoded``.  ``seg``: the segment's
        ``segment_key`` when the caller has it (``RankIndex`` keeps its leaves'): asking the
        reader costs ≈ 0.4 µs of a cached look-up's ≈ 1.5 µs (six look-ups a word)."""
        if seg is None:
            seg = segment_key(segreader)
        st = self._stores.get(seg, _UNKNOWN)
        if st is _UNKNOWN:
            st = self.store(segreader)   # first: a store found now drops the blocks' copies
        if st is not None:
            self._reads += 1
            if self._reads % MAPPED_CHECK_EVERY == 0:
                self._check_mapped()
        key = (seg, field, text)
        if not text.isascii():
            info = self._infos.get(seg)
            if info is None:
                info = self.info(segreader)
            if not info.has_nonascii(segreader, field):
                return _STORE_EMPTY      # (a Chinese word in ``codes``: no look-up)
        v = self._postings.get(key)
        if v is not None and (not keep_values or v.has_values):
            with self._lock:
                if key in self._postings:
                    self._postings.move_to_end(key)
            return v
        v = st.postings(segreader, field, text) if st is not None else None
        if v is None:
            v = read_postings(segreader, field, text, keep_values)
        elif v is _STORE_EMPTY:
            return v
        with self._lock:
            old = self._postings.pop(key, None)
            if old is not None:
                self.nbytes -= old.nbytes
            self._postings[key] = v
            self.nbytes += v.nbytes
            while self.nbytes > self.max_bytes and len(self._postings) > 1:
                _k, gone = self._postings.popitem(last=False)
                self.nbytes -= gone.nbytes
        return v

    def retain(self, segment_ids, folder=None) -> None:
        """Forget segments that are no longer in the index (merged away or replaced).  With
        ``folder`` (the generation the ids belong to): remember where their posting stores
        are, and look again for those found missing or unusable before."""
        keep = set(segment_ids)
        with self._lock:
            for k in [k for k in self._infos if k not in keep]:
                del self._infos[k]
            for k in [k for k in self._postings if k[0] not in keep]:
                self.nbytes -= self._postings.pop(k).nbytes
            dropped = set()
            for k in [k for k, st in self._stores.items()
                      if k not in keep or st is None or not st.unchanged()]:
                if self._stores.pop(k) is not None:
                    dropped.add(k)
            for k in [k for k in self._postings if k[0] in dropped]:
                self.nbytes -= self._postings.pop(k).nbytes   # views of a file that changed
            for k in [k for k, st in self._hitstores.items()
                      if k not in keep or st is None or not st.unchanged()]:
                del self._hitstores[k]
            for k in [k for k in self._folders if k not in keep]:
                del self._folders[k]
            if folder is not None:
                for k in keep:
                    if self._folders.get(k) != Path(folder):
                        self._folders[k] = Path(folder)
                        self._stores.pop(k, None)
                        self._hitstores.pop(k, None)

    def _mapped_now(self) -> int:
        """Bytes of store pages mapped into this process since the last trim: the growth of
        its file-backed resident pages (``/proc/self/statm``; the kernel maps neighbours of
        every page read, so counting reads would undercount), else an estimate of the bytes
        read."""
        shared = _shared_bytes()
        if shared is None:
            return sum(s.touched for s in list(self._stores.values()) if s is not None)
        if self._shared_base is None:
            self._shared_base = shared
        return shared - self._shared_base

    def _check_mapped(self) -> None:
        """Past ``mapped_bytes`` of store pages mapped since the last trim, a trim is due
        (``housekeeping``); past ``MAPPED_HARD`` times that, it runs now."""
        now = self._mapped_now()
        if now > self.mapped_bytes * MAPPED_HARD:
            self.trim()
        elif now > self.mapped_bytes:
            self.trim_due = True

    def housekeeping(self) -> bool:
        """Run the trim that reads found due (``trim_due``); whether one ran.  For the moment
        after a response has gone out (``SearchEngine.housekeeping``): a trim inside a search
        made that search wait for it."""
        if not self.trim_due:
            return False
        self.trim()
        return True

    def trim(self) -> None:
        """Unmap the store pages read so far (``PostingStore.trim``): keeps the worker's RSS
        bounded; the views stay valid (pages are mapped again when read)."""
        self.trim_due = False
        for st in list(self._stores.values()) + list(self._hitstores.values()):
            if st is not None:
                st.trim()
        self._shared_base = _shared_bytes()

    def clear_postings(self) -> None:
        """Forget every cached posting and open store (benchmarks: a cold process)."""
        with self._lock:
            self._postings.clear()
            self._stores.clear()
            self._hitstores.clear()
            self.nbytes = 0

    def stats(self) -> dict:
        return {"segments": len(self._infos), "terms": len(self._postings), "bytes": self.nbytes,
                "stores": sum(1 for v in self._stores.values() if v is not None),
                "hitstores": sum(1 for v in self._hitstores.values() if v is not None)}
