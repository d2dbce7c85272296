"""SearchEngine: the only class the app talks to.

Reading: every call checks (two syscalls) whether the index link or the STAMP changed and, if
so, opens the new generation; searchers come from a small pool (one thread per searcher at a
time) and are closed when their generation is replaced.  Any error while searching (a commit or
swap landing mid-search: ``ReaderClosed``, a vanished segment file …) is retried with a fresh
searcher; after the retries a search returns an empty result, never an exception.

Writing (``update``/``sync``/``rebuild``) happens under the inter-process write lock, so Whoosh's
``LockError`` never escapes.  See ``storage`` for the folder layout and README.md for the whole
lifecycle.
"""
from __future__ import annotations

import heapq
import logging
import math
import os
import shutil
import threading
import time
from collections import Counter, OrderedDict
from pathlib import Path
from typing import Callable, Iterable, Mapping

from whoosh import index as windex
from whoosh import query as wq

from . import segment
from .analysis import PREFIX_MAX, STOPWORDS, prefix_key, words
from .doctable import DocTable
from .documents import AUDIENCES, IndexDocument, from_json, to_fields, to_json
from .query import (FIELD_WEIGHTS, build, correctable, display, highlight_terms, parse,
                    prune_alternatives, relax, with_corrections)
from .results import BuildStats, Hit, SearchResults, SyncStats
from .schema import make_schema, pipeline_fingerprint
from .scoring import SegmentLengths, TermCache, evaluate
from .snippets import highlight_all, make_snippet
from .spelling import Vocabulary
from .storage import IndexStore
from .synonyms import SynonymTable
from .text import normalise

__all__ = ["SearchEngine", "IndexUnavailable"]

log = logging.getLogger("indexer")

SIGNAL_MIN, SIGNAL_MAX = 0.5, 2.0      # multipliers from ``signals`` are clamped to this range
SUGGEST_CATEGORY_BOOST = 1.5
SUGGEST_CANDIDATES = 40
SUGGEST_CACHE_SIZE = 512
RESULT_CACHE_SIZE = 256    # (query groups, audiences) → scored matches, per index snapshot
MAX_PAGE = 1000
MAX_PER_PAGE = 100
READ_ATTEMPTS = 5


class IndexUnavailable(RuntimeError):
    """No usable index (missing or unreadable)."""


def _fields_for_vocab(audiences) -> list[str]:
    fields = set()
    for a in audiences:
        fields.add("dym_public" if a == "public" else "dym_internal")
    return sorted(fields)


class _Generation:
    """One index snapshot (folder + TOC generation), a pool of searchers on exactly that
    snapshot, and caches keyed by its document numbers."""

    def __init__(self, path: Path, key, lengths: SegmentLengths):
        self.path = path
        self.key = key
        self.ix = windex.open_dir(str(path))
        self._toc = self.ix._read_toc()   # pinned: every pooled searcher sees the same docnums
        self._pool: list = []
        self._lock = threading.Lock()
        self._borrowed = 0
        self.retired = False
        self.suggest_cache: OrderedDict = OrderedDict()
        self.result_cache: OrderedDict = OrderedDict()
        self.vocab: dict = {}
        self._table: DocTable | None = None
        self.terms = TermCache(lengths)       # (field, term) → docnums + BM25F scores
        self._df: dict = {}                   # (field, term) → document frequency

    def df(self, reader, field: str, term: str) -> int:
        """Document frequency (0: not in the index), memoised for the snapshot."""
        key = (field, term)
        n = self._df.get(key)
        if n is None:
            n = reader.doc_frequency(field, term)
            if len(self._df) > 100_000:
                self._df.clear()
            self._df[key] = n
        return n
        lengths.retain(seg.segment_id() for seg in self._toc.segments)

    def table(self, s) -> DocTable:
        """Slugs, categories and visibility of this snapshot (built on first use)."""
        t = self._table
        if t is None:
            t = self._table = DocTable(s.reader())
        return t

    def acquire(self):
        with self._lock:
            if self._pool:
                s = self._pool.pop()
            else:
                s = None
            self._borrowed += 1
        if s is None:
            try:
                s = self._new_searcher()
            except BaseException:
                with self._lock:
                    self._borrowed -= 1
                raise
        return s

    def _new_searcher(self):
        from whoosh.searching import Searcher

        toc = self._toc
        reader = windex.FileIndex._reader(self.ix.storage, toc.schema, list(toc.segments),
                                          toc.generation)
        return Searcher(reader, fromindex=self.ix)

    def release(self, s, ok: bool = True) -> None:
        close = []
        with self._lock:
            self._borrowed -= 1
            if self.retired or not ok or len(self._pool) >= 8:
                close.append(s)
            else:
                self._pool.append(s)
        for c in close:
            _close_quietly(c)

    def retire(self) -> None:
        with self._lock:
            self.retired = True
            idle, self._pool = self._pool, []
        for s in idle:
            _close_quietly(s)


