"""The editor pages: template, validated fields, live preview, warnings, save, conflicts, history."""

from __future__ import annotations


from app.articles.rendering import render_markdown
from tests.writer.conftest import BODY, client_as, create, put, revision_rows, row

SLUG = "printing/quuxprint-offline"


def form(**overrides) -> dict:
    data = {"title": "打印机 Quuxprint 脱机怎么办", "category": "打印与外设", "audience": "public",
            "tags": "打印机, 脱机", "error_codes": "0x00000709", "review_by": "", "body": BODY, "note": ""}
    data.update(overrides)
    return data


def test_a_new_article_starts_from_the_library_template(writer):
    page = writer.get("/writer/articles/new").get_data(as_text=True)
    for section in ("## 症状", "## 原因", "## 解决步骤", "## 仍未解决？", "/requests/new"):
        assert section in page
    assert 'id="preview"' in page and "<h2 id=\"症状\">症状</h2>" in page  # the server's first preview


def test_saving_the_form_creates_the_draft_and_the_editor_shows_it(writer, synced):
    response = writer.post("/writer/articles/new", data=form(slug="printing/quuxprint-offline", note="初稿"))
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/writer/articles/{SLUG}/edit")
    page = writer.get(response.headers["Location"]).get_data(as_text=True)
    assert 'name="base_revision" value="1"' in page and "已创建草稿" in page
    article = row(synced, SLUG)
    assert article.status == "draft" and article.tags == ["打印机", "脱机"] and article.error_codes == ["0x00000709"]
    assert [r.note for r in revision_rows(synced, SLUG)] == ["初稿"]


def test_bad_input_is_refused_field_by_field_and_loses_nothing(writer):
    response = writer.post("/writer/articles/new", data=form(title="", review_by="明天", body="我写了很久的正文 Keepme"))
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "请填写标题" in page and "复核日期应为 YYYY-MM-DD" in page
    assert "我写了很久的正文 Keepme" in page and 'value="打印机, 脱机"' in page


def test_the_preview_is_the_servers_own_rendering_and_sanitising(writer):
    body = BODY + "\n<script>alert(1)</script><img src=x onerror=alert(2)>\n[坏链接](javascript:alert(3))\n"
    response = writer.post("/writer/preview", json={"title": "t", "body": body, "audience": "public"})
    assert response.status_code == 200
    assert response.get_json()["html"] == render_markdown(body).html
    assert "<script" not in response.get_json()["html"] and "onerror" not in response.get_json()["html"]


def test_the_preview_warns_about_indentation_sections_and_links(writer, synced):
    create(writer, slug="printing/old-guide", title="旧指南")
    writer.post("/writer/articles/printing/old-guide/archive")
    body = ("## 症状\n\n打不出来。\n\n## 解决步骤\n\n1. 打开控制面板：\n  - 子步骤只缩进了两格\n2. 见[旧指南](/articles/printing/old-guide)"
            "和[不存在](/articles/no/such)，以及[VPN](/articles/vpn/error-809#没有这节)。\n")
    warnings = writer.post("/writer/preview", json={"body": body, "audience": "public"}).get_json()["warnings"]
    text = " ".join(w["message"] for w in warnings)
    assert "第 8 行只缩进了 2 个空格" in text
    assert "缺少“## 原因”一节" in text and "缺少“## 仍未解决？”一节" in text
    assert "旧指南》已归档" in text and "no/such 不存在" in text and "没有“#没有这节”这一节" in text
    assert sum(w["broken"] for w in warnings) == 2  # archived + missing are 「失效链接」


def test_saving_reports_broken_links(writer):
    create(writer)
    response = writer.post(f"/writer/articles/{SLUG}/edit",
                           data=form(base_revision="1", body=BODY + "\n参见[旧文](/articles/gone/away)。\n"),
                           follow_redirects=True)
    assert "已保存为第 2 版" in response.get_data(as_text=True)
    assert "gone/away 不存在" in response.get_data(as_text=True)


def _stale_save(writer, other_writer, theirs: dict, mine: dict, audience: str = "public", **post):
    """Both open the editor at revision 1 (an article for ``audience``); the other writer saves
    ``theirs`` first, then the writer saves ``mine`` from revision 1. The writer's response."""
    create(writer, tags=["打印机", "脱机"], audience=audience)
    assert other_writer.post(f"/writer/articles/{SLUG}/edit", data=form(
        base_revision="1", **{"audience": audience, **theirs})).status_code == 303
    return writer.post(f"/writer/articles/{SLUG}/edit", data=form(
        base_revision="1", **{"audience": audience, **mine}), **post)


