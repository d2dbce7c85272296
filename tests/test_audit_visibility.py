"""Adversarial audit: internal, draft and archived articles and other people's tickets never leak,
and strange input never becomes a 500.

Black-box: every probe goes through HTTP as an anonymous visitor, a requester, another requester,
a writer and an agent. The secret words below appear only in articles the prober may not read;
a response that contains one of them (outside the echoed query itself) is a leak.
"""

from __future__ import annotations

import re

import pytest

from tests.conftest import login

INTERNAL = "internal/ad-unlock"  # fixture article, audience: internal
INTERNAL_CATEGORY_SLUG = "internal/dc-door"
DRAFT = "secret/draft-doc"

DRAFT_MD = """---
title: 草稿 Draftwordx 打印机
slug: secret/draft-doc
category: 打印与外设
tags: [草稿]
audience: public
status: draft
---
草稿正文 Draftwordx 仍在编写。
"""
# An internal article alone in its category: the category name itself is a secret.
INTERNAL_CATEGORY_MD = """---
title: 机房门禁 Zorbixtool 流程
slug: internal/dc-door
category: 机房值班专用
tags: [门禁]
audience: internal
status: published
---
机房门禁 Zorbixtool 只给值班人员。
"""
HOSTILE_MD = """---
title: 打印机 <img src=x onerror=alert(1)> Wobblyx
slug: print/hostile
category: 打印与外设
audience: public
status: published
---
正文 Wobblyx 打印机 `<script>alert(2)</script>` 和 <b onclick="alert(3)">点</b>

```
<script>alert(4)</script> Wobblyx
```
"""

SECRETS = ("AD 账号解锁", "ADUC", "Unlock-ADAccount", "ad-unlock", "Draftwordx", "draft-doc",
           "Zorbixtool", "机房值班专用", "dc-door")


def leaks(body: str, echoed: str = "") -> list[str]:
    """Secret words in ``body`` that are not just the caller's own input echoed back."""
    found = []
    for word in SECRETS:
        if word.lower() in echoed.lower():
            continue
        if word in body:
            found.append(word)
    return found


@pytest.fixture
def world(app, articles_dir, runner):
    (articles_dir / "secret").mkdir()
    (articles_dir / "secret" / "draft-doc.md").write_text(DRAFT_MD, encoding="utf-8")
    (articles_dir / "internal" / "dc-door.md").write_text(INTERNAL_CATEGORY_MD, encoding="utf-8")
    (articles_dir / "print").mkdir()
    (articles_dir / "print" / "hostile.md").write_text(HOSTILE_MD, encoding="utf-8")
    result = runner.invoke(args=["kb", "sync"])
    assert result.exit_code == 0, result.output
    return app


def client_as(app, role: str, username: str | None = None):
    client = app.test_client()
    if role != "anonymous":
        login(client, app, username or f"audit-{role}", role)
    return client


PUBLIC_ROLES = ("anonymous", "requester")

# GET probes for readers who may see neither internal nor draft articles.
READER_PROBES = [
    "/", "/search?q=Unlock", "/search?q=ADUC", "/search?q=Zorbixtool", "/search?q=Draftwordx",
    "/search?q=解锁", "/search?q=Zorbixtoal", "/search?q=门禁&category=机房值班专用",
    "/api/search?q=Unlock", "/api/search?q=账号", "/api/search?q=解锁", "/api/search?q=Zorbixtoal",
    "/api/search?q=门禁&category=机房值班专用", "/api/search?category=机房值班专用",
    "/api/suggest?q=Unlo", "/api/suggest?q=Zorb", "/api/suggest?q=账号", "/api/suggest?q=门禁&category=机房值班专用",
    f"/articles/{INTERNAL}", f"/api/articles/{INTERNAL}", f"/articles/{DRAFT}", f"/api/articles/{DRAFT}",
    f"/articles/{INTERNAL_CATEGORY_SLUG}", "/categories/机房值班专用",
    f"/escalate/{INTERNAL}", f"/escalate/{DRAFT}",
    f"/requests/new?article={INTERNAL}", f"/requests/new?article={DRAFT}",
    f"/requests/new/thanks?article={INTERNAL}", f"/requests/new/open/x/{INTERNAL}",
    f"/writer/articles/{INTERNAL}", f"/writer/articles/{DRAFT}", "/writer/",
    "/articles/account/reset-password",  # its related-articles list
    "/escalate/account/reset-password",
]


