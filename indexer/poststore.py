"""Per-segment posting store: a sidecar file beside each Whoosh segment, read with mmap.

Whoosh keeps a term's postings in pickled, zlib-compressed blocks, and each posting's
positions as a separate pickled ``bytes``: reading a term in 25,000 articles costs ≈ 30 ms
whoever reads it (``pickle.loads`` and ``zlib`` of every block), in every worker, after
every start.  A segment never changes once written (deletions live in the TOC), so its
postings can be written once more, flat, when the segment is committed:

``<segment id>.kbp`` in the generation folder, e.g. ``MAIN_x3k9….kbp``.  The name matches
Whoosh's segment file pattern (``MAIN_<id>.<ext>``), so Whoosh's own ``clean_files`` deletes
it with its segment when a merge removes the segment; a rebuild's old generation goes with its
folder.  It holds, for the fields search reads (``FIELDS``), every term's postings as numpy
arrays in one file:

====================  ==========================================================
header (``_HEAD``)    magic, version, segment id, document count, counts, CRC-32
``keys``   int64[T]   the term's posting offset in the segment's ``.pst`` (sorted;
                      Whoosh's term table gives it: no term dictionary of our own)
``tstart`` int64[T+1] first posting of each term in ``ids``/``weights``
``vbase``  int64[T]   first entry of the term's value offsets in ``voff``, or -1
``vblob``  int64[T]   the term's first byte in ``blob``, or -1
``ids``    int32[P]   local document numbers (sorted per term; deleted ones included)
``weights`` float32[P]
``voff``   uint32[…]  per term with values: n+1 offsets of its values, relative to ``vblob``
``kstart`` int64[T+1] (version 2) first byte of each term's key in ``kblob``
``slots``  int32[S]   (version 2) hash table of the terms: ``S`` a power of two ≥ 2 T,
                      a term's slot ``crc32(key) & (S-1)`` then the next ones (linear
                      probing) until its index or -1; ``S`` = 0 when a term of ``FIELDS``
                      is not in the file (inlined by Whoosh: never with our codec)
``kblob``  uint8[…]   (version 2) each term's key: its field's index in ``FIELDS`` (one
                      byte) then its UTF-8 text
``blob``   uint8[…]   the raw Whoosh value bytes of each posting of ``VALUE_FIELDS``
                      (``fmt.decode_as("positions", …)`` decodes exactly what it does today)
tail                  8-byte end marker
====================  ==========================================================

Reading a term (``PostingStore.postings``) is one look-up in the store's own hash table (a
CRC-32 and one or two slots compared as bytes: about 2 µs, where Whoosh's term table, read
from the segment file without mmap, took ≈ 10 µs a term and more than a third of a Chinese
suggest's CPU at 10,000 articles — stop 24; version 1 stores asked Whoosh's term table for
the posting offset and had no ``kstart``/``slots``/``kblob``), then slices of the mmapped
arrays: no copies, no Python loop.
Written atomically (temporary name starting with ``.``, which Whoosh's cleanup ignores,
fsync, rename).  A missing, truncated or foreign file (magic, version, header CRC, size, tail,
segment id or document count wrong) is not used: the reader falls back to Whoosh's blocks
(``segcache.read_postings``) with one log line.

Writing: ``write_missing(folder)`` writes the store of every segment of the folder's index that
has none (after a commit: ``SearchEngine.rebuild`` before verifying, ``update`` and ``sync``
before touching the STAMP, so readers that see the new generation see its stores).  It reads
each segment's posting blocks directly (``_term_postings``: one read per block, Python arrays;
through mmap for a rebuild's own folder).
"""
from __future__ import annotations

import io
import logging
from array import array
from itertools import accumulate
import mmap
import os
import pickle
import struct
import zlib
from pathlib import Path

import numpy as np
from whoosh.codec.whoosh3 import W3TermInfo, W3TermsReader
from whoosh.filedb.compound import SubFile
from whoosh.filedb.filetables import HashReader
from whoosh.system import _INT_SIZE

__all__ = ["PostingStore", "write_segment", "write_missing", "store_path", "read_blocks",
           "FIELDS", "VALUE_FIELDS", "EXT"]

log = logging.getLogger("indexer")

