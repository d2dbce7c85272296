"""Per-segment hit store: what a results page reads of each hit, flat, beside each segment.

Whoosh keeps a document's stored fields as one zlib-compressed pickle of the whole record: a
hit of 21,600 characters costs ≈ 87 µs to read even when only its title is shown (suggest),
and a Traditional-Chinese or full-width article then misses the snippets' fast path, so its
snippet normalises (NFKC + OpenCC, ≈ 5 ms) the first ``snippets.MAX_NORMALISED`` characters
at query time.  A segment never changes once written, so that work is done once, after the
commit that wrote the segment:

``<segment id>.kbh`` in the generation folder (named like the posting store, ``poststore``:
Whoosh's ``clean_files`` deletes it with its segment; a rebuild's old generation goes with its
folder), per local document number:

====================  ==========================================================
header (``_HEAD``)    magic, version, segment id, document count, section sizes,
                      the normaliser's tag (``normaliser_tag``), CRC-32
``moff``  int64[n+1]  offsets of each document's small fields in ``meta``
``toff``  int64[n+1]  offsets of each document's ``stored_text`` (UTF-16-LE) in ``text``
``noff``  int64[n+1]  offsets of each document's normalised head (UTF-16-LE) in ``norm``
``ooff``  int64[n+1]  first entry of each document's offset map in ``offs``
``kind``  uint8[n]    what is stored (``TEXT``, ``NORM``, ``OFFSETS``, ``FALLBACK``)
``offs``  int32[…]    offset maps (``text.normalise_with_map``), only where there is one
``meta``  bytes       pickled dict of the record's ``HIT_FIELDS`` (those it has)
``text``  bytes       ``stored_text`` as UTF-16-LE (no zlib, no pickle; decoding it is 3–4×
                      faster than UTF-8; as large for Chinese text)
``norm``  bytes       ``normalise_with_map(text[:MAX_NORMALISED])[0]`` as UTF-16-LE, unless it is
                      exactly ``text[:MAX_NORMALISED].lower()`` with no offset map
tail                  8-byte end marker
====================  ==========================================================

Reading a hit (``HitStore.record``) is a few slices of the mmapped file, one small
``pickle.loads`` and one UTF-16 decode; the normalised head is decoded only when the snippet
needs it (``make_snippet(…, normalised=…)``), and is what ``snippets._normalised`` would
compute.  The header records the normaliser (``normaliser_tag``: ``MAX_NORMALISED``, the
source of ``text.py``, the OpenCC and Unicode versions): a store written by another one is not
used and ``write_missing`` writes it again.  A missing, truncated or foreign store, or one
whose document a record cannot represent (``FALLBACK``), is read from Whoosh's stored fields
as before: same results.
"""
from __future__ import annotations

import hashlib
import logging
import mmap
import os
import pickle
import struct
import unicodedata
import zlib
from functools import partial
from pathlib import Path

import numpy as np

__all__ = ["HitStore", "write_segment", "write_missing", "store_path", "check", "EXT",
           "HIT_FIELDS", "normaliser_tag"]

log = logging.getLogger("indexer")

EXT = ".kbh"
MAGIC = b"KBHITS\x00\x01"
TAIL = b"KBHSEND\x01"
VERSION = 1
#: the stored fields a hit shows (``hits.make_hit``); ``stored_text`` is kept apart
HIT_FIELDS = ("slug", "stored_title", "category", "error_codes", "audience", "updated")
TEXT_FIELD = "stored_text"
#: how texts are kept (a lone surrogate cannot be encoded: that document is ``FALLBACK``)
ENCODING = "utf-16-le"
#: ``kind`` bits
TEXT = 1          # the record has a ``stored_text`` (a str); without it the text is ""
NORM = 2          # the normalised head is stored (else it is ``head.lower()``)
OFFSETS = 4       # … with an offset map
FALLBACK = 128    # not representable here: read Whoosh's stored fields
#: magic, version, ndocs, nmeta, ntext, nnorm, noffs, segment id, normaliser tag, CRC-32
_HEAD = struct.Struct("<8sIqqqqq64s64sI")
_FLUSH = 4 * 1024 * 1024

_TAG: str | None = None


