"""Whoosh reads a memory-mapped segment without copying it.

Whoosh opens each file of a compound segment (``.seg``) as a ``BufferFile`` over a memoryview
of the segment's mmap, and ``BufferFile`` wraps that view in ``io.BytesIO(view)`` for its
sequential reads — which **copies the whole sub-file** (the postings, the term table, the
stored fields …) into every searcher it opens.  At 10,000 articles that was most of the
cost of opening a searcher after each commit (~200 ms of the first search, under load) and
each pooled searcher held its own copy of the index in memory.

:func:`apply` (run on ``import indexer``) replaces that ``BytesIO`` with :class:`ViewFile`, a
read-only file over the same memoryview: sequential reads slice the view, nothing is copied
up front.  Random access (``BufferFile.get``) already sliced the view and is unchanged.

It also wraps the ``lengths`` reader that ``FieldWriter.add_postings`` asks for every posting's
document field length (to keep each block's min/max length): Whoosh reads it from the length
column again for each posting — about 12 % of a full build.  :class:`MemoLengths` asks once per
(field, document) and remembers the answer (same values: the column does not change while a
segment is written).

And, for our own analyzers only (``analysis._Base``), the formats' ``word_values`` read the
analyzer's ``(text, position, boost)`` items directly instead of through Whoosh's ``Token``
object, ``__call__`` and ``unstopped`` generators — the same dictionaries are filled in the
same order, so the postings are identical; the per-token plumbing was about a tenth of a
rebuild (issue 15).  Any other analyzer, a list value or extra options take Whoosh's own path.
For ``title``/``body`` (``Positions``) the analyzer's ``_positions`` gives each term's
positions and weight directly (no tuple per token; ``analysis._weighted_positions``).

The writer's per-posting path (issue 15, stop 23): the pool's spilled runs are pickled in
chunks, its in-memory tail is merged without being written, and its postings are sorted by
field, then term, without tuple comparisons (``_patch_sorting_pool``, ``_sorted_postings``);
``PostingPool.add``, ``W3PostingsWriter.add_posting`` and the W3 codec's ``add_postings``
run without Whoosh's type assertions and forwarding layers (``_patch_posting_writers``).  The
same calls happen in the same order: a seeded build writes byte-identical segment files
(``tests/indexer/test_ix_speed.py``).
"""
from __future__ import annotations

import io
from itertools import islice
from operator import itemgetter, le

__all__ = ["ViewFile", "apply"]


class ViewFile(io.RawIOBase):
    """A read-only, seekable file over a buffer (memoryview, bytes) that never copies it."""

    def __init__(self, buf):
        super().__init__()
        self._buf = buf if isinstance(buf, memoryview) else memoryview(buf)
        self._pos = 0
        self._len = len(self._buf)

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        p = self._pos
        end = self._len if size is None or size < 0 else min(self._len, p + size)
        self._pos = max(p, end)
        return bytes(self._buf[p:end])

    def readinto(self, b) -> int:
        p = self._pos
        n = min(len(b), self._len - p)
        if n <= 0:
            return 0
        b[:n] = self._buf[p:p + n]
        self._pos = p + n
        return n

    def readline(self, size: int = -1) -> bytes:
        p = self._pos
        limit = self._len if size is None or size < 0 else min(self._len, p + size)
        end = p
        step = 256
        while end < limit:
            chunk = bytes(self._buf[end:min(limit, end + step)])
            i = chunk.find(b"\n")
            if i >= 0:
                end += i + 1
                break
            end += len(chunk)
            step *= 2
        self._pos = end
        return bytes(self._buf[p:end])

    def seek(self, pos: int, whence: int = 0) -> int:
        if whence == 1:
            pos += self._pos
        elif whence == 2:
            pos += self._len
        if pos < 0:
            raise ValueError("negative seek position")
        self._pos = pos
        return pos

    def tell(self) -> int:
        return self._pos

    def close(self) -> None:
        self._buf = memoryview(b"")
        self._len = self._pos = 0
        super().close()


def _buffer_file_init(self, buf, name=None, onclose=None):
    self._buf = buf
    self._name = name
    self.file = ViewFile(buf)
    self.onclose = onclose
    self.is_real = False
    self.is_closed = False


