"""`kb search` searches as a role would, and the index survives being opened by another process."""

from __future__ import annotations

import json
import os
from pathlib import Path

from app import create_app


def test_kb_search_json_matches_the_api_body(synced, runner):
    result = runner.invoke(args=["kb", "search", "错误 809", "--json"])
    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    assert set(body) >= {"query", "total", "took_ms", "results"}
    first = body["results"][0]
    assert first["slug"] == "vpn/error-809" and first["url"] == "/articles/vpn/error-809"
    assert set(first) >= {"slug", "title", "category", "url", "snippet", "error_codes", "score"}


def test_kb_search_role_agent_sees_internal_articles(synced, runner):
    anonymous = runner.invoke(args=["kb", "search", "Unlock-ADAccount", "--json"])
    agent = runner.invoke(args=["kb", "search", "Unlock-ADAccount", "--json", "--role", "agent"])
    assert json.loads(anonymous.output)["total"] == 0
    assert [r["slug"] for r in json.loads(agent.output)["results"]] == ["internal/ad-unlock"]


def test_a_second_process_opens_the_existing_index_instead_of_rebuilding(synced, caplog):
    index_dir = Path(synced.config["KB_INDEX_DIR"])
    target = os.readlink(index_dir)
    other = create_app({k: synced.config[k] for k in ("KB_INSTANCE_DIR", "KB_DATABASE_URL", "KB_ARTICLES_DIR")})
    with other.app_context():
        from app.search import search

        with caplog.at_level("WARNING", logger="indexer"):
            assert search("809", role="anonymous").total >= 1
    assert "missing" not in caplog.text
    assert os.readlink(index_dir) == target
    assert not [p for p in index_dir.parent.rglob("*.d") if p.parent.name.endswith(".d")]  # no nesting
    other.extensions["kb.search"].close()
    other.extensions["kb.engine"].dispose()