def normaliser_tag() -> str:
    """What decides the stored normalised heads: ``snippets.MAX_NORMALISED``, ``text.py``,
    OpenCC's version and the Unicode tables (NFKC, ``str.lower``)."""
    global _TAG
    if _TAG is None:
        import opencc

        from . import snippets

        src = (Path(__file__).resolve().parent / "text.py").read_bytes()
        h = hashlib.sha256(src).hexdigest()[:16]
        ver = getattr(opencc, "__version__", "?")
        _TAG = f"{snippets.MAX_NORMALISED};{h};opencc-{ver};ucd-{unicodedata.unidata_version}"
    return _TAG


def store_path(folder, segment_id: str) -> Path:
    return Path(folder) / (segment_id + EXT)


def _align(n: int) -> int:
    return (n + 7) & ~7


def _layout(ndocs: int, noffs: int, nmeta: int, ntext: int):
    """{name: byte offset} of every section (and ``end``: where the tail starts, given nnorm
    is added to ``norm``)."""
    pos = _align(_HEAD.size)
    out = {}
    for name, size in (("moff", 8 * (ndocs + 1)), ("toff", 8 * (ndocs + 1)),
                       ("noff", 8 * (ndocs + 1)), ("ooff", 8 * (ndocs + 1)), ("kind", ndocs),
                       ("offs", 4 * noffs), ("meta", nmeta), ("text", ntext)):
        out[name] = pos
        pos = _align(pos + size)
    out["norm"] = pos
    return out


# -- writing -----------------------------------------------------------------------------------
def _encode(record) -> tuple[int, bytes, bytes, bytes, bytes]:
    """(kind, meta, text, norm, offsets) of one stored record."""
    from .snippets import MAX_NORMALISED
    from .text import normalise_with_map

    if record is None:
        record = {}
    if not isinstance(record, dict):
        return FALLBACK, b"", b"", b"", b""
    meta = pickle.dumps({k: record[k] for k in HIT_FIELDS if k in record}, protocol=5)
    if TEXT_FIELD not in record:
        return 0, meta, b"", b"", b""
    text = record[TEXT_FIELD]
    if type(text) is not str:
        return FALLBACK, b"", b"", b"", b""
    try:
        raw = text.encode(ENCODING)
    except UnicodeEncodeError:        # lone surrogates: keep Whoosh's copy
        return FALLBACK, b"", b"", b"", b""
    head = text[:MAX_NORMALISED]
    norm, offsets = normalise_with_map(head)
    kind = TEXT
    nb = ob = b""
    if offsets is not None or norm != head.lower():
        try:
            nb = norm.encode(ENCODING)
        except UnicodeEncodeError:
            return FALLBACK, b"", b"", b"", b""
        kind |= NORM
        if offsets is not None:
            kind |= OFFSETS
            ob = np.asarray(offsets, dtype=np.int32).tobytes()
    return kind, meta, raw, nb, ob


def write_segment(folder, leaf) -> Path:
    """Write the hit store of one segment reader ``leaf`` into ``folder`` (atomic)."""
    folder = Path(folder)
    segid = leaf.segment().segment_id()
    final = store_path(folder, segid)
    tmp = folder / f".{segid}{EXT}.tmp-{os.getpid()}"
    n = leaf.doc_count_all()
    # first pass into memory-light parts: the sections' sizes are only known at the end, so
    # the variable parts go to three temporary spools (the text blob is most of the file)
    moff = np.zeros(n + 1, dtype=np.int64)
    toff = np.zeros(n + 1, dtype=np.int64)
    noff = np.zeros(n + 1, dtype=np.int64)
    ooff = np.zeros(n + 1, dtype=np.int64)
    kinds = np.zeros(n, dtype=np.uint8)
    parts = {name: folder / f".{segid}{EXT}.{name}-{os.getpid()}"
             for name in ("meta", "text", "norm", "offs")}
    spools = {}
    try:
        for name, p in parts.items():
            spools[name] = open(p, "wb", buffering=_FLUSH)
        m = t = nn = o = 0
        for d in range(n):
            kind, meta, raw, nb, ob = _encode(leaf.stored_fields(d))
            kinds[d] = kind
            spools["meta"].write(meta)
            spools["text"].write(raw)
            spools["norm"].write(nb)
            spools["offs"].write(ob)
            m += len(meta)
            t += len(raw)
            nn += len(nb)
            o += len(ob) // 4
            moff[d + 1], toff[d + 1], noff[d + 1], ooff[d + 1] = m, t, nn, o
        for f in spools.values():
            f.close()
        pos = _layout(n, o, m, t)
        with open(tmp, "wb") as fh:
            fd = fh.fileno()
            for name, arr in (("moff", moff), ("toff", toff), ("noff", noff), ("ooff", ooff),
                              ("kind", kinds)):
                os.pwrite(fd, arr.tobytes(), pos[name])
            for name in ("offs", "meta", "text", "norm"):
                _copy_into(fd, parts[name], pos[name])
            os.pwrite(fd, TAIL, pos["norm"] + nn)
            os.pwrite(fd, _pack_head(segid, n, m, t, nn, o), 0)
            fh.flush()
            os.fsync(fd)
        os.replace(tmp, final)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    finally:
        for f in spools.values():
            f.close()
        for p in parts.values():
            try:
                p.unlink()
            except OSError:
                pass
    return final