class MemoLengths:
    """A per-document reader whose ``doc_field_length`` answers are remembered."""

    def __init__(self, inner):
        self._inner = inner
        self._memo: dict[str, dict[int, object]] = {}

    def doc_field_length(self, docnum, fieldname, default=0):
        m = self._memo.get(fieldname)
        if m is None:
            m = self._memo[fieldname] = {}
        try:
            return m[docnum]
        except KeyError:
            v = m[docnum] = self._inner.doc_field_length(docnum, fieldname, default)
            return v

    def __bool__(self) -> bool:
        return bool(self._inner)

    def __getattr__(self, name):
        return getattr(self._inner, name)


_OURS: list[type] = []
#: Whoosh's own ``word_values`` by format class name (the parity test compares with them)
ORIGINAL_WORD_VALUES: dict[str, object] = {}


def _items(analyzer, value, kwargs):
    """``analyzer._items(value)`` when the fast path gives what Whoosh's path gives, else None."""
    if not _OURS:
        from .analysis import _Base

        _OURS.append(_Base)
    if type(value) is str and isinstance(analyzer, _OURS[0]) and set(kwargs) <= {"mode"}:
        return analyzer._items(value)
    return None


def _positions(analyzer, value, kwargs):
    """``analyzer._positions(value)`` (terms' positions and weights, built without a tuple per
    token) when the analyzer has it and the fast path applies, else None."""
    if type(value) is str and set(kwargs) <= {"mode"}:
        fn = getattr(analyzer, "_positions", None)
        if fn is not None and _items(analyzer, value, kwargs) is not None:
            return fn(value)
    return None


#: the pickle of ``[p]`` (``Positions.encode([p])`` without its count) by ``p < SINGLE_MAX``:
#: most of a document's terms occur once in a field, and their encoding depends on that one
#: position only.  Each posting still gets its own bytes object: the W3 codec pickles a block's
#: values together, and pickle writes a repeated *object* as a back-reference — sharing one
#: would change the segment's bytes.
_SINGLE_POSITION: dict[int, bytes] = {}
SINGLE_MAX = 16384


def _patch_word_values() -> None:
    from collections import defaultdict
    from itertools import chain

    from whoosh.compat import dumps

    from whoosh import formats
    from whoosh.system import emptybytes, pack_uint

    if getattr(formats.Positions.word_values, "_kb_fast", False):
        return
    positions_encode = formats.Positions.encode
    single = _SINGLE_POSITION
    one = pack_uint(1)
    positions, frequency, existence = (formats.Positions.word_values,
                                       formats.Frequency.word_values,
                                       formats.Existence.word_values)
    ORIGINAL_WORD_VALUES.update(Positions=positions, Frequency=frequency, Existence=existence)

    def positions_word_values(self, value, analyzer, **kwargs):
        grouped = _positions(analyzer, value, kwargs)
        if grouped is not None:
            fb = self.field_boost
            encode = self.encode if type(self).encode is not positions_encode else None
            poses, weights = grouped
            for w, poslist in poses.items():
                if encode is None:   # Positions.encode's bytes, without its Python loop
                    if len(poslist) == 1:
                        p = poslist[0]
                        tail = single.get(p)
                        if tail is None:
                            tail = dumps([p], 2)
                            if p < SINGLE_MAX:
                                single[p] = tail
                        value = one + tail   # a new object: see _SINGLE_POSITION
                    else:
                        value = pack_uint(len(poslist)) + dumps(
                            [b - a for a, b in zip(chain((0,), poslist), poslist)], 2)
                else:
                    value = encode(poslist)
                yield (w, len(poslist), weights[w] * fb, value)
            return
        items = _items(analyzer, value, kwargs)
        if items is None:
            yield from positions(self, value, analyzer, **kwargs)
            return
        fb = self.field_boost
        poses = defaultdict(list)
        weights = defaultdict(float)
        for text, pos, boost in items:
            poses[text].append(pos)
            weights[text] += boost
        for w, poslist in poses.items():
            yield (w, len(poslist), weights[w] * fb, self.encode(poslist))

    def frequency_word_values(self, value, analyzer, **kwargs):
        items = _items(analyzer, value, kwargs)
        if items is None:
            return frequency(self, value, analyzer, **kwargs)
        fb = self.field_boost
        freqs = defaultdict(int)
        weights = defaultdict(float)
        for text, _pos, boost in items:
            freqs[text] += 1
            weights[text] += boost
        return ((w, freq, weights[w] * fb, pack_uint(freq)) for w, freq in freqs.items())

    def existence_word_values(self, value, analyzer, **kwargs):
        items = _items(analyzer, value, kwargs)
        if items is None:
            return existence(self, value, analyzer, **kwargs)
        fb = self.field_boost
        wordset = set(text for text, _pos, _boost in items)
        return ((w, 1, fb, emptybytes) for w in wordset)

    for fn in (positions_word_values, frequency_word_values, existence_word_values):
        fn._kb_fast = True
    formats.Positions.word_values = positions_word_values
    formats.Frequency.word_values = frequency_word_values
    formats.Existence.word_values = existence_word_values