def test_a_stale_save_is_refused_with_a_diff_and_keeps_what_was_typed(writer, other_writer, synced):
    # the other writer saved first, changing the same step
    theirs = BODY.replace("取消所有打印任务后重试。", "取消所有打印任务，等一分钟后重试。")
    mine = BODY.replace("取消所有打印任务后重试。", "取消所有打印任务，重启打印机后重试。")
    response = _stale_save(writer, other_writer, {"body": theirs}, {"body": mine})
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "保存被拒绝" in page and "walter" in page and "第 2 版" in page
    assert "和您改了同一处：正文（编辑框中正文第 14 行）" in page and "编辑框里是您的内容" in page
    assert "<del>等一分钟</del>" in page  # their change, which my text does not have
    assert "<ins>重启打印机</ins>" in page  # my change, marked by character
    assert "取消所有打印任务，重启打印机后重试。" in page  # my text is still in the editor
    assert 'name="base_revision" value="2"' in page  # saving again is a deliberate merge
    # nothing was overwritten
    assert [r.author_id is not None for r in revision_rows(synced, SLUG)] == [True, True]
    assert "等一分钟" in row(synced, SLUG).body
    # an explicit save after seeing the diff becomes revision 3
    assert writer.post(f"/writer/articles/{SLUG}/edit", data=form(base_revision="2", body=mine)).status_code == 303
    assert row(synced, SLUG).revision == 3


def test_a_stale_save_that_changed_other_lines_is_merged_and_keeps_both_changes(writer, other_writer, synced):
    theirs = BODY.replace("打印队列卡住。", "打印后台处理程序停止了。")
    mine = BODY.replace("取消所有打印任务后重试。", "取消所有打印任务，重启打印机后重试。")
    response = _stale_save(writer, other_writer, {"body": theirs}, {"body": mine, "note": "补充重启"},
                           follow_redirects=True)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "walter 在您编辑期间保存了第 2 版（改了正文），和您改的不是同一处，两边的修改都已保留" in page
    assert "已保存为第 3 版" in page
    rows = revision_rows(synced, SLUG)
    assert [r.number for r in rows] == [1, 2, 3] and rows[2].note == "补充重启"
    assert "打印后台处理程序停止了。" in rows[2].body and "重启打印机后重试" in rows[2].body
    assert rows[2].body == theirs.replace("取消所有打印任务后重试。", "取消所有打印任务，重启打印机后重试。")


def test_a_stale_save_never_reverts_a_field_the_writer_left_alone(writer, other_writer, synced):
    """The colleague renamed the article and added a tag; the writer, still on revision 1,
    only changed the body and removed a tag. Their title and tag stay; the removal stays too."""
    mine = BODY.replace("打印队列卡住。", "打印队列卡住，或打印机休眠。")
    response = _stale_save(writer, other_writer, {"title": "打印机 Quuxprint 显示脱机", "tags": "打印机, 脱机, Quuxprint"},
                           {"body": mine, "tags": "打印机"}, follow_redirects=True)
    assert "改了标题、标签" in response.get_data(as_text=True)
    article = row(synced, SLUG)
    newest = revision_rows(synced, SLUG)[-1]
    assert newest.number == 3 and newest.title == "打印机 Quuxprint 显示脱机" and newest.body == mine
    assert newest.tags == ["打印机", "Quuxprint"]
    assert article.title == "打印机 Quuxprint 显示脱机"  # a draft's row holds its newest revision


def test_a_stale_save_that_both_renamed_shows_the_title_conflict_and_merges_the_rest(writer, other_writer, synced):
    theirs = BODY.replace("打印队列卡住。", "打印后台处理程序停止了。")
    response = _stale_save(writer, other_writer, {"title": "Quuxprint 打印机脱机", "body": theirs},
                           {"title": "打印机脱机的处理"})
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "和您改了同一处：标题。" in page and "对方改了而您没改的地方已采用对方的修改" in page
    assert 'value="打印机脱机的处理"' in page  # my title in the form
    assert "打印后台处理程序停止了。" in page and "打印队列卡住" not in page.split('id="f-body"')[1].split("</textarea>")[0]
    assert len(revision_rows(synced, SLUG)) == 2


def test_a_stale_save_whose_changes_are_already_in_the_newest_revision_saves_nothing(writer, other_writer, synced):
    both = BODY.replace("打印队列卡住。", "打印后台处理程序停止了。")
    response = _stale_save(writer, other_writer, {"body": both, "title": "Quuxprint 打印机脱机"}, {"body": both},
                           follow_redirects=True)
    assert "已经包含了您的全部修改" in response.get_data(as_text=True)
    assert len(revision_rows(synced, SLUG)) == 2


def test_saving_unchanged_text_creates_no_revision(writer, synced):
    create(writer)
    response = writer.post(f"/writer/articles/{SLUG}/edit", data=form(base_revision="1", tags="打印机"),
                           follow_redirects=True)
    assert "内容没有变化" in response.get_data(as_text=True)
    assert len(revision_rows(synced, SLUG)) == 1


