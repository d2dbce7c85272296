"""Issue 13 item 11: two ``kb sync`` at once are serialised: no IntegrityError, and ``--json``
is always one valid JSON object."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import ARTICLES, ROOT, make_database_url

FLASK = str(Path(sys.executable).parent / "flask")


def _env(tmp_path, database_url, articles):
    return {**os.environ, "KB_INSTANCE_DIR": str(tmp_path / "instance"), "KB_DATABASE_URL": database_url,
            "KB_ARTICLES_DIR": str(articles), "KB_SECRET_KEY": "x"}


def test_two_syncs_at_once_are_serialised(tmp_path, pg_available):
    database_url, drop = make_database_url(tmp_path, pg_available)
    try:
        empty = tmp_path / "empty"
        empty.mkdir()
        env = _env(tmp_path, database_url, empty)
        init = subprocess.run([FLASK, "--app", "wsgi", "kb", "init"], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=300)
        assert init.returncode == 0, init.stderr
        procs = [subprocess.Popen([FLASK, "--app", "wsgi", "kb", "sync", "--json", str(ARTICLES)], cwd=ROOT,
                                  env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                 for _ in range(2)]
        outs = [p.communicate(timeout=300) for p in procs]
        for p, (out, err) in zip(procs, outs):
            assert "IntegrityError" not in err and "Traceback" not in err, err
            assert p.returncode == 0, (out, err)
        reports = [json.loads(out) for out, _err in outs]
        created = sorted(r["created"] for r in reports)
        total = len(list(ARTICLES.rglob("*.md"))) - len(list(ARTICLES.glob("*.md")))
        assert created[0] == 0 and created[1] >= total - 2, reports  # the second saw the first's work
        assert max(r["unchanged"] for r in reports) == created[1]
    finally:
        drop()


def test_sync_json_when_the_lock_is_busy_is_still_json(tmp_path, pg_available, monkeypatch):
    """A sync that cannot get the lock in time says so as JSON (exit 2), never a traceback."""
    from tests.conftest import build_app
    import app.cli as cli
    from app.articles.synclock import sync_lock

    app, drop_app = build_app(tmp_path, ARTICLES, pg_available)
    try:
        monkeypatch.setattr(cli, "SYNC_WAIT", 0.3)
        with app.app_context(), sync_lock(1.0):  # held by "another sync"
            result = app.test_cli_runner().invoke(args=["kb", "sync", "--json"])
        assert result.exit_code == 2
        body = json.loads(result.stdout)
        assert body["error"] == "sync_busy" and "另一个 kb sync" in body["message"]
    finally:
        app.extensions["kb.engine"].dispose()
        drop_app()
