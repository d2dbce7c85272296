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
"""
from __future__ import annotations

import io

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


def apply() -> None:
    from whoosh.codec import base
    from whoosh.filedb import structfile

    structfile.BufferFile.__init__ = _buffer_file_init
    if getattr(base.FieldWriter.add_postings, "_kb_memo", False):
        return
    original = base.FieldWriter.add_postings

    def add_postings(self, schema, lengths, items):
        return original(self, schema, MemoLengths(lengths) if lengths else lengths, items)

    add_postings._kb_memo = True
    base.FieldWriter.add_postings = add_postings