@pytest.mark.parametrize("role", PUBLIC_ROLES)
def test_no_internal_or_draft_article_leaks_to_readers(world, role):
    client = client_as(world, role)
    for url in READER_PROBES:
        response = client.get(url)
        assert response.status_code in (200, 302, 404), (url, response.status_code)
        if response.status_code == 302:  # only to the login page, whatever the slug: nothing learned
            assert response.headers["Location"].startswith("/login?next="), url
            continue
        echoed = url.split("?", 1)[1] if "?" in url and not url.startswith(("/requests/new?", "/requests/new/thanks")) else ""
        assert not leaks(response.get_data(as_text=True), echoed), (role, url)


@pytest.mark.parametrize("role", PUBLIC_ROLES)
def test_unreadable_articles_answer_404_not_403(world, role):
    client = client_as(world, role)
    for slug in (INTERNAL, DRAFT, "no/such-article"):
        for url in (f"/articles/{slug}", f"/api/articles/{slug}", f"/escalate/{slug}"):
            assert client.get(url).status_code == 404, url
        assert client.post(f"/feedback/{slug}", data={"helpful": "1"}).status_code == 404
        response = client.post(f"/api/articles/{slug}/feedback", json={"helpful": True})
        assert response.status_code == 404 and response.get_json()["error"] == "not_found"
    # the same answer for a missing and an unreadable article: nothing tells them apart
    missing = client.get("/api/articles/no/such-article").get_json()
    assert client.get(f"/api/articles/{INTERNAL}").get_json() == missing


def test_facets_and_did_you_mean_count_only_visible_articles(world):
    anonymous, agent = client_as(world, "anonymous"), client_as(world, "agent")
    staff = agent.get("/api/search", query_string={"q": "账号"}).get_json()
    public = anonymous.get("/api/search", query_string={"q": "账号"}).get_json()
    assert staff["facets"]["账号与密码"] == public["facets"]["账号与密码"] + 1  # the internal one
    assert public["total"] == len(public["results"]) == sum(public["facets"].values())

    # a typo of a word only an internal title has: staff get the correction, readers nothing
    staff = agent.get("/api/search", query_string={"q": "Zorbixtoal"}).get_json()
    public = anonymous.get("/api/search", query_string={"q": "Zorbixtoal"}).get_json()
    assert (staff["did_you_mean"] or "").lower() == "zorbixtool"
    assert public["did_you_mean"] is None and public["total"] == 0 and public["facets"] == {}
    page = anonymous.get("/search", query_string={"q": "Zorbixtoal"}).get_data(as_text=True)
    assert "zorbixtool" not in page.lower()


def test_a_title_word_stops_being_suggested_once_the_article_turns_internal(world, articles_dir, runner):
    anonymous = client_as(world, "anonymous")
    path = articles_dir / "vpn" / "error-809.md"
    path.write_text(path.read_text(encoding="utf-8").replace(
        "title: VPN 连接提示“错误 809”", "title: VPN 连接提示“错误 809” Quuxomatic"), encoding="utf-8")
    assert runner.invoke(args=["kb", "sync"]).exit_code == 0
    before = anonymous.get("/api/search", query_string={"q": "Quuxomatik"}).get_json()
    assert (before["did_you_mean"] or "").lower() == "quuxomatic"

    path.write_text(path.read_text(encoding="utf-8").replace("audience: public", "audience: internal"),
                    encoding="utf-8")
    assert runner.invoke(args=["kb", "sync"]).exit_code == 0
    for url in ("/api/search", "/api/suggest"):
        body = anonymous.get(url, query_string={"q": "Quuxomatik"}).get_json()
        assert body["did_you_mean"] is None and body["results"] == [], url
    assert anonymous.get("/api/suggest", query_string={"q": "Quuxo"}).get_json()["results"] == []


