"""Pinyin slips (IME homophone typos) in Chinese queries: ``indexer/homophones.py`` and
``searching.homophone_fixes``."""
from __future__ import annotations

import sys

from indexer import SearchEngine, homophones
from ixhelpers import make_doc


def slugs(r):
    return [h.slug for h in r.hits]


def test_a_homophone_slip_is_corrected_with_did_you_mean(engine):
    # 重至 is typed chong zhi like 重置 (a title word); jieba cuts it into 重 / 至
    r = engine.search("重至密码")
    assert r.corrected and r.did_you_mean == "重置密码"
    assert slugs(r)[0] == "account/password-reset"


def test_a_correct_query_is_not_corrected(engine):
    r = engine.search("重置密码")
    assert not r.corrected and r.did_you_mean is None


def test_traditional_input_still_works(engine):
    r = engine.search("重置密碼")            # Traditional 碼: converted, not "corrected"
    assert not r.corrected and r.did_you_mean is None
    assert slugs(r)[0] == "account/password-reset"
    r = engine.search("重至密碼")            # a slip in a Traditional query
    assert r.did_you_mean == "重置密码"


def test_a_correct_rare_word_is_not_rewritten(fresh):
    # 权利 is held by one article; 权力 (same toneless pinyin quan li) by three titles
    fresh.update([make_doc(f"x/power-{i}", f"权力配置说明 {i}", "说明。") for i in range(3)]
                 + [make_doc("x/rights", "员工须知", "员工的权利与义务。")])
    r = fresh.search("权利")
    assert not r.corrected and r.did_you_mean is None
    assert slugs(r) == ["x/rights"]


def test_the_most_frequent_homophone_wins(fresh):
    # 公试 (gong shi, cut 公 / 试) sounds like 公式 and 公事; 公事 is in more articles
    fresh.update([make_doc("x/formula", "公式编辑", "说明。")]
                 + [make_doc(f"x/affairs-{i}", f"公事出差 {i}", "说明。") for i in range(2)])
    assert fresh.search("公试").did_you_mean == "公事"


def test_a_secondary_reading_is_not_a_slip(fresh):
    # 转 reads zhuan; 传 reads chuan and only rarely zhuan (传记): 转到 is not a slip of 传到
    fresh.update([make_doc("x/upload", "传到网盘", "说明。")])
    assert homophones.readings("传")[0] == "chuan" and "zhuan" in homophones.readings("传")
    assert fresh.search("转到").did_you_mean is None


def test_no_correction_from_internal_titles(fresh):
    fresh.update([make_doc("x/internal", "堡垒机登录", "说明。", audience="internal")])
    assert fresh.search("堡垒机").total == 0
    assert fresh.search("宝垒机").did_you_mean is None
    staff = frozenset({"public", "internal"})
    assert fresh.search("宝垒机", audiences=staff).did_you_mean == "堡垒机"


def test_pypinyin_package_is_not_imported():
    # only its character table is read: importing the package loads its phrase table (+55 MB)
    assert homophones.readings("置") == ("zhi",)
    assert "pypinyin" not in sys.modules


def test_readings_are_toneless():
    assert homophones.readings("绿") == ("lv", "lu")
    assert homophones.readings("a") == ()


def test_the_table_read_entry_by_entry_is_the_full_parse(monkeypatch):
    # _load matches the file's entries in its text (the start of gunicorn's master reads the
    # table); the full JSON parse, its fallback, must give the same table
    fast = homophones._load()
    assert len(fast) > 20_000 and fast["重"] == "zhong,chong,tong"
    monkeypatch.setattr(homophones, "_ENTRY", homophones.re.compile(r"(?!)(\d)(.)"))
    assert homophones._load() == fast


def test_a_rare_reading_is_not_a_slip(fresh):
    # pypinyin lists dao among the readings of 受: 不受 is still no slip of 不到
    fresh.update([make_doc("x/miss", "收不到邮件", "说明。")])
    assert "dao" in homophones.readings("受")
    assert fresh.search("不受").did_you_mean is None
    assert fresh.search("不道").did_you_mean == "不到"     # 道 reads dao first: a slip



def test_the_typeahead_corrects_a_slip_too(fresh):
    # titles that hold the slip's characters as typed (重至…, 至…) and titles with 密码 alone
    # compete; the slip is corrected in the words typed so far (重至 → 重置) and at the end of
    # the text, where 至 is no start of the word meant: the corrected text is ranked as
    # complete words too (before: 重至科技简介 first, and 密码重至 found no password page)
    fresh.update([make_doc(f"x/policy-{i}", f"密码策略与复杂度要求 {i}", "说明。") for i in range(3)]
                 + [make_doc("x/xeon", "至强处理器的服务器", "说明。"),
                    make_doc("x/company", "重至科技简介", "说明。")])
    for text in ("重至密码", "密码重至", "重至密码 ", "邮箱重至密码"):
        got = slugs(fresh.suggest(text, limit=5))
        assert got and got[0] == "account/password-reset", (text, got)


