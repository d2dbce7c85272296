"""A real portal process for the hardening tests: gunicorn started exactly as ``make run`` does
(``-c python:app.serving.gunicorn_conf``), on a free port, on SQLite or a PostgreSQL schema."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from sqlalchemy import create_engine

from tests.browser.conftest import _free_port, wait_until_serving
from tests.conftest import FIXTURES, ROOT, make_database_url

BIN = Path(sys.executable).parent


class Server:
    def __init__(self, url, env, process, log, database_url, drop):
        self.url, self.env, self.process, self.log = url, env, process, log
        self.database_url, self._drop = database_url, drop
        self.instance = Path(env["KB_INSTANCE_DIR"])

    def get(self, path: str, timeout: float = 15, data: bytes | None = None, headers=None):
        """(status, body) — HTTP errors are answers too."""
        req = urllib.request.Request(self.url + path, data=data, headers=headers or {})
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                return r.status, r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.read()

    def workers(self) -> set[int]:
        out = subprocess.run(["pgrep", "-P", str(self.process.pid)], capture_output=True, text=True)
        return {int(p) for p in out.stdout.split()}

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        create_engine(self.database_url).dispose()
        self._drop()


def start_server(tmp: Path, pg_ok: bool, *, articles: Path | None = None, workers: int = 2,
                 extra_env: dict | None = None) -> Server:
    database_url, drop = make_database_url(tmp, pg_ok)
    env = {
        **os.environ,
        "KB_INSTANCE_DIR": str(tmp / "instance"),
        "KB_DATABASE_URL": database_url,
        "KB_ARTICLES_DIR": str(articles or FIXTURES / "articles"),
        "KB_SECRET_KEY": "robust-test-secret",
        "HOME": str(tmp / "home"),          # gunicorn must leave the user's home alone
        **(extra_env or {}),
    }
    init = subprocess.run([str(BIN / "flask"), "--app", "wsgi", "kb", "init"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=600)
    assert init.returncode == 0, init.stdout + init.stderr
    port = _free_port()
    log = tmp / "gunicorn.log"
    process = subprocess.Popen(
        [str(BIN / "gunicorn"), "-c", "python:app.serving.gunicorn_conf", "--workers", str(workers),
         "--bind", f"127.0.0.1:{port}", "wsgi:app"],
        cwd=ROOT, env=env, stdout=open(log, "wb"), stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    wait_until_serving(url, process, log)
    srv = Server(url, env, process, log, database_url, drop)
    # every worker forked: the first one can answer before gunicorn forks the next (it sleeps up
    # to 0.1 s between forks, and a worker that inherits the opened engine answers at once), and
    # tests compare the set of workers before and after
    assert wait_for(lambda: len(srv.workers()) == workers, 30), log.read_text()[-3000:]
    return srv


@pytest.fixture(scope="module")
def server(tmp_path_factory, pg_available):
    srv = start_server(tmp_path_factory.mktemp("robust"), pg_available)
    # the first search of each worker opens the index and the segmenter
    for _ in range(4):
        srv.get("/api/suggest?q=vpn", timeout=60)
    yield srv
    srv.stop()


def wait_for(predicate, timeout: float, step: float = 0.1):
    """Poll ``predicate`` until it returns a true value; that value (or None at the timeout)."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(step)


async def ask_suggest(reader, writer, q: str) -> None:
    """One keep-alive ``GET /api/suggest?q=…`` on an open connection; the answer read whole."""
    from urllib.parse import quote

    writer.write(f"GET /api/suggest?q={quote(q)} HTTP/1.1\r\nHost: test\r\n\r\n".encode())
    await writer.drain()
    head = await reader.readuntil(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200"), head[:80]
    length = next(int(line.split(b":")[1]) for line in head.split(b"\r\n")
                  if line.lower().startswith(b"content-length"))
    await reader.readexactly(length)
