"""Per-segment hit stores (``indexer.hitstore``): written after every commit beside the posting
stores, equal to Whoosh's stored fields (and to the snippets' normalised head), removed with
their segment, and never needed: a missing, broken or foreign store, or one written by another
normaliser, falls back to Whoosh's stored fields with the same results."""
from __future__ import annotations

import dataclasses
import logging
import os

import pytest

from indexer import SearchEngine, hitstore, snippets
from indexer.text import normalise_with_map
from ixhelpers import make_doc, slugs

PUBLIC = frozenset({"public"})
BOTH = frozenset({"public", "internal"})
QUERIES = ["网络连接失败", "網路連線", "远程桌面 连接", "ｖｐｎ 设定", "VPN", "打印机 说明", "file",
           "zqh1", "istanbul", "错误 809", "印表機"]
TRAD = "網路連線失敗時，請檢查ＶＰＮ設定與遠端桌面連線。"


def _docs():
    out = [
        make_doc("h/trad", "網路連線失敗", TRAD * 40, category="網路", tags=("網路",)),
        # longer than MAX_NORMALISED, with characters NFKC expands (an offset map)
        make_doc("h/long", "遠端桌面連線 ﬁle", ("遠端桌面 ﬁle ㎡ 連線；" * 2400) + " 末尾的网络连接",
                 codes=("0x80070005",), audience="internal"),
        make_doc("h/turkish", "İstanbul office", "İstanbul 办公室的 VPN 设定 file。"),
        make_doc("h/plain", "打印机 说明", "打印机 脱机 请检查网络连接。", updated=None),
        make_doc("h/empty", "没有正文 zqh1", ""),
    ]
    out += [make_doc(f"h/p-{i}", f"打印机 说明 {i}", "打印机 脱机 " * (1 + i % 5) + f" zqh{i % 3}",
                     codes=("809",) if i % 4 == 0 else ()) for i in range(60)]
    return out


@pytest.fixture
def hix(tmp_path):
    eng = SearchEngine(tmp_path / "index", cache_dir=tmp_path / "cache")
    eng.rebuild(_docs())
    eng.update([make_doc("h/later", "后来的 網路 文章", TRAD * 3)])      # a second segment
    eng.update(delete=["h/p-7"])
    yield eng
    eng.close()


def _generation(eng):
    return eng.store.current()


def _toc_segments(eng) -> set[str]:
    from whoosh.filedb.filestore import FileStorage

    ix = FileStorage(str(_generation(eng)), supports_mmap=False).open_index()
    return {s.segment_id() for s in ix._read_toc().segments}


def _store_files(eng) -> set[str]:
    return {p.name[:-len(hitstore.EXT)] for p in _generation(eng).glob("*" + hitstore.EXT)}


def _results(eng, audiences=PUBLIC):
    out = []
    for q in QUERIES:
        r = eng.search(q, audiences=audiences, per_page=30)
        out.append((q, r.total, r.facets, [(h.slug, h.score, h.snippet, h.title, h.category,
                                            h.error_codes, h.audience, h.updated) for h in r.hits]))
        s = eng.suggest(q, audiences=audiences)
        out.append((q, [(h.slug, h.score, h.snippet, h.title, h.error_codes, h.updated)
                        for h in s.hits]))
    return out


def test_hit_records_equal_whooshs_stored_fields(hix):
    """Every document of every segment (deleted ones too): the small fields, the text and the
    normalised head (with its offset map) equal what Whoosh's record and the snippets give."""
    hix.search("打印机")
    assert _store_files(hix) == _toc_segments(hix) and len(_toc_segments(hix)) >= 2
    s = hix._gen.acquire()
    kinds = set()
    try:
        n = 0
        for lr, _off in s.reader().leaf_readers():
            st = hix._segments.hitstore(lr)
            assert st is not None, "a segment without its hit store"
            for d in range(lr.doc_count_all()):
                rec = lr.stored_fields(d)
                want = {k: rec[k] for k in hitstore.HIT_FIELDS if k in rec}
                assert st.fields(d) == want and type(st.fields(d)["error_codes"]) is tuple
                fields, text, prepared = st.record(d)
                assert fields == want and text == rec["stored_text"]
                n += 1
                if not text:
                    continue
                head = text[:snippets.MAX_NORMALISED]
                norm, offsets = normalise_with_map(head)
                got_norm, got_offsets = prepared.normalised()
                assert got_norm == norm
                assert (None if got_offsets is None else list(got_offsets)) == offsets
                assert set(prepared.chars) == set(text[:snippets.MAX_TEXT])
                assert set(norm) <= set(prepared.norm_chars())
                kinds.add(st._kind[d] & (hitstore.NORM | hitstore.OFFSETS))
        assert n == len(_docs()) + 1
        assert st.record(0) is not None
        # the three ways a normalised head is kept were all exercised
        assert kinds == {0, hitstore.NORM, hitstore.NORM | hitstore.OFFSETS}
    finally:
        hix._gen.release(s)


