"""Drafts, changes under review and writers' data never reach anyone but writers and admins —
by any page, API, search, suggestion, count or image."""

from __future__ import annotations

import pytest

from tests.writer.conftest import BODY, client_as, create, publish, put

DRAFT = "printing/draftonly"
PENDING = "printing/pending"
REVIEW = "printing/inreview"
SECRETS = ("Draftonlyx", "Pendingchangex", "Inreviewx", "draftonly", "inreview")


@pytest.fixture
def world(synced, writer):
    create(writer, slug=DRAFT, title="打印机 Draftonlyx 草稿", body=BODY.replace("Quuxprint", "Draftonlyx"))
    create(writer, slug=PENDING, title="打印机共享 Sharedprintx", body=BODY.replace("Quuxprint", "Sharedprintx"))
    publish(writer, PENDING)
    put(writer, PENDING, 1, title="打印机共享 Pendingchangex", body="尚未发布的修改 Pendingchangex\n")
    synced.config["KB_REQUIRE_REVIEW"] = True
    create(writer, slug=REVIEW, title="打印机 Inreviewx 待审核", body=BODY.replace("Quuxprint", "Inreviewx"))
    publish(writer, REVIEW)  # → in review
    synced.config["KB_REQUIRE_REVIEW"] = False
    return synced


PROBES = [
    "/", "/categories/打印与外设", "/search?q=打印机", "/search?q=Sharedprintx",
    "/api/search?q=打印机", "/api/search?q=Sharedprintx", "/api/suggest?q=打印", "/api/suggest?q=Sharedp",
    f"/articles/{PENDING}", f"/api/articles/{PENDING}", f"/articles/{DRAFT}", f"/api/articles/{DRAFT}",
    f"/articles/{REVIEW}", f"/api/articles/{REVIEW}",
    "/writer/", f"/writer/articles/{PENDING}", f"/writer/articles/{DRAFT}", f"/writer/articles/{PENDING}/edit",
    f"/writer/articles/{PENDING}/history", f"/writer/articles/{PENDING}/revisions/2",
    f"/writer/articles/{PENDING}/diff?from=1&to=2", "/writer/links", f"/api/articles/{PENDING}/revisions",
    f"/api/articles/{PENDING}/revisions/2", f"/requests/new?article={DRAFT}",
]


@pytest.mark.parametrize("role", ["anonymous", "requester", "agent"])
def test_nothing_unpublished_leaks(world, role):
    client = client_as(world, role)
    for url in PROBES:
        response = client.get(url)
        assert response.status_code in (200, 302, 401, 403, 404), (url, response.status_code)
        if response.status_code == 302:  # only to the login page (which names the URL asked for)
            assert response.headers["Location"].startswith("/login?next="), url
            continue
        body = response.get_data(as_text=True)
        found = [word for word in SECRETS if word in body]
        assert not found, (role, url, found)
    # the published revision is what they get
    assert "Sharedprintx" in client.get(f"/api/articles/{PENDING}").get_data(as_text=True)


def test_writers_see_it_all(world, writer):
    assert "Pendingchangex" in writer.get(f"/api/articles/{PENDING}").get_data(as_text=True)
    inbox = writer.get("/writer/").get_data(as_text=True)
    assert "Draftonlyx" in inbox and "Pendingchangex" in inbox and "Inreviewx" in inbox
    assert "Sharedprintx" in writer.get(f"/articles/{PENDING}").get_data(as_text=True)  # readers' page stays published


def test_writer_responses_are_not_cached(world, writer):
    for url in (f"/api/articles/{PENDING}", f"/writer/articles/{PENDING}/edit", f"/api/articles/{PENDING}/revisions"):
        assert "no-store" in writer.get(url).headers["Cache-Control"], url


def test_the_editors_checks_tell_agents_no_more_than_the_article_pages(world, synced):
    """An agent writing a KCS draft may link anywhere, but a draft's title or existence stays hidden."""
    agent = client_as(synced, "agent")
    body = f"[a](/articles/{DRAFT}) [b](/articles/{REVIEW}) [c](/articles/{PENDING})\n"
    warnings = agent.post("/writer/preview", json={"body": body, "audience": "internal"}).get_json()["warnings"]
    text = " ".join(w["message"] for w in warnings)
    assert f"{DRAFT} 不存在" in text and f"{REVIEW} 不存在" in text and PENDING not in text
    assert not [word for word in ("Draftonlyx", "Pendingchangex", "Inreviewx") if word in text]  # slugs are their own input
    categories = client_as(synced, "writer").get("/writer/articles/new").get_data(as_text=True)
    assert "打印与外设" in categories


def test_a_draft_saved_beside_a_published_article_changes_nothing_readers_see(synced, writer):
    """Found by a probe: saving a draft of a published article moved it to the top of the home
    page's newest articles (ordered by the row's modification time) before anything was published."""
    import re

    from app.db import session_scope
    from app.models import Article
    from sqlalchemy import select

    for slug in ("printing/older", "printing/newer"):
        create(writer, slug=slug, title=f"打印机 {slug}")
        publish(writer, slug)
    with synced.app_context(), session_scope() as session:   # one day, the newer published last
        for a in session.scalars(select(Article).where(Article.slug.in_(("printing/older", "printing/newer")))):
            a.updated = None
    reader = synced.test_client()

    def shown():
        page = reader.get("/").get_data(as_text=True)
        order = [s for s in re.findall(r'href="/articles/(printing/(?:older|newer))"', page)]
        dates = reader.get("/articles/printing/older").get_data(as_text=True).split("更新于")[1][:60]
        return order, dates

    before = shown()
    assert before[0] == ["printing/newer", "printing/older"]
    put(writer, "printing/older", 1, body=BODY + "\n尚未发布的修改。\n")
    assert shown() == before
    inbox = writer.get("/writer/").get_data(as_text=True)
    assert "printing/older" in inbox   # the writer's list still has the new draft
