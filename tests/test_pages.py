"""Browsing: home, categories, articles; drafts, archived and internal articles stay hidden."""

from __future__ import annotations

import pytest

from tests.conftest import login


def write(articles_dir, rel, text):
    path = articles_dir / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


@pytest.fixture
def hidden(articles_dir):
    write(articles_dir, "drafts/new.md", "---\ntitle: 草稿文章\ncategory: 账号与密码\nstatus: draft\n---\n草稿内容")
    write(articles_dir, "old/gone.md", "---\ntitle: 归档文章\ncategory: 账号与密码\nstatus: archived\n---\n旧内容")
    return articles_dir


def test_home_lists_categories_with_counts_and_recent_articles(synced, client):
    page = client.get("/").get_data(as_text=True)
    assert "VPN 与远程访问" in page and "忘记密码时自助重置" in page
    # anonymous visitors count only public articles: the internal AD article is not counted
    assert "账号与密码</a> <span class=\"count\">1 篇" in page
    assert "AD 账号解锁" not in page


def test_agents_see_internal_articles_counted(synced, client, app):
    login(client, app, "agent1", "agent")
    page = client.get("/").get_data(as_text=True)
    assert "账号与密码</a> <span class=\"count\">2 篇" in page


def test_article_page_has_breadcrumbs_body_toc_and_request_link(synced, client):
    response = client.get("/articles/vpn/error-809")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'aria-label="当前位置"' in page and "VPN 与远程访问" in page
    assert 'id="解决步骤"' in page and 'href="#解决步骤"' in page
    assert "/requests/new" in page
    assert "2026-11-01" in page


def test_internal_article_is_404_for_anonymous_and_requesters(synced, client, app):
    assert client.get("/articles/internal/ad-unlock").status_code == 404
    assert client.get("/api/articles/internal/ad-unlock").status_code == 404
    login(client, app, "emp", "requester")
    assert client.get("/articles/internal/ad-unlock").status_code == 404


def test_internal_article_is_readable_by_agents(synced, client, app):
    login(client, app, "agent1", "agent")
    page = client.get("/articles/internal/ad-unlock").get_data(as_text=True)
    assert "Unlock-ADAccount" in page and "内部文章" in page


def test_drafts_and_archived_articles_are_404_except_drafts_for_writers(hidden, app, runner, client):
    runner.invoke(args=["kb", "sync"])
    for slug in ("drafts/new", "old/gone"):
        assert client.get(f"/articles/{slug}").status_code == 404
    login(client, app, "writer1", "writer")
    assert client.get("/articles/drafts/new").status_code == 200


def test_category_page_lists_only_visible_articles(synced, client):
    page = client.get("/categories/账号与密码").get_data(as_text=True)
    assert "忘记密码时自助重置" in page and "AD 账号解锁" not in page
    assert client.get("/categories/不存在的类别").status_code == 404


def test_api_article_matches_the_contract(synced, client):
    body = client.get("/api/articles/vpn/error-809").get_json()
    assert set(body) >= {"slug", "title", "category", "tags", "error_codes", "audience", "updated",
                         "html", "helpful", "not_helpful"}
    assert body["error_codes"] == ["809"] and body["updated"] == "2026-11-01"
    missing = client.get("/api/articles/nope")
    assert missing.status_code == 404 and missing.get_json()["error"] == "not_found"


def test_pages_are_chinese_and_self_contained(synced, client):
    page = client.get("/").get_data(as_text=True)
    assert '<html lang="zh-CN">' in page and 'name="viewport"' in page
    assert "http://" not in page.replace("http://localhost", "") and "https://" not in page
    assert "script-src 'self'" in client.get("/").headers["Content-Security-Policy"]


def test_unknown_page_is_a_chinese_404(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404 and "页面不存在" in response.get_data(as_text=True)


def test_missing_article_says_what_is_missing_in_html_and_json(synced, client):
    page = client.get("/articles/internal/ad-unlock")
    assert page.status_code == 404 and "文章不存在或您无权查看" in page.get_data(as_text=True)
    body = client.get("/api/articles/internal/ad-unlock").get_json()
    assert body == {"error": "not_found", "message": "文章不存在或您无权查看。"}


def test_search_page_offers_the_word_a_pinyin_slip_meant(synced, client):
    # 重至 (chong zhi) is an IME slip for 重置, a word of the title 忘记密码时自助重置
    page = client.get("/search?q=重至密码").get_data(as_text=True)
    assert "您是不是要找" in page and "重置密码" in page
    assert "忘记密码时自助重置" in page


@pytest.mark.parametrize(("value", "page"), [
    (None, 1), ("", 1), ("abc", 1), ("1.5", 1), ("0", 1), ("-3", 1), (" 2 ", 2), ("7", 7),
    ("99999999999999999999", 50), ("9" * 5000, 1),
])
def test_a_page_number_from_a_query_string_is_one_to_the_last(value, page):
    from app.models import parse_page

    assert parse_page(value, 50) == page


def test_a_search_page_past_the_last_shows_the_last_page(library):
    client = library.test_client()
    first = client.get("/search?q=vpn").get_data(as_text=True)
    pages = int(first.split("第 1 / ")[1].split(" 页")[0])
    assert pages > 1
    for typed in ("99999999999999999999", str(pages + 1)):
        page = client.get(f"/search?q=vpn&page={typed}").get_data(as_text=True)
        assert f"第 {pages} / {pages} 页" in page and 'rel="next"' not in page    # the last page, with its results
        assert 'class="result-list"' in page and f"page={pages - 1}" in page


def test_the_site_has_an_icon(client):
    assert 'rel="icon" href="/static/favicon.svg"' in client.get("/").get_data(as_text=True)
    icon = client.get("/favicon.ico")
    assert icon.status_code == 200 and icon.mimetype == "image/svg+xml" and b"<svg" in icon.data