def test_staff_see_internal_but_agents_never_drafts(world):
    agent, writer = client_as(world, "agent"), client_as(world, "writer")
    assert agent.get(f"/articles/{INTERNAL}").status_code == 200
    for url in (f"/articles/{DRAFT}", f"/api/articles/{DRAFT}", f"/writer/articles/{DRAFT}", f"/escalate/{DRAFT}"):
        assert agent.get(url).status_code == 404, url
    assert "Draftwordx" not in agent.get("/writer/").get_data(as_text=True)
    assert "Draftwordx" not in agent.get(f"/requests/new?article={DRAFT}").get_data(as_text=True)
    assert writer.get(f"/writer/articles/{DRAFT}").status_code == 200


def test_archived_articles_are_gone_for_readers(world, articles_dir, runner):
    (articles_dir / "account" / "reset-password.md").unlink()
    assert runner.invoke(args=["kb", "sync"]).exit_code == 0
    for role in ("anonymous", "requester", "agent"):
        client = client_as(world, role)
        for url in ("/articles/account/reset-password", "/api/articles/account/reset-password",
                    "/escalate/account/reset-password"):
            assert client.get(url).status_code == 404, (role, url)
        body = client.get("/api/search", query_string={"q": "重置 密码"}).get_json()
        assert "account/reset-password" not in [h["slug"] for h in body["results"]], role


# --- tickets ---------------------------------------------------------------------------------


TICKET = {
    "subject": "<script>alert('s')</script> 打印机卡纸",
    "description": "<img src=x onerror=alert(1)> 每次打印都卡纸。",
    "category": "printing", "impact": "person", "urgency": "stopped",
    "contact_name": "<b>甲</b>", "contact_email": "a@example.com", "contact_phone": "8021",
}


def test_another_persons_ticket_is_404_everywhere(synced):
    alice = client_as(synced, "requester", "alice")
    created = alice.post("/api/tickets", json=TICKET)
    assert created.status_code == 201
    number = created.get_json()["number"]
    anonymous_created = synced.test_client().post("/api/tickets", json=TICKET).get_json()
    anon_number = anonymous_created["number"]

    urls = [f"/requests/{number}", f"/api/tickets/{number}", f"/requests/{number}?token=wrong",
            f"/requests/{number}?token=", f"/requests/{number}/attachments/1",
            f"/requests/new/submitted/{number}", f"/requests/{number.lower()}",
            f"/requests/{anon_number}", f"/api/tickets/{anon_number}?token=x"]
    for role, client in (("bob", client_as(synced, "requester", "bob")), ("anonymous", synced.test_client()),
                         ("writer", client_as(synced, "writer"))):
        for url in urls:
            response = client.get(url)
            if role == "anonymous" and response.status_code == 302:   # a ticket page: log in first, whatever the number
                assert url.lower().startswith("/requests/it-") and "/attachments/" not in url, url
                assert response.headers["Location"].startswith("/login?next=%2Frequests%2F"), url
                assert client.get("/requests/IT-19990101-0001").status_code == 302      # the same for no such ticket
                assert "打印机卡纸" not in client.get(response.headers["Location"]).get_data(as_text=True)
                continue
            assert response.status_code == 404, (role, url)
            assert "打印机卡纸" not in response.get_data(as_text=True), (role, url)
        # the same 404 body as for a ticket that does not exist
        assert client.get(f"/api/tickets/{number}").get_json() == client.get("/api/tickets/IT-19990101-0001").get_json()
    assert alice.get(f"/requests/{number}").status_code == 200
    assert client_as(synced, "agent").get(f"/requests/{number}").status_code == 200


def test_ticket_fields_are_escaped_on_every_page(synced):
    alice = client_as(synced, "requester", "alice")
    number = alice.post("/api/tickets", json=TICKET).get_json()["number"]
    agent = client_as(synced, "agent")
    for client, url in ((alice, f"/requests/{number}"), (agent, f"/agent/tickets/{number}"), (agent, "/agent/")):
        html = client.get(url).get_data(as_text=True)
        assert "<script>alert" not in html and "<img src=x" not in html and "<b>甲</b>" not in html, url
        assert "&lt;script&gt;" in html, url