EXT = ".kbp"
MAGIC = b"KBPOSTS\x01"
TAIL = b"KBPSEND\x01"
VERSION = 2
#: fields whose postings the search reads (``ranking.MODELS``, audiences, did-you-mean terms)
FIELDS = ("title", "codes", "body", "prefix", "audience", "dym_public", "dym_internal")
#: fields whose raw posting values (positions) are kept, for proximity
VALUE_FIELDS = frozenset({"title", "body"})
#: magic, version, ndocs, nterms, npostings, nvoff, nblob, nslots, nkey, segment id, fields,
#: CRC-32 of the rest
_HEAD = struct.Struct("<8sIqqqqqqq64s128sI")
#: a term's key in the hash table starts with its field's index in ``FIELDS``
_FIELD_BYTE = {f: bytes([i]) for i, f in enumerate(FIELDS)}
_FLUSH = 4 * 1024 * 1024
#: what one scattered read of a mapped store costs in RSS, roughly (a page and its neighbours
#: mapped by the kernel's fault-around); only used where /proc/self/statm is not there
TOUCH = 64 * 1024
_ONES = [1.0] * 128
_EMPTY_I = np.zeros(0, dtype=np.int32)
_EMPTY_F = np.zeros(0, dtype=np.float32)


def store_path(folder, segment_id: str) -> Path:
    return Path(folder) / (segment_id + EXT)


def _align(n: int) -> int:
    return (n + 7) & ~7


def _layout(nterms: int, npost: int, nvoff: int, nslots: int,
            nkey: int) -> list[tuple[str, int, int, np.dtype]]:
    """(name, byte offset, count, dtype) of every array section, then the blob's offset."""
    out = []
    pos = _align(_HEAD.size)
    for name, count, dt in (("keys", nterms, np.int64), ("tstart", nterms + 1, np.int64),
                            ("vbase", nterms, np.int64), ("vblob", nterms, np.int64),
                            ("ids", npost, np.int32), ("weights", npost, np.float32),
                            ("voff", nvoff, np.uint32), ("kstart", nterms + 1, np.int64),
                            ("slots", nslots, np.int32), ("kblob", nkey, np.uint8)):
        dt = np.dtype(dt)
        out.append((name, pos, count, dt))
        pos = _align(pos + count * dt.itemsize)
    out.append(("blob", pos, -1, np.dtype(np.uint8)))
    return out


# -- reading Whoosh 3 blocks -------------------------------------------------------------------
def read_blocks(postfile, baseoffset: int, fixed, keep_values: bool = True):
    """(ids, weights, values) of every posting block of one Whoosh 3 posting list, read
    straight from the postings file (``baseoffset``: after the 4-byte list header): one read
    per block instead of Whoosh's reader, whose ``pickle.load`` of each block's info tuple
    pulls the file opcode by opcode (about 25 reads per block) and whose ids are
    delta-decoded by a Python generator (``values`` is None unless ``keep_values``).  Same
    block layout as ``W3LeafMatcher._goto``/``_read_data``: an int length (negative on the
    last block), the pickled info tuple, then the (optionally zlib-compressed) pickled data."""
    pf = postfile
    pos = baseoffset
    while True:
        length = pf.get_int(pos)
        last = length < 0
        length = abs(length)
        block = pf.get(pos + _INT_SIZE, length)
        bio = io.BytesIO(block)
        count, _maxid, _maxw, comp = pickle.load(bio)[:4]
        data = block[bio.tell():]
        if comp:
            data = zlib.decompress(data)
        deltas, weights, vs = pickle.loads(data)
        ids = np.cumsum(np.asarray(deltas, dtype=np.int64)).astype(np.int32)
        if weights is None:
            ws = np.ones(count, dtype=np.float32)
        elif isinstance(weights, float):
            ws = np.full(count, weights, dtype=np.float32)
        else:
            ws = np.asarray(weights, dtype=np.float32)
        if not keep_values:
            values = None
        elif fixed is None or fixed < 0:
            values = vs
        elif fixed == 0:
            values = (None,) * count
        else:
            values = tuple(vs[i:i + fixed] for i in range(0, len(vs), fixed))
        yield ids, ws, values
        if last:
            return
        pos += _INT_SIZE + length


# -- writing -----------------------------------------------------------------------------------
class _Section:
    """Buffered writes of one section at its place in the file."""

    def __init__(self, fh, pos: int):
        self.fh, self.pos, self.buf = fh, pos, []
        self.size = 0
        self.written = 0

    def add(self, b: bytes) -> None:
        self.buf.append(b)
        self.size += len(b)
        if self.size >= _FLUSH:
            self.flush()

    def flush(self) -> None:
        if self.buf:
            data = b"".join(self.buf)
            os.pwrite(self.fh.fileno(), data, self.pos + self.written)
            self.written += len(data)
            self.buf, self.size = [], 0