def _open_for_writing(path: Path):
    """Open an index for a writer without mmap: Whoosh's merge/delete readers leave their
    mmaps (and the file descriptors they hold) to the garbage collector otherwise."""
    from whoosh.filedb.filestore import FileStorage

    return FileStorage(str(path), supports_mmap=False).open_index()


def _close_quietly(s) -> None:
    try:
        s.close()
    except Exception:  # pragma: no cover - closing a half-broken reader
        pass


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
        self._gen: _Generation | None = None
        self._lengths = SegmentLengths()      # field lengths per segment, kept across snapshots
        self._open_lock = threading.Lock()
        self._loader: Callable[[], Iterable[IndexDocument]] | None = None
        self._recovering = threading.Lock()
        self._last_recovery = 0.0
        self._closed = False

    # ==================================================================================
    # lifecycle
    # ==================================================================================
    def ensure(self, load_all: Callable[[], Iterable[IndexDocument]]) -> None:
        """Open the index; rebuild it from ``load_all()`` (logged) if missing, corrupt or built
        by a different analysis pipeline."""
        self._loader = load_all
        if self.check() is None:
            return
        with self.store.rebuild_lock():
            reason = self.check()
            if reason is None:
                return
            log.warning("search index %s %s: rebuilding from the database", self.index_dir, reason)
            self.rebuild(load_all())

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
        ix = windex.open_dir(str(path))
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

    def _bulk_writer(self, ix, ndocs: int):
        """Writer for a full build: 2 processes when it pays off and is safe (measured: the
        build is CPU-bound in Python, ~5.5 CPU-s per 1,000 corpus articles, so two worker
        processes on two cores nearly halve the wall time).  Forking is only done from a
        single-threaded process (a CLI), never inside a threaded web worker."""
        procs = self.procs
        if procs is None:
            procs = 2 if ((os.cpu_count() or 1) >= 2 and ndocs >= 1000
                          and threading.active_count() == 1) else 1
        if procs > 1 and ndocs >= 200:
            return ix.writer(procs=procs, limitmb=max(32, self.limitmb // procs), multisegment=True)
        return ix.writer(limitmb=self.limitmb)

    def rebuild(self, docs: Iterable[IndexDocument]) -> BuildStats:
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
                w = self._bulk_writer(ix, len(unique))
                try:
                    for d in unique.values():
                        w.add_document(**_clean(to_fields(d)))
                except BaseException:
                    w.cancel()
                    raise
                w.commit()
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
            w = ix.writer(timeout=60.0)
            entry = {"upsert": [to_json(d) for d in ups], "delete": dels}
            try:
                _apply_entry(w, entry, docs=ups)
            except BaseException:
                w.cancel()
                raise
            w.commit()
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
            return stats

    def _stored_hashes(self) -> dict[str, str]:
        ix = windex.open_dir(str(self.store.current()))
        with ix.searcher() as s:
            r = s.reader()
            return DocTable(r).hashes(r)

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
    def _state(self) -> _Generation:
        key = self.store.current_key()
        gen = self._gen
        if gen is not None and gen.key == key:
            return gen
        with self._open_lock:
            gen = self._gen
            if gen is not None and gen.key == key:
                return gen
            path = self.store.current()
            if path is None:
                raise IndexUnavailable(f"no index at {self.index_dir}")
            new = _Generation(path, key, self._lengths)
            old, self._gen = self._gen, new
        if old is not None:
            old.retire()
        return new

    def _drop(self, gen: _Generation) -> None:
        with self._open_lock:
            if self._gen is gen:
                self._gen = None
        gen.retire()

    def _read(self, fn):
        """Run ``fn(gen, searcher)`` with retries on a fresh searcher."""
        last: Exception | None = None
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
                return out
            except Exception as e:  # noqa: BLE001 - retried with a fresh searcher
                last = e
                log.debug("search retry %d after %r", attempt + 1, e)
                self._drop(gen)
                time.sleep(0.002 * (attempt + 1))
            finally:
                gen.release(s, ok)
        self._recover_later(last)
        raise IndexUnavailable(str(last)) from last

    def _recover_later(self, err) -> None:
        """The index cannot be read: rebuild it in the background from the loader (if any)."""
        if self._loader is None or time.monotonic() - self._last_recovery < 60:
            return
        if not self._recovering.acquire(blocking=False):
            return
        self._last_recovery = time.monotonic()
        log.error("search index %s unreadable (%r): rebuilding in the background", self.index_dir, err)

        def run():
            try:
                self.ensure(self._loader)
            except Exception:  # noqa: BLE001
                log.exception("background index rebuild failed")
            finally:
                self._recovering.release()

        threading.Thread(target=run, name="indexer-recover", daemon=True).start()

    # -- per-snapshot data -------------------------------------------------------------------
    @staticmethod
    def _allowed(gen: _Generation, s, audiences: frozenset) -> set:
        return gen.table(s).visible(s, audiences)

    def _vocabulary(self, gen: _Generation, s, audiences: frozenset) -> Vocabulary:
        key = frozenset(_fields_for_vocab(audiences))
        v = gen.vocab.get(key)
        if v is None:
            # Only Latin words can be corrected, and they sort first (ASCII bytes): scan each
            # segment's terms up to the first non-ASCII one (the merged multi-segment lexicon
            # looks every term up in every segment: 157 ms instead of 12 at 10,000 articles)
            freqs: dict[str, int] = {}
            for leaf, _offset in s.reader().leaf_readers():
                for f in key:
                    for btext, ti in leaf.iter_field(f):
                        if btext[:1] >= b"\x80":
                            break
                        t = btext.decode("utf-8")
                        freqs[t] = freqs.get(t, 0) + ti.doc_frequency()
            for w in self._dictionary_terms():
                freqs.setdefault(w, 1)
            v = gen.vocab[key] = Vocabulary(freqs)
        return v

    def _dictionary_terms(self) -> set[str]:
        return set(segment.get().terms) | self.synonyms.terms()

    def _visible_term(self, gen, s, audiences, term: str) -> bool:
        allowed = self._allowed(gen, s, audiences)
        for f in _fields_for_vocab(audiences):
            if any(d in allowed for d in s.docs_for_query(wq.Term(f, term))):
                return True
        return False

    # -- search -----------------------------------------------------------------------------
    def search(self, q: str, *, audiences=frozenset({"public"}), category: str | None = None,
               page: int = 1, per_page: int = 10,
               signals: Mapping[str, float] | None = None) -> SearchResults:
        """Ranked, visibility-filtered search.  Never raises for any ``q``.

        ``signals``: optional ``{slug: multiplier}`` (e.g. 0.7–1.3 from helpfulness/popularity);
        every match's score is multiplied by it (clamped to [0.5, 2.0]) before ranking.
        """
        t0 = time.perf_counter()
        page = _clamp_int(page, 1, MAX_PAGE)
        per_page = _clamp_int(per_page, 1, MAX_PER_PAGE)
        res = SearchResults(query=q if isinstance(q, str) else "", page=page, per_page=per_page)
        try:
            auds = frozenset(a for a in (audiences or ()) if isinstance(a, str))
            groups = parse(q, self.synonyms)
            if auds and groups:
                res = self._read(lambda gen, s: self._search(gen, s, res, groups, auds, category,
                                                             page, per_page, signals))
        except Exception:  # noqa: BLE001 - a search never raises
            log.exception("search failed for %r", q if isinstance(q, str) else type(q))
            res = SearchResults(query=res.query, page=page, per_page=per_page)
        res.took_ms = (time.perf_counter() - t0) * 1000
        return res

    def _search(self, gen, s, base, groups, auds, category, page, per_page, signals):
        res = SearchResults(query=base.query, page=page, per_page=per_page)
        allowed = self._allowed(gen, s, auds)
        if not allowed:
            return res
        reader = s.reader()
        table = gen.table(s)

        def exists(field, term):
            return gen.df(reader, field, term) > 0

        key = ("search", tuple((g.words, tuple(g.alts)) for g in groups), auds)
        cached = gen.result_cache.get(key)
        if cached is None:
            cached = self._match_with_fallbacks(gen, s, groups, auds, allowed, exists)
            gen.result_cache[key] = cached
            if len(gen.result_cache) > RESULT_CACHE_SIZE:
                gen.result_cache.popitem(last=False)
        else:
            gen.result_cache.move_to_end(key)
        matches, used, res.relaxed, res.corrected, res.did_you_mean = cached   # ranked
        if not matches:
            return res
        # facets over every visible match; the category filter applies to total and hits only
        cats = table.categories
        counts: Counter = Counter(cats[d] for _score, d in matches)
        res.facets = dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))
        if category is not None:
            matches = [(sc, d) for sc, d in matches if cats[d] == category]
        res.total = len(matches)
        if signals:
            slugs = table.slugs
            matches = [(sc * _signal(signals, slugs[d]), d) for sc, d in matches]
        end = page * per_page
        if signals:   # cached matches are ranked by score; signals re-rank
            matches = heapq.nsmallest(end, matches, key=_rank_key)
        terms = highlight_terms(used)
        for score, docnum in matches[(page - 1) * per_page:end]:
            stored = s.stored_fields(docnum)
            res.hits.append(_hit(stored, score, make_snippet(stored.get("stored_text", ""), terms)))
        return res

    def _match_with_fallbacks(self, gen, s, groups, auds, allowed, exists):
        """AND → typo-corrected AND → relaxed OR.  Returns (matches, groups used, relaxed,
        corrected, did_you_mean); cached per index snapshot."""
        reader = s.reader()
        relaxed_flag = corrected = False
        dym = None
        groups = prune_alternatives(groups, lambda ws: _words_df(gen, reader, ws), reader.doc_count())
        used = groups
        matches = self._match(gen, s, build(groups, "and", exists), allowed)
        if not matches:
            fixes = self._corrections(gen, s, groups, auds)
            if fixes:
                fixed = with_corrections(groups, fixes, replace=True)
                matches = self._match(gen, s, build(fixed, "and", exists), allowed)
                if matches:
                    used, corrected, dym = fixed, True, display(fixed)
            if not matches and len(groups) > 1:
                relaxed = with_corrections(groups, fixes, replace=False) if fixes else groups
                relaxed = relax(relaxed, lambda ws: _words_df(gen, reader, ws), reader.doc_count())
                matches = self._match(gen, s, build(relaxed, "or", exists), allowed)
                if matches:
                    used, relaxed_flag = relaxed, True
                    if fixes:
                        corrected = True
                        dym = display(with_corrections(groups, fixes, replace=True))
        matches.sort(key=_rank_key)
        return matches, used, relaxed_flag, corrected, dym

    @staticmethod
    def _match(gen: _Generation, s, q, allowed: set) -> list[tuple[float, int]]:
        """Every visible match with its BM25F score (``scoring.evaluate``: Whoosh's scores,
        set-at-a-time from the snapshot's cached term scores)."""
        if q is wq.NullQuery:
            return []
        scores = evaluate(q, s, gen.terms)
        return [(sc, d) for d, sc in scores.items() if d in allowed]

    @staticmethod
    def _top(gen: _Generation, s, q, allowed: set, n: int) -> list[tuple[float, int]]:
        """The ``n`` best visible matches, best first (what Whoosh's ``search(limit=n)`` gives)."""
        scores = evaluate(q, s, gen.terms)
        return heapq.nsmallest(n, ((sc, d) for d, sc in scores.items() if d in allowed),
                               key=_rank_key)

    def _corrections(self, gen, s, groups, auds) -> dict[int, str]:
        vocab = None
        fixes = {}
        for i, g in enumerate(groups):
            if not correctable(g):
                continue
            if vocab is None:
                vocab = self._vocabulary(gen, s, auds)
            w = g.words[0]
            if w in vocab:
                continue
            c = vocab.correct(w)
            if c is None:
                continue
            if c not in self._dictionary_terms() and not self._visible_term(gen, s, auds, c):
                continue
            fixes[i] = c
        return fixes

    # -- suggest ----------------------------------------------------------------------------
    def suggest(self, q: str, *, audiences=frozenset({"public"}), limit: int = 5,
                category: str | None = None, signals: Mapping[str, float] | None = None) -> SearchResults:
        """Titles for text still being typed: the last word may be incomplete.

        Complete words must occur in a title/tag/code; the last fragment is looked up in the
        ``prefix`` field (edge n-grams built at index time).  ``category`` boosts (does not
        filter) that category.  Repeated fragments are served from an LRU cache that belongs to
        the index snapshot, so it is dropped whenever the index changes.
        """
        t0 = time.perf_counter()
        limit = _clamp_int(limit, 1, 20)
        res = SearchResults(query=q if isinstance(q, str) else "", page=1, per_page=limit)
        try:
            auds = frozenset(a for a in (audiences or ()) if isinstance(a, str))
            if auds and isinstance(q, str):
                res = self._read(lambda gen, s: self._suggest(gen, s, res, q, auds, limit,
                                                              category, signals))
        except Exception:  # noqa: BLE001
            log.exception("suggest failed")
            res = SearchResults(query=res.query, page=1, per_page=limit)
        res.took_ms = (time.perf_counter() - t0) * 1000
        return res

    def _suggest(self, gen, s, base, q, auds, limit, category, signals):
        res = SearchResults(query=base.query, page=1, per_page=limit)
        qn = normalise(q[:400])[:100]
        key = (qn, auds)
        cached = gen.suggest_cache.get(key)
        if cached is None:
            cached = self._suggest_candidates(gen, s, qn, auds)
            gen.suggest_cache[key] = cached
            if len(gen.suggest_cache) > SUGGEST_CACHE_SIZE:
                gen.suggest_cache.popitem(last=False)
        else:
            gen.suggest_cache.move_to_end(key)
        cands, terms = cached
        if not cands:
            return res
        table = gen.table(s)
        slugs = table.slugs
        cats = table.categories if category else None
        scored = []
        for score, docnum in cands:
            if cats is not None and cats[docnum] == category:
                score *= SUGGEST_CATEGORY_BOOST
            if signals:
                score *= _signal(signals, slugs[docnum])
            scored.append((score, docnum))
        scored.sort(key=lambda t: (-t[0], t[1]))
        res.total = len(cands)
        for score, docnum in scored[:limit]:
            stored = s.stored_fields(docnum)
            res.hits.append(_hit(stored, score, highlight_all(stored.get("stored_title", ""), terms,
                                                               prefixes=True)))
        return res

    def _suggest_candidates(self, gen, s, qn: str, auds) -> tuple[list, list[str]]:
        stripped = qn.strip()
        if not stripped:
            return [], []
        complete = qn[-1].isspace()
        chunks = stripped.split()[:12]
        full_chunks = chunks if complete else chunks[:-1]
        last = None if complete else chunks[-1]
        full = words(" ".join(full_chunks))
        terms = list(full)

        def full_q(w):
            return wq.Or([wq.Term("title", w, boost=FIELD_WEIGHTS["title"]),
                          wq.Term("codes", w, boost=FIELD_WEIGHTS["codes"]),
                          wq.Term("prefix", w)])

        clauses = [full_q(w) for w in full]
        required = list(full)       # complete words typed so far
        fragment = None             # the (maybe incomplete) last piece
        if last is not None:
            key = prefix_key(last)
            if key and (not key.isascii() or len(key) >= 2 or clauses):
                options = [wq.Term("prefix", key, boost=2.0)]
                lw = words(last, keep_stop=True)
                if len(lw) > 1:
                    options.append(wq.And([full_q(w) for w in lw[:-1]] +
                                          [wq.Term("prefix", lw[-1][:PREFIX_MAX])]))
                    required += [w for w in lw[:-1] if w not in STOPWORDS]
                    fragment = wq.Or([wq.Term("prefix", key, boost=2.0),
                                      wq.Term("prefix", lw[-1][:PREFIX_MAX])])
                else:
                    fragment = options[0]
                clauses.append(wq.Or(options) if len(options) > 1 else options[0])
                terms.extend(lw)
                terms.append(key)
        if not clauses:
            return [], []
        q = clauses[0] if len(clauses) == 1 else wq.And(clauses)
        if len(chunks) > 1 and not complete:
            joined = prefix_key(" ".join(chunks))
            if joined:
                q = wq.Or([q, wq.Term("prefix", joined, boost=2.0)])
        allowed = self._allowed(gen, s, auds)
        if not allowed:
            return [], []
        cands = []
        if last is not None and len(clauses) == 1 and len(chunks) == 1:
            # one fragment: its own prefix term is cheap and usually enough
            cands = self._top(gen, s, wq.Term("prefix", prefix_key(last)), allowed,
                              SUGGEST_CANDIDATES)
        if len(cands) < 10:
            cands = self._top(gen, s, q, allowed, SUGGEST_CANDIDATES)
        if not cands and fragment is not None and required:
            # few titles have every word: require only the fragment being typed, rank by the rest
            loose = wq.AndMaybe(fragment, wq.Or([full_q(w) for w in required]))
            seen = {d for _s, d in cands}
            floor = min((sc for sc, _d in cands), default=1.0)
            extra = self._top(gen, s, loose, allowed, SUGGEST_CANDIDATES)
            top = max((sc for sc, _d in extra), default=1.0) or 1.0
            for sc, d in extra:
                if d not in seen:   # always below the titles that have every word
                    cands.append((floor * 0.5 * sc / top, d))
        return cands, sorted(set(terms), key=len, reverse=True)


