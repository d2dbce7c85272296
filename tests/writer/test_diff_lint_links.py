"""Side-by-side diffs, rendering warnings and internal links, as units (no app needed unless noted)."""

from __future__ import annotations

from app.writer.content import Content
from app.writer.diff import field_changes, side_by_side
from app.writer.lint import indentation, privacy, sections
from app.writer.links import Link, find_links
from tests.writer.conftest import client_as, create


def test_changed_chinese_characters_are_marked_and_everything_is_escaped():
    [row] = side_by_side("打开设置，选择网络。", "打开设置，选择<b>网络和 Internet</b>。")
    assert row.kind == "change"
    assert str(row.left) == "打开设置，选择网络。"  # nothing removed
    assert str(row.right) == "打开设置，选择<ins>&lt;b&gt;</ins>网络<ins>和 Internet&lt;/b&gt;</ins>。"


def test_unrelated_lines_are_marked_whole_and_equal_runs_fold():
    old = "\n".join(f"第 {i} 行" for i in range(1, 21))
    new = old.replace("第 10 行", "完全不同的一句话")
    rows = side_by_side(old, new)
    kinds = [r.kind for r in rows]
    assert kinds == ["skip"] + ["equal"] * 3 + ["change"] + ["equal"] * 3 + ["skip"]
    assert rows[0].skipped == 6 and rows[-1].skipped == 7
    assert str(rows[4].left) == "<del>第 10 行</del>" and str(rows[4].right) == "<ins>完全不同的一句话</ins>"
    assert side_by_side("一样", "一样") == []
    inserted = side_by_side("a", "a\nb")
    assert [r.kind for r in inserted] == ["equal", "insert"] and inserted[1].right_no == 2


def test_field_changes_in_words():
    a = Content(title="旧", category="VPN 与远程访问", body="", tags=("VPN",), audience="public")
    b = Content(title="新", category="VPN 与远程访问", body="", tags=("VPN", "L2TP"), audience="internal")
    assert [(c.label, c.old, c.new) for c in field_changes(a, b)] == [
        ("标题", "旧", "新"), ("标签", "VPN", "VPN、L2TP"), ("读者范围", "所有人（公开）", "仅服务台（内部）")]


def test_indentation_warnings_follow_python_markdowns_4_spaces():
    good = "1. 步骤\n\n    ```\n    code\n    ```\n\n    - 子步骤\n2. 下一步\n   继续写（懒惰续行，不是新块）\n"
    assert indentation(good) == []
    bad = "1. 步骤\n   - 三格的子步骤\n\n   ```bash\n   ls\n   ```\n2. 下一步\n    1. 四格\n      - 只比上一级多两格\n"
    assert [w.line for w in indentation(bad)] == [2, 4, 9]
    assert "只缩进了 3 个空格" in indentation(bad)[0].message
    assert indentation("```\n  - in code\n```\n- a\n") == []
    assert [w.kind for w in indentation("1. a\n\n    ```\n    unclosed\n")] == ["fence"]
    assert indentation("- a\n\n段落结束了列表\n  - 这是新的顶层列表，不是子步骤\n") == []


def test_missing_sections_only_for_public_articles():
    public = Content(title="t", category="c", body="## 症状\n", audience="public")
    assert len(sections(public, ["症状"])) == 4  # 原因, 解决步骤, 仍未解决？ and the request-form link
    assert sections(Content(title="t", category="c", body="x", audience="internal"), []) == []
    assert sections(Content(title="t", category="c", body="(/requests/new)", audience="public"),
                    ["症状", "原因", "解决步骤", "仍未解决?"]) == []


def test_privacy_warnings():
    assert [w.line for w in privacy("联系 zhangsan@corp.cn\n写 it-help@example.com 没问题\n电话 13800138000\n【姓名】说")] == [1, 3, 4]


def test_internal_links_are_found_with_their_lines_outside_code():
    body = ("见[错误 809](/articles/vpn/error-809#解决步骤)。\n`[不算](/articles/in-code)`\n```\n[也不算](/articles/fenced)\n```\n"
            "[ref]: /articles/account/reset-password\n<a href=\"/articles/%E4%B8%AD%E6%96%87\">中文</a>\n"
            "[外站](https://example.org/articles/other)\n")
    assert find_links(body) == [Link(1, "vpn/error-809", "解决步骤"), Link(6, "account/reset-password"), Link(7, "中文")]


def test_the_broken_links_list(synced, writer):
    create(writer, slug="printing/linker", title="链接测试", body="[一](/articles/vpn/error-809)\n[二](/articles/no/where)\n")
    create(writer, slug="printing/target", title="将被归档")
    writer.post("/writer/articles/printing/target/archive")
    create(writer, slug="printing/linker2", title="链接测试二", body="见[将被归档](/articles/printing/target)\n")
    page = writer.get("/writer/links").get_data(as_text=True)
    assert "no/where" in page and "文章不存在" in page and "printing/target" in page and "文章已归档" in page
    assert "vpn/error-809</code>" not in page
    assert "失效链接（2）" in writer.get("/writer/").get_data(as_text=True)
    assert client_as(synced, "agent").get("/writer/links").status_code == 403
