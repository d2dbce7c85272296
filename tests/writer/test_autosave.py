"""Autosave: a per-writer buffer so a closed tab loses nothing; never a revision, never seen by others."""

from __future__ import annotations

from tests.writer.conftest import client_as, create, revision_rows

SLUG = "printing/quuxprint-offline"


def autosave(client, key, body, base=None):
    return client.put("/writer/autosave", json={"key": key, "base_revision": base,
                                                "fields": {"title": "标题", "category": "打印与外设", "body": body}})


def article_key(app, slug=SLUG):
    from tests.writer.conftest import row

    return f"article:{row(app, slug).id}"


def test_autosave_keeps_text_without_creating_revisions(writer, synced):
    create(writer)
    key = article_key(synced)
    for i in range(5):
        assert autosave(writer, key, f"正在写的第 {i} 稿 Unsavedtext", base=1).status_code == 200
    assert len(revision_rows(synced, SLUG)) == 1
    page = writer.get(f"/writer/articles/{SLUG}/edit").get_data(as_text=True)
    assert "自动保存但还没有保存为版本的内容" in page and "Unsavedtext" not in page
    restored = writer.get(f"/writer/articles/{SLUG}/edit?autosave=1").get_data(as_text=True)
    assert "正在写的第 4 稿 Unsavedtext" in restored and "已恢复自动保存的内容" in restored


def test_a_save_clears_the_buffer_and_another_writer_never_sees_it(writer, other_writer, synced):
    create(writer)
    key = article_key(synced)
    autosave(writer, key, "我的未保存内容 Privatebuffer", base=1)
    other = other_writer.get(f"/writer/articles/{SLUG}/edit?autosave=1").get_data(as_text=True)
    assert "Privatebuffer" not in other and "自动保存" not in other.split("<main")[1].split("预览")[0]
    writer.post(f"/writer/articles/{SLUG}/edit", data={
        "base_revision": "1", "title": "标题", "category": "打印与外设", "audience": "public", "body": "保存后的正文\n"})
    assert "自动保存但还没有保存为版本的内容" not in writer.get(f"/writer/articles/{SLUG}/edit").get_data(as_text=True)


def test_a_new_article_is_autosaved_too_and_can_be_discarded(writer):
    autosave(writer, "new", "新文章写到一半 Halfway")
    page = writer.get("/writer/articles/new").get_data(as_text=True)
    assert "自动保存但还没有保存为版本的内容" in page
    writer.post("/writer/autosave/discard", data={"key": "new", "back": "/writer/articles/new"})
    assert "自动保存但还没有保存为版本的内容" not in writer.get("/writer/articles/new").get_data(as_text=True)


def test_bad_autosaves_are_refused(writer, synced):
    assert writer.put("/writer/autosave", json={"key": "../../x", "fields": {}}).status_code == 400
    assert writer.put("/writer/autosave", json={"key": "new", "fields": "text"}).status_code == 400
    assert writer.put("/writer/autosave", json={"key": "new", "fields": {"body": "x" * 1_100_000}}).status_code == 400
    assert client_as(synced, "requester").put("/writer/autosave", json={"key": "new", "fields": {}}).status_code == 403


def test_a_base_revision_no_column_can_hold_is_kept_as_unknown_not_a_500(writer, synced):
    """Found by a probe: 10**30 or 2**63 as base_revision overflowed the integer column (500)."""
    create(writer)
    key = article_key(synced)
    for base in (10**30, 2**63, -2**63 - 1, 2_147_483_648, True, "x"):
        response = autosave(writer, key, f"正在写 {base!r}", base=base)
        assert response.status_code == 200, base
    page = writer.get(f"/writer/articles/{SLUG}/edit").get_data(as_text=True)
    assert "自动保存但还没有保存为版本的内容" in page and "（基于第" not in page   # no revision claimed
    assert autosave(writer, key, "按第 1 版写", base=1).status_code == 200
    assert "（基于第 1 版）" in writer.get(f"/writer/articles/{SLUG}/edit").get_data(as_text=True)