#: Whoosh's own writer methods replaced here (``_patch_sorting_pool``,
#: ``_patch_posting_writers``), by (class, name): the parity test puts them back
ORIGINAL_WRITERS: dict[tuple[type, str], object] = {}
#: postings pickled together in one piece of a sorting run
RUN_CHUNK = 4096


def _sorted_postings(items: list) -> list:
    """``sorted(items)`` for a writer pool's postings ``(field, term, docnum, weight, value)``,
    about 3× faster (issue 15: the sort was ~15 % of writing a segment).

    A ``SegmentWriter`` adds each document's postings with its document number, one field
    after another, one posting per (field, term) — document numbers never decrease.  Then
    grouping by field and a stable sort on the term alone (bytes against bytes, no tuple
    comparisons) gives the full sort's order: postings of one (field, term) stay in the order
    of their document numbers.  Any other order (postings merged from a reader, spelling
    words at document 0) gets the full sort."""
    docs = list(map(itemgetter(2), items))
    if not all(map(le, docs, islice(docs, 1, None))):
        return sorted(items)
    byfield: dict[str, list] = {}
    for it in items:
        f = it[0]
        group = byfield.get(f)
        if group is None:
            byfield[f] = [it]
        else:
            group.append(it)
    out: list = []
    term = itemgetter(1)
    for f in sorted(byfield):
        group = byfield[f]
        group.sort(key=term)
        out.extend(group)
    return out


def _patch_sorting_pool() -> None:
    """Whoosh's external sort of postings (``SortingPool``, the writer's pool), same order:

    * a run is written as pickled lists of ``RUN_CHUNK`` items, not one ``pickle.dump`` per
      posting (and read back a list at a time);
    * when the pool has spilled, the items still in memory are merged with the runs on disk
      as they are, instead of being written as one more run and read back;
    * a ``PostingPool``'s items in memory are sorted by ``_sorted_postings``.

    The runs are the writer's private temporary files (deleted once read); the items and their
    order are the same, so are the segments written from them (issue 15: a 10k build's writer
    spilled once, just over its ``limitmb``, and paid for writing, reading and unpickling every
    posting one by one)."""
    from whoosh import externalsort, writing
    from whoosh.compat import dump, load

    pool = externalsort.SortingPool
    if getattr(pool.items, "_kb_chunked", False):
        return

    def postings(p):
        return isinstance(p, writing.PostingPool)

    def _write_run(self, f, items):
        if isinstance(items, list):
            for i in range(0, len(items), RUN_CHUNK):
                dump(items[i:i + RUN_CHUNK], f, 2)
        else:
            it = iter(items)
            while True:
                chunk = list(islice(it, RUN_CHUNK))
                if not chunk:
                    break
                dump(chunk, f, 2)
        f.close()

    def _read_run(self, path):
        f = self._open_run(path)
        try:
            while True:
                try:
                    chunk = load(f)
                except EOFError:
                    return
                yield from chunk
        finally:
            f.close()
            self._remove_run(path)

    def items(self, maxfiles=128):
        if maxfiles < 2:
            raise ValueError("maxfiles=%s must be >= 2" % maxfiles)
        if not self.runs:
            return _sorted_postings(self.current) if postings(self) else sorted(self.current)
        current = self.current
        if postings(self):
            current = _sorted_postings(current)
        else:
            current.sort()
        self.current = []
        if hasattr(self, "currentsize"):
            self.currentsize = 0
        if maxfiles - 1 < len(self.runs):
            self.reduce_to(max(1, maxfiles - 1), max(2, maxfiles - 1))
        runs = self.runs
        self.runs = []
        return externalsort.imerge([self._read_run(path) for path in runs] + [iter(current)])

    items._kb_chunked = True
    ORIGINAL_WRITERS.update({(pool, "_write_run"): pool._write_run, (pool, "_read_run"): pool._read_run,
                             (pool, "items"): pool.items})
    pool._write_run = _write_run
    pool._read_run = _read_run
    pool.items = items


