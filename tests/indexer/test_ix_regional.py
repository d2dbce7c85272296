"""A query typed in Traditional characters also searches its mainland wording (round 24):
OpenCC's Taiwan phrase tables (``indexer/regional.py``) — 印表機 → 打印机, 遠端桌面 → 远程桌面 —
aligned with the query's own words and weighted below them (``query.REGIONAL_WEIGHT``)."""
from __future__ import annotations

import pytest

from indexer import SearchEngine, query
from indexer.query import REGIONAL_WEIGHT, parse
from indexer.regional import mainland_reading
from indexer.synonyms import SynonymTable
from ixhelpers import make_doc, slugs

FILLER = "其他说明文字，与问题无关。" * 12


@pytest.fixture(scope="module")
def table():
    return SynonymTable()


def _alts(table, q):
    return {g.words: dict(g.alts) for g in parse(q, table)}


def test_a_traditional_query_gets_its_mainland_words_below_its_own(table):
    alts = _alts(table, "遠端桌面 連線 設定")
    assert alts[("远端", "桌面")][("远程桌面",)] == REGIONAL_WEIGHT   # two query words, one mainland word
    assert alts[("远端", "桌面")][("远端", "桌面")] == 1.0
    assert alts[("设定",)][("设置",)] == REGIONAL_WEIGHT              # raised from the synonym's 0.5
    assert 0.5 < REGIONAL_WEIGHT < 1.0


def test_taiwan_wording_of_one_word(table):
    assert _alts(table, "隱私權 設定")[("设定",)][("设置",)] == REGIONAL_WEIGHT
    assert _alts(table, "印表機")[("印表机",)][("打印机",)] == REGIONAL_WEIGHT


def test_a_simplified_query_is_never_converted(table):
    """tw2sp rewrites Simplified words (程序 → 进程): only text with Traditional characters is read."""
    assert mainland_reading("程序 无法 运行") is None
    assert mainland_reading("vpn 809") is None
    assert not any(("进程",) in a for a in _alts(table, "程序 无法 运行").values())


def test_codes_and_unchanged_words_keep_their_groups(table):
    groups = parse("Windows 錯誤代碼 0x80070005 存取", table)
    assert [g.words for g in groups] == [("windows",), ("错误代码",), ("0x80070005",), ("存取",)]
    assert dict(groups[3].alts)[("访问",)] == REGIONAL_WEIGHT


def test_the_mainland_page_answers_the_taiwan_wording(tmp_path, monkeypatch):
    eng = SearchEngine(tmp_path / "index", cache_dir=tmp_path)
    eng.rebuild([
        make_doc("rdp/settings", "远程桌面连接的设置", "打开远程桌面连接，在设置中选择显示和本地资源。" + FILLER),
        make_doc("ras/codes", "路由和远端访问错误代码", "远端 访问 服务器 的 连线 错误 与 设定 说明。" + FILLER),
        *[make_doc(f"o/{i}", f"其他文章 {i}", "桌面 连接 设定 " + FILLER) for i in range(6)],
    ])
    try:
        assert slugs(eng.search("遠端桌面連線設定"))[0] == "rdp/settings"
        monkeypatch.setattr(query, "REGIONAL_WEIGHT", 0.0)
        eng._state().clear_caches(terms=True)
        assert slugs(eng.search("遠端桌面連線設定"))[0] != "rdp/settings"   # what the round fixed
    finally:
        eng.close()


# --- a complement cut off its verb (打不出来 → 打 / 不 / 出来) -------------------------------------

def test_a_complement_after_not_weighs_like_filler(table):
    groups = {g.words: g for g in parse("打印机一直显示脱机，打不出来", table)}
    assert groups[("出来",)].filler                 # how the printing fails, not what it is about
    assert not groups[("脱机",)].filler and not groups[("打印机",)].filler
    other = {g.words: g for g in parse("把报表拿出来 打印", table)}
    assert not other[("出来",)].filler               # no 不 before it: an ordinary word


def test_the_offline_page_answers_a_printer_that_prints_nothing(tmp_path):
    """The secure-print page is tagged 打印不出来 (出来 matched it); the page about the printer
    showing offline answers 打印机显示脱机 — our library's pair of pages, in short."""
    eng = SearchEngine(tmp_path / "index", cache_dir=tmp_path)
    eng.rebuild([
        make_doc("printing/secure", "安全打印：刷工卡取件，打印后打印机不出纸怎么办",
                 "打印机一直显示等待，提交后到打印机刷卡取件。" + FILLER,
                 tags=("安全打印", "打印不出来", "打印机不出纸")),
        make_doc("printing/offline", "打印机显示“脱机”或打印队列卡住，文档无法删除",
                 "打印机显示脱机时，检查电源和网络，然后清空打印队列。" + FILLER, tags=("打印机", "脱机")),
        *[make_doc(f"o/{i}", f"其他文章 {i}", "打印 显示 " + FILLER) for i in range(6)],
    ])
    try:
        assert slugs(eng.search("打印机一直显示脱机，打不出来"))[0] == "printing/offline"
    finally:
        eng.close()
