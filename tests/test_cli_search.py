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
        from app.articles.search import search

        with caplog.at_level("WARNING", logger="indexer"):
            assert search("809", role="anonymous").total >= 1
    assert "missing" not in caplog.text
    assert os.readlink(index_dir) == target
    assert not [p for p in index_dir.parent.rglob("*.d") if p.parent.name.endswith(".d")]  # no nesting
    other.extensions["kb.search"].close()
    other.extensions["kb.engine"].dispose()


def test_the_kb_console_script_has_the_same_verbs(tmp_path, articles_dir):
    import subprocess
    import sys

    env = {**os.environ, "KB_INSTANCE_DIR": str(tmp_path / "inst"), "KB_ARTICLES_DIR": str(articles_dir)}
    env.pop("KB_DATABASE_URL", None)
    kb = [sys.executable, "-c", "from app.cli import main; main()"]
    init = subprocess.run([*kb, "init"], env=env, capture_output=True, text=True, timeout=120)
    assert init.returncode == 0, init.stderr
    found = subprocess.run([*kb, "search", "809", "--json"], env=env, capture_output=True, text=True, timeout=60)
    assert found.returncode == 0, found.stderr
    assert json.loads(found.stdout)["results"][0]["slug"] == "vpn/error-809"
    usage = subprocess.run([*kb, "--help"], env=env, capture_output=True, text=True, timeout=60).stdout
    assert usage.startswith("用法：kb [选项]") and "sync" in usage


def test_commands_before_kb_init_say_to_run_it_instead_of_a_traceback(tmp_path, articles_dir):
    fresh = create_app({"KB_INSTANCE_DIR": str(tmp_path / "fresh"), "KB_ARTICLES_DIR": str(articles_dir),
                        "KB_DATABASE_URL": f"sqlite:///{tmp_path / 'fresh.sqlite3'}"})
    runner = fresh.test_cli_runner()
    for args in (["kb", "search", "vpn"], ["kb", "stats"], ["kb", "report", "--month", "2026-11"]):
        result = runner.invoke(args=args)
        assert result.exit_code == 1, (args, result.output)
        assert "数据库还没有初始化" in result.output and "kb init" in result.output, (args, result.output)
        assert "Traceback" not in result.output and "sqlalche" not in result.output
    assert runner.invoke(args=["kb", "init"]).exit_code == 0
    assert runner.invoke(args=["kb", "search", "809"]).exit_code == 0
    fresh.extensions["kb.search"].close()
    fresh.extensions["kb.engine"].dispose()