def test_history_diff_and_restore(writer, synced):
    create(writer)
    put(writer, SLUG, 1, body=BODY.replace("打印队列卡住。", "打印后台服务停止。"), note="改原因")
    history = writer.get(f"/writer/articles/{SLUG}/history").get_data(as_text=True)
    assert "第 1 版" in history and "第 2 版" in history and "改原因" in history and "wendy" in history
    diff = writer.get(f"/writer/articles/{SLUG}/diff", query_string={"from": 1, "to": 2}).get_data(as_text=True)
    assert "打印<del>队列卡住</del>。" in diff and "打印<ins>后台服务停止</ins>。" in diff  # by character
    revision = writer.get(f"/writer/articles/{SLUG}/revisions/1").get_data(as_text=True)
    assert "打印队列卡住" in revision and "恢复为新的草稿" in revision

    response = writer.post(f"/writer/articles/{SLUG}/restore/1", data={"base_revision": "2"})
    assert response.status_code == 303
    rows = revision_rows(synced, SLUG)
    assert [r.number for r in rows] == [1, 2, 3]
    assert rows[2].body == rows[0].body and rows[2].origin == "restore" and rows[2].restored_from == 1
    # restoring what is already the newest says so
    again = writer.post(f"/writer/articles/{SLUG}/restore/1", data={"base_revision": "3"}, follow_redirects=True)
    assert "内容相同" in again.get_data(as_text=True)


def test_a_restore_from_a_stale_page_is_refused(writer, other_writer, synced):
    create(writer)
    put(writer, SLUG, 1, body="第二版\n")
    put(other_writer, SLUG, 2, body="第三版\n")
    response = writer.post(f"/writer/articles/{SLUG}/restore/1", data={"base_revision": "2"}, follow_redirects=True)
    assert "保存被拒绝" in response.get_data(as_text=True)
    assert row(synced, SLUG).revision == 3


def test_publish_from_the_editor_and_the_article_page(writer, reader):
    create(writer)
    edit = writer.get(f"/writer/articles/{SLUG}/edit").get_data(as_text=True)
    assert "发布第 1 版" in edit
    response = writer.post(f"/writer/articles/{SLUG}/publish", data={"revision": "1"}, follow_redirects=True)
    assert "已发布第 1 版" in response.get_data(as_text=True)
    assert reader.get(f"/articles/{SLUG}").status_code == 200
    # a publish form from before someone's save does not publish their unseen revision
    put(writer, SLUG, 1, body="新的草稿\n")
    stale = writer.post(f"/writer/articles/{SLUG}/publish", data={"revision": "1"}, follow_redirects=True)
    assert "最新的是第 2 版" in stale.get_data(as_text=True)


def test_the_article_page_links_to_the_editor_for_writers_only(writer, synced):
    assert 'href="/writer/articles/vpn/error-809/edit"' in writer.get("/articles/vpn/error-809").get_data(as_text=True)
    agent = client_as(synced, "agent")
    assert "/edit" not in agent.get("/articles/vpn/error-809").get_data(as_text=True)


def test_editor_pages_are_for_writers_and_admins(synced):
    urls = ["/writer/articles/new", "/writer/articles/vpn/error-809/edit", "/writer/articles/vpn/error-809/history",
            "/writer/articles/vpn/error-809/revisions/1", "/writer/articles/vpn/error-809/diff", "/writer/links"]
    for role, expected in (("requester", 403), ("agent", 403), ("writer", 200), ("admin", 200)):
        client = client_as(synced, role)
        for url in urls:
            assert client.get(url).status_code == expected, (role, url)
    anonymous = synced.test_client()
    for url in urls:
        response = anonymous.get(url)
        assert response.status_code == 302 and response.headers["Location"].startswith("/login?next="), url
    agent = client_as(synced, "agent")
    assert agent.post("/writer/articles/new", data=form()).status_code == 403
    assert agent.post("/writer/articles/vpn/error-809/publish", data={}).status_code == 403


def test_routes_with_slugs_that_look_like_actions(writer):
    create(writer, slug="printing/edit-guide", title="编辑指南")
    assert writer.get("/writer/articles/printing/edit-guide/edit").status_code == 200
    assert writer.get("/writer/articles/printing/edit-guide").status_code == 200
    assert "edit" in writer.post("/api/articles", json={"title": "x", "category": "y", "body": "z",
                                                        "slug": "printing/edit"}).get_json()["fields"]["slug"]


def test_a_merge_that_changes_who_may_read_is_shown_not_saved(writer, other_writer, synced):
    """Found by a probe: the colleague added a desk-only line to an internal article while the
    writer, on revision 1, made it public — a clean merge saved the line as public text."""
    secret = BODY.replace("打印队列卡住。", "打印队列卡住。内部：打印服务器管理口令在值班手册第 3 页。")
    response = _stale_save(writer, other_writer, {"body": secret}, {"audience": "public"}, audience="internal")
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "读者范围在两个版本之间改了，保存后是「所有人（公开）」" in page and "和您改了同一处" not in page
    assert "值班手册第 3 页" in page   # the merge is in the form, for the writer to check
    assert len(revision_rows(synced, SLUG)) == 2