def _segment_terms(leaf):
    """(offset, doc frequency, field, has values, key) of every term of ``FIELDS`` kept in
    the postings file (Whoosh inlines none with its default codec; an inlined one is skipped
    and read the old way), and whether one was skipped."""
    terms = leaf._terms
    out = []
    skipped = False
    names = leaf.schema.names()
    for field in FIELDS:
        if field not in names or field not in terms.indexed_field_names():
            continue
        fixed = leaf.schema[field].format.fixed_value_size()
        values = field in VALUE_FIELDS and (fixed is None or fixed < 0)
        fb = _FIELD_BYTE[field]
        for (fn, btext), ti in terms.items_from(field, b""):
            if fn != field:
                break
            if ti.is_inlined() or ti._offset is None:
                skipped = True
                continue
            out.append((ti._offset, ti.doc_frequency(), field, values, fb + btext))
    out.sort(key=lambda t: t[0])
    return out, skipped


def _hash_table(keys: list[bytes], nslots: int) -> np.ndarray:
    """Open addressing (linear probing) of term indices by ``crc32(key)``; -1 = empty."""
    slots = [-1] * nslots
    mask = nslots - 1
    crc = zlib.crc32
    for t, k in enumerate(keys):
        i = crc(k) & mask
        while slots[i] >= 0:
            i = (i + 1) & mask
        slots[i] = t
    return np.array(slots, dtype=np.int32)


def _nslots(nterms: int) -> int:
    """A power of two at least twice ``nterms`` (at most half full: short probes)."""
    n = 8
    while n < 2 * nterms:
        n *= 2
    return n


def _term_postings(postfile, baseoffset: int, values: bool, ids, weights, voff, blob):
    """Append one Whoosh 3 posting list (blocks from ``baseoffset``, after the list header) to
    the writer's arrays: ``ids`` (array ``i``), ``weights`` (array ``f``), and with ``values``
    the raw value bytes to ``blob`` and their end offsets, relative to the term's first
    byte, to ``voff`` (array ``I``; the caller put the leading 0).  Returns the number of
    postings.  The same bytes as ``read_blocks`` + numpy per block gave, with Python's own
    arrays: a segment has tens of thousands of terms of one or two postings, for which numpy's
    per-call cost was most of the writing (issue 15)."""
    get, get_int = postfile.get, postfile.get_int
    loads = pickle.loads
    pos = baseoffset
    got = 0
    tot = 0
    while True:
        length = get_int(pos)
        last = length < 0
        length = abs(length)
        block = get(pos + _INT_SIZE, length)
        bio = io.BytesIO(block)
        count, _maxid, _maxw, comp = pickle.load(bio)[:4]
        data = block[bio.tell():]
        if comp:
            data = zlib.decompress(data)
        deltas, ws, vs = loads(data)
        ids.extend(accumulate(deltas))
        if ws is None:
            weights.extend(_ONES[:count] if count <= len(_ONES) else [1.0] * count)
        elif isinstance(ws, float):
            weights.extend([ws] * count)
        else:
            weights.extend(ws)
        got += count
        if values:   # variable-size values (positions): a list of bytes per block
            for v in vs:
                tot += len(v)
                voff.append(tot)
            blob += b"".join(vs)
        if last:
            return got
        pos += _INT_SIZE + length


