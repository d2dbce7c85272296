"""Speed machinery that must not change results: per-segment data kept across snapshots,
partial sorting of long match lists, Whoosh reading mmapped segments without copies."""
from __future__ import annotations

import numpy as np
import pytest

from indexer import ranking
from indexer.ranking import ranked_order
from ixhelpers import make_doc, rank_index, slugs, whoosh_postings

PUBLIC = frozenset({"public"})


def test_ranked_order_head_is_exactly_the_full_sort():
    rng = np.random.default_rng(7)
    for _ in range(300):
        n = int(rng.integers(1, 3000))
        top = int(rng.integers(1, 400))
        ids = rng.permutation(2 * n)[:n].astype(np.int32)
        scores = rng.integers(0, int(rng.integers(1, 40)), n).astype(np.float32)   # many ties
        full = np.lexsort((ids, -scores))
        order, head = ranked_order(ids, scores, top)
        h = n if head is None else head
        assert h >= min(top, n)
        assert (ids[order][:h] == ids[full][:h]).all()
        assert sorted(order.tolist()) == list(range(n))
        if head is not None:
            assert (scores[order][h:] < scores[order][h - 1]).all()


def _all_pages(eng, q, category=None, per_page=3):
    out, page = [], 1
    while True:
        r = eng.search(q, page=page, per_page=per_page, category=category)
        if not r.hits:
            return out, r.total
        out += [(h.slug, round(h.score, 5)) for h in r.hits]
        page += 1


@pytest.mark.parametrize("category", [None, "常见问题"])
def test_pages_past_a_partially_sorted_head_are_those_of_a_full_sort(fresh, monkeypatch, category):
    fresh.update([make_doc(f"bulk/vpn-{i}", f"VPN 连接 说明 {i}", "VPN 连接失败 错误 809 " * (1 + i % 5))
                  for i in range(40)])
    full, total = _all_pages(fresh, "VPN 连接失败", category)
    assert total > 10 and len(full) == total
    monkeypatch.setattr(ranking, "SORTED_TOP", 2)         # only a tiny head is sorted
    fresh._gen.clear_caches(terms=True)
    partial, total2 = _all_pages(fresh, "VPN 连接失败", category)
    assert partial == full and total2 == total
    signals = {f"bulk/vpn-{i}": 1.3 for i in range(0, 40, 3)}
    fresh._gen.clear_caches()
    with_signals = [(h.slug, h.score) for h in fresh.search("VPN 连接失败", per_page=5, signals=signals).hits]
    monkeypatch.setattr(ranking, "SORTED_TOP", 100_000)
    fresh._gen.clear_caches(terms=True)
    assert [(h.slug, h.score) for h in fresh.search("VPN 连接失败", per_page=5, signals=signals).hits] == with_signals


def test_a_commit_reuses_the_segments_it_kept_and_reads_only_the_new_one(fresh):
    fresh.search("VPN")
    gen1 = fresh._gen
    s1 = gen1.acquire()
    try:
        base = [fresh._segments.info(lr) for lr, _off in s1.reader().leaf_readers()]
        gen1.table(s1)
    finally:
        gen1.release(s1)
    fresh.update([make_doc("new/zq-word", "全新标题 zqxword", "正文 zqxword")])
    assert slugs(fresh.search("zqxword")) == ["new/zq-word"]
    gen2 = fresh._gen
    assert gen2 is not gen1
    s2 = gen2.acquire()
    try:
        infos = [fresh._segments.info(lr) for lr, _off in s2.reader().leaf_readers()]
    finally:
        gen2.release(s2)
    kept = [i for i in infos if any(i is b for b in base)]
    assert kept, "the big segment's data was read again after a commit"
    assert len(infos) == len(kept) + 1                    # only the new segment is new
    live = {i.key for i in infos}
    assert set(fresh._segments._infos) == live            # nothing kept for segments gone


def test_deletions_and_audiences_after_commits_per_segment(fresh, docs):
    internal = next(d for d in docs if d.audience == "internal")
    public = next(d for d in docs if d.audience == "public")
    word = "zqinternalword"
    fresh.update([make_doc(internal.slug, internal.title + " " + word, internal.body,
                           audience="internal", category=internal.category)])
    assert fresh.search(word).total == 0                  # anonymous: never
    assert slugs(fresh.search(word, audiences={"public", "internal"})) == [internal.slug]
    assert fresh.suggest(word + " ").total == 0
    fresh.update(delete=[public.slug])
    assert public.slug not in slugs(fresh.search(public.title, per_page=50))
    # the same slug updated twice: one live copy, its signal applies once
    fresh.update([make_doc(public.slug, public.title, public.body, category=public.category)])
    fresh.update([make_doc(public.slug, public.title, public.body, category=public.category)])
    r = fresh.search(public.title, per_page=50)
    assert slugs(r).count(public.slug) == 1
    boosted = fresh.search(public.title, per_page=50, signals={public.slug: 2.0})
    one = {h.slug: h.score for h in r.hits}[public.slug]
    assert {h.slug: h.score for h in boosted.hits}[public.slug] == pytest.approx(2 * one, rel=1e-5)


def test_column_values_are_whooshs_read_in_one_piece(fresh, docs, monkeypatch):
    # several segments, one with a deleted and an updated document, one with an empty category
    from whoosh.filedb.structfile import StructFile

    from indexer import segcache
    from indexer.engine import _open_for_reading

    fresh.update([make_doc("new/one", "新标题一", "正文", category="")])
    fresh.update([make_doc(docs[0].slug, docs[0].title, docs[0].body, category=docs[0].category),
                  make_doc("new/two", "新标题二", "正文", category="网络")], delete=[docs[1].slug])
    gets = []
    real_get = StructFile.get
    monkeypatch.setattr(StructFile, "get", lambda self, pos, n: gets.append(n) or real_get(self, pos, n))
    with _open_for_reading(fresh.store.current()).reader() as r:
        leaves = [lr for lr, _off in r.leaf_readers()]
        assert len(leaves) > 1
        seen = set()
        for lr in leaves:
            for field in ("slug", "category"):
                gets.clear()
                lr.column_reader(field)
                opening = len(gets)                         # the column's type code
                gets.clear()
                values = segcache.column_values(lr, field)
                assert len(gets) == opening + 1             # Whoosh: one read per document
                assert values == list(lr.column_reader(field))
                assert len(values) == lr.doc_count_all()
                seen.update(values)
    assert {"", "网络", "new/one", docs[0].slug} <= seen


def test_whoosh_reads_mmapped_segments_through_a_view(fresh):
    from whoosh.filedb.structfile import BufferFile

    from indexer.whooshfix import ViewFile

    f = BufferFile(memoryview(b"abc\ndef"))
    assert isinstance(f.file, ViewFile)
    assert f.read(2) == b"ab" and f.file.readline() == b"c\n" and f.read() == b"def"
    f.seek(1)
    assert f.tell() == 1 and f.get(4, 3) == b"def"
    assert fresh.search("VPN").total > 0


def test_fast_word_values_give_whooshs_postings():
    """whooshfix reads our analyzers' items directly (issue 15): every indexed field of real
    documents must give exactly the (word, frequency, weight, value) tuples of Whoosh's path."""
    from indexer import whooshfix
    from indexer.documents import to_fields
    from indexer.schema import make_schema

    schema = make_schema()
    docs = [make_doc("a/1", title="VPN 连接提示错误 809 怎么办", body="## 原因\n中华人民共和国的网络。"
                     "错误 0x80070005，ERR_CONNECTION_RESET；打印机脱机了。", tags=("网络", "VPN")),
            make_doc("a/2", title="帳號被鎖定", body="忘記密碼 Outlook 一直提示输入密码 " * 40,
                     codes=("0x800CCC0E",))]
    checked = 0
    for d in docs:
        for name, value in to_fields(d).items():
            field = schema[name]
            if not field.indexed or not isinstance(value, str) or not value:
                continue
            fmt = field.format
            fast = sorted(fmt.word_values(value, field.analyzer, mode="index"))
            orig = sorted(whooshfix.ORIGINAL_WORD_VALUES[type(fmt).__name__](
                fmt, value, field.analyzer, mode="index"))
            assert fast == orig, name
            checked += 1
    assert checked >= 10


