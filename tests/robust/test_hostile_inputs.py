"""Hostile queries and JSON bodies never get a 5xx (issue 13, "Done when").  A quick version:
the full counts (10,000 queries, 1,000 bodies against the real server) are in bench/hostile.py,
which generates the same inputs."""

from __future__ import annotations

from bench.hostile import hostile_bodies, hostile_queries, query_url
from tests.requests.conftest import open_form


def test_hostile_queries_never_5xx(synced):
    client = synced.test_client()
    bad = []
    for i, q in enumerate(hostile_queries(450)):
        url = query_url(i, q)
        status = client.get(url).status_code
        if status >= 500:
            bad.append((status, url[:120]))
    assert bad == []


def test_hostile_json_bodies_never_5xx(synced):
    client = synced.test_client()
    token, _ = open_form(client)
    endpoints = ["/api/tickets", "/api/articles/vpn/error-809/feedback",
                 f"/api/visits/{token}/suggest", f"/api/visits/{token}/events"]
    bad = []
    for i, body in enumerate(hostile_bodies(200)):
        url = endpoints[i % len(endpoints)]
        response = client.post(url, data=body, content_type="application/json")
        if response.status_code >= 500 or not response.is_json:
            bad.append((response.status_code, url, body[:120]))
    assert bad == []
