"""Per-segment posting stores (``indexer.poststore``): written after every commit, read with
mmap, equal to Whoosh's postings, removed with their segment, and never needed: a missing,
truncated or foreign store falls back to Whoosh's blocks with the same results."""
from __future__ import annotations

import logging
import os

import numpy as np
import pytest

from indexer import SearchEngine, poststore, ranking
from ixhelpers import make_doc, slugs, whoosh_postings

PUBLIC = frozenset({"public"})
BOTH = frozenset({"public", "internal"})
QUERIES = ["VPN 连接失败", "打印机脱机", "错误 809", "0x80070005", "忘记密码", "zqp1", "outlook 密码",
           "打印机 说明", "VPN"]


def _generation(eng):
    return eng.store.current()


def _toc_segments(eng) -> set[str]:
    from whoosh.filedb.filestore import FileStorage

    ix = FileStorage(str(_generation(eng)), supports_mmap=False).open_index()
    return {s.segment_id() for s in ix._read_toc().segments}


def _store_files(eng) -> set[str]:
    return {p.name[:-len(poststore.EXT)] for p in _generation(eng).glob("*" + poststore.EXT)}


def _results(eng, audiences=PUBLIC):
    out = []
    for q in QUERIES:
        r = eng.search(q, audiences=audiences, per_page=30)
        out.append((q, r.total, [(h.slug, h.score, h.snippet) for h in r.hits]))
    return out


def _bulk(eng):
    eng.update([make_doc(f"bulk/p-{i}", f"打印机 说明 {i}", "打印机 脱机 " * (1 + i % 7) + f"zqp{i % 3}",
                         codes=("0x80070005",) if i % 5 == 0 else ())
                for i in range(300)])                   # 打印机: several 128-posting blocks
    eng.update(delete=[f"bulk/p-{i}" for i in range(0, 300, 7)])


