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