def _copy_into(fd: int, src: Path, pos: int) -> None:
    with open(src, "rb") as fh:
        while True:
            chunk = fh.read(_FLUSH)
            if not chunk:
                return
            os.pwrite(fd, chunk, pos)
            pos += len(chunk)


def _pack_head(segid: str, ndocs: int, nmeta: int, ntext: int, nnorm: int, noffs: int) -> bytes:
    body = _HEAD.pack(MAGIC, VERSION, ndocs, nmeta, ntext, nnorm, noffs, segid.encode("ascii"),
                      normaliser_tag().encode("ascii"), 0)
    return body[:-4] + struct.pack("<I", zlib.crc32(body[:-4]))


def write_missing(folder, *, procs: int = 1, skip=()) -> list[str]:
    """Write the hit store of every segment of the index in ``folder`` that has no valid one
    (missing, broken, or written by another normaliser), except those in ``skip``; same rules
    as ``poststore.write_missing`` (write lock held, or a build folder; ``procs`` > 1 forks)."""
    from . import poststore

    return poststore.write_missing(folder, procs=procs, skip=skip, ext=EXT, check=check,
                                   write_one=_write_one)


def _write_one(folder: Path, ix, toc, seg) -> None:
    from whoosh.reading import SegmentReader

    r = SegmentReader(ix.storage, toc.schema, seg, generation=toc.generation)
    try:
        write_segment(folder, r)
    finally:
        r.close()