def write_segment(folder, leaf) -> Path:
    """Write the posting store of one segment reader ``leaf`` into ``folder`` (atomic)."""
    from whoosh.codec.whoosh3 import WHOOSH3_HEADER_MAGIC

    folder = Path(folder)
    segid = leaf.segment().segment_id()
    final = store_path(folder, segid)
    tmp = folder / f".{segid}{EXT}.tmp-{os.getpid()}"
    terms, skipped = _segment_terms(leaf)
    nterms = len(terms)
    npost = sum(t[1] for t in terms)
    nvoff = sum(t[1] + 1 for t in terms if t[3])
    tkeys = [t[4] for t in terms]
    kstart = np.zeros(nterms + 1, dtype=np.int64)
    if nterms:
        kstart[1:] = np.cumsum([len(k) for k in tkeys])
    nkey = int(kstart[-1])
    # no table when a term is not in the file: a key missing from it would not mean "absent"
    slots = _hash_table(tkeys, _nslots(nterms)) if not skipped else np.zeros(0, dtype=np.int32)
    layout = _layout(nterms, npost, nvoff, len(slots), nkey)
    pos = {name: p for name, p, _c, _d in layout}
    keys = np.fromiter((t[0] for t in terms), dtype=np.int64, count=nterms)
    tstart = np.zeros(nterms + 1, dtype=np.int64)
    vbase = np.full(nterms, -1, dtype=np.int64)
    vblob = np.full(nterms, -1, dtype=np.int64)
    postfile = leaf._terms._postfile
    ids, weights, voff, blob = array("i"), array("f"), array("I"), bytearray()
    if (ids.itemsize, weights.itemsize, voff.itemsize) != (4, 4, 4):   # pragma: no cover
        raise ValueError("C int/float are not 4 bytes here")
    try:
        with open(tmp, "wb") as fh:
            s_ids = _Section(fh, pos["ids"])
            s_w = _Section(fh, pos["weights"])
            s_voff = _Section(fh, pos["voff"])
            s_blob = _Section(fh, pos["blob"])
            n = nv = nb = 0
            for i, (offset, df, field, values, _key) in enumerate(terms):
                if postfile.get(offset, 4) != WHOOSH3_HEADER_MAGIC:
                    raise ValueError(f"no posting list at {offset} in {segid}")
                tstart[i] = n
                if values:
                    vbase[i] = nv
                    vblob[i] = nb
                    before = len(blob)
                    voff.append(0)
                got = _term_postings(postfile, offset + 4, values, ids, weights, voff, blob)
                if got != df:
                    raise ValueError(f"term at {offset} in {segid}: {got} postings, expected {df}")
                n += got
                if values:
                    tot = len(blob) - before
                    if tot >= 2 ** 32:
                        raise ValueError(f"term at {offset} in {segid}: values too long")
                    nv += got + 1
                    nb += tot
                if len(ids) >= _FLUSH // 4:
                    s_ids.add(ids.tobytes())
                    s_w.add(weights.tobytes())
                    del ids[:], weights[:]
                if len(voff) >= _FLUSH // 4 or len(blob) >= _FLUSH:
                    s_voff.add(voff.tobytes())
                    s_blob.add(bytes(blob))
                    del voff[:], blob[:]
            s_ids.add(ids.tobytes())
            s_w.add(weights.tobytes())
            s_voff.add(voff.tobytes())
            s_blob.add(bytes(blob))
            tstart[nterms] = n
            for s in (s_ids, s_w, s_voff, s_blob):
                s.flush()
            fd = fh.fileno()
            for name, arr in (("keys", keys), ("tstart", tstart), ("vbase", vbase), ("vblob", vblob),
                              ("kstart", kstart), ("slots", slots)):
                os.pwrite(fd, arr.tobytes(), pos[name])
            os.pwrite(fd, b"".join(tkeys), pos["kblob"])
            os.pwrite(fd, TAIL, pos["blob"] + nb)
            head = _pack_head(segid, leaf.doc_count_all(), nterms, npost, nvoff, nb,
                              len(slots), nkey)
            os.pwrite(fd, head, 0)
            fh.flush()
            os.fsync(fd)
        os.replace(tmp, final)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    return final


def _pack_head(segid: str, ndocs: int, nterms: int, npost: int, nvoff: int, nblob: int,
               nslots: int, nkey: int) -> bytes:
    fields = ",".join(FIELDS) + ";" + ",".join(sorted(VALUE_FIELDS))
    body = _HEAD.pack(MAGIC, VERSION, ndocs, nterms, npost, nvoff, nblob, nslots, nkey,
                      segid.encode("ascii"), fields.encode("ascii"), 0)
    crc = zlib.crc32(body[:-4])
    return body[:-4] + struct.pack("<I", crc)


