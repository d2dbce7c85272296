"""Index lifecycle: updates across processes, locking, rebuild swaps, recovery."""
from __future__ import annotations

import logging
import multiprocessing as mp
import os
import shutil
import threading
import time
from pathlib import Path

import pytest

from indexer import SearchEngine
from indexer.schema import pipeline_fingerprint
from ixhelpers import make_doc, slugs

CTX = mp.get_context("fork")


class ErrorLog(logging.Handler):
    def __init__(self):
        super().__init__(logging.ERROR)
        self.records = []

    def emit(self, record):
        self.records.append(record)


@pytest.fixture
def errors():
    h = ErrorLog()
    logging.getLogger("indexer").addHandler(h)
    yield h.records
    logging.getLogger("indexer").removeHandler(h)


def _writer_proc(index_dir, worker, n, q):
    try:
        eng = SearchEngine(index_dir)
        for i in range(n):
            eng.update([make_doc(f"w{worker}/{i}", f"并发写入 {worker} 号 {i}", "内容 concurrency")])
            if i % 5 == 4:
                eng.update(delete=[f"w{worker}/{i - 1}"])
        eng.close()
        q.put(("ok", worker))
    except BaseException as e:  # report anything, LockError included
        q.put(("error", f"{worker}: {e!r}"))


def _run(procs, q, timeout=120):
    for p in procs:
        p.start()
    out = [q.get(timeout=timeout) for _ in procs]
    for p in procs:
        p.join(timeout)
        assert p.exitcode == 0
    return out


def test_update_is_visible_at_once_in_another_engine(fresh, tmp_path):
    other = SearchEngine(tmp_path / "index")
    assert other.search("碎纸机").total == 0
    fresh.update([make_doc("x/shredder", "碎纸机卡住", "断电后清理。")])
    assert slugs(other.search("碎纸机")) == ["x/shredder"]
    fresh.update(delete=["x/shredder"])
    assert other.search("碎纸机").total == 0
    other.close()


def test_update_from_another_process_becomes_visible(fresh, tmp_path):
    """How fast is measured by ``make bench`` (update → visible); here only that it happens
    (the guard only stops a hang)."""
    assert fresh.search("concurrency").total == 0
    q = CTX.Queue()
    _run([CTX.Process(target=_writer_proc, args=(tmp_path / "index", 0, 1, q))], q)
    t0 = time.monotonic()
    while fresh.search("concurrency").total == 0:
        assert time.monotonic() - t0 < 60.0
        time.sleep(0.01)


@pytest.mark.parametrize("nprocs", [2, 4])
def test_concurrent_writer_processes_never_fail(fresh, tmp_path, nprocs):
    q = CTX.Queue()
    n = 12
    out = _run([CTX.Process(target=_writer_proc, args=(tmp_path / "index", w, n, q))
                for w in range(nprocs)], q)
    assert sorted(out) == sorted(("ok", w) for w in range(nprocs)), out
    deleted_per_worker = n // 5
    r = fresh.search("concurrency", per_page=100)
    assert r.total == nprocs * (n - deleted_per_worker)


def _commit_loop(index_dir, n, q):
    try:
        eng = SearchEngine(index_dir)
        for i in range(n):
            eng.update([make_doc(f"loop/{i % 7}", f"循环文档 {i}", "轮换 内容 " * (i % 13 + 1))])
            if i % 3 == 0:
                eng.update(delete=[f"loop/{(i + 3) % 7}"])
        eng.close()
        q.put(("ok", 0))
    except BaseException as e:
        q.put(("error", repr(e)))


def test_reader_keeps_working_while_another_process_commits(fresh, tmp_path, errors):
    q = CTX.Queue()
    p = CTX.Process(target=_commit_loop, args=(tmp_path / "index", 60, q))
    p.start()
    searches = 0
    while p.is_alive() or searches < 20:
        r = fresh.search("vpn 错误 809")
        assert slugs(r)[:1] == ["vpn/error-809"], r
        fresh.suggest("循环")
        searches += 1
    p.join(30)
    assert q.get(timeout=5) == ("ok", 0)
    assert errors == []
    assert searches > 20