def test_results_with_and_without_hit_stores_are_equal(hix, monkeypatch):
    calls = {"store": 0, "computed": 0}
    orig_store, orig_computed = hitstore.HitStore._normalised, snippets._normalised

    def store_norm(self, *a):
        calls["store"] += 1
        return orig_store(self, *a)

    def computed(head):
        calls["computed"] += 1
        return orig_computed(head)

    monkeypatch.setattr(hitstore.HitStore, "_normalised", store_norm)
    monkeypatch.setattr(snippets, "_normalised", computed)
    with_stores = _results(hix), _results(hix, BOTH)
    assert calls["store"] > 0 and calls["computed"] == 0      # no NFKC/OpenCC at query time
    assert hix._segments.stats()["hitstores"] == len(_toc_segments(hix))
    path = hix.index_dir
    plain = SearchEngine(path, cache_dir=path.parent / "cache2")
    plain._segments.use_stores = False
    try:
        assert (_results(plain), _results(plain, BOTH)) == with_stores
        assert plain._segments.stats()["hitstores"] == 0
        assert calls["computed"] > 0
    finally:
        plain.close()
    assert "h/long" in slugs(hix.search("遠端桌面", audiences=BOTH))


SNIPPET_TERMS = [["网络", "连接", "失败"], ["网路", "连线", "故障"], ["故障"], ["远端", "桌面"],
                 ["vpn", "设定"], ["file", "m2"], ["i̇stanbul", "vpn"], ["istanbul"], ["打印机", "zqh1"],
                 ["末尾", "网络连接"], ["zqnothing"], ["0x80070005", "連線"], ["ｖｐｎ"], []]


def test_snippets_with_the_prepared_text_are_the_same(hix):
    """Every document, term lists that take every path of ``snippets._locate`` (Chinese terms
    found or not in the text, Latin terms, İ, terms only in the normalised head): the snippet
    made with the store's ``Prepared`` is the one made without it."""
    hix.search("打印机")
    s = hix._gen.acquire()
    try:
        n = 0
        for lr, _off in s.reader().leaf_readers():
            st = hix._segments.hitstore(lr)
            for d in range(lr.doc_count_all()):
                got = st.record(d)
                if got is None or got[2] is None:
                    continue
                _fields, text, prepared = got
                for terms in SNIPPET_TERMS:
                    snippets._NORM_CACHE.clear()
                    assert snippets.make_snippet(text, terms, prepared=prepared) == \
                        snippets.make_snippet(text, terms), (lr.stored_fields(d)["slug"], terms)
                    n += 1
        assert n > 500
    finally:
        hix._gen.release(s)


def _break(path, how, other=None):
    """Replace a store file the way a restore or a failing disk would (never in place)."""
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


@pytest.mark.parametrize("how", ["missing", "truncated", "header", "tail", "foreign", "empty",
                                 "normaliser"])
def test_a_broken_hit_store_falls_back_to_the_stored_fields(hix, how, caplog, monkeypatch):
    want = _results(hix), _results(hix, BOTH)
    stores = sorted(_generation(hix).glob("*" + hitstore.EXT), key=lambda p: -p.stat().st_size)
    assert len(stores) >= 2
    if how == "normaliser":       # written by another normaliser (OpenCC, Unicode, text.py …)
        monkeypatch.setattr(hitstore, "_TAG", "20000;other")
        broken = stores
    else:
        _break(stores[0], how, other=stores[1])
        broken = stores[:1]
    path = hix.index_dir
    with caplog.at_level(logging.INFO, logger="indexer"):
        eng = SearchEngine(path, cache_dir=path.parent / "cache2")
        try:
            assert (_results(eng), _results(eng, BOTH)) == want
            assert eng._segments.stats()["hitstores"] == len(stores) - len(broken)
            assert eng._segments.stats()["stores"] == len(stores)    # posting stores unaffected
        finally:
            eng.close()
    for p in broken:
        assert any("hit store" in r.getMessage() and p.name in r.getMessage()
                   for r in caplog.records)


def test_sync_writes_missing_and_outdated_hit_stores(hix, monkeypatch):
    """``kb index`` (sync) writes the hit stores an index lacks (one built before them) and
    rewrites those of another normaliser; a running reader uses them from its next snapshot."""
    want = _results(hix)
    docs = _docs()[:]
    docs = [d for d in docs if d.slug != "h/p-7"] + [make_doc("h/later", "后来的 網路 文章", TRAD * 3)]
    for p in _generation(hix).glob("*" + hitstore.EXT):
        p.unlink()
    reader = SearchEngine(hix.index_dir, cache_dir=hix.index_dir.parent / "cache2")
    try:
        assert _results(reader) == want and reader._segments.stats()["hitstores"] == 0
        stats = hix.sync(docs)
        assert stats.added == stats.updated == stats.deleted == 0
        assert _store_files(hix) == _toc_segments(hix)
        assert _results(reader) == want
        assert reader._segments.stats()["hitstores"] == len(_toc_segments(hix))
    finally:
        reader.close()
    before = {p.name: p.stat().st_ino for p in _generation(hix).glob("*" + hitstore.EXT)}
    monkeypatch.setattr(hitstore, "_TAG", "20000;another")
    hix.sync(docs)
    after = {p.name: p.stat().st_ino for p in _generation(hix).glob("*" + hitstore.EXT)}
    assert after.keys() == before.keys() and all(after[k] != before[k] for k in after)
    for p in _generation(hix).glob("*" + hitstore.EXT):
        segid = p.name[:-len(hitstore.EXT)]
        assert hitstore.check(p, segid, _docs_in(hix, segid)) is None


