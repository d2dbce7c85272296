"""Issue 13 item 10: a database that refuses writes (full disk, read-only) must not break
reading.  Article pages and /requests/new answer without writing; a ticket that cannot be
saved brings the form back filled in with 「系统暂时无法保存，请稍后再试」.

The refusal is real: the app's engine is swapped for one whose connections cannot write — SQLite
opened with ``mode=ro``, PostgreSQL with ``default_transaction_read_only=on``."""

from __future__ import annotations

import contextlib
import re

import pytest
from sqlalchemy import create_engine, event, select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import sessionmaker

from app.db import session_scope
from app.models import Article, Ticket
from tests.conftest import login
from tests.requests.conftest import VALID

MESSAGE = "系统暂时无法保存，请稍后再试"


@contextlib.contextmanager
def refusing_writes(app):
    url = make_url(app.config["KB_DATABASE_URL"])
    if url.get_backend_name() == "sqlite":
        engine = create_engine(f"sqlite:///file:{url.database}?mode=ro&uri=true")

        @event.listens_for(engine, "connect")
        def _timeout(conn, _record):
            conn.execute("PRAGMA busy_timeout=5000")
    else:
        options = (url.query.get("options") or "") + " -c default_transaction_read_only=on"
        engine = create_engine(url.difference_update_query(["options"]), connect_args={"options": options})
    saved = app.extensions["kb.engine"], app.extensions["kb.sessionmaker"]
    app.extensions["kb.engine"] = engine
    app.extensions["kb.sessionmaker"] = sessionmaker(engine, expire_on_commit=False)
    try:
        yield
    finally:
        app.extensions["kb.engine"], app.extensions["kb.sessionmaker"] = saved
        engine.dispose()


@pytest.fixture
def client(synced):
    return synced.test_client()


def _views(app, slug):
    with app.app_context(), session_scope() as session:
        return session.scalar(select(Article.view_count).where(Article.slug == slug))


def test_the_database_really_refuses_writes(synced):
    from sqlalchemy.exc import DBAPIError

    with refusing_writes(synced), synced.app_context():
        with pytest.raises(DBAPIError):
            with session_scope() as session:
                session.add(Article(slug="x/y", title="x", category="x", audience="public", status="draft",
                                    body="x"))


def test_article_pages_and_the_form_read_without_writing(synced, client):
    login(client, synced, "reader", "requester")
    anonymous = synced.test_client()
    before = _views(synced, "vpn/error-809")
    with refusing_writes(synced):
        for c in (client, anonymous):
            page = c.get("/articles/vpn/error-809")
            assert page.status_code == 200 and "809" in page.text
            form = c.get("/requests/new?q=VPN 809")
            assert form.status_code == 200 and 'value="VPN 809"' in form.text
            assert c.get("/search?q=vpn").status_code == 200
            assert c.get("/").status_code == 200
    assert _views(synced, "vpn/error-809") == before  # not counted, and nothing broke


def test_a_ticket_that_cannot_be_saved_keeps_the_form_filled(synced, client):
    page = client.get("/requests/new")
    token = re.search(r'name="visit" value="([^"]+)"', page.text).group(1)
    typed = {**VALID, "visit": token, "step": "submit",
             "description": "打印机一直显示脱机，重启了也不行。<script>x</script>"}
    with refusing_writes(synced):
        response = client.post("/requests/new", data=typed)
        suggest = client.post(f"/api/visits/{token}/suggest", json={"subject": "VPN 809"})
    assert response.status_code == 503
    assert MESSAGE in response.text
    for field in ("subject", "contact_name", "contact_email", "contact_phone"):
        assert f'value="{VALID[field]}"' in response.text
    assert "打印机一直显示脱机，重启了也不行。&lt;script&gt;" in response.text
    assert suggest.status_code == 200 and suggest.json["total"] >= 1
    with synced.app_context(), session_scope() as session:
        assert session.scalar(select(Ticket.id)) is None
    # once the database writes again the same form goes through
    token2 = re.search(r'name="visit" value="([^"]+)"', response.text).group(1)
    again = client.post("/requests/new", data={**typed, "visit": token2})
    assert again.status_code == 303


def test_api_ticket_write_refused_is_503_json(synced, client):
    with refusing_writes(synced):
        response = client.post("/api/tickets", json=VALID)
    assert response.status_code == 503
    assert response.json["error"] == "unavailable" and MESSAGE in response.json["message"]
    assert response.headers.get("Retry-After")
