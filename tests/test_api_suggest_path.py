"""The lighter /api/suggest path (issue 15): remembered article URLs and no signing key for a
browser without a session cookie must not change what anyone sees."""
from __future__ import annotations

from tests.conftest import login


def _suggest(client, q, **kw):
    r = client.get("/api/suggest", query_string={"q": q}, **kw)
    assert r.status_code == 200
    return r


def test_urls_follow_the_script_root_although_remembered(synced):
    client = synced.test_client()
    plain = _suggest(client, "AD 账号").get_json()["results"] + _suggest(client, "VPN").get_json()["results"]
    assert plain and all(h["url"] == "/articles/" + h["slug"] for h in plain)
    mounted = _suggest(client, "VPN", base_url="http://localhost/kb").get_json()["results"]
    assert mounted and all(h["url"] == "/kb/articles/" + h["slug"] for h in mounted)
    again = _suggest(client, "VPN").get_json()["results"]
    assert [h["url"] for h in again] == ["/articles/" + h["slug"] for h in again]


def test_anonymous_without_cookie_gets_no_cookie_and_no_internal_article(synced):
    client = synced.test_client()
    r = _suggest(client, "AD 账号解锁")
    assert "Set-Cookie" not in r.headers
    assert "internal/ad-unlock" not in {h["slug"] for h in r.get_json()["results"]}


def test_a_signed_in_agent_still_has_a_session_on_suggest(synced):
    client = synced.test_client()
    login(client, synced, "agent1", "agent")
    r = _suggest(client, "AD 账号解锁")
    assert "internal/ad-unlock" in {h["slug"] for h in r.get_json()["results"]}
    assert r.headers.get("Cache-Control") == "private, no-store"
    client.get("/logout")
    client.post("/logout")
    client.delete_cookie("session")
    anon = _suggest(client, "AD 账号解锁")
    assert "internal/ad-unlock" not in {h["slug"] for h in anon.get_json()["results"]}


# --- the request path's own cost (issue 15, speed24http): same headers, cookies and log rows ---

DEFAULT_HEADERS = {
    "Content-Security-Policy": None,  # app/security.py's CSP
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "SAMEORIGIN",
}


def _names(response) -> list[str]:
    return [name for name, _ in response.headers]


def test_every_response_has_each_security_header_once_unless_it_set_its_own(app):
    from app.security import CSP

    @app.get("/_own_headers")
    def own_headers():
        from flask import make_response

        response = make_response("x")
        response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
        response.headers["Cache-Control"] = "public, max-age=60"
        return response

    client = app.test_client()
    for path in ("/api/suggest?q=vpn", "/api/search?q=vpn", "/"):
        r = client.get(path)
        names = _names(r)
        for name, value in DEFAULT_HEADERS.items():
            assert names.count(name) == 1, (path, name)
            assert r.headers[name] == (CSP if value is None else value)
        assert "Cache-Control" not in r.headers  # anonymous, public area: cacheable as before
    own = client.get("/_own_headers")
    assert own.headers.getlist("Content-Security-Policy") == ["default-src 'none'; sandbox"]
    assert own.headers.getlist("Cache-Control") == ["public, max-age=60"]
    assert [_names(own).count(n) for n in DEFAULT_HEADERS] == [1, 1, 1, 1]
    private = client.get("/agent/")
    assert private.headers.get("Cache-Control") == "private, no-store"


def test_anonymous_api_reads_vary_on_cookie_and_set_none(synced):
    """The response depends on who asks (agents see internal articles): a cache must key on the
    cookie, although the anonymous caller gets none."""
    client = synced.test_client()
    for path in ("/api/suggest?q=AD 账号解锁", "/api/search?q=AD 账号解锁"):
        r = client.get(path)
        assert r.status_code == 200
        assert "Cookie" in r.headers.get("Vary", "")
        assert "Set-Cookie" not in r.headers


def test_a_signed_in_agents_api_reads_do_not_set_the_session_cookie_again(synced):
    client = synced.test_client()
    login(client, synced, "agent2", "agent")
    for path in ("/api/suggest?q=AD 账号解锁", "/api/suggest?q=AD 账号", "/api/search?q=AD 账号解锁"):
        r = client.get(path)
        assert "internal/ad-unlock" in {h["slug"] for h in r.get_json()["results"]}
        assert "Set-Cookie" not in r.headers, path
        assert "Cookie" in r.headers.get("Vary", "")
        assert r.headers.get("Cache-Control") == "private, no-store"


def test_an_anonymous_api_read_opens_no_orm_session_and_still_logs_the_search(synced):
    """/api/search logs on a connection of its own: no ORM session of the request begins a
    transaction for an anonymous read, and the row and its day's rollup line are written all
    the same."""
    from sqlalchemy import event, select

    from app.db import session_scope
    from app.models import SearchLog, SearchLogDaily

    client = synced.test_client()
    assert client.get("/api/suggest?q=AD").status_code == 200  # the process's first search reads
    # the ranking signals from the database (app/feedback/ranking.py): not per request
    begun = []
    maker = synced.extensions["kb.sessionmaker"]
    listener = lambda session, transaction, connection: begun.append(session)  # noqa: E731
    event.listen(maker, "after_begin", listener)
    try:
        assert client.get("/api/suggest?q=vpn").status_code == 200
        assert client.get("/api/search?q=打印机 脱机").status_code == 200
    finally:
        event.remove(maker, "after_begin", listener)
    assert begun == []
    with synced.app_context(), session_scope() as s:
        rows = s.scalars(select(SearchLog)).all()
        assert [(r.query, r.source, r.role, r.session_key) for r in rows] == [("打印机 脱机", "api", "anonymous", None)]
        daily = s.scalars(select(SearchLogDaily)).all()
        assert [(d.norm, d.searches) for d in daily] == [(rows[0].norm, 1)]


def test_a_search_whose_log_fails_is_answered_all_the_same(synced, caplog):
    from app.db import get_engine

    with synced.app_context():
        with get_engine().begin() as conn:
            conn.exec_driver_sql("ALTER TABLE search_log_daily RENAME TO search_log_daily_gone")
    r = synced.test_client().get("/api/search?q=vpn")
    assert r.status_code == 200 and r.get_json()["results"]
    assert "search not logged" in caplog.text
    with synced.app_context():
        from sqlalchemy import func, select

        from app.db import session_scope
        from app.models import SearchLog

        with session_scope() as s:  # the row went with the failed upsert: one transaction
            assert s.scalar(select(func.count()).select_from(SearchLog)) == 0


def test_the_remember_me_cookie_alone_still_signs_the_agent_in_on_an_api_read(synced):
    """An anonymous-looking request (no session cookie) that carries the 「记住我」 cookie is
    not taken for anonymous: flask-login's loader still runs and finds the agent."""
    client = synced.test_client()
    login(client, synced, "agent3", "agent")  # creates the user
    client.post("/logout")
    client.delete_cookie("session")
    r = client.post("/login", data={"username": "agent3", "password": "pw-123456", "remember": "1"})
    assert r.status_code == 302
    assert client.get_cookie("remember_token") is not None
    client.delete_cookie("session")
    r = _suggest(client, "AD 账号解锁")
    assert "internal/ad-unlock" in {h["slug"] for h in r.get_json()["results"]}
    assert r.headers.get("Cache-Control") == "private, no-store"
    client.delete_cookie("session")
    client.delete_cookie("remember_token")
    r = _suggest(client, "AD 账号解锁")
    assert "internal/ad-unlock" not in {h["slug"] for h in r.get_json()["results"]}