def _docs_in(eng, segid) -> int:
    from whoosh.filedb.filestore import FileStorage

    ix = FileStorage(str(_generation(eng)), supports_mmap=False).open_index()
    return next(s.doc_count_all() for s in ix._read_toc().segments if s.segment_id() == segid)


def test_every_update_and_merge_keeps_one_hit_store_per_segment(hix):
    seen: set[str] = set()
    merged_away = 0
    for i in range(14):
        before = _toc_segments(hix)
        hix.update([make_doc(f"u/{i}", f"更新 文章 {i} zqupd{i}", f"網路 正文 zqupd{i}")])
        after = _toc_segments(hix)
        assert _store_files(hix) == after
        merged_away += len(before - after)
        seen |= after
        assert slugs(hix.search(f"zqupd{i}")) == [f"u/{i}"]
    assert merged_away >= 2, "no merge happened: the test did not cover one"
    gone = seen - _toc_segments(hix)
    assert gone and not any((_generation(hix) / (g + hitstore.EXT)).exists() for g in gone)
    assert not list(_generation(hix).glob(".*"))              # no temporary file left
    hits = hix.search("更新 文章", per_page=30).hits
    assert {h.slug for h in hits} >= {f"u/{i}" for i in range(14)}


def test_a_failed_hit_store_write_never_fails_the_commit(hix, monkeypatch, caplog):
    def boom(*_a, **_k):
        raise OSError("disk full")

    from indexer import poststore

    monkeypatch.setattr(hitstore, "write_segment", boom)
    with caplog.at_level(logging.ERROR, logger="indexer"):
        hix.update([make_doc("f/1", "失败 zqfail", "正文 zqfail 網路")])
    assert slugs(hix.search("zqfail")) == ["f/1"]
    assert hix.search("zqfail").hits[0].snippet == "正文 <mark>zqfail</mark> 網路"
    assert any("hit stores not written" in r.getMessage() for r in caplog.records)
    assert _toc_segments(hix) - _store_files(hix)
    # the posting stores were written all the same
    assert {p.name[:-len(poststore.EXT)] for p in _generation(hix).glob("*" + poststore.EXT)} \
        == _toc_segments(hix)


def test_a_record_the_store_cannot_hold_is_read_from_whoosh(tmp_path):
    """A text with a lone surrogate cannot be encoded: that document is marked and read from
    Whoosh's stored fields, the others from the store."""
    eng = SearchEngine(tmp_path / "index", cache_dir=tmp_path / "cache")
    try:
        odd = dataclasses.replace(make_doc("s/odd", "奇怪 zqodd", "正文 zqodd 末尾"),
                                  body="正文 zqodd \ud800 末尾")
        eng.rebuild([odd, make_doc("s/ok", "正常 zqok", "正文 zqok")])
        hit = eng.search("zqodd").hits[0]
        assert hit.slug == "s/odd" and "zqodd" in hit.snippet
        s = eng._gen.acquire()
        try:
            (lr, _off), = s.reader().leaf_readers()
            st = eng._segments.hitstore(lr)
            kinds = {lr.stored_fields(d)["slug"]: st._kind[d] for d in range(lr.doc_count_all())}
        finally:
            eng._gen.release(s)
        assert kinds["s/odd"] & hitstore.FALLBACK and not kinds["s/ok"] & hitstore.FALLBACK
        assert eng.search("zqok").hits[0].snippet == "正文 <mark>zqok</mark>"
    finally:
        eng.close()


def test_rebuild_in_two_processes_writes_every_segments_hit_store(tmp_path):
    docs = [make_doc(f"m/{i}", f"印表機 說明 {i}", "印表機 離線 " * (1 + i % 5) + f" zqm{i}")
            for i in range(420)]
    eng = SearchEngine(tmp_path / "index", cache_dir=tmp_path / "cache", procs=2)
    try:
        eng.rebuild(docs)
        segs = _toc_segments(eng)
        assert len(segs) >= 2 and _store_files(eng) == segs
        for segid in segs:
            assert hitstore.check(hitstore.store_path(_generation(eng), segid), segid,
                                  _docs_in(eng, segid)) is None
        hit = eng.search("zqm17").hits[0]
        assert hit.slug == "m/17" and hit.snippet.endswith("<mark>zqm17</mark>")
        s = eng._gen.acquire()
        try:
            assert all(eng._segments.hitstore(lr) is not None
                       for lr, _off in s.reader().leaf_readers())
        finally:
            eng._gen.release(s)
    finally:
        eng.close()