def test_posting_blocks_read_directly_equal_whooshs_matcher(fresh):
    """segcache reads Whoosh 3 posting blocks itself (one read per block, ids decoded by numpy):
    the same ids, weights and position values as Whoosh's matcher, for long multi-block terms,
    single postings, and after deletions (kept in the postings; the snapshot masks them)."""
    from indexer import segcache

    fresh.update([make_doc(f"bulk/p-{i}", f"打印机 说明 {i}", "打印机 脱机 " * (1 + i % 7) + f"zqp{i % 3}")
                  for i in range(300)])                    # 打印机: several 128-posting blocks
    fresh.update(delete=[f"bulk/p-{i}" for i in range(0, 300, 7)])
    fresh.search("打印机")                                # opens the snapshot
    s = fresh._gen.acquire()
    try:
        checked = multi = 0
        for lr, _off in s.reader().leaf_readers():
            for field in ("title", "body", "codes", "audience"):
                if field not in lr.schema.names():
                    continue
                for btext, _ti in lr.iter_field(field):
                    text = btext.decode("utf-8")
                    fast = segcache._fast_w3(segcache._raw_leaf(lr, field, text))
                    keep = field in ("title", "body")
                    got = segcache.read_postings(lr, field, text, keep)
                    ids, weights, values = whoosh_postings(lr, field, text)
                    assert got.ids.tolist() == ids and got.ids.dtype == np.int32, (field, text)
                    assert got.weights.tolist() == np.array(weights, dtype=np.float32).tolist()
                    if keep:
                        assert [v for block in got.values for v in block] == values
                        ks = np.array([len(ids) - 1, 0, len(ids) // 2, 0])
                        assert got.raws(ks) == [values[k] for k in ks.tolist()]
                        if fast:
                            assert got.starts.tolist() == list(range(0, len(ids), 128))[:len(got.values)]
                            multi += len(got.values) > 1
                    checked += 1
        assert checked > 100 and multi >= 2               # multi-block terms were among them
    finally:
        fresh._gen.release(s)
    assert slugs(fresh.search("zqp1", per_page=200)) and "bulk/p-7" not in slugs(fresh.search("zqp1", per_page=200))


def test_group_scores_keep_each_documents_best_alternative(engine):
    """group_scores merges alternatives in a dense array: the same (ids, scores) as sorting the
    concatenated alternatives and keeping each document's best."""
    engine.search("VPN")                                  # opens the snapshot
    snap = engine._gen
    s = snap.acquire()
    try:
        allowed = snap.allowed_mask(s, PUBLIC)
        tv = ranking.Terms(snap.rank, s, allowed)
        alts = [(("vpn",), 1.0), (("连接",), 0.6), (("失败",), 0.35), (("错误",), 0.0)]
        ids, sc = ranking.group_scores(tv, alts)
        parts = [(i, v * w) for (terms, w) in alts for i, v in [ranking.alternative_scores(tv, terms)]
                 if len(i)]
        assert len(parts) > 2
        best: dict[int, float] = {}
        for i, v in parts:
            for d, x in zip(i.tolist(), v.tolist()):
                best[d] = max(best.get(d, -1.0), x)
        assert ids.tolist() == sorted(best) and ids.dtype == np.int32
        assert sc.tolist() == [best[d] for d in sorted(best)]
    finally:
        snap.release(s)


@pytest.mark.parametrize("levels", [3, 50, 0])          # many ties, some, none (0: continuous)
def test_top_k_selections_equal_numpys(levels):
    """Past ``SAMPLE_FROM`` scores the k best are looked for among a sampled superset: the same
    set as a stable sort's first k (ties at the k-th score: the first positions), the same
    k-th value as a full partition, and ranked_order's head still that of a full sort."""
    rng = np.random.default_rng(levels)
    for _ in range(40):
        n = int(rng.integers(ranking.SAMPLE_FROM + 1, 30_000))
        if levels:
            scores = rng.integers(0, levels, n).astype(np.float32)
        else:
            scores = rng.random(n).astype(np.float32)
        for k in (1, 15, 500):
            # the k best, ties at the k-th broken by position: a stable sort's first k
            want = np.argsort(-scores, kind="stable")[:k]
            assert sorted(ranking._top(scores, k).tolist()) == sorted(want.tolist())
            assert ranking._kth_largest(scores, k) == np.partition(scores, n - k)[n - k]
        ids = rng.permutation(2 * n)[:n].astype(np.int32)
        order, head = ranked_order(ids, scores, 500)
        full = np.lexsort((ids, -scores))
        assert head is not None and (ids[order][:head] == ids[full][:head]).all()
        assert sorted(order.tolist()) == list(range(n))


def _terms(engine):
    engine.search("VPN")                                  # opens the snapshot
    snap = engine._gen
    s = snap.acquire()
    return snap, s, ranking.Terms(snap.rank, s, snap.allowed_mask(s, PUBLIC))


def test_a_phrase_groups_sum_and_mean_come_from_one_pass(engine):
    """``_group_scores`` gives, beside the scores with a phrase variant's sum, the scores with
    its mean: equal to ``group_scores(..., phrase_sum=False)``."""
    snap, s, tv = _terms(engine)
    try:
        phrase = ("无法", "连接")
        assert ranking._phrase(phrase, ranking.VARIANT_WEIGHT)
        alts = [(("vpn",), 1.0), (phrase, ranking.VARIANT_WEIGHT), (("失败",), 0.35)]
        assert len(ranking.alternative_scores(tv, phrase)[0])
        ids, sc, mean = ranking._group_scores(tv, alts)
        ids1, sc1 = ranking.group_scores(tv, alts)
        ids2, mean2 = ranking.group_scores(tv, alts, phrase_sum=False)
        assert ids.tolist() == ids1.tolist() == ids2.tolist()
        assert sc.tolist() == sc1.tolist() and mean.tolist() == mean2.tolist()
        assert (sc > mean).any()
        assert ranking._group_scores(tv, [(("vpn",), 1.0), (("失败",), 0.35)])[2] is None
    finally:
        snap.release(s)


def test_document_frequencies_are_remembered_per_visibility_mask(engine):
    snap, s, tv = _terms(engine)
    try:
        d = tv.df("vpn")
        assert d > 0
        again = ranking.Terms(snap.rank, s, tv.allowed)
        assert again._df is tv._df and again.df("vpn") == d
        wider = ranking.Terms(snap.rank, s, snap.allowed_mask(s, frozenset({"public", "internal"})))
        assert wider._df is not tv._df and wider.df("vpn") >= d
        titles = ranking.Terms(snap.rank, s, tv.allowed, model="titles")
        assert titles._df is not tv._df
        snap.clear_caches(terms=True)                     # a new snapshot's term data
        assert "vpn" not in ranking.Terms(snap.rank, s, tv.allowed)._df
    finally:
        snap.release(s)


def test_near_on_lists_equals_near_on_arrays():
    rng = np.random.default_rng(3)
    for _ in range(3000):
        na, nb = int(rng.integers(1, 90)), int(rng.integers(1, 90))
        hi = int(rng.integers(2, 400))
        a = sorted(set(rng.integers(0, hi, na).tolist()))
        b = sorted(set(rng.integers(0, hi, nb).tolist()))
        want = ranking._near(np.array(a, dtype=np.int32), np.array(b, dtype=np.int32))
        assert ranking._near_lists(a, b) == want


def _lowered_characters():
    """``(character, its str.lower())`` for every Unicode code point but the surrogates."""
    for cp in range(0x110000):
        if not 0xD800 <= cp <= 0xDFFF:
            ch = chr(cp)
            yield ch, ch.lower()


def test_lowercasing_moves_no_character_and_makes_no_cjk_ideograph():
    """``snippets._locate`` looks for Chinese-only terms in the text itself instead of its
    lowercased copy: true only while ``str.lower`` lengthens no character but İ and turns no
    other character into a CJK ideograph (checked for the running Python's Unicode tables)."""
    from indexer import snippets
    from indexer.text import is_cjk

    for ch, low in _lowered_characters():
        if len(low) != 1:
            assert ch == snippets._LONGER_LOWER
        elif is_cjk(low) or is_cjk(ch):
            assert low == ch


def test_chinese_terms_are_located_as_in_the_lowercased_text():
    """``_locate`` with Chinese-only terms (looked for in the text itself) gives what looking in
    the lowercased text gave: with Latin capitals, full-width letters, İ (lowercases to two
    characters), Traditional text (no term as typed: the normalised text)."""
    from indexer import snippets

    def lowercased_locate(text, terms):       # _locate before: always the lowercased copy
        low = text.lower()
        if len(low) == len(text):
            found = snippets._find_spans(low, terms)
            if found:
                return found, None
        norm, offsets = snippets._normalised(text[:snippets.MAX_NORMALISED])
        return snippets._find_spans(norm, terms), offsets

    base = "VPN 连接失败怎么办？先检查网络。ＶＰＮ 客户端显示「连接失败」时，重新登录 Outlook。" * 30
    texts = [base, base + "İstanbul 办公室的网络连接失败", "網路連線失敗時請檢查 VPN 設定。" * 20, ""]
    for text in texts:
        for terms in (["连接", "失败", "网络"], ["失败"], ["网络连接失败", "办公室"], ["没有"],
                      ["网路", "连线"], ["vpn", "连接"], []):
            got, want = snippets._locate(text, terms), lowercased_locate(text, terms)
            assert got[0] == want[0]
            assert (None if got[1] is None else list(got[1])) == (None if want[1] is None else list(want[1]))


def test_possible_terms_are_those_made_of_the_texts_characters():
    """``snippets._possible`` (``str.strip`` of the text's characters) keeps exactly the terms
    whose every character is among them, in order — as the character-by-character check did —
    with repeated characters, an empty term, characters ``strip`` treats specially elsewhere
    (spaces, dots) and surrogate-free astral characters."""
    from indexer import snippets

    chars = "".join(dict.fromkeys("VPN 连接失败，请检查网络。. ＶＰＮvpn 𠀀"))
    terms = ["连接", "连连接接", "失败", "网路", "vpn", "VPN", "v.p", "", " ", "𠀀", "𠀀x", "。",
             "网络连接失败", "办公室", "ｖｐｎ"]
    want = [t for t in terms if all(c in chars for c in t)]
    assert snippets._possible(terms, chars) == want
    assert snippets._possible(terms, "") == [""]
    assert "网路" not in want and "连连接接" in want       # (the check means something here)


def test_position_decoder_is_the_formats_own_for_other_formats():
    """Proximity decodes Whoosh's ``Positions`` values itself (``_decode_positions``, equal to
    ``decode_positions``: ``test_poststore``); a format that decodes positions its own way
    (``Characters``) keeps its own method."""
    from whoosh import formats

    from indexer import ranking

    assert ranking._position_decoder(formats.Positions()) is ranking._decode_positions
    chars = formats.Characters()
    dec = ranking._position_decoder(chars)
    value = chars.encode([(1, 0, 3), (4, 5, 9)])
    assert dec(value) == chars.decode_as("positions", value) == [1, 4]
    plain = formats.Positions().encode([0, 3, 7, 300, 70000])
    assert ranking._decode_positions(plain) == [0, 3, 7, 300, 70000]
    assert ranking._decode_positions(plain[:-1]) == [0, 3, 7, 300, 70000]   # no STOP: added
    for few in ([], [0], [5], [70000]):               # (no gap to sum: the list as loaded)
        value = formats.Positions().encode(few)
        assert ranking._decode_positions(value) == formats.Positions().decode_positions(value) == few
        assert type(ranking._decode_positions(value)) is list


def _ranked_plans(eng, queries):
    """(Terms, plan) of each query as the search runs it (public searcher)."""
    from indexer import searching

    got = []

    def spy(tv, p):
        got.append((tv, p))
        return ranking.rank(tv, p)

    orig = searching.rank
    searching.rank = spy
    try:
        for q in queries:
            eng._gen.clear_caches() if eng._gen is not None else None
            eng.search(q)
    finally:
        searching.rank = orig
    return got


DENSE_QUERIES = ["VPN 连接失败", "网络连接失败", "outlook 无法发送邮件", "打印机 无法打印",
                 "密码 重置", "电脑开机很慢怎么办", "删不掉文件", "网页打不开", "网页 打不开 问题"]


def test_merged_groups_added_as_whole_arrays_rank_as_the_scattered_ones(fresh, monkeypatch):
    """A group whose alternatives were merged is added to the totals over every document
    number (``DENSE_SHARE``): the same ranked ids and scores as scattering its documents."""
    fresh.update([make_doc(f"bulk/net-{i}", f"网络 {i}", "网络连接失败 无法 连接 错误 问题 " * (1 + i % 4))
                  for i in range(30)]
                 # the phrase variant 无法 打开 of 打不开: its words together, or apart
                 + [make_doc(f"bulk/web-{i}", f"网页 {i}", ("网页 无法打开 " if i % 2 else
                                                           "网页 无法 登录 然后 再 打开 ") * (1 + i % 3))
                    for i in range(12)])
    plans = _ranked_plans(fresh, DENSE_QUERIES)
    assert len(plans) == len(DENSE_QUERIES)
    dense_calls = []
    orig = ranking._dense_max

    def spy(tv, parts):
        dense_calls.append(len(parts))
        return orig(tv, parts)

    monkeypatch.setattr(ranking, "_dense_max", spy)
    for tv, p in plans:
        monkeypatch.setattr(ranking, "DENSE_SHARE", 0)           # never: scattered
        a = ranking.rank(tv, p)
        before = len(dense_calls)
        monkeypatch.setattr(ranking, "DENSE_SHARE", 10 ** 9)     # always
        b = ranking.rank(tv, p)
        assert a.ids.tolist() == b.ids.tolist() and a.scores.tolist() == b.scores.tolist()
        assert a.full == b.full and a.head == b.head
        assert len(dense_calls) >= before
    assert dense_calls          # some groups did merge alternatives


def test_field_docs_hold_every_document_with_the_word_in_that_field(engine):
    """``RankIndex.field_docs`` (from the cached term data) is a superset of the documents
    with positions of the word in the field, so ``positions`` (which looks only there) finds
    what reading every document's postings finds (``_positions_read``)."""
    snap, s, tv = _terms(engine)
    try:
        rx = snap.rank
        rx.clear()                                        # (a cache: the engine is shared)
        everything = np.arange(rx.ndocs_all, dtype=np.int64)
        checked = 0
        for w in ("vpn", "连接", "失败", "密码", "重置", "outlook", "邮件", "打印机", "错误"):
            assert rx.field_docs("title", w) is None          # nothing cached yet
            tv.scores(w)
            for field in ("title", "body"):
                known = rx.field_docs(field, w)
                assert known is not None
                got = rx._positions_read(s, field, w, everything)
                assert set(got) <= set(known.tolist())
                assert rx.positions(s, field, w, everything) == got
                assert ranking._positions(rx, s, field, w, everything) == got
                checked += len(got)
        assert checked > 20
        assert rx.field_docs("body", "zzz-none") is None
    finally:
        snap.release(s)


@pytest.mark.parametrize("stores", [True, False])
def test_positions_read_equals_whooshs_matcher(fresh, stores):
    """``RankIndex._positions_read`` (a binary search per leaf, the rest in Python over the
    documents asked, their values read in one ``raws`` call) gives each asked document holding
    the word its positions as Whoosh's matcher decodes them, in the order asked — documents as
    int64 or int32, in one leaf or several, none, deleted ones, numbers past the last leaf;
    read from the posting store and from the segment cache's blocks (``SegPostings``)."""
    from indexer.engine import SearchEngine

    fresh.update([make_doc(f"bulk/p-{i}", f"打印机 说明 {i}", "打印机 脱机 " * (1 + i % 7) + f"zqp{i % 3}")
                  for i in range(300)])                    # 打印机: several 128-posting blocks
    fresh.update(delete=[f"bulk/p-{i}" for i in range(0, 300, 7)])
    path = fresh.index_dir
    eng = SearchEngine(path, cache_dir=path.parent / "cache2")
    eng._segments.use_stores = stores
    try:
        eng.search("打印机")
        with rank_index(eng) as (s, rx):
            assert len(rx.leaves) > 1
            rng = np.random.default_rng(28)
            checked = 0
            for field, w in (("body", "打印机"), ("title", "打印机"), ("body", "脱机"),
                             ("body", "zqp1"), ("title", "说明"), ("body", "zqnotawordatall")):
                want = {}
                for lr, off in rx.leaves:
                    if (field, w) in lr:
                        fmt = lr.schema[field].format
                        ids, _weights, values = whoosh_postings(lr, field, w)
                        for d, v in zip(ids, values):
                            want[d + off] = fmt.decode_as("positions", v)
                holders = np.array(sorted(want), dtype=np.int64)
                n = rx.ndocs_all
                asks = [np.arange(n), np.zeros(0, dtype=np.int64), np.arange(rx.leaves[1][1]),
                        np.arange(rx.leaves[-1][1], n + 3), holders[:1], holders[-1:]]
                for _ in range(8):
                    some = rng.choice(holders, size=min(len(holders), 12), replace=False) if len(holders) else []
                    asks.append(np.unique(np.concatenate([some, rng.integers(0, n, 6)])).astype(np.int64))
                for docs in asks:
                    expect = {d: want[d] for d in docs.tolist() if d in want}
                    for dt in (np.int64, np.int32):
                        for p in rx.segcache._postings.values():
                            p.decoded.clear()
                        for _again in range(2):             # read, then from the decoded memo
                            got = rx._positions_read(s, field, w, docs.astype(dt))
                            assert got == expect and list(got) == list(expect), (field, w, dt)
                            assert all(type(d) is int for d in got)
                    checked += len(expect)
            assert checked > 1000
    finally:
        eng.close()


def test_remembered_positions_equal_the_postings_and_are_bounded(engine, monkeypatch):
    """``RankIndex.positions`` answers from its memo what reading the postings answers (the
    documents holding the word, in the order asked, with their positions) — also for a
    document set it has partly seen; remembers at most ``POSITIONS_MEMO_PER_TERM`` documents a
    term and ``POSITIONS_MEMO_DOCS`` in all (the terms used least recently go first); ``clear``
    forgets them."""
    snap, s, tv = _terms(engine)
    try:
        rx = snap.rank
        rx.clear()
        monkeypatch.setattr(ranking, "POSITIONS_MEMO_PER_TERM", 30)     # fills up below
        rng = np.random.default_rng(15)
        words = ("vpn", "连接", "失败", "密码", "重置", "outlook", "邮件", "打印机", "错误")
        checked = 0
        for w in words:
            tv.scores(w)
            holders = rx.field_docs("body", w)
            for _ in range(6):
                docs = np.sort(rng.choice(holders, size=min(len(holders), 12), replace=False))
                docs = np.unique(np.concatenate([docs, rng.integers(0, rx.ndocs_all, 3)]))
                want = rx._positions_read(s, "body", w, docs)
                for _again in range(2):                 # read, then remembered
                    got = rx.positions(s, "body", w, docs)
                    assert got == want and list(got) == list(want)
                    assert list(got) == [d for d in docs.tolist() if d in want]
                checked += len(want)
                memo = rx._positions[("body", w)]
                assert len(memo) <= 30
                assert set(docs.tolist()) <= set(memo)       # the ones without it too
        assert checked > 50
        assert rx._positions_docs == sum(len(m) for m in rx._positions.values())
        rx.clear()
        monkeypatch.setattr(ranking, "POSITIONS_MEMO_DOCS", 12)
        few = np.arange(5, dtype=np.int64)
        for w in words:
            rx.positions(s, "title", w, few)
        assert list(rx._positions) == [("title", w) for w in words[-2:]]
        assert rx._positions_docs == 10
        rx.clear()
        assert not rx._positions and rx._positions_docs == 0
    finally:
        snap.release(s)


def test_ranked_arrays_head_is_ranked_orders_and_the_rest_the_same_matches():
    """``_ranked_arrays``: the head exactly as ``ranked_order`` puts it (best first, then by
    document number), every other match once after it with its own score (in no particular
    order: no page shows them unsorted), document numbers as int32."""
    rng = np.random.default_rng(3)
    tails_reordered = 0
    for _ in range(200):
        n = int(rng.integers(1, 6000))
        ids = np.sort(rng.permutation(3 * n)[:n]).astype(np.intp)
        scores = rng.integers(0, int(rng.integers(1, 50)), n).astype(np.float32)
        top = int(rng.integers(1, 600))
        order, head = ranked_order(ids, scores, top)
        got_ids, got_scores, got_head = ranking._ranked_arrays(ids, scores, top)
        assert got_head == head and got_ids.dtype == np.int32
        h = len(ids) if head is None else head
        want_ids, want_scores = ids[order], scores[order]
        assert got_ids[:h].tolist() == want_ids[:h].tolist()
        assert got_scores[:h].tolist() == want_scores[:h].tolist()
        rest = sorted(zip(got_ids[h:].tolist(), got_scores[h:].tolist()))
        assert rest == sorted(zip(want_ids[h:].tolist(), want_scores[h:].tolist()))
        tails_reordered += rest != list(zip(got_ids[h:].tolist(), got_scores[h:].tolist()))
    assert tails_reordered        # (the cases do move matches of the rest)


def _results(eng, q, auds=PUBLIC):
    r = eng.search(q, audiences=auds, per_page=20)
    return r.total, [(h.slug, h.score) for h in r.hits]


def test_merged_group_scores_are_remembered_per_mask_bounded_and_forgotten(fresh, monkeypatch):
    """A group merged over every document number is remembered per snapshot and visibility
    mask (``RankIndex.group_memo``): a later query with the same group ranks as without it,
    the memory stays within ``group_bytes``, and clear_caches / a commit forget it."""
    fresh.update([make_doc(f"bulk/net-{i}", f"网络 {i}", "网络连接失败 无法 连接 错误 问题 " * (1 + i % 4),
                           audience="internal" if i % 3 == 0 else "public")
                  for i in range(40)])
    both = frozenset({"public", "internal"})
    queries = ["网络连接失败", "VPN 连接失败", "打印机 连接失败", "网络 连接 失败"]
    _results(fresh, "网络")                                    # opens the snapshot
    snap = fresh._gen
    rx = snap.rank
    rx.group_bytes = 0                                         # reference: nothing remembered
    want = {}
    for a in (PUBLIC, both):
        for q in queries:
            snap.clear_caches()
            want[(q, a)] = _results(fresh, q, a)
    assert not rx._groups
    rx.group_bytes = ranking.GROUP_CACHE_BYTES
    snap.clear_caches()
    merged = []
    orig = ranking._group_scores

    def spy(tv, alts, *a, **k):
        out = orig(tv, alts, *a, **k)
        if out[0] is None:
            merged.append((id(tv.allowed), tuple(alts)))
        return out

    monkeypatch.setattr(ranking, "_group_scores", spy)
    for a in (PUBLIC, both):
        for q in queries:
            snap.result_cache.clear()                          # distinct work, groups kept
            assert _results(fresh, q, a) == want[(q, a)]
    assert fresh._gen is snap
    assert merged and len(set(merged)) == len(merged)         # each merged once per mask
    assert len({m for m, _alts in merged}) == 2               # under both visibility masks
    assert len(rx._groups) == len(merged)
    assert 0 < rx._groups_size <= rx.group_bytes
    for _allowed, entry in rx._groups.values():
        assert not entry[0].flags.writeable
    one = max(ranking._entry_bytes(e) for _a, e in rx._groups.values())
    rx.group_bytes = one + 1                                   # room for one entry
    rx.clear_groups()
    for a in (PUBLIC, both):
        for q in queries:
            snap.result_cache.clear()
            assert _results(fresh, q, a) == want[(q, a)]
            assert rx._groups_size <= rx.group_bytes and len(rx._groups) <= 1
    snap.clear_caches()
    assert not rx._groups and rx._groups_size == 0
    _results(fresh, "网络连接失败")
    assert rx._groups
    fresh.update([make_doc("bulk/x", "x", "x y z")])           # a commit: a new snapshot
    _results(fresh, "网络连接失败")
    assert fresh._gen is not snap and fresh._gen.rank is not rx and fresh._gen.rank._groups


def test_grouped_positions_give_whooshs_postings_on_real_articles():
    """The indexing path of ``title``/``body`` (``_positions``: each term's positions and
    weight built without a token tuple, issue 15) gives exactly Whoosh's (word, frequency,
    weight, value) tuples — tags weighing 0.6, headings 2, codes with variants and parts,
    anchors and links — and remembers the same strong codes for ``codes``, on every
    article of our library."""
    from pathlib import Path

    from indexer import analysis, whooshfix
    from indexer.documents import to_fields
    from indexer.loader import load_tree
    from indexer.schema import make_schema

    schema = make_schema()
    docs = [make_doc(a.slug, a.title, a.body, tags=a.tags, codes=a.error_codes)
            for a in load_tree(Path(__file__).resolve().parents[2] / "articles").articles]
    docs.append(make_doc("a/codes", "错误 0x80070005 与 ERR_CONNECTION_RESET", "## 原因\n" + (
        "提示 0x80070005、ERR_CONNECTION_RESET 或 554 5.2.2，请见 [说明](kb/mail-quota)。" * 30),
        tags=("邮箱", "网络 连接"), codes=("0x80070005",)))
    assert len(docs) > 50
    checked = 0
    for d in docs:
        for name in ("title", "body"):
            value = to_fields(d)[name]
            field = schema[name]
            assert hasattr(field.analyzer, "_positions")
            fmt = field.format
            analysis._STRONG_MEMO.clear()
            fast = sorted(fmt.word_values(value, field.analyzer, mode="index"))
            memo_fast = dict(analysis._STRONG_MEMO)
            analysis._STRONG_MEMO.clear()
            orig = sorted(whooshfix.ORIGINAL_WORD_VALUES[type(fmt).__name__](
                fmt, value, field.analyzer, mode="index"))
            assert fast == orig, (d.slug, name)
            assert memo_fast == dict(analysis._STRONG_MEMO), d.slug
            checked += 1
    assert checked == 2 * len(docs)


def test_sorting_runs_are_pickled_in_chunks_and_merged_in_order(tmp_path):
    """Whoosh's writer pool spills postings to runs (whooshfix, issue 15): a run holds pickled
    lists of ``RUN_CHUNK`` items, not one pickle per posting, the items still in memory are
    merged without being written, and the merged order is the full sort's."""
    import os
    import pickle
    import random

    from whoosh.externalsort import SortingPool

    from indexer import whooshfix

    rnd = random.Random(5)
    items = [("body", f"w{rnd.randrange(5000)}".encode(), rnd.randrange(10 ** 6), rnd.random(),
              None if rnd.random() < 0.3 else bytes(rnd.randrange(9))) for _ in range(20000)]
    pool = SortingPool(maxsize=6000, tempdir=str(tmp_path))
    for it in items:
        pool.add(it)
    assert len(pool.runs) == 3
    with open(pool.runs[0], "rb") as f:
        pieces = 0
        while True:
            try:
                pickle.load(f)
            except EOFError:
                break
            pieces += 1
    assert pieces == -(-6000 // whooshfix.RUN_CHUNK)
    assert list(pool.items()) == sorted(items)
    assert not os.listdir(tmp_path)


@pytest.mark.parametrize("limitmb", [1, 256])          # the pool spills / stays in memory
def test_lean_posting_writers_write_the_same_segment_bytes(tmp_path, monkeypatch, limitmb):
    """whooshfix's writer path (pool add and sort, postings writer, ``add_postings`` of the W3
    codec, chunked runs, the positions' encoding; issue 15) is in place and writes byte for byte
    the segment files Whoosh's own methods write — postings, term table, lengths, stored
    fields — with the pool spilling and without (the bulk writer's processes do not spill)."""
    import random

    from whoosh import formats
    from whoosh import index as windex
    from whoosh.filedb.compound import CompoundStorage
    from whoosh.filedb.filestore import FileStorage

    from indexer import whooshfix
    from indexer.documents import to_fields
    from indexer.engine import _clean
    from indexer.schema import make_schema

    docs = [make_doc(f"w/{i}", f"打印机 脱机 第 {i} 篇", "## 原因\n" + "打印机 脱机，错误 0x80070005。"
                     * (1 + i % 9) + f" zqp{i % 13} 网络 VPN 连接失败 {i}", tags=("打印", f"t{i % 5}"))
            for i in range(400)]

    def build(folder):
        folder.mkdir()
        random.seed(3)                       # the same segment name both times
        ix = windex.create_in(str(folder), make_schema())
        w = ix.writer(limitmb=limitmb)
        for d in docs:
            w.add_document(**_clean(to_fields(d)))
        assert bool(w.pool.runs) == (limitmb == 1)
        w.commit()
        st = FileStorage(str(folder))
        (seg,) = [n for n in st.list() if n.endswith(".seg")]
        cs = CompoundStorage(st.open_file(seg), use_mmap=False)
        return {n: cs.open_file(n).read() for n in cs.list()}

    assert {name for _cls, name in whooshfix.ORIGINAL_WRITERS} == {
        "add", "add_posting", "add_postings", "_write_run", "_read_run", "items"}
    ours = build(tmp_path / "ours")
    for (cls, name), fn in whooshfix.ORIGINAL_WRITERS.items():
        assert getattr(cls, name) is not fn
        monkeypatch.setattr(cls, name, fn)
    for name, fn in whooshfix.ORIGINAL_WORD_VALUES.items():
        monkeypatch.setattr(getattr(formats, name), "word_values", fn)
    theirs = build(tmp_path / "whoosh")
    assert sorted(ours) == sorted(theirs) and len(ours) >= 8
    for name in ours:
        assert ours[name] == theirs[name], name


def test_postings_sorted_by_field_and_term_keep_the_full_sort_order():
    """``whooshfix._sorted_postings`` (issue 15) gives ``sorted(items)``: postings added in
    document order (grouped by field, stable on the term), and any other order (a reader's
    postings, spelling words at document 0) by the full sort."""
    import random

    from indexer import whooshfix

    rnd = random.Random(11)
    items = []
    for doc in range(300):
        for field in ("title", "body", "prefix"):        # not in sorted order, as in a document
            for t in rnd.sample(range(60), rnd.randrange(1, 30)):
                items.append((field, f"w{t}".encode(), doc, float(rnd.randrange(1, 4)),
                              bytes(rnd.randrange(4))))
    assert whooshfix._sorted_postings(list(items)) == sorted(items)
    shuffled = list(items)
    rnd.shuffle(shuffled)
    assert whooshfix._sorted_postings(list(shuffled)) == sorted(items)
    # the same word twice at document 0 (Whoosh's spelling words) is ordered by value
    spelling = items + [("spell", b"w1", 0, 1, b"\x02"), ("spell", b"w1", 0, 1, b"\x01")]
    assert whooshfix._sorted_postings(list(spelling)) == sorted(spelling)


def test_single_positions_are_encoded_as_whoosh_does_and_never_shared():
    """A term at one position gets ``Positions.encode([p])`` from a table of pickles, as a bytes
    object of its own: the W3 codec pickles a block's values together, and a shared object
    would be written as a back-reference (different segment bytes)."""
    from whoosh import formats

    from indexer import whooshfix
    from indexer.analysis import BodyAnalyzer
    from indexer.documents import to_fields

    fmt = formats.Positions()
    value = to_fields(make_doc("s/1", "标题", "打印机 脱机。" + " zqp" * 3))["body"]
    first = {w: v for w, _n, _wt, v in fmt.word_values(value, BodyAnalyzer(), mode="index")}
    again = {w: v for w, _n, _wt, v in fmt.word_values(value, BodyAnalyzer(), mode="index")}
    singles = 0
    for w, v in first.items():
        assert v == fmt.encode(fmt.decode_positions(v))
        if len(fmt.decode_positions(v)) == 1:
            singles += 1
            assert v is not again[w]
            assert v[4:] == whooshfix._SINGLE_POSITION[fmt.decode_positions(v)[0]]
    assert singles >= 2 and len(fmt.decode_positions(first["zqp"])) == 3


def _dense_sum(fids, ftfs, ndocs):
    """What ``RankIndex._compute`` did until stop 24: each part added in order into a float64
    array over every document number, then the documents seen, cast to float32."""
    acc = np.zeros(ndocs, dtype=np.float64)
    seen = np.zeros(ndocs, dtype=bool)
    for a, t in zip(fids, ftfs):
        acc[a] += t
        seen[a] = True
    ids = np.flatnonzero(seen)
    return ids, acc[ids].astype(np.float32)


def _fields_case(rng, ndocs, sizes):
    fids, ftfs = [], []
    for n in sizes:
        ids = np.sort(rng.choice(ndocs, size=n, replace=False)).astype(np.int32)
        fids.append(ids)
        ftfs.append((rng.random(n) * 10).astype(np.float32))
    return fids, ftfs


@pytest.mark.parametrize("share", [0, 10 ** 9])         # always merged / never merged
def test_summed_fields_equal_the_dense_float64_sum_bit_for_bit(monkeypatch, share):
    """``sum_fields`` (merged sorted numbers for a few postings, dense arrays for many) gives
    the very float32 values of adding each part in order in float64 — on parts whose sum
    depends on the order (2**30 + 2**-23 - 2**30 is 0 in that order, 2**-23 in another), on
    ties a float32 sum would round differently (1 + 2**-24 + 2**-24), and on random parts
    with documents first, last, alone and in every field."""
    monkeypatch.setattr(ranking, "MERGE_SHARE", share)
    f32 = np.float32
    fids = [np.array([0, 3, 5, 9], dtype=np.int32), np.array([3, 5, 7], dtype=np.int32),
            np.array([1, 3, 5, 9], dtype=np.int32)]
    ftfs = [np.array([1.0, 2.0 ** 30, 1.0, 4.0], dtype=f32),
            np.array([2.0 ** -23, 2.0 ** -24, 0.5], dtype=f32),
            np.array([7.0, -(2.0 ** 30), 2.0 ** -24, 0.25], dtype=f32)]
    cases = [(fids, ftfs, 10)]
    rng = np.random.default_rng(24)
    for sizes in ([5, 40, 3], [1, 1], [0, 7, 7], [30, 0], [60, 2, 60], [64, 64, 64], [10]):
        cases.append((*_fields_case(rng, 64, sizes), 64))
    for fids, ftfs, ndocs in cases:
        fids = [a for a in fids if len(a)] or fids[:1]
        ftfs = [t for t in ftfs if len(t)] or ftfs[:1]
        got_ids, got = ranking.sum_fields(fids, ftfs, ndocs)
        assert (got_ids.dtype == np.int32) == (share == 0 or len(fids) == 1)   # merged: int32
        want_ids, want = _dense_sum(fids, ftfs, ndocs)
        assert got_ids.tolist() == want_ids.tolist()
        assert got.dtype == np.float32 and got.tobytes() == want.tobytes()
    ids, sums = ranking.sum_fields(cases[0][0], cases[0][1], 10)
    assert dict(zip(ids.tolist(), sums.tolist()))[3] == 0.0      # 2**30 + 2**-23 - 2**30
    assert dict(zip(ids.tolist(), sums.tolist()))[5] == 1.0 + 2.0 ** -23


@pytest.mark.parametrize("share", [0, 10 ** 9])         # onto the longest / dense
def test_summed_fields_onto_the_longest_field_on_edge_cases(monkeypatch, share):
    """``sum_fields`` by the longest field (``_sum_onto``) against each part added in order
    into a float64 array: the longest field first, in the middle or last (its part must be
    added in its place: title 2**60, body 1.0, codes -2**60 sum to 0.0, to 1.0 when the body
    comes last), documents of the other fields it lacks (before its first, after its last,
    in several other fields at once), every one or none of them in it, fields of equal
    length, a -0.0 part (0.0 + -0.0 is 0.0), and random overlaps."""
    monkeypatch.setattr(ranking, "MERGE_SHARE", share)
    f32, i32 = np.float32, np.int32
    cases = [
        # body longest, in the middle; 0 and 20 outside it, 7 in title and codes but not body
        ([[0, 3, 7, 9], [3, 5, 9, 12, 15], [7, 9, 20]],
         [[1.0, 0.5, 0.5, 2.0 ** 60], [1.0, 0.25, 1.0, 8.0, 1.5], [0.75, -(2.0 ** 60), 2.0]]),
        # in the middle, a -0.0 alone in it (document 1)
        ([[5, 9], [1, 5, 9], [9]], [[0.5, 2.0 ** 60], [-0.0, 1.0, 0.25], [-(2.0 ** 60)]]),
        # first (title), -0.0 parts in two fields (document 11)
        ([[1, 5, 9, 11], [5], [9, 11]], [[1.0, 2.0 ** 60, 2.0 ** 60, -0.0], [1.0], [-(2.0 ** 60), -0.0]]),
        # last (codes), -0.0 alone in it (document 5)
        ([[9], [11], [1, 5, 9, 11]], [[2.0 ** 60], [-(2.0 ** 60)], [0.5, -0.0, 1.0, 1.0]]),
        ([[1, 2], [3, 4]], [[1.0, 2.0], [3.0, 4.0]]),                 # equal lengths, nothing shared
        ([[2, 4], [1, 2, 3, 4]], [[0.5, 0.5], [1.0, 2.0, 3.0, 4.0]]),  # every one in the longest
        ([[0], [10, 11, 12], [30]], [[1.0], [1.0, 2.0, 3.0], [4.0]]),  # none: before and after
    ]
    cases = [([np.array(a, dtype=i32) for a in fids], [np.array(t, dtype=f32) for t in ftfs])
             for fids, ftfs in cases]
    rng = np.random.default_rng(28)
    for _ in range(60):
        sizes = rng.integers(1, 40, size=int(rng.integers(2, 4)))
        cases.append(_fields_case(rng, 48, sizes))
    for fids, ftfs in cases:
        got_ids, got = ranking.sum_fields(fids, ftfs, 64)
        want_ids, want = _dense_sum(fids, ftfs, 64)
        assert got_ids.tolist() == want_ids.tolist()
        assert got.dtype == np.float32 and got.tobytes() == want.tobytes()
    ids, sums = ranking.sum_fields(cases[0][0], cases[0][1], 64)
    assert dict(zip(ids.tolist(), sums.tolist()))[9] == 0.0      # (2**60 + 1.0) - 2**60
    ids, sums = ranking.sum_fields(cases[1][0], cases[1][1], 64)
    assert dict(zip(ids.tolist(), sums.tolist()))[9] == 0.0 and sums.tobytes()[:4] == f32(0.0).tobytes()


def test_union_of_sorted_numbers():
    a = np.array([2, 4, 6], dtype=np.int32)
    for others in ([np.array([0, 4, 7, 8], dtype=np.int32)], [np.array([3], dtype=np.int32)],
                   [np.array([2, 6], dtype=np.int32)], [np.zeros(0, dtype=np.int32)],
                   [np.array([1, 5], dtype=np.int32), np.array([0, 9, 10], dtype=np.int32)]):
        arrays = [a, *others]
        got = ranking._union_sorted(arrays)
        assert got.tolist() == sorted(set().union(*(x.tolist() for x in arrays)))
        assert got.dtype == np.int32
    assert ranking._union_sorted([a, np.array([2, 6], dtype=np.int32)]) is a   # nothing new


def _old_compute(rx, text, fields):
    """``RankIndex._compute`` as it was until stop 24 (per part: the lengths gathered and
    normalised per posting; every document number's float64 sum)."""
    ids_parts, tf_parts, title_parts = [], [], []
    for f, (weight, b) in fields.items():
        for lr, off in rx.leaves:
            p = rx.segcache.postings(lr, f, text, f in ranking.POSITION_FIELDS)
            if not len(p.ids):
                continue
            ids = p.ids + np.int32(off) if off else p.ids
            ids_parts.append(ids)
            if b:
                tf_parts.append(weight * p.weights / ((1.0 - b) + b * (rx.lengths[f][ids] / rx.avg[f])))
            else:
                tf_parts.append(weight * p.weights)
            if f == "title":
                title_parts.append(ids)
    if not ids_parts:
        return [], b"", []
    if len(ids_parts) == 1:
        ids, tf = ids_parts[0], tf_parts[0]
    else:
        ids, tf = _dense_sum(ids_parts, tf_parts, rx.ndocs_all)
    sat = (tf * (ranking.K1 + 1.0) / (tf + ranking.K1)).astype(np.float32)
    title = np.sort(np.concatenate(title_parts)) if title_parts else np.zeros(0, dtype=np.int32)
    return ids.tolist(), sat.tobytes(), title.tolist()


@pytest.mark.parametrize("share", [0, 16, 10 ** 9])
def test_term_scores_equal_the_per_posting_computation_on_every_term(fresh, monkeypatch, share):
    """Every term of title, body and codes in an index of several segments, in every model:
    the same document numbers, the same saturated float32 scores (bytes) and the same title
    documents as the per-posting normalisation and dense sum before stop 24 gave — merged or
    dense (``MERGE_SHARE``)."""
    monkeypatch.setattr(ranking, "MERGE_SHARE", share)
    fresh.update([make_doc(f"bulk/seg-{i}", f"打印机 脱机 {i}", "打印机 网络 连接 " * (1 + i % 5),
                           codes=("0x80070005",) if i % 4 == 0 else ()) for i in range(40)])
    fresh.update([make_doc(f"bulk/two-{i}", f"VPN 连接 {i}", "vpn 错误 809 打印机 " * (1 + i % 3))
                  for i in range(10)])
    fresh.search("打印机")
    with rank_index(fresh) as (_s, rx):
        assert len(rx.leaves) >= 2
        texts = set()
        for lr, _off in rx.leaves:
            for f in ("title", "body", "codes"):
                texts.update(b.decode("utf-8") for b, _ti in lr.iter_field(f))
        assert len(texts) > 200
        for model in ("search", "titles", "code"):
            fields = ranking.MODELS[model]
            for text in sorted(texts):
                ids, sat, title = rx._compute(text, fields)
                assert (ids.tolist(), sat.tobytes(), title.tolist()) == _old_compute(rx, text, fields), \
                    (model, text)


@pytest.mark.parametrize("map_from", [0, 10 ** 9])       # always mapped / always searched
def test_intersection_of_sorted_numbers_is_intersect1d(monkeypatch, map_from):
    """``_intersect_sorted`` (binary searches, or a map of positions over the document numbers
    for long lists of similar length) gives ``np.intersect1d``'s common numbers and both
    index arrays, for lists of any lengths, disjoint, equal, one empty, first and last."""
    monkeypatch.setattr(ranking, "INTERSECT_MAP_FROM", map_from)
    monkeypatch.setattr(ranking, "INTERSECT_MAP_RATIO", 10 ** 9 if map_from == 0 else 3)
    rng = np.random.default_rng(25)
    cases = [([0, 5, 9], [0, 9]), ([1, 2], [3, 4]), ([4], []), ([2, 3, 7], [2, 3, 7])]
    for na, nb, span in ((50, 40, 100), (3000, 2500, 9000), (10, 4000, 5000), (700, 7, 800)):
        cases.append((np.sort(rng.choice(span, na, replace=False)),
                      np.sort(rng.choice(span, nb, replace=False))))
    for a, b in cases:
        a, b = np.asarray(a, dtype=np.int32), np.asarray(b, dtype=np.int32)
        for x, y in ((a, b), (b, a)):
            got = ranking._intersect_sorted(x, y)
            want = np.intersect1d(x, y, assume_unique=True, return_indices=True)
            assert [g.tolist() for g in got] == [w.tolist() for w in want]


def test_title_docs_mask_is_the_union_of_the_titles():
    """``title_docs(..., mask=True)``: for many titles the union as a mask over every document
    number (``rank`` adds it to the title cover as it is), else the same sorted numbers;
    alternatives below TITLE_ALT_WEIGHT do not count, one of several words needs them all."""
    rng = np.random.default_rng(7)
    ndocs = 2000
    titles = {w: np.sort(rng.choice(ndocs, size, replace=False)).astype(np.int32)
              for w, size in (("a", 300), ("b", 200), ("c", 250), ("d", 5), ("e", 400))}

    class _Terms:               # the two things title_docs asks of a Terms
        rx = type("RX", (), {"ndocs_all": ndocs})()

        def title(self, text):
            return titles[text]

    tv = _Terms()
    many = [(("a",), 1.0), (("b", "c"), 0.8), (("e",), 0.5)]
    want = sorted(set(titles["a"].tolist()) | (set(titles["b"].tolist()) & set(titles["c"].tolist())))
    got = ranking.title_docs(tv, many, mask=True)
    assert got.dtype == bool and len(got) == ndocs and np.flatnonzero(got).tolist() == want
    assert ranking.title_docs(tv, many).tolist() == want
    few = [(("d",), 1.0), (("b", "c"), 0.8)]
    got = ranking.title_docs(tv, few, mask=True)         # a few titles: sorted numbers
    assert got.dtype == np.int32 and got.tolist() == sorted(
        set(titles["d"].tolist()) | (set(titles["b"].tolist()) & set(titles["c"].tolist())))


def test_square_is_numpys_power_of_two_on_float32():
    """``rank`` squares the title share as x·x where it had np.power(x, 2): the same float32
    for every value from 0 to inf (checked exhaustively once, ≈ 30 s; here every 1,021st bit
    pattern and the ends)."""
    bits = np.arange(0, np.float32(np.inf).view(np.uint32) + 1, 1021, dtype=np.uint32)
    x = np.concatenate([bits.view(np.float32), np.array([0.0, 1.0, 3e38, np.inf], np.float32)])
    with np.errstate(over="ignore"):
        assert np.power(x, 2).tobytes() == (x * x).tobytes()


@pytest.mark.parametrize("sizes", [[3, 5], [40, 300, 250], [0, 700]])
def test_union_of_document_numbers(sizes):
    """``_union``: the sorted union, whether the numbers are few (sorted together) or many (a
    mask over every document number)."""
    rng = np.random.default_rng(sum(sizes))
    arrays = [np.sort(rng.choice(1000, k, replace=False)).astype(np.int32) for k in sizes]
    got = ranking._union(arrays, 1000)
    assert got.tolist() == sorted(set().union(*(a.tolist() for a in arrays)))


def test_text_word_characters_and_capitals_are_those_of_lowercasing():
    """``snippets._locate`` may look for lowercase terms in the text itself: a character counts
    as a word character at a boundary when its lowercase is one (``_TEXT_WORD_CHARS``), and a
    term is looked for so only when the text has none of the characters that lowercase into
    one of its own (``_capitals``) — both checked for the running Python's Unicode tables."""
    from indexer import snippets
    from indexer.text import is_cjk

    word = snippets._ASCII_WORD_CHARS
    for ch, low in _lowered_characters():
        if len(low) != 1:
            continue                                  # İ: never looked for in the text itself
        assert (ch in snippets._TEXT_WORD_CHARS) == (low in word), ch
        if low != ch and (low < "\x80" or is_cjk(low)):
            assert ch in snippets._capitals(low), ch
    assert snippets._capitals("vpn") == "NPV"
    assert snippets._capitals("Vpn") is None and snippets._capitals("café") is None


def _reference_snippet(text, terms, width=100):
    """``make_snippet`` computed plainly: every term looked for in the lowercased text (the
    normalised head when that finds nothing), a set of names per window start, two escapes
    per span."""
    import html

    from indexer import snippets
    from indexer.text import normalise_with_map

    word = set("0123456789abcdefghijklmnopqrstuvwxyz")

    def spans_of(norm):
        raw = []
        for t in terms:
            if not t:
                continue
            i, n = norm.find(t), 0
            while i >= 0 and n < snippets.MAX_HITS_PER_TERM:
                j = i + len(t)
                if not ((t[0] in word and i > 0 and norm[i - 1] in word)
                        or (t[-1] in word and j < len(norm) and norm[j] in word)):
                    raw.append((i, j, t))
                    n += 1
                i = norm.find(t, i + 1)
        raw.sort(key=lambda s: (s[0], -s[1]))
        merged = []
        for a, b, t in raw:
            if merged and a <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(b, merged[-1][1]), merged[-1][2])
            else:
                merged.append((a, b, t))
        return merged

    text = (text or "")[:snippets.MAX_TEXT]
    if not text:
        return ""
    low, offsets = text.lower(), None
    found = spans_of(low) if len(low) == len(text) else []
    if not found:
        norm, offsets = normalise_with_map(text[:snippets.MAX_NORMALISED])
        found = spans_of(norm)
    if offsets is None:
        spans = [(a, b) for a, b, _ in found]
    else:
        spans = [(offsets[a], offsets[b] if b < len(offsets) else offsets[-1]) for a, b, _ in found]
    if not spans:
        end = min(len(text), width)
        return html.escape(" ".join(text[:end].split())) + ("…" if end < len(text) else "")
    best, first = (-1, -1), 0
    for k, (a, _) in enumerate(spans):
        inside = [found[j][2] for j in range(k, len(spans)) if spans[j][0] < a + width]
        if (len(set(inside)), len(inside)) > best:
            best, first = (len(set(inside)), len(inside)), a
    lo = max(0, first - width // 4)
    for i in range(first - 1, max(-1, first - width // 2), -1):
        if text[i] in snippets._BOUNDARY_BEFORE:
            lo = i + 1
            break
    else:
        for i in range(first - 1, max(-1, first - width // 4), -1):
            if text[i] in snippets._SOFT_BEFORE:
                lo = i + 1
                break
    hi = min(len(text), lo + width)
    if hi - lo < width:
        lo = max(0, hi - width)
        for i in range(lo, first):
            if i > 0 and text[i - 1] in snippets._BOUNDARY_BEFORE:
                lo = i
                break
    for a, b in spans:
        if a < hi < b:
            hi = b
    out, pos = [], lo
    for a, b in spans:
        a, b = max(a, lo), min(b, hi)
        if a < b:
            out.append(html.escape(text[pos:a]) + "<mark>" + html.escape(text[a:b]) + "</mark>")
            pos = b
    out.append(html.escape(text[pos:hi]))
    snippet = " ".join("".join(out).split())
    return ("…" if lo > 0 else "") + snippet + ("…" if hi < len(text) else "")


class _Prepared:
    """What ``hitstore.Prepared`` gives ``make_snippet``, computed from the text."""

    def __init__(self, text):
        from indexer import snippets
        self._head = text[:snippets.MAX_NORMALISED]
        self.chars = "".join(dict.fromkeys(text[:snippets.MAX_TEXT]))

    def normalised(self):
        from indexer import snippets
        return snippets._normalised(self._head)

    def norm_chars(self):
        return "".join(dict.fromkeys(self.normalised()[0]))


def test_snippets_are_those_of_a_plain_reference():
    """``make_snippet`` (terms looked for in the text itself when its capitals cannot matter,
    windows counted only where one could win, one escape per window) gives exactly the plain
    computation's strings — with and without ``prepared``, for capitals and KELVIN SIGN at a
    term's boundaries or inside it, İ, Traditional and full-width text, HTML and the tags'
    private-use stand-ins in the text, a term occurring more than ``MAX_HITS_PER_TERM`` times
    (and a shorter term inside it), self-overlapping terms, terms longer than the text, empty
    terms, text past ``MAX_TEXT``, narrow windows."""
    from indexer import snippets

    texts = [
        "VPN 连接失败怎么办？先检查网络。ＶＰＮ 客户端显示「连接失败」时，重新登录 Outlook。" * 6,
        "vpn 连接失败；xvpn 不算，vpn2 也不算，(vpn) 算。Xvpn、\u212avpn、vpnK 都不算，vpn 才算。",
        "k8s 集群：重启 k8s 节点。\u212a8s 也是 k8s。",
        "部署 k8s：先装 docker, 再装 kubectl。",
        "網路連線失敗時請檢查 VPN 設定。" * 20,
        "ＶＰＮ连接失败，ｖｐｎ客户端",
        "İstanbul 办公室的 vpn 连接失败，İ 之后还有 vpn。",
        "vpn \ue000 连接 \ue001 <b>&'\" 失败",
        "<script>alert('vpn')</script> & 连接 \"失败\"",
        "vpn 连接，" * 100 + "连接失败：vpn 失败",
        "哈哈哈哈哈哈，哈哈",
        "第一行\n\tvpn 连接\n\n第二行\t失败   结束",
        "vp",
        "",
        "a" * (snippets.MAX_TEXT - 30) + "。vpn 连接失败" + " vpn 连接" * 20,
        "前言很长。" * 30 + "最后一句：vpn 连接",
    ]
    term_lists = [["连接", "失败", "网络"], ["vpn", "连接"], ["vpn"], ["k8s"], ["docker", "k8s"],
                  ["网路", "连线"], ["连接失败", "连接", "失败"], ["哈哈"], ["vpn", "VPN"],
                  ["", "vpn"], [], ["xvpn"], ["vpn连接失败怎么办先检查网络还有很长"],
                  ["outlook", "登录"], ["é"], ["&", "'"], ["istanbul", "办公室"], ["最后"]]
    n = 0
    for text in texts:
        prepared = _Prepared(text)
        for terms in term_lists:
            for width in (100, 40, 7, 1):
                want = _reference_snippet(text, terms, width)
                assert snippets.make_snippet(text, terms, width) == want, (text[:40], terms, width)
                got = snippets.make_snippet(text, terms, width, prepared=prepared)
                assert got == want, (text[:40], terms, width)
                n += want.count("<mark>")
    assert n > 500