# -- reading -----------------------------------------------------------------------------------
def check(path: Path, segid: str, ndocs: int):
    """None when ``path`` is a complete hit store of segment ``segid``, else the reason."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return "missing"
    except OSError as e:
        return f"unreadable ({e})"
    try:
        return _check_fd(fd, segid, ndocs)
    except OSError as e:
        return f"unreadable ({e})"
    finally:
        os.close(fd)


def _check_fd(fd: int, segid: str, ndocs: int):
    size = os.fstat(fd).st_size
    head = os.pread(fd, _HEAD.size, 0)
    if len(head) < _HEAD.size:
        return "truncated header"
    (magic, version, n, nmeta, ntext, nnorm, noffs, sid, tag, crc) = _HEAD.unpack(head)
    if magic != MAGIC:
        return "not a hit store"
    if version != VERSION:
        return f"version {version}"
    if zlib.crc32(head[:-4]) != crc:
        return "header checksum"
    if sid.rstrip(b"\x00").decode("ascii", "replace") != segid:
        return "another segment's store"
    if n != ndocs:
        return f"{n} documents, segment has {ndocs}"
    if tag.rstrip(b"\x00").decode("ascii", "replace") != normaliser_tag():
        return "another normaliser"
    expect = _layout(n, noffs, nmeta, ntext)["norm"] + nnorm + len(TAIL)
    if size != expect:
        return f"size {size}, expected {expect}"
    if os.pread(fd, len(TAIL), size - len(TAIL)) != TAIL:
        return "no end marker"
    return None


class HitStore:
    """One segment's hit store, mmapped read-only; ``open`` returns None (and logs why) when
    the file cannot be used."""

    def __init__(self, path: Path, mm: mmap.mmap, head: tuple, ident=None):
        self.path = path
        self._mm = mm
        self.ident = ident          # (inode, size, mtime) of the file that was mapped
        (_magic, _v, n, nmeta, ntext, nnorm, noffs, _sid, _tag, _crc) = head
        self.ndocs = n
        pos = _layout(n, noffs, nmeta, ntext)
        buf = memoryview(mm)
        w = 8 * (n + 1)
        self._moff = buf[pos["moff"]:pos["moff"] + w].cast("q")
        self._toff = buf[pos["toff"]:pos["toff"] + w].cast("q")
        self._noff = buf[pos["noff"]:pos["noff"] + w].cast("q")
        self._ooff = buf[pos["ooff"]:pos["ooff"] + w].cast("q")
        self._kind = buf[pos["kind"]:pos["kind"] + n]
        self._offs = buf[pos["offs"]:pos["offs"] + 4 * noffs]
        self._meta = buf[pos["meta"]:pos["meta"] + nmeta]
        self._text = buf[pos["text"]:pos["text"] + ntext]
        self._norm = buf[pos["norm"]:pos["norm"] + nnorm]

    @classmethod
    def open(cls, path: Path, segid: str, ndocs: int) -> "HitStore | None":
        try:
            fd = os.open(path, os.O_RDONLY)
        except FileNotFoundError:
            log.info("hit store %s missing: stored fields read from the segment", path.name)
            return None
        except OSError as e:
            log.warning("hit store %s unreadable (%s): stored fields read from the segment", path, e)
            return None
        try:
            problem = _check_fd(fd, segid, ndocs)
            if problem is not None:
                log.warning("hit store %s not used (%s): stored fields read from the segment",
                            path, problem)
                return None
            st = os.fstat(fd)
            head = os.pread(fd, _HEAD.size, 0)
            mm = mmap.mmap(fd, st.st_size, prot=mmap.PROT_READ)
        except (OSError, ValueError) as e:
            log.warning("hit store %s unreadable (%s): stored fields read from the segment", path, e)
            return None
        finally:
            os.close(fd)
        return cls(path, mm, _HEAD.unpack(head), (st.st_ino, st.st_size, st.st_mtime_ns))

    def unchanged(self) -> bool:
        """The file is still the one mapped (see ``poststore.PostingStore.unchanged``)."""
        try:
            st = os.stat(self.path)
        except OSError:
            return False
        return (st.st_ino, st.st_size, st.st_mtime_ns) == self.ident

    def fields(self, local: int) -> dict | None:
        """The record's ``HIT_FIELDS`` (as Whoosh's stored fields have them), or None: read
        Whoosh's stored fields."""
        if self._kind[local] & FALLBACK:
            return None
        return pickle.loads(self._meta[self._moff[local]:self._moff[local + 1]])

    def record(self, local: int):
        """(fields, text, normalised) of document ``local``, or None (read Whoosh's stored
        fields): ``fields`` as ``fields()``, ``text`` the record's ``stored_text`` ("" without
        one), ``normalised()`` = ``snippets._normalised(text[:MAX_NORMALISED])``."""
        kind = self._kind[local]
        if kind & FALLBACK:
            return None
        fields = pickle.loads(self._meta[self._moff[local]:self._moff[local + 1]])
        if not kind & TEXT:
            return fields, "", None
        text = str(self._text[self._toff[local]:self._toff[local + 1]], ENCODING)
        return fields, text, partial(self._normalised, local, kind, text)

    def _normalised(self, local: int, kind: int, text: str):
        from .snippets import MAX_NORMALISED

        if not kind & NORM:
            return text[:MAX_NORMALISED].lower(), None
        norm = str(self._norm[self._noff[local]:self._noff[local + 1]], ENCODING)
        if not kind & OFFSETS:
            return norm, None
        return norm, self._offs[4 * self._ooff[local]:4 * self._ooff[local + 1]].cast("i")

    def trim(self) -> None:
        """Unmap the pages read so far from this process (``PostingStore.trim``)."""
        try:
            self._mm.madvise(mmap.MADV_DONTNEED)
        except (AttributeError, OSError, ValueError):
            pass
