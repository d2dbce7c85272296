"""SearchEngine: the only class the app talks to.

Reading: every call checks (two syscalls) whether the index link or the STAMP changed and, if
so, opens the new generation; searchers come from a small pool (one thread per searcher at a
time) and are closed when their generation is replaced.  Any error while searching (a commit or
swap landing mid-search: ``ReaderClosed``, a vanished segment file …) is retried with a fresh
searcher; after the retries a search returns an empty result, never an exception.  A read that
keeps failing on a live index that verifies is a fault of the query (logged), not of the index:
only an unreadable index is rebuilt in the background.

Writing (``update``/``sync``/``rebuild``) happens under the inter-process write lock, so Whoosh's
``LockError`` never escapes.  Every commit is followed by the posting and hit stores of the
segments it wrote (``poststore``, ``hitstore``; ``rebuild`` before verifying, in 2 processes when
it forks anyway; ``update`` before touching the STAMP; ``sync`` also for older segments without
one).  See
``storage`` for the folder layout and README.md for the whole lifecycle.
"""
from __future__ import annotations

import logging
import os
import shutil
import threading
import time
from pathlib import Path
from typing import Callable, Iterable, Mapping

from whoosh import index as windex
from whoosh import query as wq

from . import hitstore, homophones, poststore, searching, segment, spelling, suggesting
from .bulkwrite import DocumentWriter
from .analysis import words
from . import doctable
from .documents import IndexDocument, from_json, to_fields, to_json
from .hits import clamp_int
from .query import parse
from .results import BuildStats, SearchResults, SyncStats
from .schema import make_schema, pipeline_fingerprint
from .segcache import SegmentCache
from .snapshot import Snapshot
from .storage import IndexStore
from .synonyms import SynonymTable

__all__ = ["SearchEngine", "IndexUnavailable"]

log = logging.getLogger("indexer")

MAX_PAGE = 1000
MAX_PER_PAGE = 100
READ_ATTEMPTS = 5
YIELD_EVERY = 16             # documents added between two yields of a rebuild
RECOVERY_BACKOFF = 5.0       # seconds before a failed background rebuild is tried again
#: a read that fails this many times on snapshots of the live index asks whether the index is
#: sound (``check``) before more retries; the answer is remembered this long
QUERY_FAULT_AFTER = 2
SOUND_FOR = 60.0             # seconds


class IndexUnavailable(RuntimeError):
    """No usable index (missing or unreadable)."""


def _open_for_writing(path: Path):
    """Open an index for a writer without mmap: Whoosh's merge/delete readers leave their
    mmaps (and the file descriptors they hold) to the garbage collector otherwise."""
    from whoosh.filedb.filestore import FileStorage

    return FileStorage(str(path), supports_mmap=False).open_index()


def _open_for_reading(path: Path):
    """Readers do not mmap either: a segment file overwritten or truncated in place (a restore
    with ``cp``, a failing disk) then raises read errors, which are retried and healed, instead
    of killing the process with SIGBUS.  Our own writers never rewrite a file in place: every
    commit and rebuild writes new files and swaps (see ``storage``)."""
    from whoosh.filedb.filestore import FileStorage

    return FileStorage(str(path), supports_mmap=False).open_index()