def write_missing(folder, *, procs: int = 1, skip=(), mapped: bool = False, ext: str = EXT,
                  check=None, write_one=None) -> list[str]:
    """Write the store of every segment of the index in ``folder`` that has no valid one,
    except the segments named in ``skip`` (call with the write lock held, or on a build folder
    nobody else writes).  Leftover temporary files of a crashed writer are removed.  Returns
    the segment ids written.
    ``procs`` > 1 writes several segments in forked processes (only from a single-threaded
    process: the bulk rebuild of a CLI).  ``mapped`` reads the segments through mmap (a third
    less CPU than Whoosh's file reads: each posting block is a slice): only for a folder no
    one else writes or replaces (a rebuild's new folder), where a file cannot be truncated
    under the mapping.  ``ext``, ``check`` and ``write_one`` name another kind of per-segment
    store written the same way (``hitstore``)."""
    from whoosh.filedb.filestore import FileStorage

    check = check or globals()["check"]
    write_one = write_one or _write_one
    folder = Path(folder)
    for p in folder.glob(f".*{ext}.*-*"):      # .<segment><ext>.tmp-<pid> and the like
        try:
            p.unlink()
        except OSError:
            pass
    ix = FileStorage(str(folder), supports_mmap=mapped).open_index()
    toc = ix._read_toc()
    skip = set(skip)
    todo = [seg for seg in toc.segments
            if seg.doc_count_all() and seg.segment_id() not in skip
            and check(Path(folder) / (seg.segment_id() + ext), seg.segment_id(),
                      seg.doc_count_all()) is not None]
    if not todo:
        return []
    if procs > 1 and len(todo) > 1:
        return _write_forked(folder, ix, toc, todo, procs, write_one)
    done = []
    for seg in todo:
        write_one(folder, ix, toc, seg)
        done.append(seg.segment_id())
    return done


def _write_one(folder: Path, ix, toc, seg) -> None:
    from whoosh.reading import SegmentReader

    r = SegmentReader(ix.storage, toc.schema, seg, generation=toc.generation)
    try:
        write_segment(folder, r)
    finally:
        r.close()


def _write_forked(folder: Path, ix, toc, todo, procs: int, write_one=None) -> list[str]:
    """The largest segments first, ``procs`` children at a time; a failed child raises."""
    todo = sorted(todo, key=lambda s: -s.doc_count_all())
    running: dict[int, str] = {}
    done = []
    failed = []

    def reap() -> None:
        pid, status = os.wait()
        segid = running.pop(pid, None)
        if segid is None:
            return
        if os.waitstatus_to_exitcode(status) == 0:
            done.append(segid)
        else:
            failed.append(segid)

    for seg in todo:
        while len(running) >= procs:
            reap()
        pid = os.fork()
        if pid == 0:   # child: write one store, never return into the caller's code
            code = 1
            try:
                (write_one or _write_one)(folder, ix, toc, seg)
                code = 0
            except BaseException:  # noqa: BLE001
                log.exception("store of %s failed", seg.segment_id())
            finally:
                os._exit(code)
        running[pid] = seg.segment_id()
    while running:
        reap()
    if failed:
        raise RuntimeError(f"store not written for {', '.join(failed)}")
    return done


# -- reading -----------------------------------------------------------------------------------
def check(path: Path, segid: str, ndocs: int):
    """None when ``path`` is a complete store of segment ``segid``, else the reason."""
    return check_file(path, segid, ndocs, _check_fd)


def check_file(path: Path, segid: str, ndocs: int, check_fd):
    """None when ``check_fd(fd, segid, ndocs)`` finds nothing wrong with the file at ``path``
    (a posting or a hit store), else the reason."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return "missing"
    except OSError as e:
        return f"unreadable ({e})"
    try:
        return check_fd(fd, segid, ndocs)
    except OSError as e:
        return f"unreadable ({e})"
    finally:
        os.close(fd)


def _check_fd(fd: int, segid: str, ndocs: int):
    """None when the open file ``fd`` is a complete store of ``segid``, else the reason."""
    size = os.fstat(fd).st_size
    problem = _check_head(os.pread(fd, _HEAD.size, 0), size, segid, ndocs)
    if problem is None and os.pread(fd, len(TAIL), size - len(TAIL)) != TAIL:
        problem = "no end marker"
    return problem


def _check_head(head: bytes, size: int, segid: str, ndocs: int):
    if len(head) < _HEAD.size:
        return "truncated header"
    (magic, version, n, nterms, npost, nvoff, nblob, nslots, nkey, sid, fields,
     crc) = _HEAD.unpack(head)
    if magic != MAGIC:
        return "not a posting store"
    if version != VERSION:
        return f"version {version}"
    if zlib.crc32(head[:-4]) != crc:
        return "header checksum"
    if sid.rstrip(b"\x00").decode("ascii", "replace") != segid:
        return "another segment's store"
    if n != ndocs:
        return f"{n} documents, segment has {ndocs}"
    want = ",".join(FIELDS) + ";" + ",".join(sorted(VALUE_FIELDS))
    if fields.rstrip(b"\x00").decode("ascii", "replace") != want:
        return "other fields"
    if nslots and (nslots & (nslots - 1) or nslots < 2 * nterms):
        return f"hash table of {nslots} slots for {nterms} terms"
    expect = _layout(nterms, npost, nvoff, nslots, nkey)[-1][1] + nblob + len(TAIL)
    if size != expect:
        return f"size {size}, expected {expect}"
    return None


def map_checked(path: Path, segid: str, ndocs: int, check_fd, head: struct.Struct, kind: str,
                fallback: str):
    """``(mmap, header fields, file identity)`` of the per-segment store at ``path`` (a posting
    or a hit store) when ``check_fd(fd, segid, ndocs)`` finds nothing wrong with it, else None —
    logged with ``kind`` and what readers do without it (``fallback``)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        log.info("%s %s missing: %s", kind, path.name, fallback)
        return None
    except OSError as e:
        log.warning("%s %s unreadable (%s): %s", kind, path, e, fallback)
        return None
    try:
        problem = check_fd(fd, segid, ndocs)
        if problem is not None:
            log.warning("%s %s not used (%s): %s", kind, path, problem, fallback)
            return None
        st = os.fstat(fd)
        raw = os.pread(fd, head.size, 0)
        mm = mmap.mmap(fd, st.st_size, prot=mmap.PROT_READ)
    except (OSError, ValueError) as e:
        log.warning("%s %s unreadable (%s): %s", kind, path, e, fallback)
        return None
    finally:
        os.close(fd)
    return mm, head.unpack(raw), (st.st_ino, st.st_size, st.st_mtime_ns)


