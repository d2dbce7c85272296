"""Per-segment hit store: what a results page reads of each hit, flat, beside each segment.

Whoosh keeps a document's stored fields as one zlib-compressed pickle of the whole record: a
hit of 21,600 characters costs ≈ 87 µs to read even when only its title is shown (suggest),
and a Traditional-Chinese or full-width article then misses the snippets' fast path, so its
snippet normalises (NFKC + OpenCC, ≈ 5 ms) the first ``snippets.MAX_NORMALISED`` characters
at query time.  A segment never changes once written, so that work is done once, after the
commit that wrote the segment:

``<segment id>.kbh`` in the generation folder (named like the posting store, ``poststore``:
Whoosh's ``clean_files`` deletes it with its segment; a rebuild's old generation goes with its
folder).  Per local document number ``d``, blob ``b``'s bytes of ``d`` are
``b[off_b[d]:off_b[d + 1]]``:

====================  ==========================================================
header (``_HEAD``)    magic, version, segment id, document count, blob sizes, the
                      normaliser's tag (``normaliser_tag``), CRC-32
``kind``  uint8[n]    what is stored (``TEXT``, ``NORM``, ``OFFSETS``, ``FALLBACK``)
``off_*`` int64[n+1]  per blob (``BLOBS``), each document's byte offsets
``offs``  int32       offset map of the normalised head (``text.normalise_with_map``), if any
``meta``  bytes       pickled dict of the record's ``HIT_FIELDS`` (those it has)
``text``  UTF-16-LE   ``stored_text`` (no zlib, no pickle; decoding UTF-16 is 3–4× faster
                      than UTF-8, and as large for Chinese text)
``norm``  UTF-16-LE   ``normalise_with_map(text[:MAX_NORMALISED])[0]``, unless it is exactly
                      ``text[:MAX_NORMALISED].lower()`` with no offset map
``tchars`` UTF-16-LE  the distinct characters of ``text[:MAX_TEXT]``
``nchars`` UTF-16-LE  the distinct characters of the stored normalised head
tail                  8-byte end marker
====================  ==========================================================

Reading a hit (``HitStore.record``) is a few slices of the mmapped file, one small
``pickle.loads`` and one UTF-16 decode.  The snippet gets a ``Prepared``: the text's distinct
characters (a term with a character the text lacks is not looked for — a full scan of the
text each, mostly the Simplified terms of a query in a Traditional article), the normalised
head — exactly what ``snippets._normalised`` would compute — and its characters, decoded only
when the snippet needs them.  The header records the normaliser (``normaliser_tag``:
``MAX_NORMALISED``, ``MAX_TEXT``, the source of ``text.py``, the OpenCC and Unicode versions):
a store written by another one is not used and ``write_missing`` writes it again.  A missing,
truncated or foreign store, or a document the store cannot represent (``FALLBACK``: a lone
surrogate), is read from Whoosh's stored fields as before: same results.
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
from pathlib import Path

import numpy as np

from .poststore import check_file, map_checked, same_file

__all__ = ["HitStore", "Prepared", "write_segment", "write_missing", "store_path", "check", "EXT",
           "HIT_FIELDS", "normaliser_tag"]

log = logging.getLogger("indexer")

EXT = ".kbh"
MAGIC = b"KBHITS\x00\x01"
TAIL = b"KBHSEND\x01"
VERSION = 2
#: the stored fields a hit shows (``hits.make_hit``); ``stored_text`` is kept apart
HIT_FIELDS = ("slug", "stored_title", "category", "error_codes", "audience", "updated")
TEXT_FIELD = "stored_text"
#: how texts are kept (a lone surrogate cannot be encoded: that document is ``FALLBACK``)
ENCODING = "utf-16-le"
#: the variable-length parts of each document, in file order (``offs`` first: int32-aligned)
BLOBS = ("offs", "meta", "text", "norm", "tchars", "nchars")
#: ``kind`` bits
TEXT = 1          # the record has a ``stored_text`` (a str); without it the text is ""
NORM = 2          # the normalised head is stored (else it is ``head.lower()``)
OFFSETS = 4       # … with an offset map
FALLBACK = 128    # not representable here: read Whoosh's stored fields
#: magic, version, ndocs, the size of each blob, segment id, normaliser tag, CRC-32
_HEAD = struct.Struct("<8sIq" + "q" * len(BLOBS) + "64s64sI")
_FLUSH = 4 * 1024 * 1024

_TAG: str | None = None


def normaliser_tag() -> str:
    """What decides the stored normalised heads and character sets: ``snippets.MAX_NORMALISED``
    and ``MAX_TEXT``, ``text.py``, OpenCC's version and the Unicode tables (NFKC, lower)."""
    global _TAG
    if _TAG is None:
        import opencc

        from . import snippets

        src = (Path(__file__).resolve().parent / "text.py").read_bytes()
        h = hashlib.sha256(src).hexdigest()[:16]
        ver = getattr(opencc, "__version__", "?")
        _TAG = (f"{snippets.MAX_NORMALISED};{snippets.MAX_TEXT};{h};opencc-{ver};"
                f"ucd-{unicodedata.unidata_version}")
    return _TAG