class SearchEngine:
    """Whoosh search over the knowledge base. Thread-safe; one instance per process is enough.

    ``index_dir``: the index path (a symlink managed here; see ``storage``).
    ``extra_synonyms``: optional synonyms file merged with the built-in one, re-read on change.
    ``cache_dir``: where jieba keeps its cache file (only used when the jieba backend is active).
    """

    def __init__(self, index_dir, *, extra_synonyms: Path | None = None,
                 cache_dir: Path | None = None, procs: int | None = None,
                 limitmb: int = 256, lock_timeout: float = 600.0):
        self.index_dir = Path(index_dir)
        self.store = IndexStore(self.index_dir, lock_timeout=lock_timeout)
        segment.configure(Path(cache_dir) if cache_dir else None)
        self.synonyms = SynonymTable(extra_synonyms)
        self.procs = procs
        self.limitmb = limitmb
        self._gen: Snapshot | None = None
        self._segments = SegmentCache()   # per-segment data and postings, across snapshots
        self._open_lock = threading.Lock()
        self._loader: Callable[[], Iterable[IndexDocument]] | None = None
        self._recovering = threading.Lock()
        self._recovery_failed_at: float | None = None
        self._degraded = False     # the live index could not be read; a rebuild is due or running
        self._sound: tuple = (None, 0.0)   # (index key, monotonic time) of the last good check()
        self._closed = False

    # ==================================================================================
    # lifecycle
    # ==================================================================================
    def ensure(self, load_all: Callable[[], Iterable[IndexDocument]], *,
               rebuild: bool = True) -> str | None:
        """Open the index; rebuild it from ``load_all()`` (logged) if missing, corrupt or built
        by a different analysis pipeline.

        ``rebuild=False`` (a process about to fork its workers, which must never build the
        index: ``app.articles.search.open_before_fork``): nothing is rebuilt and the reason the
        index is not usable is returned instead — one check, not a check to decide and a
        second one here (~15-20 ms of gunicorn's start at 10,000 articles).  None: usable."""
        self._loader = load_all
        reason = self.check()
        if reason is None or not rebuild:
            return reason
        with self.store.rebuild_lock():
            reason = self.check()
            if reason is None:
                return None
            log.warning("search index %s %s: rebuilding from the database", self.index_dir, reason)
            self.rebuild(load_all())
        return None

    @property
    def recovering(self) -> bool:
        """True while the live index cannot be read and is being rebuilt (or about to be):
        results meanwhile come from the last readable snapshot, or are empty — not the truth."""
        return self._degraded

    def check(self) -> str | None:
        """None when the live index is usable, else a short reason."""
        path = self.store.current()
        if path is None:
            return "is missing"
        meta = self.store.read_meta(path)
        if not meta:
            return "has no metadata"
        if meta.get("fingerprint") != pipeline_fingerprint():
            return "was built by another analysis pipeline"
        try:
            self._verify(path, None)
        except Exception as e:  # noqa: BLE001 - any failure means "unusable"
            return f"is unreadable ({type(e).__name__}: {e})"
        return None

    def _verify(self, path: Path, expected: int | None, probe: IndexDocument | None = None) -> None:
        ix = _open_for_reading(path)
        with ix.searcher() as s:
            n = s.doc_count()
            if expected is not None and n != expected:
                raise IndexUnavailable(f"expected {expected} documents, found {n}")
            r = s.reader()
            for fieldname in ("title", "body", "prefix"):
                for _ in zip(range(3), r.lexicon(fieldname)):
                    pass
            if n:
                last = max(r.all_doc_ids())
                s.stored_fields(last)
                slug = r.column_reader("slug")[last]
                if not s.search(wq.Term("slug", slug), limit=1):
                    raise IndexUnavailable("probe by slug found nothing")
            if probe is not None:
                ws = words(probe.title)[:4]
                if ws:
                    q = wq.And([wq.Term("title", w) for w in ws])  # title words
                    if not s.search(q, limit=1):
                        raise IndexUnavailable(f"probe query {ws!r} found nothing")

    def _procs(self, ndocs: int, procs: int | None = None) -> int:
        procs = self.procs if procs is None else procs
        if procs is None:
            procs = 2 if ((os.cpu_count() or 1) >= 2 and ndocs >= 1000
                          and threading.active_count() == 1) else 1
        return procs if ndocs >= 200 else 1

    def _bulk_writer(self, ix, ndocs: int, procs: int | None = None):
        """Writer for a full build: 2 processes when it pays off and is safe (measured: the
        build is CPU-bound in Python, ~5.5 CPU-s per 1,000 corpus articles, so two worker
        processes on two cores nearly halve the wall time).  Forking is only done from a
        single-threaded process (a CLI), never inside a threaded web worker."""
        procs = self._procs(ndocs, procs)
        if procs > 1:
            # the writing processes also turn each document into fields (``bulkwrite``).
            # ``limitmb`` is each writing process's pool (Whoosh's estimate of the postings it
            # holds before sorting them out to disk): with ``limitmb // procs`` a 10k build's
            # writers spilled just before the end, and writing, reading and merging those runs
            # cost ~10 % of the build's CPU (stop 23); child RSS 262 → 300 MB at 10k
            return DocumentWriter(ix, _entry_fields, procs=procs, limitmb=self.limitmb,
                                  multisegment=True)
        return ix.writer(limitmb=self.limitmb)

    def rebuild(self, docs: Iterable[IndexDocument], *, procs: int | None = None) -> BuildStats:
        """Build a fresh index beside the live one, verify it, swap it in atomically.

        Searches keep using the old generation until the swap; updates made meanwhile (by any
        process) are journaled and replayed into the new generation before the swap.
        """
        t0 = time.perf_counter()
        with self.store.rebuild_lock():
            with self.store.write_lock():
                self.store.cleanup()
                offset = self.store.rebuild_started()
            build_dir = self.store.new_build_dir()
            try:
                unique: dict[str, IndexDocument] = {}
                for d in docs:
                    unique[d.slug] = d
                ix = windex.create_in(str(build_dir), make_schema())
                # decided once, while this process is still single-threaded (the multi-process
                # writer leaves a queue feeder thread behind)
                nprocs = self._procs(len(unique), procs)
                w = self._bulk_writer(ix, len(unique), nprocs)
                add = w.add if isinstance(w, DocumentWriter) else (
                    lambda d: w.add_document(**_clean(to_fields(d))))
                try:
                    for i, d in enumerate(unique.values()):
                        add(d)
                        if i % YIELD_EVERY == YIELD_EVERY - 1:
                            # let other threads (gevent: other requests) run during a long
                            # build inside a web worker; a no-op cost in a CLI
                            time.sleep(0)
                except BaseException:
                    w.cancel()
                    raise
                w.commit()
                self._write_stores(build_dir, nprocs, mapped=True)   # nobody else writes here
                probe = next(iter(unique.values()), None)
                self._verify(build_dir, len(unique), probe)
                with self.store.write_lock():
                    replay = self.store.journal_read(offset)
                    if replay:
                        ix = _open_for_writing(build_dir)
                        w = ix.writer(timeout=60.0)
                        for entry in replay:
                            _apply_entry(w, entry)
                        w.commit()
                        self._write_stores(build_dir)
                        log.info("replayed %d update(s) made during the rebuild", len(replay))
                    self.store.write_meta(build_dir, {
                        "fingerprint": pipeline_fingerprint(), "docs": len(unique),
                        "built": time.strftime("%Y-%m-%dT%H:%M:%S"),
                    })
                    gen = self.store.publish(build_dir)
                    self.store.rebuild_finished()
                    self.store.cleanup()
            except BaseException:
                shutil.rmtree(build_dir, ignore_errors=True)
                with self.store.write_lock():
                    self.store.rebuild_finished()
                raise
        secs = time.perf_counter() - t0
        log.info("search index rebuilt: %d documents in %.1fs (%s)", len(unique), secs, gen.name)
        return BuildStats(docs=len(unique), seconds=secs, generation=gen.name)

    def _create_empty(self) -> None:
        """Publish an empty generation (first update on a missing index without a loader)."""
        build_dir = self.store.new_build_dir()
        windex.create_in(str(build_dir), make_schema())
        self.store.write_meta(build_dir, {"fingerprint": pipeline_fingerprint(), "docs": 0,
                                          "built": time.strftime("%Y-%m-%dT%H:%M:%S")})
        self.store.publish(build_dir)

    def update(self, upsert: Iterable[IndexDocument] = (), delete: Iterable[str] = ()) -> None:
        """Add/replace and delete documents; visible to every reader as soon as this returns."""
        ups = list(upsert)
        dels = [s for s in delete]
        if not ups and not dels:
            return
        if self.store.current() is None:
            # lock order is always rebuild lock → write lock, so this happens before the write lock
            if self._loader is not None:
                self.ensure(self._loader)
            else:
                with self.store.rebuild_lock(), self.store.write_lock():
                    if self.store.current() is None:
                        self._create_empty()
        with self.store.write_lock():
            path = self.store.current()
            if path is None:
                raise IndexUnavailable(f"no index at {self.index_dir}")
            ix = _open_for_writing(path)
            before = {seg.segment_id() for seg in ix._read_toc().segments}
            w = ix.writer(timeout=60.0)
            entry = {"upsert": [to_json(d) for d in ups], "delete": dels}
            try:
                _apply_entry(w, entry, docs=ups)
            except BaseException:
                w.cancel()
                raise
            w.commit()
            # the stores of the segments this commit wrote (new, merged); an older segment
            # without one is left to sync (kb index): never a long write on a request's path
            self._write_stores(path, skip=before)
            if self.store.rebuild_in_progress():
                self.store.journal_append(entry)
            self.store.touch_stamp()

    def sync(self, docs: Iterable[IndexDocument]) -> SyncStats:
        """Make the index hold exactly ``docs`` (unchanged ``content_hash`` → skipped)."""
        want: dict[str, IndexDocument] = {}
        for d in docs:
            want[d.slug] = d
        if self.check() is not None:
            stats = self.rebuild(want.values())
            return SyncStats(added=stats.docs)
        with self.store.write_lock():
            have = self._stored_hashes()
            stats = SyncStats()
            ups = []
            for slug, d in want.items():
                h = have.get(slug)
                if h is None:
                    stats.added += 1
                    ups.append(d)
                elif h != d.content_hash:
                    stats.updated += 1
                    ups.append(d)
                else:
                    stats.unchanged += 1
            dels = [s for s in have if s not in want]
            stats.deleted = len(dels)
            self.update(ups, dels)
            # an index written before posting stores existed gets them here (kb index, kb init)
            if self._write_stores(self.store.current()):
                self.store.touch_stamp()
            return stats

    @staticmethod
    def _write_stores(folder, procs: int = 1, skip=(), mapped: bool = False) -> list[str]:
        """Posting stores (``poststore``) and hit stores (``hitstore``) for the segments of
        ``folder`` that have none (but those in ``skip``).  Never fails the commit it follows:
        without a store, readers read Whoosh's blocks or stored fields.  ``mapped``: read the
        segments through mmap (only for a rebuild's new folder, see ``poststore.write_missing``)."""
        if folder is None:
            return []
        done = []
        for kind, module, fallback in (("posting", poststore, "searches read the segments"),
                                       ("hit", hitstore, "hits read the stored fields")):
            try:
                t = time.perf_counter()
                wrote = module.write_missing(folder, procs=procs, skip=skip, mapped=mapped)
                if wrote:
                    log.info("%s stores written for %d segment(s) in %.2fs", kind, len(wrote),
                             time.perf_counter() - t)
                done += wrote
            except Exception:  # noqa: BLE001
                log.exception("%s stores not written in %s: %s", kind, folder, fallback)
        return done

    def _stored_hashes(self) -> dict[str, str]:
        ix = _open_for_reading(self.store.current())
        with ix.searcher() as s:
            r = s.reader()
            return doctable.hashes(r)

    def preload(self) -> None:
        """Read what every snapshot of the live index shares — each segment's slugs and
        categories (``segcache.SegmentInfo``) — into this engine's segment cache, and close
        what was opened to read them.

        For a process about to fork readers (gunicorn's master, ``app.articles.search.
        open_before_fork``): a forked process's first snapshot finds them there instead of
        reading two column values per document through Whoosh (~30 ms of each worker's first
        search at 10,000 articles).  No file, mapping or snapshot stays open; segments merged
        away later are forgotten by the next snapshot as usual (``SegmentCache.retain``).
        The typo checks' data is read too: the pinyin table (``homophones``, ≈ 35–70 ms) and each
        segment's homophone keys and Latin did-you-mean words of both audiences' titles and tags
        (``SegmentInfo.homophone_keys``, ``.latin_vocabulary``: ≈ 40 ms at 100,000 articles),
        with the dictionary's — a worker's first query with a possible typo then only combines
        them."""
        homophones.load_table()
        words = self.dictionary_terms()
        homophones.dictionary_part(words)
        spelling.dictionary_part(words)
        path = self.store.current()
        if path is None:
            return
        ix = _open_for_reading(path)
        with ix.reader() as r:
            if r.doc_count_all():
                for lr, _offset in r.leaf_readers():
                    info = self._segments.info(lr)
                    for f in ("dym_public", "dym_internal"):
                        info.homophone_keys(lr, f)
                        info.latin_vocabulary(lr, f)

    def housekeeping_due(self) -> bool:
        """Whether ``housekeeping`` has work: the searches since the last one mapped more
        store pages than ``segcache.MAPPED_BYTES``."""
        return self._segments.trim_due

    def housekeeping(self) -> bool:
        """What the searches found due but left for after their response (never inside one): the
        store pages they mapped into this process unmapped again (``SegmentCache.trim``), so the
        process's RSS stays bounded.  A server calls it once a response has gone out (the app:
        ``app.articles.search``); whether anything ran.  Never raises."""
        try:
            return self._segments.housekeeping()
        except Exception:  # noqa: BLE001 - housekeeping never fails a request
            log.exception("housekeeping failed")
            return False

    def close(self) -> None:
        with self._open_lock:
            gen, self._gen = self._gen, None
        if gen is not None:
            gen.retire()
        self._closed = True

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # ==================================================================================
    # reading
    # ==================================================================================
    def _state(self) -> Snapshot:
        key = self.store.current_key()
        gen = self._gen
        if gen is not None and gen.key == key:
            return gen
        with self._open_lock:
            gen = self._gen
            if gen is not None and gen.key == key:
                return gen
            path = self.store.current()
            try:
                if path is None:
                    raise IndexUnavailable(f"no index at {self.index_dir}")
                new = Snapshot(path, key, self._segments)
            except Exception as e:
                if gen is not None and not gen.retired and gen.readable:
                    # deleted or broken behind our back: keep answering from the snapshot we
                    # have open (its files stay readable while open) until the rebuild lands
                    self._recover_later(e)
                    return gen
                raise
            old, self._gen = self._gen, new
        if old is not None:
            old.retire()
        return new

    def _drop(self, gen: Snapshot) -> None:
        with self._open_lock:
            if self._gen is gen:
                self._gen = None
        gen.retire()

    def _read(self, fn):
        """Run ``fn(gen, searcher)`` with retries on a fresh searcher.

        A failure is first taken for the index's (a file replaced or damaged under the reader):
        the snapshot is dropped and the read retried on a fresh one; when every attempt fails the
        index is rebuilt in the background.  But when the read fails ``QUERY_FAULT_AFTER`` times
        on snapshots of the live index and that index verifies (``check``), the fault is the
        query's — a bug in ranking or snippets for that input — and the error is raised as it
        is: a rebuild would not fix it, and a query that trips such a bug must not make a
        worker drop its caches again and again or rebuild the whole index."""
        last: Exception | None = None
        on_live = 0
        for attempt in range(READ_ATTEMPTS):
            try:
                gen = self._state()
                s = gen.acquire()
            except Exception as e:  # noqa: BLE001
                last = e
                with self._open_lock:
                    self._gen = None
                time.sleep(0.005 * (attempt + 1))
                continue
            ok = False
            try:
                out = fn(gen, s)
                ok = True
                if self._degraded and gen.key == self.store.current_key() and not self._recovering.locked():
                    self._degraded = False   # healed: a snapshot of the live index answered
                return out
            except Exception as e:  # noqa: BLE001 - retried with a fresh searcher
                last = e
                log.debug("search retry %d after %r", attempt + 1, e)
                if gen.key == self.store.current_key():
                    on_live += 1
                    if on_live >= QUERY_FAULT_AFTER and self._index_sound(gen.key):
                        raise
                gen.readable = False
                self._drop(gen)
                time.sleep(0.002 * (attempt + 1))
            finally:
                gen.release(s, ok)
        self._recover_later(last)
        raise IndexUnavailable(str(last)) from last

    def _index_sound(self, key) -> bool:
        """The live index (``key``) verifies: remembered for ``SOUND_FOR`` seconds."""
        known, at = self._sound
        if known == key and time.monotonic() - at < SOUND_FOR:
            return True
        if self.check() is None and self.store.current_key() == key:
            self._sound = (key, time.monotonic())
            return True
        return False

    def _recover_later(self, err) -> None:
        """The index cannot be read: rebuild it in the background from the loader (if any).

        One rebuild at a time per process; across processes the rebuild lock serialises them
        and a process that finds the index already replaced since it failed does nothing."""
        self._degraded = True
        if self._loader is None or self._closed:
            return
        failed = self._recovery_failed_at
        if failed is not None and time.monotonic() - failed < RECOVERY_BACKOFF:
            return
        if not self._recovering.acquire(blocking=False):
            return
        broken = self.store.current_key()
        log.error("search index %s unreadable (%r): rebuilding in the background", self.index_dir, err)

        def run():
            try:
                with self.store.rebuild_lock():
                    now = self.store.current_key()
                    if now[0] is not None and now[0] != broken[0] and self.check() is None:
                        log.info("search index %s was rebuilt by another process", self.index_dir)
                    else:
                        self.rebuild(self._loader(), procs=1)
                self._recovery_failed_at = None
            except Exception:  # noqa: BLE001
                self._recovery_failed_at = time.monotonic()
                log.exception("background index rebuild failed")
            finally:
                self._recovering.release()

        threading.Thread(target=run, name="indexer-recover", daemon=True).start()

    def dictionary_terms(self) -> set[str]:
        """Words typo corrections may propose besides visible titles: user dictionary, synonyms."""
        return set(segment.get().terms) | self.synonyms.terms()

    # -- search -----------------------------------------------------------------------------
    def search(self, q: str, *, audiences=frozenset({"public"}), category: str | None = None,
               page: int = 1, per_page: int = 10,
               signals: Mapping[str, float] | None = None) -> SearchResults:
        """Ranked, visibility-filtered search.  Never raises for any ``q``.

        ``signals``: optional ``{slug: multiplier}`` (e.g. 0.7–1.3 from helpfulness/popularity);
        every match's score is multiplied by it (clamped to [0.5, 2.0]) before ranking.
        """
        t0 = time.perf_counter()
        page = clamp_int(page, 1, MAX_PAGE)
        per_page = clamp_int(per_page, 1, MAX_PER_PAGE)
        res = SearchResults(query=q if isinstance(q, str) else "", page=page, per_page=per_page)
        try:
            auds = frozenset(a for a in (audiences or ()) if isinstance(a, str))
            groups = parse(q, self.synonyms)
            if auds and groups:
                res = self._read(lambda snap, s: searching.search(
                    self, snap, s, res, groups, auds, category, page, per_page, signals))
        except IndexUnavailable:
            res = SearchResults(query=res.query, page=page, per_page=per_page)
        except Exception:  # noqa: BLE001 - a search never raises
            log.exception("search failed for %r", q if isinstance(q, str) else type(q))
            res = SearchResults(query=res.query, page=page, per_page=per_page)
        res.recovering = self._degraded
        res.took_ms = (time.perf_counter() - t0) * 1000
        return res

    # -- suggest ----------------------------------------------------------------------------
    def suggest(self, q: str, *, audiences=frozenset({"public"}), limit: int = 5,
                category: str | None = None, signals: Mapping[str, float] | None = None) -> SearchResults:
        """Titles for text still being typed: the last word may be incomplete.

        ``category`` boosts (does not filter) that category.  Repeated fragments are served
        from an LRU cache that belongs to the index snapshot (dropped whenever it changes).
        """
        t0 = time.perf_counter()
        limit = clamp_int(limit, 1, 20)
        res = SearchResults(query=q if isinstance(q, str) else "", page=1, per_page=limit)
        try:
            auds = frozenset(a for a in (audiences or ()) if isinstance(a, str))
            if auds and isinstance(q, str):
                res = self._read(lambda snap, s: suggesting.suggest(
                    snap, s, res, q, auds, limit, category, signals, self.synonyms, self))
        except IndexUnavailable:
            res = SearchResults(query=res.query, page=1, per_page=limit)
        except Exception:  # noqa: BLE001
            log.exception("suggest failed")
            res = SearchResults(query=res.query, page=1, per_page=limit)
        res.recovering = self._degraded
        res.took_ms = (time.perf_counter() - t0) * 1000
        return res


# ----------------------------------------------------------------------------------------
def _clean(fields: dict) -> dict:
    return {k: v for k, v in fields.items() if v is not None}


def _entry_fields(entry: dict) -> dict:
    """The Whoosh fields of a ``bulkwrite`` job entry (run in the writing process)."""
    return _clean(to_fields(entry["doc"]))


def _apply_entry(w, entry: dict, docs=None) -> None:
    ups = docs if docs is not None else [from_json(d) for d in entry.get("upsert", ())]
    for d in ups:
        w.update_document(**_clean(to_fields(d)))
    for slug in entry.get("delete", ()):
        w.delete_by_term("slug", slug)