def test_rebuild_swaps_atomically_while_searching(fresh, tmp_path, docs, errors):
    stop = threading.Event()
    failures = []
    count = [0]

    def reader():
        eng = SearchEngine(tmp_path / "index")
        while not stop.is_set():
            r = eng.search("outlook")
            if {"mail/outlook-send", "mail/outlook-profile"} - set(slugs(r)):
                failures.append(slugs(r))
            count[0] += 1
        eng.close()

    threads = [threading.Thread(target=reader) for _ in range(2)]
    for t in threads:
        t.start()
    gens = set()
    for i in range(3):
        stats = fresh.rebuild(docs + [make_doc(f"r/{i}", f"重建 {i}", "x")])
        gens.add(stats.generation)
        assert stats.docs == len(docs) + 1
    stop.set()
    for t in threads:
        t.join()
    assert failures == [] and errors == [] and count[0] > 0
    assert len(gens) == 3
    assert (tmp_path / "index").is_symlink()
    assert os.readlink(tmp_path / "index").endswith(max(gens))
    assert slugs(fresh.search("重建 2"))[0] == "r/2"


def test_old_generations_are_cleaned_up(fresh, docs, tmp_path):
    fresh.store.retired_grace = 0
    for _ in range(3):
        fresh.rebuild(docs)
    gens = [p.name for p in (tmp_path / "index.d").iterdir() if p.is_dir()]
    assert len(gens) == 1, gens


def test_updates_made_during_a_rebuild_survive_the_swap(fresh, tmp_path, docs):
    other = SearchEngine(tmp_path / "index")

    def slow_docs():
        for i, d in enumerate(docs):
            if i == 3:   # another writer updates the live index mid-rebuild
                other.update([make_doc("x/during", "重建期间新增", "journal")], delete=["printer/paper-jam"])
            yield d

    fresh.rebuild(slow_docs())
    assert slugs(fresh.search("重建期间新增"))[0] == "x/during"
    assert "printer/paper-jam" not in slugs(fresh.search("卡纸"))
    other.close()


def test_missing_index_is_rebuilt_from_the_loader(tmp_path, docs, caplog):
    eng = SearchEngine(tmp_path / "index")
    with caplog.at_level(logging.WARNING, logger="indexer"):
        eng.ensure(lambda: docs)
    assert "missing" in caplog.text
    assert eng.search("vpn").total > 0
    # removed behind our back
    shutil.rmtree(tmp_path / "index.d")
    os.unlink(tmp_path / "index")
    eng2 = SearchEngine(tmp_path / "index")
    eng2.ensure(lambda: docs)
    assert eng2.search("vpn").total > 0
    eng.close()
    eng2.close()


def _corrupt(index_dir: Path):
    gen = index_dir.resolve()
    for f in gen.iterdir():
        if f.suffix == ".seg":
            f.write_bytes(b"\0garbage" * 10)


def test_corrupt_index_is_rebuilt_by_ensure(tmp_path, docs, caplog):
    eng = SearchEngine(tmp_path / "index")
    eng.ensure(lambda: docs)
    _corrupt(tmp_path / "index")
    eng2 = SearchEngine(tmp_path / "index")
    with caplog.at_level(logging.WARNING, logger="indexer"):
        eng2.ensure(lambda: docs)
    assert "unreadable" in caplog.text
    assert slugs(eng2.search("错误 809")) == ["vpn/error-809"]
    eng.close()
    eng2.close()


def test_missing_toc_is_rebuilt_by_ensure(tmp_path, docs):
    eng = SearchEngine(tmp_path / "index")
    eng.ensure(lambda: docs)
    for f in (tmp_path / "index").resolve().glob("*.toc"):
        f.unlink()
    eng.close()
    eng = SearchEngine(tmp_path / "index")
    eng.ensure(lambda: docs)
    assert eng.search("vpn").total > 0
    eng.close()