def store_path(folder, segment_id: str) -> Path:
    return Path(folder) / (segment_id + EXT)


def _align(n: int) -> int:
    return (n + 7) & ~7


def _layout(ndocs: int, sizes) -> dict[str, int]:
    """{section: byte offset}: ``kind``, ``off_<blob>`` per blob, each blob, and ``end`` (the
    tail's offset)."""
    pos = _align(_HEAD.size)
    out = {"kind": pos}
    pos = _align(pos + ndocs)
    for name in BLOBS:
        out["off_" + name] = pos
        pos += 8 * (ndocs + 1)
    for name, size in zip(BLOBS, sizes):
        out[name] = pos
        pos += size
    out["end"] = pos
    return out


# -- writing -----------------------------------------------------------------------------------
def _chars(s: str) -> str:
    """The distinct characters of ``s``, in order of first occurrence."""
    return "".join(dict.fromkeys(s))


def _encode(record) -> tuple[int, tuple[bytes, ...]]:
    """(kind, the document's bytes of each blob) of one stored record."""
    from .snippets import MAX_NORMALISED, MAX_TEXT
    from .text import normalise_with_map

    none = (b"",) * len(BLOBS)
    if record is None:
        record = {}
    if not isinstance(record, dict):
        return FALLBACK, none
    meta = pickle.dumps({k: record[k] for k in HIT_FIELDS if k in record}, protocol=5)
    if TEXT_FIELD not in record:
        return 0, (b"", meta, b"", b"", b"", b"")
    text = record[TEXT_FIELD]
    if type(text) is not str:
        return FALLBACK, none
    try:
        raw = text.encode(ENCODING)
        tchars = _chars(text[:MAX_TEXT]).encode(ENCODING)
        head = text[:MAX_NORMALISED]
        norm, offsets = normalise_with_map(head)
        kind = TEXT
        nb = ob = nchars = b""
        if offsets is not None or norm != head.lower():
            nb = norm.encode(ENCODING)
            nchars = _chars(norm).encode(ENCODING)
            kind |= NORM
            if offsets is not None:
                kind |= OFFSETS
                ob = np.asarray(offsets, dtype=np.int32).tobytes()
    except UnicodeEncodeError:        # lone surrogates: keep Whoosh's copy
        return FALLBACK, none
    return kind, (ob, meta, raw, nb, tchars, nchars)


def write_segment(folder, leaf) -> Path:
    """Write the hit store of one segment reader ``leaf`` into ``folder`` (atomic)."""
    folder = Path(folder)
    segid = leaf.segment().segment_id()
    final = store_path(folder, segid)
    tmp = folder / f".{segid}{EXT}.tmp-{os.getpid()}"
    n = leaf.doc_count_all()
    # the blobs' sizes are only known at the end: each is spooled to a temporary file first
    offsets = np.zeros((len(BLOBS), n + 1), dtype=np.int64)
    kinds = np.zeros(n, dtype=np.uint8)
    parts = [folder / f".{segid}{EXT}.{name}-{os.getpid()}" for name in BLOBS]
    spools = []
    try:
        for p in parts:
            spools.append(open(p, "wb", buffering=_FLUSH))
        sizes = [0] * len(BLOBS)
        for d in range(n):
            kind, blobs = _encode(leaf.stored_fields(d))
            kinds[d] = kind
            for b, data in enumerate(blobs):
                if data:
                    spools[b].write(data)
                    sizes[b] += len(data)
                offsets[b, d + 1] = sizes[b]
        for f in spools:
            f.close()
        pos = _layout(n, sizes)
        with open(tmp, "wb") as fh:
            fd = fh.fileno()
            os.pwrite(fd, kinds.tobytes(), pos["kind"])
            for b, name in enumerate(BLOBS):
                os.pwrite(fd, offsets[b].tobytes(), pos["off_" + name])
                _copy_into(fd, parts[b], pos[name])
            os.pwrite(fd, TAIL, pos["end"])
            os.pwrite(fd, _pack_head(segid, n, sizes), 0)
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
        for f in spools:
            f.close()
        for p in parts:
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


def _pack_head(segid: str, ndocs: int, sizes) -> bytes:
    body = _HEAD.pack(MAGIC, VERSION, ndocs, *sizes, segid.encode("ascii"),
                      normaliser_tag().encode("ascii"), 0)
    return body[:-4] + struct.pack("<I", zlib.crc32(body[:-4]))


