"""Suggest-as-you-type: the last word may be incomplete; titles only."""
from __future__ import annotations

import pytest

from indexer import SearchEngine
from ixhelpers import STAFF, make_doc, sample_docs, slugs


@pytest.fixture(scope="module")
def sug(tmp_path_factory):
    d = tmp_path_factory.mktemp("sug")
    eng = SearchEngine(d / "index")
    eng.rebuild(sample_docs() + [
        make_doc("vpn/connect-failed", "VPN 连接失败怎么办", "检查网络。", category="VPN 与远程访问"),
        make_doc("print/queue", "清空打印队列", "打开服务管理器。", category="打印"),
        make_doc("mail/quota", "邮箱容量已满", "只在正文里提到 Thunderbird 客户端。", category="邮件"),
        make_doc("account/wrong-pw", "Windows 登录提示“用户名或密码不正确”", "检查大小写。", category="账号与密码"),
        make_doc("print/projector", "投影仪或外接显示器无信号、黑屏怎么办", "检查信号源。", category="打印"),
    ])
    yield eng
    eng.close()


def test_incomplete_latin_word(sug):
    r = sug.suggest("outl")
    assert set(slugs(r)) == {"mail/outlook-send", "mail/outlook-profile"}
    assert "<mark>Outl</mark>ook" in r.hits[0].snippet


def test_complete_words_then_incomplete_chinese(sug):
    assert slugs(sug.suggest("VPN 连接失"))[0] == "vpn/connect-failed"
    assert slugs(sug.suggest("VPN连接失"))[0] == "vpn/connect-failed"
    assert slugs(sug.suggest("连接失"))[0] == "vpn/connect-failed"


def test_incomplete_chinese_word(sug):
    assert slugs(sug.suggest("两步验"))[0] == "account/mfa"
    assert "printer/paper-jam" in slugs(sug.suggest("打印"))


def test_fragment_ending_inside_the_next_chinese_word(sug):
    # jieba cuts the title 不|正确 but the typed fragment 不正
    assert slugs(sug.suggest("用户名或密码不正"))[0] == "account/wrong-pw"


@pytest.mark.parametrize("typed", ["vpn连不上", "连不上vpn", "VPN 连不上"])
def test_a_last_word_no_title_starts_with_is_taken_as_complete(sug, typed):
    """No title word starts with 连不上 (titles say 连接失败): rather than nothing, the request
    form suggests what the complete words find (连不上 → 连接)."""
    assert slugs(sug.suggest(typed))[0].startswith("vpn/")


def test_nothing_typed_that_no_title_holds_suggests_nothing(sug):
    assert slugs(sug.suggest("xyzqw")) == []


def test_words_missing_from_every_title_only_rank(sug):
    # 没有 is not in the title (it says 无): the fragment 信 decides, 投影仪 ranks
    assert slugs(sug.suggest("投影仪没有信"))[0] == "print/projector"


def test_traditional_and_fullwidth_fragments(sug):
    assert slugs(sug.suggest("兩步驗"))[0] == "account/mfa"
    assert "mail/outlook-send" in slugs(sug.suggest("ＯＵＴＬ"))


def test_codes_by_prefix(sug):
    assert slugs(sug.suggest("0x8007")) == ["windows/update-0x80070005"]
    assert slugs(sug.suggest("err_conn")) == ["browser/connection-reset"]


def test_titles_only_never_bodies(sug):
    assert sug.suggest("thunderb").hits == []


def test_limit_and_top5_default(sug):
    r = sug.suggest("v")   # one Latin letter is too short on its own
    assert r.hits == []
    r = sug.suggest("vpn")
    assert 1 <= len(r.hits) <= 5
    assert len(sug.suggest("vpn", limit=2).hits) == 2


def test_category_boost(sug):
    plain = slugs(sug.suggest("vpn", limit=10))
    boosted = slugs(sug.suggest("vpn", limit=10, category="VPN 与远程访问"))
    assert set(plain) == set(boosted)
    other = slugs(sug.suggest("连接", limit=10, category="网络"))
    assert other[0] == "network/wifi"


def test_internal_titles_are_not_suggested(sug):
    assert sug.suggest("zorb").hits == []
    assert all(h.audience == "public" for h in sug.suggest("vpn", limit=20).hits)
    assert "internal/vpn-backend" in slugs(sug.suggest("vpn 网关", audiences=STAFF))


def test_cache_is_invalidated_when_the_index_changes(tmp_path):
    eng = SearchEngine(tmp_path / "index")
    eng.rebuild(sample_docs())
    assert eng.suggest("扫描").hits == []
    other = SearchEngine(tmp_path / "index")   # another writer
    other.update([make_doc("scan/setup", "扫描仪安装", "驱动。")])
    assert slugs(eng.suggest("扫描")) == ["scan/setup"]
    other.update(delete=["scan/setup"])
    assert eng.suggest("扫描").hits == []
    other.close()
    eng.close()


def test_words_titles_hold_are_no_slip_without_reading_bodies(fresh):
    # (stop 24) whether a typed word is a possible pinyin slip asks "does any visible article
    # hold it"; the titles' counts, which the plan reads anyway, answer for words a title holds
    # — bodies are not read for them (before: every 2-3 character Chinese word's body postings)
    got = slugs(fresh.suggest("打印机 卡纸 ", limit=5))
    assert got and got[0] == "printer/paper-jam"
    models = {(model, text) for model, text in fresh._gen.rank._terms}
    assert ("titles", "打印机") in models and ("titles", "卡纸") in models
    assert ("search", "打印机") not in models and ("search", "卡纸") not in models


def test_a_word_only_bodies_hold_is_no_slip_in_suggest_either(fresh):
    # a word no title holds still counts as held when a body holds it: the titles' count is
    # asked first, the search model's when it is 0 — 配制 (pei zhi) is a slip of 配置 until a
    # body holds it
    assert slugs(fresh.suggest("outlook 配制 ", limit=5))[0] == "mail/outlook-profile"
    fresh.update([make_doc("x/note", "说明文档", "配制 是一个内部代号。")])
    assert fresh.search("outlook 配制").did_you_mean is None
    assert slugs(fresh.suggest("outlook 配制 ", limit=5))[0] == "mail/outlook-send"
    assert ("search", "配制") in fresh._gen.rank._terms


def test_the_two_rankings_of_a_text_score_each_group_once(sug, monkeypatch):
    """vpn 连接 失败 is ranked with 失败 as a fragment and as complete words: the groups both
    plans hold (vpn, 连接) are scored once per query (``rank``'s memo), with the same suggestions
    as when each ranking scores its own."""
    from indexer import ranking, suggesting

    sug.suggest("vpn")                  # the snapshot is opened

    def run():
        sug._gen.clear_caches()
        got = sug.suggest("vpn 连接 失败", limit=5)
        return [(h.slug, repr(h.score), h.snippet) for h in got.hits]

    real_rank = ranking.rank
    monkeypatch.setattr(suggesting, "rank", lambda tv, plan, memo=None: real_rank(tv, plan))
    alone = run()
    monkeypatch.setattr(suggesting, "rank", real_rank)
    scored = []
    real_scores = ranking._group_scores

    def counting(tv, alts, *a, **kw):
        scored.append(tuple(alts))
        return real_scores(tv, alts, *a, **kw)

    monkeypatch.setattr(ranking, "_group_scores", counting)
    assert run() == alone and alone
    assert ((("vpn",), 1.0),) in scored and ((("连接",), 1.0),) in scored
    assert len(scored) == len(set(scored))