def test_corruption_seen_by_a_search_returns_empty_then_recovers(tmp_path, docs, caplog):
    eng = SearchEngine(tmp_path / "index")
    eng.ensure(lambda: docs)
    eng.close()
    _corrupt(tmp_path / "index")
    eng = SearchEngine(tmp_path / "index")
    eng._loader = lambda: docs          # as after ensure() at start-up
    with caplog.at_level(logging.ERROR, logger="indexer"):
        r = eng.search("vpn")           # must not raise
    assert r.total == 0
    t0 = time.monotonic()
    while eng.search("vpn").total == 0:
        assert time.monotonic() - t0 < 20, "background rebuild did not happen"
        time.sleep(0.05)
    eng.close()


def test_a_query_that_trips_a_bug_is_logged_not_taken_for_a_broken_index(tmp_path, docs, caplog,
                                                                          monkeypatch):
    """A fault in ranking/snippets for one input is the query's: the search returns nothing and
    logs it, and the index is neither marked as recovering nor rebuilt (a query that trips a
    bug must not make the portal rebuild its index)."""
    from indexer import searching

    eng = SearchEngine(tmp_path / "index")
    eng.ensure(lambda: docs)
    key = eng.store.current_key()
    real, tries = searching.search, []

    def buggy(ctx, snap, s, base, *args):
        if base.query == "触发缺陷":
            tries.append(snap)
            raise ValueError("a bug for this input")
        return real(ctx, snap, s, base, *args)

    monkeypatch.setattr(searching, "search", buggy)
    caplog.clear()
    with caplog.at_level(logging.ERROR, logger="indexer"):
        r = eng.search("触发缺陷")
        again = eng.search("触发缺陷")
    assert r.total == 0 and not r.recovering and not again.recovering
    assert len(tries) == 4                 # twice per search: once more on a fresh snapshot
    assert "search failed" in caplog.text and "rebuilding" not in caplog.text
    assert not eng._recovering.locked() and not eng._degraded
    assert eng.store.current_key() == key
    assert slugs(eng.search("错误 809")) == ["vpn/error-809"]
    eng.close()


def test_analysis_change_triggers_rebuild(tmp_path, docs, caplog):
    eng = SearchEngine(tmp_path / "index")
    eng.ensure(lambda: docs)
    meta_path = (tmp_path / "index").resolve() / "KBMETA.json"
    meta_path.write_text('{"fingerprint": "old"}')
    with caplog.at_level(logging.WARNING, logger="indexer"):
        eng.ensure(lambda: docs)
    assert "another analysis pipeline" in caplog.text
    assert (tmp_path / "index").resolve().joinpath("KBMETA.json").read_text().count(pipeline_fingerprint())
    eng.close()


def test_ensure_on_a_good_index_does_not_rebuild(tmp_path, docs):
    eng = SearchEngine(tmp_path / "index")
    eng.ensure(lambda: docs)
    gen = os.readlink(tmp_path / "index")
    eng.ensure(lambda: pytest.fail("loader must not be called"))
    assert os.readlink(tmp_path / "index") == gen
    eng.close()


def test_sync_by_content_hash(fresh, docs):
    changed = make_doc("printer/paper-jam", "打印机卡纸怎么办（更新）", "新的步骤。", category="打印")
    new = make_doc("x/new", "新文章", "新增。")
    wanted = [d for d in docs if d.slug not in ("printer/paper-jam", "share/drive")] + [changed, new]
    stats = fresh.sync(wanted)
    assert (stats.added, stats.updated, stats.deleted) == (1, 1, 1)
    assert stats.unchanged == len(docs) - 2
    assert "share/drive" not in slugs(fresh.search("映射共享盘"))
    assert slugs(fresh.search("新的步骤"))[0] == "printer/paper-jam"
    again = fresh.sync(wanted)
    assert (again.added, again.updated, again.deleted, again.unchanged) == (0, 0, 0, len(wanted))


def test_update_on_a_missing_index_creates_it(tmp_path):
    eng = SearchEngine(tmp_path / "index")
    eng.update([make_doc("a/b", "第一篇", "内容")])
    assert slugs(eng.search("第一篇")) == ["a/b"]
    eng.close()