def test_a_tickets_page_does_not_show_an_article_that_became_unreadable(synced, articles_dir, runner):
    alice = client_as(synced, "requester", "alice")
    response = alice.post("/api/articles/account/reset-password/feedback",
                          json={"helpful": False, "reason": "not_solved", "comment": "重置后仍无法登录"})
    ticket = response.get_json()["ticket"]
    path = articles_dir / "account" / "reset-password.md"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("category: 账号与密码", "category: 账号与密码\naudience: internal", 1), encoding="utf-8")
    assert runner.invoke(args=["kb", "sync"]).exit_code == 0
    assert alice.get("/articles/account/reset-password").status_code == 404

    html = alice.get(ticket["url"]).get_data(as_text=True)
    assert 'href="/articles/account/reset-password"' not in html
    assert alice.get(f"/api/tickets/{ticket['number']}").get_json()["article"] is None
    # staff still see where the ticket came from
    agent = client_as(synced, "agent")
    assert 'href="/articles/account/reset-password"' in agent.get(ticket["url"]).get_data(as_text=True)
    assert agent.get(f"/api/tickets/{ticket['number']}").get_json()["article"] == "account/reset-password"


# --- feedback and writer pages ---------------------------------------------------------------


def test_feedback_comments_are_escaped_on_the_writer_page(synced):
    requester = client_as(synced, "requester")
    response = requester.post("/api/articles/vpn/error-809/feedback",
                              json={"helpful": False, "reason": "outdated", "comment": "<script>alert('c')</script>"})
    assert response.status_code == 201
    html = client_as(synced, "writer").get("/writer/articles/vpn/error-809").get_data(as_text=True)
    assert "<script>alert('c')" not in html and "&lt;script&gt;" in html


def test_json_endpoints_that_change_state_refuse_form_content_types(synced):
    client = client_as(synced, "requester")
    for url in ("/api/tickets", "/api/articles/vpn/error-809/feedback"):
        for content_type in ("text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"):
            response = client.post(url, data='{"helpful": true}', content_type=content_type)
            assert response.status_code == 415, (url, content_type)
    token = re.search(r'name="visit" value="([^"]+)"', client.get("/requests/new").get_data(as_text=True)).group(1)
    response = client.post(f"/api/visits/{token}/events", data='{"type": "opened", "slug": "vpn/error-809"}',
                           content_type="text/plain")
    assert response.status_code == 400
    # another browser session cannot drive this visit even with the token
    other = client_as(synced, "requester", "other")
    response = other.post(f"/api/visits/{token}/events", json={"type": "opened", "slug": "vpn/error-809"})
    assert response.status_code == 404


def test_html_forms_require_the_csrf_token(tmp_path, articles_dir, pg_available):
    from tests.conftest import _teardown, build_app

    app, drop = build_app(tmp_path, articles_dir, pg_available, WTF_CSRF_ENABLED=True)
    try:
        assert app.test_cli_runner().invoke(args=["kb", "sync"]).exit_code == 0
        client = app.test_client()
        for url, data in (("/login", {"username": "a", "password": "b"}), ("/logout", {}),
                          ("/feedback/vpn/error-809", {"helpful": "1"}), ("/escalate/vpn/error-809", {"subject": "x"}),
                          ("/requests/new", {"subject": "x"}), ("/requests/new/solved", {"visit": "x"})):
            assert client.post(url, data=data).status_code == 400, url
    finally:
        _teardown(app, drop)


# --- XSS in what the pages echo ----------------------------------------------------------------


