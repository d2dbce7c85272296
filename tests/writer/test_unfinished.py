"""An article still holding the template's stand-in text (or a KCS draft's 「（待补充…）」) is
flagged in the editor and cannot be published: readers never get 「（读者遇到了什么…）」."""

from __future__ import annotations

from app.writer.lint import unfinished
from app.writer.template import public_body

from .conftest import create, publish, put, row


def test_every_stand_in_of_the_template_is_found_and_nothing_else():
    lines = {w.line for w in unfinished(public_body())}
    body = public_body().split("\n")
    assert {body[n - 1] for n in lines} >= {
        "一两句话：这篇文章适合谁、解决什么问题。", "（读者遇到了什么：界面上提示的原文、错误代码、在什么情况下出现。）",
        "（为什么会这样，用读者能懂的话说明。）", "2. 第二步。"}
    assert all(w.kind == "template" and "模板里的示例文字" in w.message for w in unfinished(public_body()))
    assert unfinished("1. （待补充：写下解决问题的具体步骤。）")
    assert unfinished("## 症状\n\n打印机显示脱机。\n\n1. 第二步是重启打印机。") == []


def test_publishing_refuses_it_until_the_text_is_written(writer, synced):
    draft = create(writer, body=public_body(symptom="打印机显示脱机。"))
    refused = publish(writer, draft["slug"])
    assert refused.status_code == 422
    assert refused.get_json()["error"] == "unfinished" and "模板里的示例文字" in refused.get_json()["message"]
    assert row(synced, draft["slug"]).status == "draft"
    page = writer.get(f"/writer/articles/{draft['slug']}/edit").get_data(as_text=True)
    assert "模板里的示例文字" in page                        # the editor says where

    put(writer, draft["slug"], draft["revision"], body=public_body(
        intro="适用于办公室打印机。", symptom="打印机显示脱机。", cause="驱动队列卡住。",
        steps="1. 重启打印机。\n2. 清空打印队列。"))
    assert publish(writer, draft["slug"]).status_code == 200
    assert row(synced, draft["slug"]).status == "published"


def test_a_published_article_with_a_newer_draft_is_not_called_a_draft(writer, synced):
    done = create(writer)
    assert publish(writer, done["slug"]).status_code == 200
    put(writer, done["slug"], done["revision"], title="打印机 Quuxprint 脱机怎么办（新版）")
    for path in (f"/writer/articles/{done['slug']}", f"/writer/articles/{done['slug']}/edit",
                 f"/writer/articles/{done['slug']}/history"):
        page = writer.get(path).get_data(as_text=True)
        badge = page.split('class="badge state', 1)[1].split("</span>", 1)[0]
        assert "已发布 · 有未发布的修改" in badge and "草稿<" not in badge + "<", path