def _check_every_term(eng) -> tuple[int, int, int]:
    """Every term of every stored field of every segment: the store's ids, weights and raw
    values equal Whoosh's matcher; positions decode equal.  Returns (terms, multi-block terms,
    terms with values)."""
    eng.search("打印机")
    s = eng._gen.acquire()
    try:
        checked = multi = with_values = 0
        for lr, _off in s.reader().leaf_readers():
            st = eng._segments.store(lr)
            assert st is not None, "a segment without its store"
            for field in poststore.FIELDS:
                if field not in lr.schema.names():
                    continue
                fmt = lr.schema[field].format
                for btext, _ti in lr.iter_field(field):
                    text = btext.decode("utf-8")
                    got = st.postings(lr, field, text)
                    ids, weights, values = whoosh_postings(lr, field, text)
                    assert got.ids.dtype == np.int32 and got.ids.tolist() == ids, (field, text)
                    assert got.weights.tolist() == np.array(weights, dtype=np.float32).tolist()
                    if field in poststore.VALUE_FIELDS:
                        assert [got.raw(k) for k in range(len(ids))] == values
                        # several at once (proximity's batch), in any order, repeats too
                        ks = np.array([len(ids) - 1, 0, len(ids) // 2, 0])
                        assert got.raws(ks) == [values[k] for k in ks.tolist()]
                        assert got.raws(ks.tolist()) == got.raws(ks) and got.raws([]) == []
                        for k in (0, len(ids) - 1):
                            assert fmt.decode_as("positions", got.raw(k)) == \
                                fmt.decode_as("positions", values[k])
                        # ranking's decoder: Whoosh's decode_positions, value for value
                        assert [ranking._decode_positions(v) for v in values] == \
                            [fmt.decode_as("positions", v) for v in values]
                        assert got.value(ids[-1]) == values[-1] and got.value(-5) is None
                        with_values += 1
                    else:
                        assert got.raw(0) is None
                    multi += len(ids) > 128
                    checked += 1
            assert st.postings(lr, "body", "zqnotawordatall").ids.size == 0
            assert st.postings(lr, "slug", "bulk/p-1") is None      # not stored: Whoosh's path
        return checked, multi, with_values
    finally:
        eng._gen.release(s)


def test_store_postings_equal_whooshs_matcher(fresh):
    """Every term of the stored fields: the same ids, weights and raw values as Whoosh's
    matcher (multi-block terms, deletions kept in the postings), positions decoded equal."""
    _bulk(fresh)
    assert _store_files(fresh) == _toc_segments(fresh)
    checked, multi, with_values = _check_every_term(fresh)
    assert checked > 300 and multi >= 2 and with_values > 100
    assert "bulk/p-7" not in slugs(fresh.search("zqp1", per_page=200))
    assert fresh._segments.stats()["stores"] == len(_toc_segments(fresh))


def test_results_with_and_without_stores_are_equal(fresh):
    _bulk(fresh)
    with_stores = _results(fresh), _results(fresh, BOTH)
    path = fresh.index_dir
    plain = SearchEngine(path, cache_dir=path.parent / "cache2")
    plain._segments.use_stores = False
    try:
        assert (_results(plain), _results(plain, BOTH)) == with_stores
        assert plain._segments.stats()["stores"] == 0
    finally:
        plain.close()


def test_every_update_and_merge_keeps_one_store_per_segment(fresh):
    """update() writes the store of the new segment and of a merged one; Whoosh's own cleanup
    removes the stores of segments merged away."""
    seen: set[str] = set()
    merged_away = 0
    for i in range(14):
        before = _toc_segments(fresh)
        fresh.update([make_doc(f"u/{i}", f"更新 文章 {i} zqupd{i}", f"正文 zqupd{i} 打印机")])
        after = _toc_segments(fresh)
        assert _store_files(fresh) == after
        merged_away += len(before - after)
        seen |= after
        assert slugs(fresh.search(f"zqupd{i}")) == [f"u/{i}"]
    assert merged_away >= 2, "no merge happened: the test did not cover one"
    gone = seen - _toc_segments(fresh)
    assert gone and not any((_generation(fresh) / (g + poststore.EXT)).exists() for g in gone)
    assert fresh._segments.stats()["stores"] == len(_toc_segments(fresh))
    fresh.update(delete=["u/3"])
    assert _check_every_term(fresh)[0] > 300            # merged segments' stores are right too


def _break(path, how, other=None):
    """Replace a store file the way a restore or a failing disk would (never in place: the
    engine that wrote it may still map it)."""
    tmp = path.with_name(path.name + ".broken")
    if how == "missing":
        path.unlink()
        return
    data = bytearray(path.read_bytes())
    if how == "truncated":
        data = data[:len(data) // 2]
    elif how == "header":
        data[20] ^= 0xFF
    elif how == "tail":
        data[-1] ^= 0xFF
    elif how == "foreign":
        data = bytearray(other.read_bytes())
    elif how == "empty":
        data = bytearray()
    tmp.write_bytes(bytes(data))
    os.replace(tmp, path)


@pytest.mark.parametrize("how", ["missing", "truncated", "header", "tail", "foreign", "empty"])
def test_a_broken_store_falls_back_to_the_segment_with_equal_results(fresh, how, caplog):
    _bulk(fresh)
    want = _results(fresh), _results(fresh, BOTH)
    stores = sorted(_generation(fresh).glob("*" + poststore.EXT), key=lambda p: -p.stat().st_size)
    assert len(stores) >= 2
    _break(stores[0], how, other=stores[1])
    path = fresh.index_dir
    with caplog.at_level(logging.INFO, logger="indexer"):
        eng = SearchEngine(path, cache_dir=path.parent / "cache2")
        try:
            assert (_results(eng), _results(eng, BOTH)) == want
            assert eng._segments.stats()["stores"] == len(stores) - 1
        finally:
            eng.close()
    assert any("posting store" in r.getMessage() and stores[0].name in r.getMessage()
               for r in caplog.records)


def test_a_reader_picks_up_stores_written_after_it_opened_the_segments(fresh):
    """An index from before the stores: searches read Whoosh's blocks; ``sync`` (``kb index``)
    writes the missing stores and the running reader uses them from its next snapshot."""
    _bulk(fresh)
    want = _results(fresh)
    for p in _generation(fresh).glob("*" + poststore.EXT):
        p.unlink()
    path = fresh.index_dir
    eng = SearchEngine(path, cache_dir=path.parent / "cache2")
    try:
        assert _results(eng) == want
        assert eng._segments.stats()["stores"] == 0
        cached = eng._segments.stats()["bytes"]
        assert cached > 0
        writer = SearchEngine(path, cache_dir=path.parent / "cache3")
        try:
            writer._write_stores(writer.store.current())
            writer.store.touch_stamp()
        finally:
            writer.close()
        assert _store_files(eng) == _toc_segments(eng)
        assert _results(eng) == want
        assert eng._segments.stats()["stores"] == len(_toc_segments(eng))
        assert eng._segments.stats()["bytes"] < cached     # the blocks' copies were dropped
    finally:
        eng.close()


def test_sync_writes_missing_stores(fresh, docs):
    for p in _generation(fresh).glob("*" + poststore.EXT):
        p.unlink()
    stats = fresh.sync(docs)
    assert stats.added == stats.updated == stats.deleted == 0
    assert _store_files(fresh) == _toc_segments(fresh)



def test_a_version_1_store_is_not_used_and_sync_writes_it_again(fresh, docs, caplog):
    # (stop 24) stores written before the hash table are "version 1": searches read that
    # segment's blocks (same results) until ``kb index`` (sync) writes the store again
    import struct
    import zlib

    want = _results(fresh)
    store = sorted(_generation(fresh).glob("*" + poststore.EXT))[0]
    data = bytearray(store.read_bytes())
    struct.pack_into("<I", data, 8, 1)
    end = poststore._HEAD.size - 4
    struct.pack_into("<I", data, end, zlib.crc32(bytes(data[:end])))
    tmp = store.with_name(".v1")
    tmp.write_bytes(bytes(data))
    os.replace(tmp, store)                 # (a new file: the mapped one stays intact)
    segid = store.name[:-len(poststore.EXT)]
    assert poststore.check(store, segid, _docs_in(fresh, segid)) == "version 1"
    path = fresh.index_dir
    with caplog.at_level(logging.INFO, logger="indexer"):
        eng = SearchEngine(path, cache_dir=path.parent / "cache2")
        try:
            assert _results(eng) == want
            assert eng._segments.stats()["stores"] == len(_toc_segments(eng)) - 1
        finally:
            eng.close()
    assert any("version 1" in r.getMessage() for r in caplog.records)
    fresh.sync(docs)
    assert poststore.check(store, segid, _docs_in(fresh, segid)) is None
    assert _results(fresh) == want

def test_rebuild_in_two_processes_writes_every_segments_store(tmp_path):
    docs = [make_doc(f"m/{i}", f"打印机 说明 {i}", "打印机 脱机 " * (1 + i % 5) + f" zqm{i}")
            for i in range(420)]
    eng = SearchEngine(tmp_path / "index", cache_dir=tmp_path / "cache", procs=2)
    try:
        eng.rebuild(docs)
        segs = _toc_segments(eng)
        assert len(segs) >= 2 and _store_files(eng) == segs
        for segid in segs:
            assert poststore.check(poststore.store_path(_generation(eng), segid), segid,
                                   _docs_in(eng, segid)) is None
        assert slugs(eng.search("zqm17")) == ["m/17"]
        assert eng._segments.stats()["stores"] == len(segs)
    finally:
        eng.close()


def _docs_in(eng, segid) -> int:
    from whoosh.filedb.filestore import FileStorage

    ix = FileStorage(str(_generation(eng)), supports_mmap=False).open_index()
    return next(s.doc_count_all() for s in ix._read_toc().segments if s.segment_id() == segid)


def test_a_failed_store_write_never_fails_the_commit(fresh, docs, monkeypatch, caplog):
    def boom(*_a, **_k):
        raise OSError("disk full")

    d1 = make_doc("f/1", "失败 zqfail", "正文 zqfail")
    d2 = make_doc("f/2", "再写 zqfail2", "正文")
    monkeypatch.setattr(poststore, "write_segment", boom)
    with caplog.at_level(logging.ERROR, logger="indexer"):
        fresh.update([d1])
    assert slugs(fresh.search("zqfail")) == ["f/1"]
    assert any("posting stores not written" in r.getMessage() for r in caplog.records)
    missing = _toc_segments(fresh) - _store_files(fresh)
    assert missing
    monkeypatch.undo()
    fresh.update([d2])
    # an update writes the stores of what its commit wrote only (no long write on a
    # request's path) …
    assert _toc_segments(fresh) - _store_files(fresh) == missing & _toc_segments(fresh)
    assert slugs(fresh.search("zqfail2")) == ["f/2"]
    stats = fresh.sync(list(docs) + [d1, d2])                 # … kb index writes the rest
    assert stats.added == stats.updated == stats.deleted == 0
    assert _store_files(fresh) == _toc_segments(fresh)


def test_a_store_replaced_under_a_running_reader_is_checked_again(fresh):
    """A store file replaced behind the reader's back (a restore) is dropped at the next
    snapshot and validated again: a broken one is not used, the results stay equal."""
    _bulk(fresh)
    want = _results(fresh)
    n = fresh._segments.stats()["stores"]
    biggest = max(_generation(fresh).glob("*" + poststore.EXT), key=lambda p: p.stat().st_size)
    _break(biggest, "header")
    fresh.store.touch_stamp()                     # any commit: the readers open a new snapshot
    assert _results(fresh) == want
    assert fresh._segments.stats()["stores"] == n - 1


def test_unmapping_read_pages_changes_no_result(fresh, monkeypatch):
    """The store pages a worker read are unmapped past ``mapped_bytes`` (RSS bounded); views
    handed out before stay valid and every result is the same."""
    from indexer import poststore as ps

    _bulk(fresh)
    want = _results(fresh), _results(fresh, BOTH)
    trims = []
    original = ps.PostingStore.trim
    monkeypatch.setattr(ps.PostingStore, "trim", lambda self: (trims.append(1), original(self)))
    from indexer import segcache

    monkeypatch.setattr(segcache, "MAPPED_CHECK_EVERY", 1)
    fresh._segments.mapped_bytes = -1             # unmap before every read
    fresh._gen.clear_caches(segments=True)
    assert (_results(fresh), _results(fresh, BOTH)) == want
    assert len(trims) > 10
    assert fresh._segments._mapped_now() < 10 ** 6


def _count_lookups(monkeypatch) -> list[tuple[str, str]]:
    """Record every (field, text) asked of a store's hash table or of Whoosh's term table
    (``term_offset``, then ``term_info``: the store's fallbacks; ``in``: the blocks' reader)."""
    from whoosh.reading import SegmentReader

    calls = []
    real_info, real_find = SegmentReader.term_info, poststore.PostingStore.find
    real_has = SegmentReader.__contains__

    def has(self, term):
        calls.append((term[0], term[1].decode("utf-8") if isinstance(term[1], bytes) else term[1]))
        return real_has(self, term)

    def info(self, fieldname, text):
        calls.append((fieldname, text.decode("utf-8") if isinstance(text, bytes) else text))
        return real_info(self, fieldname, text)

    def find(self, field, text):
        calls.append((field, text))
        return real_find(self, field, text)

    real_offset = poststore.term_offset

    def offset(segreader, field, text):
        calls.append((field, text))
        return real_offset(segreader, field, text)

    monkeypatch.setattr(poststore, "term_offset", offset)
    monkeypatch.setattr(SegmentReader, "term_info", info)
    monkeypatch.setattr(SegmentReader, "__contains__", has)
    monkeypatch.setattr(poststore.PostingStore, "find", find)
    return calls


@pytest.mark.parametrize("stores", [True, False])
def test_chinese_words_are_not_looked_up_in_a_codes_field_without_them(fresh, monkeypatch, stores):
    # (stop 24) ``codes`` holds ASCII terms only unless an article's front matter lists a code
    # in Chinese: per segment one look tells, and a Chinese word is then known absent from it
    # without a lookup (a third of a Chinese query's lookups before)
    path = fresh.index_dir
    eng = SearchEngine(path, cache_dir=path.parent / "cache2")
    eng._segments.use_stores = stores
    try:
        calls = _count_lookups(monkeypatch)
        assert slugs(eng.search("打印机 卡纸"))[0] == "printer/paper-jam"
        assert ("title", "卡纸") in calls
        assert not [t for f, t in calls if f == "codes" and not t.isascii()]
        # a segment whose codes hold a Chinese entry is asked as before
        eng.update([make_doc("x/cn-code", "说明", "正文。", codes=("墨盒",))])
        calls.clear()
        assert "x/cn-code" in slugs(eng.search("墨盒", per_page=50))
        assert ("codes", "墨盒") in calls
        assert slugs(eng.suggest("墨", limit=5)) == ["x/cn-code"]
    finally:
        eng.close()


def test_the_stores_hash_table_finds_every_term_in_its_field_only(fresh):
    """``PostingStore.find`` (stop 24): every term of every field is found at the index
    Whoosh's posting offset gives, and a text is absent from the fields Whoosh says lack it."""
    from whoosh.reading import TermNotFound

    _bulk(fresh)
    fresh.search("打印机")           # a snapshot of the index as it is now
    s = fresh._gen.acquire()
    try:
        found = absent = 0
        for lr, _off in s.reader().leaf_readers():
            st = fresh._segments.store(lr)
            assert st is not None and st._slots is not None
            texts = set()
            for field in poststore.FIELDS:
                for btext, ti in lr.iter_field(field):
                    text = btext.decode("utf-8")
                    texts.add(text)
                    assert st.find(field, text) == st.term(ti._offset) >= 0, (field, text)
                    found += 1
            for text in texts:
                for field in poststore.FIELDS:
                    try:
                        lr.term_info(field, text)
                    except TermNotFound:
                        assert st.find(field, text) == -1, (field, text)
                        assert st.postings(lr, field, text) is poststore.EMPTY
                        absent += 1
            assert st.find("body", "zq" * 40) == -1 and st.find("title", "") == -1
        assert found > 300 and absent > 300
    finally:
        fresh._gen.release(s)


def test_a_store_without_hash_table_asks_whooshs_term_table(fresh, monkeypatch):
    # a segment with a term Whoosh inlined (never with our codec) gets no table: a key missing
    # from it would not mean "absent" — its terms are looked up in Whoosh's table, same results
    _bulk(fresh)
    want = _results(fresh), _results(fresh, BOTH)
    real = poststore._segment_terms
    monkeypatch.setattr(poststore, "_segment_terms", lambda leaf: (real(leaf)[0], True))
    folder = _generation(fresh)
    for p in folder.glob("*" + poststore.EXT):
        p.unlink()
    assert sorted(poststore.write_missing(folder)) == sorted(_toc_segments(fresh))
    path = fresh.index_dir
    eng = SearchEngine(path, cache_dir=path.parent / "cache2")
    try:
        calls = _count_lookups(monkeypatch)
        assert (_results(eng), _results(eng, BOTH)) == want
        s = eng._gen.acquire()     # (the snapshot the results came from)
        try:
            stores = [eng._segments.store(lr) for lr, _o in s.reader().leaf_readers()]
        finally:
            eng._gen.release(s)
        assert stores and all(st is not None and st._slots is None for st in stores)
        assert calls and all(f in poststore.FIELDS for f, _t in calls)
    finally:
        eng.close()


def test_term_offsets_read_with_pread_equal_whooshs_term_info(fresh, monkeypatch):
    """``poststore.term_offset`` (the hash-table probe with ``os.pread``) gives Whoosh's
    ``term_info(...)._offset`` for every term of every stored field of every segment, -1 for
    terms a segment lacks (other fields' terms, other segments' terms, made-up words, one
    probe batch at a time too), and None — Whoosh's own look-up then answers — for a closed
    reader."""
    from whoosh.reading import TermNotFound

    _bulk(fresh)
    fresh.search("打印机")
    s = fresh._gen.acquire()
    try:
        leaves = [lr for lr, _off in s.reader().leaf_readers()]
        assert len(leaves) >= 2
        every = {(f, b.decode("utf-8")) for lr in leaves for f in poststore.FIELDS
                 if f in lr.schema.names() for b, _ti in lr.iter_field(f)}
        made_up = {("body", "zqnotawordatall"), ("title", "打印机脱机不存在"), ("prefix", "\x00x"),
                   ("codes", "0xdeadbeef"), ("audience", "nobody")}
        for batch in (poststore.PROBE_SLOTS, 1):
            monkeypatch.setattr(poststore, "PROBE_SLOTS", batch)
            found = absent = 0
            for lr in leaves:
                for field, text in sorted(every | made_up):
                    got = poststore.term_offset(lr, field, text)
                    try:
                        want = lr.term_info(field, text)._offset
                    except TermNotFound:
                        want = -1
                    assert got == want, (field, text)
                    found += want >= 0
                    absent += want < 0
            assert found > 300 and absent > 50
        lr = leaves[0]
        field, text = next((f, t) for f, t in sorted(every) if lr.__contains__((f, t)))
        assert poststore.term_offset(lr, field, text) >= 0
    finally:
        fresh._gen.release(s)
    lr.close()
    assert poststore.term_offset(lr, field, text) is None         # closed: Whoosh raises


def _mapped_kb(path) -> tuple[int, int]:
    """(Rss, size) in KB of this process's mapping of ``path`` (``/proc/self/smaps``)."""
    rss = size = 0
    inside = False
    with open("/proc/self/smaps", encoding="utf-8") as fh:
        for line in fh:
            head = line.split()
            if head and "-" in head[0] and len(head) >= 5 and ":" not in head[0]:
                inside = len(head) >= 6 and head[5] == str(path)
            elif inside and head[0] == "Rss:":
                rss += int(head[1])
            elif inside and head[0] == "Size:":
                size += int(head[1])
    return rss, size


@pytest.mark.skipif(not os.path.exists("/proc/self/smaps"), reason="needs /proc/self/smaps")
def test_unmapping_keeps_the_term_arrays_every_look_up_reads(fresh):
    """``PostingStore.trim`` unmaps the postings, values and raw bytes, not the term arrays
    before them (keys, tstart, vbase, vblob: every look-up's binary search and slice bounds
    read them; unmapping them made each look-up after a trim fault them in again) nor the
    store's own table of its terms (kstart, slots, kblob: every look-up reads it)."""
    _bulk(fresh)
    fresh.search("打印机")
    s = fresh._gen.acquire()
    try:
        lr = next(iter(s.reader().leaf_readers()))[0]
        st = fresh._segments.store(lr)
    finally:
        fresh._gen.release(s)
    terms = st.keys.nbytes + st.tstart.nbytes + st.vbase.nbytes + st.vblob.nbytes
    assert st._slots is not None                      # a version 2 store: its table stays too
    terms += st._kstart.nbytes + st._slots.nbytes + st._kstart[-1]
    st.trim()
    for a in (st.keys, st.tstart, st.vbase, st.vblob, st.ids, st.weights, st.voff):
        int(a.sum())                                  # read every page
    assert st.blob.size == 0 or int(st.blob[::1024].sum()) >= 0
    before, size = _mapped_kb(st.path)
    assert size and before * 1024 >= terms
    st.trim()
    after, _size = _mapped_kb(st.path)
    page = os.sysconf("SC_PAGE_SIZE")
    assert after * 1024 >= terms - page               # the term arrays stay mapped …
    assert after * 1024 <= terms + 4 * page + 4096    # … nothing else (the header's page,
                                                      # the ranges' page edges)
    assert st.find("title", "打印机") >= 0              # a look-up after the trim …
    assert _mapped_kb(st.path)[0] <= after + 4         # … faults nothing in again
    assert after < before


def _trim_spy(monkeypatch) -> list[int]:
    from indexer import poststore as ps

    trims = []
    original = ps.PostingStore.trim
    monkeypatch.setattr(ps.PostingStore, "trim", lambda self: (trims.append(1), original(self)))
    return trims


def test_a_trim_found_due_waits_for_the_housekeeping_after_the_response(fresh, monkeypatch):
    """Past ``mapped_bytes`` a search only marks the trim due: it runs in ``housekeeping``
    (after the response, in the app), not inside the search that found it due — unmapping
    made that search wait (stop 33)."""
    from indexer import segcache

    _bulk(fresh)
    want = _results(fresh), _results(fresh, BOTH)
    trims = _trim_spy(monkeypatch)
    monkeypatch.setattr(segcache, "MAPPED_CHECK_EVERY", 1)
    cache = fresh._segments
    monkeypatch.setattr(cache, "_mapped_now", lambda: cache.mapped_bytes + 1)
    fresh._gen.clear_caches(segments=True)
    assert not fresh.housekeeping_due()
    assert (_results(fresh), _results(fresh, BOTH)) == want
    assert trims == [] and fresh.housekeeping_due()
    assert fresh.housekeeping() is True
    assert trims and not fresh.housekeeping_due()
    n = len(trims)
    assert fresh.housekeeping() is False and len(trims) == n     # nothing due: nothing done
    assert (_results(fresh), _results(fresh, BOTH)) == want       # pages mapped again


def test_a_process_that_never_does_housekeeping_is_trimmed_past_the_hard_limit(fresh, monkeypatch):
    """A script or ``kb search`` never calls ``housekeeping``: past ``MAPPED_HARD`` times the
    budget the search that reads trims at once, so the mapped pages stay bounded anyway."""
    from indexer import segcache

    _bulk(fresh)
    want = _results(fresh)
    trims = _trim_spy(monkeypatch)
    monkeypatch.setattr(segcache, "MAPPED_CHECK_EVERY", 1)
    cache = fresh._segments
    monkeypatch.setattr(cache, "_mapped_now",
                        lambda: cache.mapped_bytes * segcache.MAPPED_HARD + 1)
    fresh._gen.clear_caches(segments=True)
    assert _results(fresh) == want
    assert trims and not fresh.housekeeping_due()


def test_housekeeping_never_raises(fresh, monkeypatch, caplog):
    def broken():
        raise OSError("madvise failed")

    monkeypatch.setattr(fresh._segments, "trim", broken)
    fresh._segments.trim_due = True
    with caplog.at_level(logging.ERROR, logger="indexer"):
        assert fresh.housekeeping() is False
    assert any("housekeeping failed" in r.getMessage() for r in caplog.records)
