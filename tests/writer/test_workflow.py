"""draft → in_review → published → archived: what readers, search and suggestions see at each step."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.db import session_scope
from app.models import Article, FixTask
from tests.writer.conftest import client_as, create, publish, put, row, search_slugs

SLUG = "printing/quuxprint-offline"


def reader_sees(client, slug=SLUG) -> bool:
    return client.get(f"/articles/{slug}").status_code == 200


def test_drafts_never_reach_readers_search_suggestions_or_counts(writer, reader, synced):
    home_before = reader.get("/").get_data(as_text=True)
    create(writer)
    assert not reader_sees(reader)
    assert reader.get(f"/api/articles/{SLUG}").status_code == 404
    for role in ("anonymous", "requester", "agent"):
        client = client_as(synced, role)
        assert search_slugs(client, "Quuxprint") == [], role
        assert search_slugs(client, "Quuxprint", "/api/suggest") == [], role
        assert SLUG not in client.get("/search", query_string={"q": "Quuxprint"}).get_data(as_text=True)
    assert reader.get("/").get_data(as_text=True) == home_before  # category counts, recent articles
    assert "Quuxprint" not in reader.get("/categories/打印与外设").get_data(as_text=True)
    assert "Quuxprint" not in client_as(synced, "agent").get("/writer/").get_data(as_text=True)


def test_editing_a_published_article_keeps_readers_on_the_published_revision(writer, reader):
    create(writer)
    publish(writer, SLUG)
    assert put(writer, SLUG, 1, title="打印机 Zyxwide 脱机（新版）", body="新版正文 Zyxwide。\n").status_code == 200
    page = reader.get(f"/articles/{SLUG}").get_data(as_text=True)
    assert "Quuxprint" in page and "Zyxwide" not in page
    assert reader.get(f"/api/articles/{SLUG}").get_json()["revision"] == 1
    assert search_slugs(reader, "Zyxwide") == [] and search_slugs(reader, "Quuxprint") == [SLUG]
    mine = writer.get(f"/api/articles/{SLUG}").get_json()
    assert mine["status"] == "published" and mine["state"] == "draft"
    assert mine["revision"] == 2 and mine["published_revision"] == 1
    assert mine["draft"]["revision"] == 2 and mine["draft"]["title"] == "打印机 Zyxwide 脱机（新版）"

    assert publish(writer, SLUG).status_code == 200
    assert "Zyxwide" in reader.get(f"/articles/{SLUG}").get_data(as_text=True)
    assert search_slugs(reader, "Zyxwide") == [SLUG] and search_slugs(reader, "Quuxprint") == []


def test_publishing_a_new_version_bumps_the_version_and_closes_the_fix_task(writer, synced):
    create(writer)
    publish(writer, SLUG)
    with synced.app_context(), session_scope() as session:
        article = session.scalar(select(Article).where(Article.slug == SLUG))
        session.add(FixTask(article_id=article.id, article_version=article.version, status="open"))
    put(writer, SLUG, 1, body="改正后的步骤。\n")
    assert row(synced, SLUG).version == 1  # a saved draft is not a new version yet
    publish(writer, SLUG)
    article = row(synced, SLUG)
    assert article.version == 2 and article.version_views == 0
    with synced.app_context(), session_scope() as session:
        task = session.scalar(select(FixTask))
        assert task.status == "closed" and task.closed_by_version == 2


@pytest.mark.parametrize("action", ["unpublish", "archive"])
def test_unpublish_and_archive_take_it_out_of_search_and_suggestions_at_once(writer, reader, action):
    create(writer)
    publish(writer, SLUG)
    assert search_slugs(reader, "Quuxprint") == [SLUG]
    response = writer.post(f"/writer/articles/{SLUG}/{action}")
    assert response.status_code == 303
    assert search_slugs(reader, "Quuxprint") == []
    assert search_slugs(reader, "Quuxprint", "/api/suggest") == []
    assert not reader_sees(reader)
    assert writer.get(f"/api/articles/{SLUG}").get_json()["status"] == ("draft" if action == "unpublish" else "archived")


def test_an_archived_article_can_be_edited_and_published_again(writer, reader):
    create(writer)
    publish(writer, SLUG)
    writer.post(f"/writer/articles/{SLUG}/archive")
    assert put(writer, SLUG, 1, body="重新整理的内容 Revivox。\n").status_code == 200
    assert writer.get(f"/api/articles/{SLUG}").get_json()["status"] == "draft"
    assert publish(writer, SLUG).status_code == 200
    assert search_slugs(reader, "Revivox") == [SLUG]


@pytest.fixture
def review_on(synced):
    synced.config["KB_REQUIRE_REVIEW"] = "on"
    yield synced
    synced.config["KB_REQUIRE_REVIEW"] = False


def test_with_review_required_a_writers_publish_waits_for_another_writer(review_on, writer, other_writer, reader):
    create(writer)
    response = publish(writer, SLUG)
    assert response.status_code == 202 and response.get_json()["state"] == "in_review"
    assert response.get_json()["status"] == "in_review"
    assert not reader_sees(reader) and search_slugs(reader, "Quuxprint") == []
    # the author cannot approve their own revision
    own = writer.post(f"/api/articles/{SLUG}/review", json={"action": "approve"})
    assert own.status_code == 403
    page = other_writer.get(f"/writer/articles/{SLUG}").get_data(as_text=True)
    assert "审核通过并发布" in page
    assert other_writer.get("/writer/").get_data(as_text=True).count("可由您审核") == 1
    approved = other_writer.post(f"/api/articles/{SLUG}/review", json={"action": "approve"})
    assert approved.status_code == 200 and approved.get_json()["status"] == "published"
    assert search_slugs(reader, "Quuxprint") == [SLUG]
    history = writer.get(f"/writer/articles/{SLUG}/history").get_data(as_text=True)
    assert "提交审核" in history and "审核通过" in history


def test_sending_back_needs_a_comment_and_the_author_sees_it(review_on, writer, other_writer):
    create(writer)
    publish(writer, SLUG)
    missing = other_writer.post(f"/api/articles/{SLUG}/review", json={"action": "return"})
    assert missing.status_code == 400 and missing.get_json()["error"] == "comment_required"
    other_writer.post(f"/writer/articles/{SLUG}/return", data={"comment": "第 2 步缺少 Windows 10 的菜单路径"})
    body = writer.get(f"/api/articles/{SLUG}").get_json()
    assert body["status"] == "draft" and body["state"] == "draft"
    assert "第 2 步缺少 Windows 10 的菜单路径" in writer.get(f"/writer/articles/{SLUG}").get_data(as_text=True)


def test_a_save_during_review_withdraws_the_request(review_on, writer):
    create(writer)
    publish(writer, SLUG)
    put(writer, SLUG, 1, body="又改了一处。\n")
    assert writer.get(f"/api/articles/{SLUG}").get_json()["state"] == "draft"


def test_with_review_required_an_admin_publishes_directly(review_on, synced):
    admin = client_as(synced, "admin")
    create(admin)
    assert publish(admin, SLUG).status_code == 200


def test_file_drafts_and_browser_drafts_share_the_states(writer, synced, articles_dir, runner):
    """An article imported as `status: draft` from a file is published from the browser too."""
    (articles_dir / "printing").mkdir(exist_ok=True)
    (articles_dir / "printing" / "file-draft.md").write_text(
        "---\ntitle: 文件里的草稿 Filedraftx\nstatus: draft\n---\n正文\n", encoding="utf-8")
    runner.invoke(args=["kb", "sync"])
    assert writer.get("/api/articles/printing/file-draft").get_json()["state"] == "draft"
    assert publish(writer, "printing/file-draft").status_code == 200
    assert search_slugs(synced.test_client(), "Filedraftx") == ["printing/file-draft"]
    # the file still says draft, but it has not changed: the browser's publish stands, no conflict
    result = runner.invoke(args=["kb", "sync"])
    assert result.exit_code == 0 and "冲突" not in result.output, result.output
    assert writer.get("/api/articles/printing/file-draft").get_json()["status"] == "published"
