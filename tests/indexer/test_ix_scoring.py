"""The set-at-a-time scorer (``indexer.scoring``) gives exactly Whoosh's BM25F scores.

Searches score every visible match with ``scoring.evaluate`` instead of Whoosh's matchers;
ranking must not change.  Compared here on an index with several segments, posting lists
longer than one block (128), deleted documents, both audiences, AND/OR/phrase queries,
synonyms, code variants and covering pieces.
"""
from __future__ import annotations

import random

import pytest
from whoosh import query as wq

from indexer import SearchEngine
from indexer.query import build, parse
from indexer.scoring import evaluate
from indexer.suggesting import top
from ixhelpers import PUBLIC, STAFF, make_doc, sample_docs

QUERIES = [
    "VPN 错误 809", "vpn", "outlook 邮件", "Outlook 无法发送邮件", "重置 密码", "帐号密码",
    "域账号", "0x80070005", "80070005", "ERR_CONNECTION_RESET", "connection reset",
    "554 5.2.2", "打印机 卡纸", "电脑蓝屏", "连接公司无线网络", "邮箱满了收不到邮件",
    "Wi-Fi 连上了但是不能上网", "口令", "安装 VPN 客户端", "Windows 更新失败 0x80070005",
    "两步验证 手机", "共享盘 映射", "Office 安装错误 30068-39", "zorbix", "忘记密码如何重置",
]


def _docs():
    base = sample_docs()
    rnd = random.Random(5)
    sentences = [s for d in base for s in d.body.replace("\n", "。").split("。") if s.strip()]
    out = list(base)
    for i in range(420):
        src = base[i % len(base)]
        body = "。".join(rnd.sample(sentences, 4))
        out.append(make_doc(f"gen/{i}", f"{src.title} {rnd.choice(['指南', '问题', '说明'])} {i}",
                            body, category=src.category, tags=src.tags[:1], codes=src.error_codes,
                            audience="internal" if i % 7 == 0 else "public"))
    return out


@pytest.fixture(scope="module")
def segmented(tmp_path_factory):
    d = tmp_path_factory.mktemp("scoring")
    eng = SearchEngine(d / "index", cache_dir=d, procs=1)
    docs = _docs()
    eng.rebuild(docs[:300])
    eng.update(docs[300:380])                                   # a second segment
    eng.update(docs[380:], delete=[f"gen/{i}" for i in range(0, 60, 3)])   # third + deletions
    yield eng
    eng.close()


def _both(eng, q, audiences):
    def run(gen, s):
        allowed = gen.allowed(s, audiences)
        theirs = {d: sc for sc, d in s.search(q, filter=allowed, limit=None).top_n}
        gen.terms.clear()
        ours = {d: sc for d, sc in evaluate(q, s, gen.terms).items() if d in allowed}
        return theirs, ours, len(s.reader().leaf_readers())
    return eng._read(run)


@pytest.mark.parametrize("text", QUERIES)
@pytest.mark.parametrize("mode", ["and", "or"])
def test_same_scores_as_whoosh(segmented, text, mode):
    groups = parse(text, segmented.synonyms)
    q = build(groups, mode)
    for auds in (PUBLIC, STAFF):
        theirs, ours, nseg = _both(segmented, q, auds)
        assert nseg >= 3
        assert ours.keys() == theirs.keys(), text
        for d, sc in theirs.items():
            assert ours[d] == pytest.approx(sc, rel=1e-9), (text, d)


def test_long_posting_lists_and_phrases_are_covered(segmented):
    """The comparison above means something: some terms span several posting blocks and the
    title phrase bonus fires."""
    theirs, ours, _ = _both(segmented, build(parse("VPN 错误 809 outlook", segmented.synonyms), "or"), STAFF)
    assert len(theirs) > 128
    phrase = wq.Phrase("title", ["vpn", "连接"], boost=4.0)
    q = wq.AndMaybe(wq.Term("title", "vpn"), phrase)
    theirs, ours, _ = _both(segmented, q, STAFF)
    plain, _, _ = _both(segmented, wq.Term("title", "vpn"), STAFF)
    bonus = [d for d in theirs if theirs[d] > plain[d] + 1e-9]
    assert bonus and ours.keys() == theirs.keys()
    for d in theirs:
        assert ours[d] == pytest.approx(theirs[d], rel=1e-9)


SUGGEST_QUERIES = [
    wq.Term("prefix", "vp", boost=2.0),
    wq.Term("prefix", "打印", boost=2.0),
    wq.And([wq.Or([wq.Term("title", "vpn", boost=5.0), wq.Term("codes", "vpn", boost=2.5),
                   wq.Term("prefix", "vpn")]), wq.Term("prefix", "连接", boost=2.0)]),
    wq.AndMaybe(wq.Term("prefix", "重", boost=2.0),
                wq.Or([wq.Term("title", "密码", boost=5.0), wq.Term("prefix", "密码")])),
]


@pytest.mark.parametrize("q", SUGGEST_QUERIES, ids=str)
def test_suggest_candidates_same_as_whoosh_top_n(segmented, q):
    """Suggest takes the 40 best (``limit=40``); existence-only prefix postings score too."""
    def run(gen, s):
        allowed = gen.allowed(s, STAFF)
        theirs = list(s.search(q, filter=allowed, limit=40).top_n)
        gen.terms.clear()
        return theirs, top(gen, s, q, allowed, 40)
    theirs, ours = segmented._read(run)
    assert theirs
    assert [d for _sc, d in ours] == [d for _sc, d in theirs]
    assert [sc for sc, _d in ours] == pytest.approx([sc for sc, _d in theirs], rel=1e-9)