# ----------------------------------------------------------------------------------------
def _clamp_int(v, lo, hi) -> int:
    try:
        v = int(v)
    except (TypeError, ValueError):
        v = lo
    return max(lo, min(hi, v))


def _rank_key(t: tuple[float, int]) -> tuple[float, int]:
    """Best score first, then the lower document number (stable across runs)."""
    return -t[0], t[1]


def _signal(signals: Mapping[str, float], slug: str) -> float:
    try:
        m = float(signals.get(slug, 1.0))
    except (TypeError, ValueError):
        return 1.0
    if not math.isfinite(m):
        return 1.0
    return max(SIGNAL_MIN, min(SIGNAL_MAX, m))


def _words_df(gen, reader, words) -> int:
    """Documents that may hold all ``words`` (min over words of max(title, body, codes) df)."""
    best = None
    for w in words:
        d = max(gen.df(reader, "body", w), gen.df(reader, "title", w), gen.df(reader, "codes", w))
        best = d if best is None else min(best, d)
    return best or 0


def _clean(fields: dict) -> dict:
    return {k: v for k, v in fields.items() if v is not None}


def _apply_entry(w, entry: dict, docs=None) -> None:
    ups = docs if docs is not None else [from_json(d) for d in entry.get("upsert", ())]
    for d in ups:
        w.update_document(**_clean(to_fields(d)))
    for slug in entry.get("delete", ()):
        w.delete_by_term("slug", slug)


def _hit(stored: dict, score: float, snippet: str) -> Hit:
    import datetime

    upd = stored.get("updated")
    try:
        upd = datetime.date.fromisoformat(upd) if upd else None
    except (TypeError, ValueError):
        upd = None
    return Hit(
        slug=stored.get("slug", ""), title=stored.get("stored_title", ""),
        category=stored.get("category", ""), error_codes=tuple(stored.get("error_codes") or ()),
        snippet=snippet, score=float(score), audience=stored.get("audience", ""), updated=upd,
    )