def same_file(path: Path, ident) -> bool:
    """``path`` is still the file whose ``(inode, size, mtime)`` is ``ident``."""
    try:
        st = os.stat(path)
    except OSError:
        return False
    return (st.st_ino, st.st_size, st.st_mtime_ns) == ident


#: Whoosh's hash-table slot (key hash, item position) and item head (key length, value length)
_SLOT = struct.Struct("!Iq")
_ITEM = struct.Struct("!ii")
_FIELDNUM = struct.Struct("!H")
#: slots read at once while probing (a term's slot and the next ones, in one ``pread``)
PROBE_SLOTS = 8
#: bytes read at an item beyond its key (a term's info is 38 bytes; longer ones read again)
ITEM_VALUE = 64


def _term_table(segreader):
    """(hash table, file descriptor, where the term table starts in that file, field numbers,
    term-info struct) to look a term up in ``segreader``'s term table with ``pread``, or None
    when the table is not a Whoosh 3 hash file in a plain file (a closed reader, an mmapped or
    in-memory segment: Whoosh's own look-up answers).  Kept on the reader (its files stay
    open as long as it is)."""
    if getattr(segreader, "is_closed", True):
        return None
    got = getattr(segreader, "_kb_term_table", False)
    if got is not False:
        return got
    got = None
    try:
        terms = segreader._terms
        table = terms._tindex
        if type(terms) is W3TermsReader and isinstance(table, HashReader) and not table.startoffset:
            f = table.dbfile.file
            if type(f) is SubFile:
                base, raw = f._offset, f._file
            else:
                base, raw = 0, f
            fd = raw.fileno()       # (raises for a closed file, a view or a BytesIO)
            got = table, fd, base, terms._fieldmap, W3TermInfo._struct
    except (AttributeError, OSError, ValueError):
        got = None
    try:
        segreader._kb_term_table = got
    except AttributeError:
        pass
    return got


