"""The article write API of INTERFACES.md: POST/PUT/publish/revisions, for writers and admins."""

from __future__ import annotations

import pytest

from tests.writer.conftest import article_data, client_as, create, publish, put, search_slugs

SLUG = "printing/quuxprint-offline"


def test_post_creates_a_draft_with_revision_1(writer, reader):
    body = create(writer)
    assert body["slug"] == SLUG and body["status"] == "draft" and body["revision"] == 1
    assert body["state"] == "draft" and body["published_revision"] is None
    assert body["title"] == "打印机 Quuxprint 脱机怎么办" and body["error_codes"] == ["0x00000709"]
    assert "<h2" in body["html"] and body["body"].startswith("本文适用于")
    # a draft is nobody else's business
    assert reader.get(f"/api/articles/{SLUG}").status_code == 404
    assert search_slugs(writer, "Quuxprint") == []


def test_put_with_the_current_base_saves_the_next_revision(writer):
    create(writer)
    response = put(writer, SLUG, 1, title="打印机 Quuxprint 显示脱机")
    assert response.status_code == 200
    body = response.get_json()
    assert body["revision"] == 2 and body["title"] == "打印机 Quuxprint 显示脱机"
    assert body["tags"] == ["打印机"]  # fields left out keep the newest revision's values


def test_put_with_a_stale_base_is_a_409_with_the_current_revision(writer, other_writer):
    create(writer)
    assert put(other_writer, SLUG, 1, body="别人的修改\n").status_code == 200
    response = put(writer, SLUG, 1, body="我的修改\n")
    assert response.status_code == 409
    assert response.get_json()["error"] == "conflict" and response.get_json()["current_revision"] == 2
    # nothing was overwritten
    current = writer.get(f"/api/articles/{SLUG}").get_json()
    assert current["revision"] == 2 and current["body"] == "别人的修改\n"
    # the same body again from the stale base is still refused: the caller has not seen rev 2
    assert put(writer, SLUG, 1, body="别人的修改\n").status_code == 409


def test_put_needs_a_base_revision(writer):
    create(writer)
    response = writer.put(f"/api/articles/{SLUG}", json={"title": "x"})
    assert response.status_code == 400 and response.get_json()["error"] == "base_revision_required"


def test_publish_makes_it_readable_and_searchable_and_get_reports_status_and_revision(writer, reader):
    create(writer)
    response = publish(writer, SLUG)
    assert response.status_code == 200
    assert response.get_json()["status"] == "published" and response.get_json()["published_revision"] == 1
    public = reader.get(f"/api/articles/{SLUG}").get_json()
    assert public["status"] == "published" and public["revision"] == 1
    assert "body" not in public and "draft" not in public and "review_due" not in public  # writers' fields
    assert search_slugs(reader, "Quuxprint") == [SLUG]
    assert SLUG in search_slugs(reader, "Quuxprint", "/api/suggest")
    # publishing again with nothing new is harmless
    assert publish(writer, SLUG).status_code == 200


def test_revisions_lists_every_save_newest_first(writer):
    create(writer)
    put(writer, SLUG, 1, body="第二版正文\n", note="改写")
    publish(writer, SLUG)
    body = writer.get(f"/api/articles/{SLUG}/revisions").get_json()
    assert body["revision"] == 2 and body["published_revision"] == 2 and body["state"] == "published"
    assert [r["number"] for r in body["revisions"]] == [2, 1]
    newest = body["revisions"][0]
    assert newest["author"] == "wendy" and newest["note"] == "改写" and newest["origin"] == "api"
    assert newest["published"] is True and body["revisions"][1]["published"] is False
    one = writer.get(f"/api/articles/{SLUG}/revisions/1").get_json()
    assert one["number"] == 1 and one["body"].startswith("本文适用于")
    assert writer.get(f"/api/articles/{SLUG}/revisions/9").status_code == 404


def test_validation_errors_name_the_fields(writer):
    response = writer.post("/api/articles", json={"title": "", "category": "", "body": "  ", "audience": "everyone",
                                                  "slug": "Bad Slug!"})
    assert response.status_code == 400
    fields = response.get_json()["fields"]
    assert set(fields) >= {"title", "category", "body", "audience", "slug"}
    assert writer.post("/api/articles", data="not json", content_type="application/json").status_code == 400
    assert writer.post("/api/articles", json=["a", "list"]).status_code == 400
    assert writer.post("/api/articles", data={"title": "x"}).status_code == 415


def test_a_taken_slug_is_a_409(writer, synced):
    response = writer.post("/api/articles", json=article_data(slug="vpn/error-809"))
    assert response.status_code == 409 and response.get_json()["error"] == "slug_taken"


def test_without_a_slug_one_is_suggested_from_category_and_title(writer):
    body = create(writer, slug=None, title="Outlook 0x800CCC0E 收不到邮件", category="邮件与日历")
    assert body["slug"] == "mail/outlook-0x800ccc0e-shoubudao-youjian"      # Chinese words as their pinyin
    body = create(writer, slug=None, title="打印機一直顯示脫機", category="打印与外设")
    assert body["slug"] == "printing/dayinji-yizhi-xianshi-tuoji"
    body = create(writer, slug=None, title="打印机一直显示脱机", category="打印与外设")
    assert body["slug"].startswith("printing/dayinji-yizhi-xianshi-tuoji-") and len(body["slug"]) > 40  # taken: a suffix


@pytest.mark.parametrize("role, status", [("anonymous", 401), ("requester", 403), ("agent", 403)])
def test_only_writers_and_admins_may_write(synced, role, status):
    client = client_as(synced, role)
    assert client.post("/api/articles", json=article_data()).status_code == status
    assert client.put("/api/articles/vpn/error-809", json={"base_revision": 1, "title": "x"}).status_code == status
    assert client.post("/api/articles/vpn/error-809/publish", json={}).status_code == status
    response = client.get("/api/articles/internal/ad-unlock/revisions")
    assert response.status_code == status and response.get_json()["error"] in ("unauthorized", "forbidden")


def test_admins_may_write(synced):
    admin = client_as(synced, "admin")
    create(admin)
    assert publish(admin, SLUG).status_code == 200


def test_session_writes_need_the_csrf_token(synced, tmp_path, pg_available):
    from tests.conftest import _teardown, build_app

    app, drop = build_app(tmp_path / "csrf", synced.config["KB_ARTICLES_DIR"], pg_available, WTF_CSRF_ENABLED=True)
    try:
        client = app.test_client()
        with app.app_context():
            from app.db import session_scope
            from app.models import User

            with session_scope() as session:
                user = User(username="cathy", role="writer")
                user.set_password("pw-123456")
                session.add(user)
        page = client.get("/login").get_data(as_text=True)
        token = page.split('name="csrf_token" value="')[1].split('"')[0]
        assert client.post("/login", data={"username": "cathy", "password": "pw-123456", "csrf_token": token}).status_code == 302
        refused = client.post("/api/articles", json=article_data())
        assert refused.status_code == 400 and refused.get_json()["error"] == "csrf_failed"
        editor = client.get("/writer/articles/new").get_data(as_text=True)
        header = editor.split('<meta name="csrf-token" content="')[1].split('"')[0]
        assert client.post("/api/articles", json=article_data(), headers={"X-CSRFToken": header}).status_code == 201
    finally:
        _teardown(app, drop)