def write_missing(folder, *, procs: int = 1, skip=(), mapped: bool = False) -> list[str]:
    """Write the hit store of every segment of the index in ``folder`` that has no valid one
    (missing, broken, or written by another normaliser), except those in ``skip``; same rules
    as ``poststore.write_missing`` (write lock held, or a build folder; ``procs`` > 1 forks;
    ``mapped`` reads a rebuild's new folder through mmap)."""
    from . import poststore

    return poststore.write_missing(folder, procs=procs, skip=skip, mapped=mapped, ext=EXT,
                                   check=check, write_one=_write_one)


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
    return check_file(path, segid, ndocs, _check_fd)


def _check_fd(fd: int, segid: str, ndocs: int):
    size = os.fstat(fd).st_size
    head = os.pread(fd, _HEAD.size, 0)
    if len(head) < _HEAD.size:
        return "truncated header"
    magic, version, n, *rest = _HEAD.unpack(head)
    sizes, (sid, tag, crc) = rest[:len(BLOBS)], rest[len(BLOBS):]
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
    expect = _layout(n, sizes)["end"] + len(TAIL)
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
        n = self.ndocs = head[2]
        pos = _layout(n, head[3:3 + len(BLOBS)])
        buf = memoryview(mm)
        self._kind = buf[pos["kind"]:pos["kind"] + n]
        w = 8 * (n + 1)
        for name in BLOBS:
            setattr(self, "_off_" + name, buf[pos["off_" + name]:pos["off_" + name] + w].cast("q"))
        self._blob = buf           # every blob's offsets are absolute below
        self._base = {name: pos[name] for name in BLOBS}

    @classmethod
    def open(cls, path: Path, segid: str, ndocs: int) -> "HitStore | None":
        mapped = map_checked(path, segid, ndocs, _check_fd, _HEAD, "hit store",
                             "stored fields read from the segment")
        return cls(path, *mapped) if mapped else None

    def unchanged(self) -> bool:
        """The file is still the one mapped (see ``poststore.PostingStore.unchanged``)."""
        return same_file(self.path, self.ident)

    def _bytes(self, name: str, local: int) -> memoryview:
        off = getattr(self, "_off_" + name)
        base = self._base[name]
        return self._blob[base + off[local]:base + off[local + 1]]

    def fields(self, local: int) -> dict | None:
        """The record's ``HIT_FIELDS`` (as Whoosh's stored fields have them), or None: read
        Whoosh's stored fields."""
        if self._kind[local] & FALLBACK:
            return None
        return pickle.loads(self._bytes("meta", local))

    def record(self, local: int):
        """(fields, text, prepared) of document ``local``, or None (read Whoosh's stored
        fields): ``fields`` as ``fields()``, ``text`` the record's ``stored_text`` ("" without
        one), ``prepared`` what ``snippets.make_snippet`` can use of it (``Prepared``)."""
        kind = self._kind[local]
        if kind & FALLBACK:
            return None
        fields = pickle.loads(self._bytes("meta", local))
        if not kind & TEXT:
            return fields, "", None
        text = str(self._bytes("text", local), ENCODING)
        return fields, text, Prepared(self, local, kind, text)

    def _normalised(self, local: int, kind: int, text: str):
        from .snippets import MAX_NORMALISED

        if not kind & NORM:
            return text[:MAX_NORMALISED].lower(), None
        norm = str(self._bytes("norm", local), ENCODING)
        if not kind & OFFSETS:
            return norm, None
        return norm, self._bytes("offs", local).cast("i")

    def trim(self) -> None:
        """Unmap the pages read so far from this process (``PostingStore.trim``)."""
        try:
            self._mm.madvise(mmap.MADV_DONTNEED)
        except (AttributeError, OSError, ValueError):
            pass


class Prepared:
    """What the hit store prepared for one hit's snippet (``snippets.make_snippet``):
    ``chars`` — every distinct character of ``text[:MAX_TEXT]``; ``normalised()`` — exactly
    ``snippets._normalised(text[:MAX_NORMALISED])``; ``norm_chars()`` — a superset of the
    characters of that normalised head."""
    __slots__ = ("_store", "_local", "_kind", "_text", "chars")

    def __init__(self, store: HitStore, local: int, kind: int, text: str):
        self._store, self._local, self._kind, self._text = store, local, kind, text
        self.chars = str(store._bytes("tchars", local), ENCODING)

    def normalised(self):
        return self._store._normalised(self._local, self._kind, self._text)

    def norm_chars(self) -> str:
        if not self._kind & NORM:       # the head lowercased: its characters lowercased
            return self.chars.lower()
        return str(self._store._bytes("nchars", self._local), ENCODING)
