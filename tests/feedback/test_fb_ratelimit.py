"""Votes and escalations are rate-limited per person and per address, across workers."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from app.feedback.ratelimit import SqliteWindow
from tests.conftest import _teardown, build_app

from .conftest import SLUG, anon_contact, api_vote, feedback_rows, tickets


@pytest.fixture
def limited(tmp_path, articles_dir, pg_available):
    apps = []

    def make(proxies=0, **limits):
        app, drop = build_app(tmp_path / f"a{len(apps)}", articles_dir, pg_available,
                              RATELIMIT_ENABLED=True, KB_FEEDBACK_LIMITS=limits, KB_TRUSTED_PROXIES=proxies)
        assert app.test_cli_runner().invoke(args=["kb", "sync"]).exit_code == 0
        apps.append((app, drop))
        return app

    yield make
    for app, drop in apps:
        _teardown(app, drop)


def test_one_person_cannot_vote_without_end(limited):
    app = limited(vote_person=(3, 600))
    client = app.test_client()
    for helpful in (True, False, True):
        assert api_vote(client, helpful=helpful).status_code == 201
    response = api_vote(client, helpful=False)
    assert response.status_code == 429
    assert response.json == {"error": "rate_limited", "message": "操作太频繁，请稍后再试。"}
    page = client.post(f"/feedback/{SLUG}", data={"helpful": "0", "comment": "我写的字还在"})
    assert page.status_code == 429
    text = page.get_data(as_text=True)
    assert "操作太频繁，请稍后再试。" in text and "我写的字还在" in text
    (row,) = feedback_rows(app)
    assert row.helpful is True  # the refused votes changed nothing
    # another reader is not affected
    assert api_vote(app.test_client(), helpful=False).status_code == 201


def test_new_session_cookies_do_not_escape_the_address_limit(limited):
    app = limited(vote_address=(4, 600))
    statuses = [api_vote(app.test_client(), helpful=False).status_code for _ in range(6)]
    assert statuses == [201, 201, 201, 201, 429, 429]
    assert len(feedback_rows(app)) == 4
    other = app.test_client()
    response = other.post(f"/api/articles/{SLUG}/feedback", json={"helpful": True},
                          environ_base={"REMOTE_ADDR": "10.1.2.3"})
    assert response.status_code == 201


def test_behind_a_trusted_proxy_each_client_address_is_limited_on_its_own(limited):
    app = limited(proxies=1, vote_address=(2, 600))

    def vote(forwarded):
        return app.test_client().post(f"/api/articles/{SLUG}/feedback", json={"helpful": False},
                                      environ_base={"REMOTE_ADDR": "127.0.0.1"},
                                      headers={"X-Forwarded-For": forwarded}).status_code

    # every request reaches gunicorn from the proxy (127.0.0.1); the clients are told apart
    assert [vote("203.0.113.7") for _ in range(3)] == [201, 201, 429]
    assert vote("198.51.100.9") == 201
    # a client cannot escape by forging an address: only the entry the proxy appended counts
    assert vote("1.2.3.4, 203.0.113.7") == 429


def test_without_trusted_proxies_a_forwarded_header_is_ignored(limited):
    app = limited(vote_address=(2, 600))
    statuses = [app.test_client().post(f"/api/articles/{SLUG}/feedback", json={"helpful": False},
                                       headers={"X-Forwarded-For": f"203.0.113.{n}"}).status_code
                for n in range(3)]
    assert statuses == [201, 201, 429]


def test_a_wrong_proxy_count_stops_start_up_with_a_clear_message(tmp_path, articles_dir):
    from app import create_app
    from app.config import ProxySettingError

    with pytest.raises(ProxySettingError, match="KB_TRUSTED_PROXIES"):
        create_app({"KB_INSTANCE_DIR": str(tmp_path / "p"), "KB_TRUSTED_PROXIES": "nginx"})


def test_escalations_have_their_own_tighter_limit(limited):
    app = limited(escalate_person=(1, 3600))
    client = app.test_client()
    assert api_vote(client, helpful=False, reason="not_solved", **anon_contact()).status_code == 201
    from app.db import session_scope
    from app.models import Ticket

    with app.app_context(), session_scope() as s:
        for t in s.query(Ticket):
            t.status = "resolved"
    assert api_vote(client, helpful=False, reason="not_solved", **anon_contact()).status_code == 429
    response = client.post(f"/escalate/{SLUG}", data={"description": "还是不行", "impact": "person",
                                                       "urgency": "stopped", "category": "vpn", **anon_contact()})
    assert response.status_code == 429
    assert "还是不行" in response.get_data(as_text=True)  # kept for a later try
    assert len(tickets(app)) == 1
    assert api_vote(client, helpful=True).status_code == 201  # plain votes still work


def test_the_window_is_shared_by_every_worker_process(tmp_path):
    path = tmp_path / "ratelimit.sqlite3"
    worker_a, worker_b = SqliteWindow(path), SqliteWindow(path)
    assert worker_a.hit("k", 3, 600) and worker_b.hit("k", 3, 600)
    script = textwrap.dedent(f"""
        from app.feedback.ratelimit import SqliteWindow
        w = SqliteWindow({str(path)!r})
        print(w.hit("k", 3, 600), w.hit("k", 3, 600))
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True, cwd=".")
    assert out.stdout.split() == ["True", "False"]  # a third process saw the first two hits
    assert not worker_a.hit("k", 3, 600)
    assert worker_a.hit("other", 3, 600)


def test_old_hits_leave_the_window(tmp_path):
    window = SqliteWindow(tmp_path / "rl.sqlite3")
    assert window.hit("k", 2, 600, now=1000.0)
    assert window.hit("k", 2, 600, now=1300.0)
    assert not window.hit("k", 2, 600, now=1599.0)  # both still inside the last 10 minutes
    assert window.hit("k", 2, 600, now=1601.0)  # the first one has left the window
    assert not window.hit("k", 2, 600, now=1602.0)