def _patch_posting_writers() -> None:
    """The writer's per-posting path without Whoosh's type assertions and call layers (issue 15;
    the same calls in the same order, so the same bytes):

    * ``PostingPool.add`` keeps Whoosh's size estimate (so it spills at the same points) but
      not its ``isinstance`` assertions;
    * ``W3PostingsWriter.add_posting`` likewise;
    * ``FieldWriter.add_postings`` of the W3 codec hands each posting straight to the field's
      postings writer (``W3FieldWriter.add`` only forwards it) with the document's field length
      remembered per (field, document) — what ``MemoLengths`` does for any other writer."""
    from whoosh import writing
    from whoosh.codec import base, whoosh3
    from whoosh.system import emptybytes

    if getattr(base.FieldWriter.add_postings, "_kb_memo", False):
        return
    original = base.FieldWriter.add_postings
    ORIGINAL_WRITERS.update({(writing.PostingPool, "add"): writing.PostingPool.add,
                             (whoosh3.W3PostingsWriter, "add_posting"): whoosh3.W3PostingsWriter.add_posting,
                             (base.FieldWriter, "add_postings"): original})

    def pool_add(self, item):
        self.fieldnames.add(item[0])
        v = item[4]
        # Whoosh's estimate: tuple 28 + 4 * 5, field name 21 + n, text 26 + 2 n, docnum 18,
        # weight 16, value 21 + n
        self.currentsize += 150 + len(item[0]) + 2 * len(item[1]) + (len(v) if v else 0)
        if self.currentsize > self.limit:
            self.save()
        self.current.append(item)

    def add_posting(self, id_, weight, vbytes, length=None):
        if len(self._ids) >= self._blocklimit:
            self._write_block()
        self._ids.append(id_)
        self._weights.append(weight)
        if weight > self._maxweight:
            self._maxweight = weight
        if vbytes:
            self._values.append(vbytes)
        if length:
            least = self._minlength
            if least is None or length < least:
                self._minlength = length
            if length > self._maxlength:
                self._maxlength = length

    def add_postings(self, schema, lengths, items):
        if type(self) is not whoosh3.W3FieldWriter:
            return original(self, schema, MemoLengths(lengths) if lengths else lengths, items)
        known: dict[str, dict[int, int]] = {}
        field = text = None
        post = flen = None
        for fieldname, btext, docnum, weight, value in items:
            if fieldname != field:
                if field is not None and fieldname < field:
                    raise base.OutOfOrderError("Field %r .. %r" % (field, fieldname))
                if text is not None:
                    self.finish_term()
                if field is not None:
                    self.finish_field()
                self.start_field(fieldname, schema[fieldname])
                field, text = fieldname, None
                flen = known.setdefault(fieldname, {})
            elif text and btext < text:
                raise base.OutOfOrderError("Term %s:%r .. %s:%r" % (field, text, fieldname, btext))
            if docnum == -1:        # Whoosh's marker of a spelling-only word: no posting
                continue
            if btext != text:
                if text is not None:
                    self.finish_term()
                self.start_term(btext)
                text = btext
                post = self._postwriter.add_posting
            if lengths:
                length = flen.get(docnum)
                if length is None:
                    length = flen[docnum] = lengths.doc_field_length(docnum, fieldname)
            else:
                length = 0
            post(docnum, weight, emptybytes if value is None else value, length)
        if text is not None:
            self.finish_term()

    add_postings._kb_memo = True
    writing.PostingPool.add = pool_add
    whoosh3.W3PostingsWriter.add_posting = add_posting
    base.FieldWriter.add_postings = add_postings


def apply() -> None:
    from whoosh.filedb import structfile

    structfile.BufferFile.__init__ = _buffer_file_init
    _patch_word_values()
    _patch_sorting_pool()
    _patch_posting_writers()