# -- the index across commits (speed25plan): each segment keys its own words once ----------

def test_a_commit_keys_only_the_new_segments_words(fresh, monkeypatch):
    fresh.update([make_doc("x/quota", "邮箱容量说明", "说明。")])
    assert fresh.search("邮箱容两").did_you_mean == "邮箱容量"
    keyed = []
    real = homophones.key
    monkeypatch.setattr(homophones, "key", lambda w: keyed.append(w) or real(w))
    fresh.update([make_doc("x/bt", "蓝牙耳机配对", "说明。")])
    assert fresh.search("蓝压耳机").did_you_mean == "蓝牙耳机"
    # the new snapshot keyed the new article's title words and the typed windows, not the
    # words of the segments it already knew (nor the dictionary terms again)
    assert "蓝牙" in keyed and "容量" not in keyed and "重置" not in keyed
    assert len(keyed) < 20
    keyed.clear()
    assert fresh.search("邮箱容两").did_you_mean == "邮箱容量"
    assert "容量" not in keyed


def test_a_deleted_articles_words_no_longer_count(fresh):
    fresh.update([make_doc("x/quota", "邮箱容量说明", "说明。")])
    assert fresh.search("邮箱容两").did_you_mean == "邮箱容量"
    fresh.update(delete=["x/quota"])
    # 容量 is still a term of its segment (a segment's terms never change), but no visible
    # article holds it any more
    r = fresh.search("邮箱容两")
    assert not r.corrected and r.did_you_mean is None
    fresh.update([make_doc("x/quota-2", "磁盘容量不足", "说明。")])
    assert fresh.search("邮箱容两").did_you_mean == "邮箱容量"


def test_slips_are_corrected_the_same_after_commits_and_deletions(tmp_path, docs):
    extra = [make_doc("x/quota", "邮箱容量说明", "说明。"),
             make_doc("x/bt", "蓝牙耳机配对", "说明。"),
             make_doc("x/formula", "公式编辑", "说明。"),
             make_doc("x/affairs", "公事出差", "说明。"),
             make_doc("x/gone", "堡垒机登录", "说明。")]
    queries = ["重至密码", "邮箱容两", "蓝压耳机", "公试", "宝垒机", "重置密码"]

    def answers(eng):
        out = []
        for q in queries:
            r = eng.search(q)
            out.append((q, r.did_you_mean, r.total, [(h.slug, h.score) for h in r.hits]))
        return out

    step = SearchEngine(tmp_path / "a" / "index", cache_dir=tmp_path / "a" / "cache")
    step.rebuild(docs)
    answers(step)                       # keys of the first segments built and kept
    for d in extra:                     # one commit (one segment) per article
        step.update([d])
        answers(step)
    step.update(delete=["x/gone"])
    whole = SearchEngine(tmp_path / "b" / "index", cache_dir=tmp_path / "b" / "cache")
    whole.rebuild(docs + extra[:-1])
    try:
        got, want = answers(step), answers(whole)
        assert [a[:2] for a in got] == [a[:2] for a in want]
        assert got[4][1] is None        # 堡垒机 was deleted: no slip becomes it
        assert [(q, {s for s, _ in hits}) for q, _d, _t, hits in got] == \
               [(q, {s for s, _ in hits}) for q, _d, _t, hits in want]
    finally:
        step.close()
        whole.close()


def test_a_changed_dictionary_is_keyed_again():
    assert homophones.dictionary_part(["重置", "容量"]) is homophones.dictionary_part(["容量", "重置"])
    part = homophones.dictionary_part(["重置", "蓝牙"])
    assert part["lan ya"] == ("蓝牙",) and "rong liang" not in part
    idx = homophones.HomophoneIndex(parts=[{"rong liang": ("容量",)}, part])
    assert idx.candidates("容两") == ["容量"] and idx.candidates("蓝压") == ["蓝牙"]
    assert idx.candidates("容量") == [] and len(idx) == 3


def test_preload_keys_every_segment_before_the_first_slip(tmp_path, docs, monkeypatch):
    # gunicorn's master preloads: a worker's first query with a possible slip only combines
    built = SearchEngine(tmp_path / "index", cache_dir=tmp_path / "cache")
    built.rebuild(docs)
    built.close()
    eng = SearchEngine(tmp_path / "index", cache_dir=tmp_path / "cache")
    try:
        eng.preload()
        keyed = []
        real = homophones.key
        monkeypatch.setattr(homophones, "key", lambda w: keyed.append(w) or real(w))
        assert eng.search("重至密码").did_you_mean == "重置密码"
        staff = frozenset({"public", "internal"})
        eng.search("重至密码", audiences=staff)
        assert set(keyed) <= {"重至", "重至密", "重至密码", "至密", "至密码"}   # the typed windows
    finally:
        eng.close()