def test_search_text_and_article_titles_are_escaped(world):
    client = client_as(world, "anonymous")
    hostile = '"><script>alert(1)</script><img src=x onerror=alert(2)>'
    for url in ("/search", "/requests/new", "/articles/vpn/error-809", "/escalate/vpn/error-809"):
        html = client.get(url, query_string={"q": hostile, "category": hostile}).get_data(as_text=True)
        assert "<script>alert(1)" not in html and "<img src=x" not in html, url
    for url in ("/search?q=Wobblyx", "/articles/print/hostile", "/categories/打印与外设", "/"):
        html = client.get(url).get_data(as_text=True)
        assert "<img src=x" not in html and "<script>alert" not in html and "onclick" not in html, url
    snippet = client.get("/api/search?q=Wobblyx").get_json()["results"][0]["snippet"]
    assert "<script>" not in snippet and "<img" not in snippet


# --- strange input --------------------------------------------------------------------------


STRANGE_GETS = [
    "/api/search?q=vpn&page=-1", "/api/search?q=vpn&page=99999999999999999999", "/api/search?q=vpn&limit=abc",
    "/api/search?q=vpn&limit=-5", "/api/search?q=vpn&page=1e3", "/api/suggest?q=vpn&limit=99999999999999999999",
    "/search?q=vpn&page=99999999999999999999", "/search?q=vpn&page=-1", "/search?q=%00", "/search?q=vpn&category=%00",
    "/api/search?q=%00%01", "/api/suggest?q=%00", "/api/search?q=" + "a" * 20000, "/search?q=%ff%fe",
    "/articles/../internal/ad-unlock", "/articles/" + "x" * 5000, "/articles/%00", "/api/articles/%00",
    "/articles/%ED%A0%80", "/categories/%00", "/requests/%00", "/requests/" + "9" * 5000, "/api/tickets/%00",
    "/requests/new/submitted/%00", "/requests/new?article=../../etc/passwd", "/requests/new/thanks?article=" + "x" * 5000,
    "/requests/IT-1/attachments/99999999999999999999", "/static/../app/config.py", "/escalate/%00",
    "/agent/?page=99999999999999999999", "/agent/?page=-1", "/agent/tickets/%00", "/writer/articles/%00",
]


@pytest.mark.parametrize("role", ("anonymous", "agent", "writer"))
def test_strange_input_never_becomes_a_500(world, role):
    client = client_as(world, role)
    for url in STRANGE_GETS:
        response = client.get(url)
        assert response.status_code < 500, (role, url)
        assert "Traceback" not in response.get_data(as_text=True)
    assert client.get("/static/../app/config.py").status_code == 404