def _open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


@pytest.mark.skipif(not Path("/proc/self/fd").exists(), reason="needs /proc")
def test_no_file_descriptor_leak(fresh, docs):
    fresh.search("vpn")
    before = _open_fds()
    for i in range(30):
        fresh.update([make_doc(f"fd/{i % 3}", f"句柄 {i}", "x")])
        fresh.search("vpn 句柄")
        fresh.suggest("句")
    fresh.rebuild(docs)
    for _ in range(20):
        fresh.search("outlook")
    assert _open_fds() - before <= 12
    fresh.close()
    assert _open_fds() <= before


def test_a_document_failing_in_a_writing_process_fails_the_rebuild_without_hanging(tmp_path, monkeypatch):
    """The 2-process rebuild converts documents in the writing processes (``bulkwrite``): a
    document whose conversion fails there is logged, that process indexes nothing more but
    keeps draining the job queue, and the rebuild fails its verification — it neither hangs
    on the full queue nor publishes a partial index."""
    from indexer import engine as engmod
    from indexer.engine import IndexUnavailable

    real = engmod.to_fields

    def fragile(d):
        if d.slug.endswith("7"):
            raise ValueError("unreadable Markdown")
        return real(d)

    monkeypatch.setattr(engmod, "to_fields", fragile)
    docs = [make_doc(f"h/{i}", f"说明 {i}", f"正文 {i}") for i in range(1500)]
    eng = SearchEngine(tmp_path / "index", cache_dir=tmp_path / "cache", procs=2)
    try:
        with pytest.raises(IndexUnavailable, match="expected 1500 documents"):
            eng.rebuild(docs)
        assert eng.store.current() is None
    finally:
        eng.close()


def test_preload_reads_the_segments_shared_data_once_and_leaves_nothing_open(tmp_path, docs, monkeypatch):
    """``preload()`` (gunicorn's master, before forking): each segment's slugs and categories are
    read into the segment cache and nothing stays open; the first search afterwards — here in a
    fresh engine-state, as a forked worker has it — reads no column again and answers the same."""
    from indexer import segcache

    built = SearchEngine(tmp_path / "index", cache_dir=tmp_path / "cache")
    built.rebuild(docs)
    built.update(upsert=[make_doc("extra/one", "打印机脱机怎么办", "打印机显示脱机")])  # 2 segments
    expected = [h.slug for h in built.search("VPN 错误").hits], [h.slug for h in built.suggest("打印").hits]
    built.close()

    reads = []
    real = segcache.column_values
    monkeypatch.setattr(segcache, "column_values", lambda r, f: reads.append(f) or real(r, f))

    from tests.conftest import open_files

    eng = SearchEngine(tmp_path / "index", cache_dir=tmp_path / "cache")
    before = open_files()
    eng.preload()
    assert open_files() - before == set()
    assert eng._gen is None
    preloaded = len(reads)
    assert preloaded >= 4          # slug + category of each of the two segments
    got = [h.slug for h in eng.search("VPN 错误").hits], [h.slug for h in eng.suggest("打印").hits]
    assert got == expected and all(expected)
    assert len(reads) == preloaded  # nothing read again by the first snapshot
    eng.close()


def test_preload_reads_the_pinyin_table_the_workers_inherit(tmp_path, monkeypatch):
    """The slip check's character table (``homophones``) is read by ``preload()`` in the
    master, not inside each worker's first query with a possible slip."""
    from indexer import homophones

    monkeypatch.setattr(homophones, "_table", None)
    eng = SearchEngine(tmp_path / "index", cache_dir=tmp_path / "cache")
    eng.preload()
    assert homophones._table and homophones.readings("重") and "zhong" in homophones.readings("重")
    eng.close()


def test_preload_without_an_index_does_nothing(tmp_path):
    eng = SearchEngine(tmp_path / "index", cache_dir=tmp_path / "cache")
    eng.preload()
    assert not (tmp_path / "index").exists()
    eng.close()
