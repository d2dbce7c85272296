"""Hostile JSON bodies on every JSON endpoint: a 400 with a Chinese JSON error, never a 500.

Regression (hardening #8): ``[[[[…]]]]`` nested 100,000 deep made ``json.loads`` raise
RecursionError, a 500 on ``/api/tickets``, feedback and both ``/api/visits/…`` endpoints.
"""

from __future__ import annotations

import json

import pytest

from app.security import MAX_JSON_DEPTH, json_depth_exceeds
from tests.requests.conftest import open_form

DEEP_ARRAY = "[" * 3_000 + "]" * 3_000  # beyond the recursion limit, small enough for every size limit
DEEP_OBJECT = '{"a":' * 1_200 + "1" + "}" * 1_200
HUGE_DEEP = "[" * 100_000 + "]" * 100_000
JUST_TOO_DEEP = json.dumps({"subject": json.loads("[" * MAX_JSON_DEPTH + "]" * MAX_JSON_DEPTH)})


def endpoints(client) -> list[str]:
    token, _ = open_form(client)
    return ["/api/tickets", "/api/articles/vpn/error-809/feedback",
            f"/api/visits/{token}/suggest", f"/api/visits/{token}/events"]


@pytest.mark.parametrize("body", [DEEP_ARRAY, DEEP_OBJECT, JUST_TOO_DEEP], ids=["array", "object", "limit+1"])
def test_deeply_nested_json_is_a_400(synced, body):
    client = synced.test_client()
    for url in endpoints(client):
        response = client.post(url, data=body, content_type="application/json")
        assert response.status_code == 400, (url, response.status_code, response.data[:200])
        assert response.json["error"] == "bad_request"
        assert "嵌套" in response.json["message"]


def test_a_huge_deep_body_is_refused_by_size_or_depth(synced):
    client = synced.test_client()
    for url in endpoints(client):
        response = client.post(url, data=HUGE_DEEP, content_type="application/json")
        assert response.status_code in (400, 413) and response.json["error"] in ("bad_request", "too_large")


def test_nesting_within_the_limit_is_read_normally(synced):
    client = synced.test_client()
    inside = json.dumps({"subject": json.loads("[" * (MAX_JSON_DEPTH - 2) + "]" * (MAX_JSON_DEPTH - 2))})
    response = client.post("/api/tickets", data=inside, content_type="application/json")
    assert response.status_code == 400 and response.json["error"] == "validation_failed"


def test_depth_check_is_iterative_and_exact():
    assert not json_depth_exceeds({"a": [1, {"b": 2}]}, limit=3)
    assert json_depth_exceeds({"a": [1, {"b": [2]}]}, limit=3)
    very_deep: list = []
    node = very_deep
    for _ in range(200_000):  # far beyond the recursion limit: must not raise
        node.append([])
        node = node[0]
    assert json_depth_exceeds(very_deep)