@pytest.mark.parametrize("target", [
    "/%0d%0aSet-Cookie:%20x=1", "/%0aLocation:%20https://evil.example", "/%09/evil.example",
    "/%00/evil.example", "/%00%0d%0aSet-Cookie:%20x=1",
])
def test_login_next_with_control_characters_goes_home(synced, target):
    client = synced.test_client()
    login(client, synced, "alice", "requester")  # creates the user
    client = synced.test_client()
    response = client.post("/login?next=" + target, data={"username": "alice", "password": "pw-123456"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert "Set-Cookie: x" not in str(response.headers)


def test_login_next_loses_a_nul_and_stays_on_the_site(synced):
    """Query parameters arrive without NULs (``security.StorableParameters``): ``/ok%00`` is ``/ok``."""
    login(synced.test_client(), synced, "alice", "requester")
    response = synced.test_client().post("/login?next=/ok%00", data={"username": "alice", "password": "pw-123456"})
    assert response.status_code == 302 and response.headers["Location"] == "/ok"


@pytest.mark.parametrize("target", ["//evil.example", "https://evil.example/", "/%5Cevil.example", "%5C%5Cevil.example",
                                    "/\\/evil.example", "javascript:alert(1)"])
def test_login_next_never_leaves_the_site(synced, target):
    login(synced.test_client(), synced, "alice", "requester")
    response = synced.test_client().post("/login", query_string={"next": target.replace("%5C", "\\")},
                                         data={"username": "alice", "password": "pw-123456"})
    assert response.headers["Location"] == "/"


def test_a_nul_byte_in_any_identifier_is_not_found_not_a_500(world):
    """PostgreSQL refuses NUL inside a query string; every lookup must answer before that."""
    for role in ("anonymous", "requester", "agent", "writer"):
        client = client_as(world, role)
        token = re.search(r'name="visit" value="([^"]+)"', client.get("/requests/new").get_data(as_text=True)).group(1)
        for url in ("/articles/%00", "/api/articles/%00", "/categories/%00", "/requests/%00", "/api/tickets/IT%00",
                    "/requests/IT%00/attachments/1", "/requests/new/submitted/%00", "/escalate/%00",
                    "/agent/tickets/%00", "/writer/articles/%00", "/requests/new/open/x/%00"):
            assert client.get(url).status_code in (302, 404), (role, url)  # 302: anonymous to the login page
        for url in ("/requests/new?article=%00", "/requests/new/thanks?article=%00"):
            assert client.get(url).status_code == 200, (role, url)
        for url, kwargs in (
            ("/feedback/%00", {"data": {"helpful": "1"}}),
            ("/api/articles/%00/feedback", {"json": {"helpful": True}}),
            ("/requests/new/solved", {"data": {"visit": "\x00", "article_slug": "\x00"}}),
            (f"/api/visits/{token}/events", {"json": {"type": "opened", "slug": "\x00"}}),
            ("/api/visits/%00/events", {"json": {"type": "opened", "slug": "vpn/error-809"}}),
        ):
            assert client.post(url, **kwargs).status_code == 404, (role, url)
        response = client.post("/requests/new", data={"visit": "\x00", "article": "\x00", "subject": "a\x00b"})
        assert response.status_code == 400, role  # the form again, with its field messages
    response = world.test_client().post("/login", data={"username": "a\x00", "password": "x"})
    assert response.status_code == 401 and "用户名或密码不正确" in response.get_data(as_text=True)


def test_the_agent_ticket_page_shows_no_draft_title_a_requester_slipped_in(world):
    requester = client_as(world, "requester")
    data = {**TICKET, "shown_articles": [DRAFT, "vpn/error-809"], "opened_articles": [DRAFT]}
    number = requester.post("/api/tickets", json=data).get_json()["number"]
    html = client_as(world, "agent").get(f"/agent/tickets/{number}").get_data(as_text=True)
    assert "Draftwordx" not in html and f'href="/articles/{DRAFT}"' not in html
    assert 'href="/articles/vpn/error-809"' in html


def test_writers_see_escalation_counts_but_not_the_ticket_text(synced, app, client):
    """Ticket subjects belong to the requester and the service desk, not to writers."""
    response = client.post(
        "/api/tickets",
        json={"subject": "我的工资单打不开-私密", "description": "d", "category": "vpn", "impact": "person",
              "urgency": "question", "contact_name": "张三", "contact_email": "z@example.com"},
    )
    assert response.status_code == 201
    from app.db import session_scope
    from app.models import Article, Ticket
    from sqlalchemy import select

    with app.app_context(), session_scope() as session:
        ticket = session.scalar(select(Ticket))
        ticket.article_id = session.scalar(select(Article.id).where(Article.slug == "vpn/error-809"))
        ticket.source = "article_feedback"

    login(client, app, "writer9", "writer")
    page = client.get("/writer/articles/vpn/error-809").get_data(as_text=True)
    assert ticket.number in page and "我的工资单打不开-私密" not in page
    client.post("/logout")
    login(client, app, "agent9", "agent")
    assert "我的工资单打不开-私密" in client.get("/writer/articles/vpn/error-809").get_data(as_text=True)


def test_writer_page_names_the_file_inside_the_library_not_the_server_path(synced, app, client):
    login(client, app, "writer8", "writer")
    page = client.get("/writer/articles/vpn/error-809").get_data(as_text=True)
    assert "<code>vpn/error-809.md</code>" in page
    assert app.config["KB_ARTICLES_DIR"] not in page


# -- every GET route, from app.url_map: a route added later is probed without anyone listing it ---

TICKET_SECRETS = ("Qvexticketword", "Qvexdescword")    # another person's ticket
NOTE_SECRET = "Qvexnoteword"                             # an internal note: no requester ever


def _get_rules(app):
    return sorted((r for r in app.url_map.iter_rules()
                   if "GET" in r.methods and r.endpoint != "static" and "logout" not in r.rule),
                  key=lambda r: r.rule)


def _fill(rule, values: dict[str, str]) -> str:
    return re.sub(r"<(?:[a-z]+(?:\([^)]*\))?:)?([a-z_]+)>", lambda m: values.get(m.group(1), "1"), rule.rule)


def _victims_ticket(app) -> str:
    victim = client_as(app, "requester", "victim")
    created = victim.post("/api/tickets", json={**TICKET, "subject": "打印机 Qvexticketword 卡纸",
                                                "description": "Qvexdescword 第三次卡纸"})
    assert created.status_code == 201, created.data
    number = created.get_json()["number"]
    agent = client_as(app, "agent")
    for body, internal in ((f"{NOTE_SECRET} 这台打印机在保修期外", True), ("已安排上门维修。", False)):
        reply = agent.post(f"/api/tickets/{number}/replies", json={"body": body, "internal": internal})
        assert reply.status_code == 201, reply.data
    return number


QUERIES = ({}, {"q": "Unlock"}, {"q": "Zorbixtool"}, {"q": "Qvexticketword"}, {"q": NOTE_SECRET},
           {"q": "门禁", "category": "机房值班专用"})


def _access_token(app, number: str) -> str:
    from sqlalchemy import select

    from app.db import session_scope
    from app.models import Ticket

    with app.app_context(), session_scope() as session:
        return session.scalar(select(Ticket.access_token).where(Ticket.number == number))


@pytest.mark.parametrize("role", ("anonymous", "requester", "victim", "link", "writer", "agent"))
def test_no_page_or_api_shows_a_reader_what_they_may_not_read(world, role):
    number = _victims_ticket(world)
    client = world.test_client() if role in ("anonymous", "link") else \
        client_as(world, role) if role in ("writer", "agent") else client_as(world, "requester", role)
    # "link": a visitor holding the ticket's secret link (?token=), on every request
    token = _access_token(world, number) if role == "link" else "x"
    if role == "agent":          # every ticket and internal article, never a draft
        secrets = ("Draftwordx",)
    else:                        # writers read internal articles and drafts, never a ticket's text
        secrets = (() if role == "writer" else SECRETS) + (NOTE_SECRET,) + \
            (() if role in ("victim", "link") else TICKET_SECRETS)
    seen_own_ticket = False
    typed = ""          # every query the prober typed: the reports list searches, its own among them
    for rule in _get_rules(world):
        for slug in (INTERNAL, DRAFT, INTERNAL_CATEGORY_SLUG):
            path = _fill(rule, {"slug": slug, "number": number, "name": "机房值班专用", "token": token})
            for query in (*QUERIES, {"from_ticket": number}):
                typed += " " + " ".join(query.values())
                query = {**query, "token": token} if role == "link" else query
                response = client.get(path, query_string=query)
                body = response.get_data(as_text=True)
                echoed = f"{path} {typed}"       # the caller's own input, shown back
                found = [word for word in secrets if word in body and word.lower() not in echoed.lower()]
                assert not found, (role, path, query, response.status_code, found)
                if path.endswith(number) and set(query) <= {"token"}:     # the ticket's own page and API
                    seen_own_ticket |= "Qvexticketword" in body
            if "<path:slug>" not in rule.rule:
                break
    assert seen_own_ticket == (role in ("victim", "link", "agent"))   # the probe reached the ticket where it may


def test_an_internal_notes_words_do_not_find_the_ticket_for_its_requester(world):
    number = _victims_ticket(world)
    victim = client_as(world, "requester", "victim")
    assert victim.get("/api/tickets", query_string={"q": "Qvexticketword"}).get_json()["total"] == 1
    found = victim.get("/api/tickets", query_string={"q": NOTE_SECRET})
    assert found.status_code == 200 and found.get_json()["total"] == 0
    assert number not in found.get_data(as_text=True)
    # the agents' search does find it by the note
    agent = client_as(world, "agent").get("/api/tickets", query_string={"q": NOTE_SECRET}).get_json()
    assert [t["number"] for t in agent["results"]] == [number]
