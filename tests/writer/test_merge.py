"""Three-way merge of article content (app/writer/merge.py): the rule the editor applies when
a save started from an older revision than the newest."""

from __future__ import annotations

from app.writer.content import Content
from app.writer.merge import merge, merge_text

BASE = "\n".join("abcdef")


def lines(text: str) -> str:
    return "\n".join(text)


def test_changes_to_different_lines_are_both_kept():
    assert merge_text(BASE, lines("aBcdef"), lines("abcdEf")).text == lines("aBcdEf")
    assert merge_text(BASE, lines("xabcdef"), lines("abcdefy")).text == lines("xabcdefy")
    assert merge_text(BASE, lines("acdef"), lines("abcde")).text == lines("acde")


def test_one_side_unchanged_takes_the_other_and_identical_changes_are_no_conflict():
    assert merge_text(BASE, BASE, lines("aXcdef")) .text == lines("aXcdef")
    assert merge_text(BASE, lines("aXcdef"), BASE).text == lines("aXcdef")
    same = merge_text(BASE, lines("aBcdef"), lines("aBcdefg"))
    assert same.text == lines("aBcdefg") and same.conflicts == ()


def test_the_same_or_neighbouring_lines_conflict_and_keep_mine_there():
    same = merge_text(BASE, lines("aMcdef"), lines("aTcdeF"))
    assert same.text == lines("aMcdeF") and same.conflicts == ((2, 2),)
    neighbours = merge_text(BASE, lines("aBcdef"), lines("abCdef"))
    assert neighbours.text == lines("aBcdef") and neighbours.conflicts == ((2, 3),)
    both_append = merge_text(BASE, lines("abcdefX"), lines("abcdefY"))
    assert both_append.text == lines("abcdefX") and both_append.conflicts == ((7, 7),)


def test_fields_lists_and_body_together():
    base = Content(title="T", category="C", body=BASE, tags=("a", "b"), error_codes=("809",))
    mine = Content(title="T", category="C2", body=lines("aBcdef"), tags=("a",), error_codes=("809",))
    theirs = Content(title="T2", category="C", body=lines("abcdEf"), tags=("a", "b", "c"),
                     error_codes=("809", "691"), audience="internal")
    result = merge(base, mine, theirs)
    assert result.clean and result.conflicts == ()
    assert result.content == Content(title="T2", category="C2", body=lines("aBcdEf"), tags=("a", "c"),
                                     error_codes=("809", "691"), audience="internal")
    assert result.theirs_changed == ("标题", "读者范围", "标签", "错误代码", "正文")


def test_a_field_both_changed_differently_is_a_conflict_that_keeps_mine():
    base = Content(title="T", category="C", body="x")
    result = merge(base, Content(title="Mine", category="C", body="x"), Content(title="Theirs", category="C", body="y"))
    assert not result.clean and result.conflicts == ("标题",)
    assert result.content.title == "Mine" and result.content.body == "y"


def test_a_clean_merge_that_changes_the_audience_does_not_save_alone():
    base = Content(title="T", category="C", body=BASE, audience="internal")
    mine = Content(title="T", category="C", body=BASE, audience="public")
    theirs = Content(title="T", category="C", body=lines("abcdEf"), audience="internal")
    result = merge(base, mine, theirs)
    assert result.clean and result.audience_changed and not result.saves_alone
    assert result.content.audience == "public" and result.content.body == lines("abcdEf")
    same = merge(base, Content(title="T2", category="C", body=BASE, audience="internal"), theirs)
    assert same.saves_alone
