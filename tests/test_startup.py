"""Start-up of the production server (issue 15, "worker ready"): what the master does once
before it forks its workers, and what the web app no longer imports at all."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import threading

from app.articles.search import open_before_fork
from tests.conftest import ROOT, open_files


def _suggest_slugs(app, q: str) -> list[str]:
    r = app.test_client().get("/api/suggest", query_string={"q": q})
    assert r.status_code == 200
    return [h["slug"] for h in r.get_json()["results"]]


def _fresh_engine(app):
    """As a server process finds it: the index built (``kb sync``), no engine opened yet."""
    app.extensions["kb.search"].close()
    app.extensions["kb.search"] = None


def test_the_master_opens_a_usable_index_and_leaves_nothing_open(synced):
    app = synced
    expected = _suggest_slugs(app, "VPN")
    _fresh_engine(app)
    files, threads = open_files(), threading.active_count()

    assert open_before_fork(app) is None
    eng = app.extensions["kb.search"]
    assert eng is not None
    # nothing a forked worker would share with the master or its sibling
    assert open_files() - files == set()
    assert threading.active_count() == threads
    assert app.extensions["kb.engine"].pool.checkedout() == 0
    # the engine the workers inherit is the one their requests use
    assert _suggest_slugs(app, "VPN") == expected
    assert app.extensions["kb.search"] is eng
    assert open_before_fork(app) is None and app.extensions["kb.search"] is eng


def test_a_forked_worker_and_the_master_search_side_by_side(synced):
    """Fork right after ``open_before_fork`` (as gunicorn does): the child's searches answer
    as before while the parent searches too — nothing read through a shared file offset."""
    app = synced
    queries = ["VPN", "打印机", "outlook", "密码", "809"]
    expected = {q: _suggest_slugs(app, q) for q in queries}
    _fresh_engine(app)
    assert open_before_fork(app) is None
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child reports through the pipe
        code = 1
        try:
            os.close(read)
            got = {q: _suggest_slugs(app, q) for q in queries * 3}
            os.write(write, json.dumps(got, ensure_ascii=False).encode())
            code = 0
        finally:
            os._exit(code)
    os.close(write)
    mine = {q: _suggest_slugs(app, q) for q in queries * 3}
    chunks = []
    while chunk := os.read(read, 65536):
        chunks.append(chunk)
    os.close(read)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert json.loads(b"".join(chunks)) == expected
    assert mine == expected


def test_the_master_checks_the_index_once(synced, monkeypatch):
    """Each check opens the index and probes it (~15-20 ms of the master's start at 10,000
    articles): deciding whether to open it and opening it are one check."""
    from indexer import SearchEngine

    app = synced
    _fresh_engine(app)
    checks = []
    real = SearchEngine.check
    monkeypatch.setattr(SearchEngine, "check", lambda self: checks.append(1) or real(self))
    assert open_before_fork(app) is None
    assert len(checks) == 1
    assert app.extensions["kb.search"]._loader is not None   # a worker can still rebuild it
    assert _suggest_slugs(app, "VPN")


def test_the_master_leaves_a_missing_index_to_the_workers(app):
    """No index yet: the master neither keeps an engine nor builds the index (a worker's first
    search rebuilds it, as before)."""
    index_dir = app.config["KB_INDEX_DIR"]
    assert not os.path.exists(index_dir)
    reason = open_before_fork(app)
    assert reason == "is missing"
    assert app.extensions["kb.search"] is None
    assert not os.path.exists(index_dir)


def test_the_web_app_does_not_import_the_command_line(tmp_path):
    """``app/cli.py`` and what only its commands use (migrations, YAML, the relevance
    evaluation, demo data…) stay out of a web process."""
    env = {**os.environ, "KB_INSTANCE_DIR": str(tmp_path / "instance"),
           "KB_ARTICLES_DIR": str(ROOT / "tests" / "fixtures" / "articles")}
    out = subprocess.run(
        [sys.executable, "-c", "import sys, wsgi; print(sorted(m for m in ('app.cli', 'app.migrate', "
         "'yaml', 'app.relevance.cli', 'app.reports.cli', 'app.worker.cli') if m in sys.modules))"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_a_web_process_with_default_settings_imports_no_rate_limit_package(tmp_path):
    """The default login limits are known without ``limits`` (whose package also loads its
    asyncio storage backends); it is imported only for other values or a Redis/Memcached
    ``KB_RATELIMIT_STORAGE_URI``."""
    env = {**os.environ, "KB_INSTANCE_DIR": str(tmp_path / "instance"),
           "KB_ARTICLES_DIR": str(ROOT / "tests" / "fixtures" / "articles")}
    for name in ("KB_LOGIN_LIMIT_ACCOUNT", "KB_LOGIN_LIMIT_ADDRESS", "KB_RATELIMIT_STORAGE_URI"):
        env.pop(name, None)
    code = "import sys, wsgi; print('limits' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"
    env["KB_LOGIN_LIMIT_ACCOUNT"] = "3 per minute"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True,
                         text=True, timeout=120)
    assert out.stdout.strip() == "True"


def test_creating_the_app_runs_no_garbage_collection_and_leaves_the_collector_as_found(tmp_path):
    """The first ``create_app`` imports nearly everything; the collector is off meanwhile (it
    walked all those objects several times for nothing) and on again afterwards."""
    env = {**os.environ, "KB_INSTANCE_DIR": str(tmp_path / "instance"),
           "KB_ARTICLES_DIR": str(ROOT / "tests" / "fixtures" / "articles")}
    code = ("import gc\n"
            "import app\n"
            "gc.collect()\n"
            "runs = []\n"
            "import traceback\n"
            "def inside(phase, info):\n"
            "    if phase == 'start' and any(f.name == 'create_app' for f in traceback.extract_stack()):\n"
            "        runs.append(info['generation'])\n"
            "gc.callbacks.append(inside)\n"
            "import wsgi\n"
            "print(len(runs), gc.isenabled())\n"
            "gc.disable()\n"
            "from app import create_app\n"
            "create_app()\n"
            "print(gc.isenabled())\n")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["0", "True", "False"]


def test_the_kb_commands_are_there_when_a_command_line_asks(app):
    import click

    ctx = click.Context(app.cli)
    assert "kb" in app.cli.list_commands(ctx)
    result = app.test_cli_runner().invoke(args=["kb", "--help"])
    assert result.exit_code == 0, result.output
    for verb in ("init", "sync", "index", "search", "worker", "user", "report"):
        assert f"  {verb} " in result.output
    from app.cli import kb_cli

    assert app.cli.get_command(ctx, "kb") is kb_cli