def term_offset(segreader, field: str, text: str) -> int | None:
    """Where ``text``'s postings in ``field`` start in the segment's ``.pst`` — what
    ``segreader.term_info(field, text)._offset`` says — or -1 when the segment lacks the term,
    or None when this look-up cannot tell (inlined postings, a table it cannot read: ask
    Whoosh).  Whoosh's own look-up reads its hash table through a buffered file, a seek and
    an 8 KB read for each of the ≈ 4 small pieces it needs (≈ 20 µs per term and field);
    this one does the same probe with one ``os.pread`` for the slots and one for the item."""
    got = _term_table(segreader)
    if got is None:
        return None
    table, fd, base, fieldmap, tistruct = got
    try:
        key = _FIELDNUM.pack(fieldmap.get(field, 65535)) + segreader.schema[field].to_bytes(text)
        keyhash = table.hashfn(key)
        tablestart, numslots = table.tables[keyhash & 255]
        if not numslots:
            return -1
        size = _SLOT.size
        end = tablestart + numslots * size
        pos = tablestart + ((keyhash >> 8) % numslots) * size
        left = numslots
        pread = os.pread
        while left > 0:
            n = min(PROBE_SLOTS, left, (end - pos) // size)
            buf = pread(fd, n * size, base + pos)
            if len(buf) != n * size:
                return None
            for slothash, itempos in _SLOT.iter_unpack(buf):
                if not itempos:           # an empty slot: the key is not in the table
                    return -1
                if slothash != keyhash:
                    continue
                head = pread(fd, _ITEM.size + len(key) + ITEM_VALUE, base + itempos)
                keylen, datalen = _ITEM.unpack_from(head)
                at = _ITEM.size + keylen
                if keylen != len(key) or head[_ITEM.size:at] != key:
                    continue
                value = head[at:at + datalen]
                if len(value) < datalen:
                    value = pread(fd, datalen, base + itempos + at)
                if len(value) < tistruct.size + 8 or value[0]:   # flags: postings inlined
                    return None
                return _LONG.unpack_from(value, tistruct.size)[0]
            left -= n
            pos += n * size
            if pos == end:
                pos = tablestart
        return -1
    except (OSError, ValueError, KeyError, struct.error):
        return None


_LONG = struct.Struct("!q")


class PostingStore:
    """One segment's store, mmapped read-only; ``open`` returns None (and logs why) when the
    file cannot be used."""

    def __init__(self, path: Path, mm: mmap.mmap, head: tuple, ident=None):
        self.path = path
        self._mm = mm
        self.ident = ident          # (inode, size, mtime) of the file that was mapped
        (_magic, _v, self.ndocs, nterms, npost, nvoff, nblob, nslots, nkey, _sid, _f, _crc) = head
        buf = memoryview(mm)
        arrs = {}
        at = {}
        for name, pos, count, dt in _layout(nterms, npost, nvoff, nslots, nkey):
            at[name] = pos
            if name == "blob":
                arrs[name] = np.frombuffer(buf, dtype=np.uint8, count=nblob, offset=pos)
            else:
                arrs[name] = np.frombuffer(buf, dtype=dt, count=count, offset=pos)
        # the hash table as Python-level views (an item read costs less than numpy's scalars)
        self._mask = nslots - 1
        self._slots = buf[at["slots"]:at["slots"] + 4 * nslots].cast("i") if nslots else None
        self._kstart = buf[at["kstart"]:at["kstart"] + 8 * (nterms + 1)].cast("q")
        self._kblob = at["kblob"]
        self.keys, self.tstart = arrs["keys"], arrs["tstart"]
        self.vbase, self.vblob = arrs["vbase"], arrs["vblob"]
        self.ids, self.weights = arrs["ids"], arrs["weights"]
        self.voff, self.blob = arrs["voff"], arrs["blob"]
        self._blobat = at["blob"]   # the blob's first byte in the file (``MappedPostings.raws``)
        self.fields = frozenset(FIELDS)
        #: the ranges ``trim`` unmaps (start, length): the postings and values, not the term
        #: arrays every look-up reads (keys, tstart, vbase, vblob: 32 bytes a term; and in a
        #: version 2 store its table: kstart, slots, kblob), which stay mapped
        page = mmap.PAGESIZE
        cold = at["ids"] - at["ids"] % page
        table = at["kstart"] - at["kstart"] % page
        after = at["kblob"] + nkey
        after += -after % page
        if nslots and table > cold:
            self._cold = [(cold, table - cold)] + ([(after, len(mm) - after)] if after < len(mm) else [])
        else:
            self._cold = [(cold, len(mm) - cold)]
        #: bytes of the file read since the last ``trim`` (an estimate: the pages mapped)
        self.touched = 0

    @classmethod
    def open(cls, path: Path, segid: str, ndocs: int) -> "PostingStore | None":
        mapped = map_checked(path, segid, ndocs, _check_fd, _HEAD, "posting store",
                             "postings read from the segment")
        return cls(path, *mapped) if mapped else None

    def unchanged(self) -> bool:
        """The file is still the one mapped (our writers never rewrite one in place; a restore
        with ``cp`` over the folder does — see README "Index lifecycle")."""
        return same_file(self.path, self.ident)

    def term(self, offset: int) -> int:
        """Index of the term whose Whoosh posting list starts at ``offset``, or -1."""
        keys = self.keys
        t = int(np.searchsorted(keys, offset))
        if t < len(keys) and int(keys[t]) == offset:
            return t
        return -1

    def find(self, field: str, text: str) -> int:
        """Index of the term ``text`` of ``field`` in this store (its hash table), or -1."""
        key = _FIELD_BYTE[field] + text.encode("utf-8")
        slots, kstart, mm, kb = self._slots, self._kstart, self._mm, self._kblob
        mask = self._mask
        i = zlib.crc32(key) & mask
        n = len(key)
        while True:
            t = slots[i]
            if t < 0:
                return -1
            a = kstart[t]
            if kstart[t + 1] - a == n and mm[kb + a:kb + a + n] == key:
                return t
            i = (i + 1) & mask

    def postings(self, segreader, field: str, text: str):
        """``MappedPostings`` of ``text`` in ``field``; an empty one for a term the segment
        lacks; None when the store cannot answer (field not kept, term not in it)."""
        if field not in self.fields:
            return None
        if self._slots is not None:        # the store's own table of its terms (version 2)
            t = self.find(field, text)
            if t < 0:
                return EMPTY
        else:
            offset = term_offset(segreader, field, text)
            if offset is None:             # not answered there: Whoosh's own look-up
                from whoosh.reading import TermNotFound

                try:
                    ti = segreader.term_info(field, text)
                except TermNotFound:
                    return EMPTY
                offset = getattr(ti, "_offset", None)
                if offset is None:
                    return None
            elif offset < 0:
                return EMPTY
            t = self.term(offset)
            if t < 0:
                return None
        a, b = int(self.tstart[t]), int(self.tstart[t + 1])
        self.touched += 8 * (b - a) + 3 * TOUCH
        return MappedPostings(self, t, self.ids[a:b], self.weights[a:b])

    def trim(self) -> None:
        """Unmap the pages read so far from this process (``MADV_DONTNEED``; they stay in the
        page cache, shared with the other workers, and are mapped again on the next read).
        Without it every page ever read — and the kernel's fault-around neighbours, 64 KB per
        fault — counts in the worker's RSS for as long as it runs."""
        try:
            for start, length in self._cold:
                self._mm.madvise(mmap.MADV_DONTNEED, start, length)
        except (AttributeError, OSError, ValueError):   # closed, or no madvise here
            pass
        self.touched = 0


class MappedPostings:
    """One term of a ``PostingStore``: ``ids`` and ``weights`` are views of the mmapped file;
    ``raw(k)`` is the raw value of the term's ``k``-th posting (None without values), ``raws``
    those of several."""
    __slots__ = ("ids", "weights", "_store", "_vb", "_blob", "decoded", "nbytes")

    def __init__(self, store, t, ids, weights):
        self.ids, self.weights, self._store = ids, weights, store
        self._vb = int(store.vbase[t]) if store is not None else -1
        self._blob = int(store.vblob[t]) if store is not None else -1
        self.decoded: dict[int, list[int]] = {}
        self.nbytes = 512      # objects only: the arrays are the file's pages

    @property
    def has_values(self) -> bool:
        return self._vb >= 0 or not len(self.ids)

    def raw(self, k: int):
        if self._vb < 0:
            return None
        st = self._store
        st.touched += 2 * TOUCH
        s = self._blob + int(st.voff[self._vb + k])
        e = self._blob + int(st.voff[self._vb + k + 1])
        return st.blob[s:e].tobytes()

    def raws(self, ks) -> list:
        """``[raw(k) for k in ks]`` for posting indices (a list, or an array): each value's
        offsets read from a ``memoryview`` of the value offsets (Python ints, no numpy
        scalar) and the value sliced from the mapping as ``bytes``.  Proximity asks ≈ 6
        values a call: a gather per bound, the index arithmetic and two ``tolist`` cost
        ≈ 3.5 µs a call where the view costs ≈ 0.3 µs and ≈ 0.1 µs a value."""
        if self._vb < 0:
            return [None] * len(ks)
        if isinstance(ks, np.ndarray):
            ks = ks.tolist()
        st = self._store
        st.touched += 2 * TOUCH * len(ks)
        vo = memoryview(st.voff)
        vb = self._vb
        base = st._blobat + self._blob
        mm = st._mm
        return [mm[base + vo[vb + k]:base + vo[vb + k + 1]] for k in ks]

    def value(self, local: int):
        k = int(np.searchsorted(self.ids, local))
        if k >= len(self.ids) or self.ids[k] != local:
            return None
        return self.raw(k)


EMPTY = MappedPostings(None, -1, _EMPTY_I, _EMPTY_F)
