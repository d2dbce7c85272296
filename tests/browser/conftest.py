"""Real-browser fixtures: the portal served by gunicorn in a subprocess, driven by headless Chromium.

Chromium is Debian's ``/usr/bin/chromium`` (never ``playwright install``). Without it the
browser tests are skipped — except under ``CI=true``, where a missing browser is a failure.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from sqlalchemy import create_engine

from tests.conftest import ARTICLES, ROOT, make_database_url

CHROMIUM = os.environ.get("KB_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--no-first-run", "--disable-sync",
]
BIN = Path(sys.executable).parent


def _chromium_or_skip() -> str:
    path = CHROMIUM if os.path.isfile(CHROMIUM) else shutil.which("chromium")
    if path:
        return path
    reason = f"Chromium not found at {CHROMIUM} (apt-get install chromium): browser tests skipped"
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI=true requires the browser tests to run, but {reason.split(':')[0]}", pytrace=False)
    pytest.skip(reason)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_serving(url: str, process: subprocess.Popen, log: Path, timeout: float = 120) -> None:
    """Wait for ``url`` to answer 200; fail with the end of ``log`` if the server dies or is too slow."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url + "/", timeout=5) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail("the portal did not start:\n" + log.read_text(errors="replace")[-3000:])
        time.sleep(0.2)


class Portal:
    def __init__(self, url: str, database_url: str, process: subprocess.Popen, log: Path):
        self.url, self.database_url, self.process, self.log = url, database_url, process, log
        self.db = create_engine(database_url)

    def scalar(self, sql: str, **params):
        from sqlalchemy import text

        with self.db.connect() as conn:
            return conn.execute(text(sql), params).scalar()


@pytest.fixture(scope="session")
def portal(tmp_path_factory, pg_available):
    """The real app (gunicorn, gthread) on a free port, with the real articles/ library."""
    _chromium_or_skip()
    tmp = tmp_path_factory.mktemp("portal")
    database_url, drop = make_database_url(tmp, pg_available)
    env = {
        **os.environ,
        "KB_INSTANCE_DIR": str(tmp / "instance"),
        "KB_DATABASE_URL": database_url,
        "KB_ARTICLES_DIR": str(ARTICLES),
        "KB_SECRET_KEY": "browser-test-secret",
    }
    init = subprocess.run([str(BIN / "flask"), "--app", "wsgi", "kb", "init"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=600)
    assert init.returncode == 0, init.stdout + init.stderr
    port = _free_port()
    log = tmp / "gunicorn.log"
    process = subprocess.Popen(
        [str(BIN / "gunicorn"), "--bind", f"127.0.0.1:{port}", "--workers", "1", "--worker-class", "gthread",
         "--threads", "4", "--access-logfile", "-", "wsgi:app"],
        cwd=ROOT, env=env, stdout=open(log, "wb"), stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    wait_until_serving(url, process, log)
    # The first search of a fresh process opens the index and loads the segmenter (seconds);
    # do it here, as a running portal would have, and report it.
    started = time.monotonic()
    urllib.request.urlopen(url + "/api/suggest?q=VPN", timeout=60).read()
    print(f"\nfirst search after start (cold): {(time.monotonic() - started) * 1000:.0f} ms")
    server = Portal(url, database_url, process, log)
    server.env = env  # a second app process on the same database and index (tests/browser/test_writer_browser.py)
    yield server
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
    server.db.dispose()
    drop()


@pytest.fixture(scope="session")
def mail_portal(tmp_path_factory, pg_available):
    """The app run like `make run` — gunicorn and `kb worker` under the supervisor — with a real SMTP
    server on loopback: (url, smtp, env). Shared by the mail and requester browser tests; each
    clears ``smtp.messages`` before it starts counting."""
    from tests.mailhelpers import SmtpServer

    _chromium_or_skip()
    tmp = tmp_path_factory.mktemp("mailportal")
    database_url, drop = make_database_url(tmp, pg_available)
    smtp = SmtpServer().start()
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "KB_INSTANCE_DIR": str(tmp / "instance"),
        "KB_DATABASE_URL": database_url,
        "KB_ARTICLES_DIR": str(ARTICLES),
        "KB_SECRET_KEY": "mail-browser-test",
        "KB_BASE_URL": url,
        "KB_SMTP_URL": smtp.url,
        "KB_MAIL_FROM": "IT 服务台 <helpdesk@corp.example>",
        "KB_WORKER_POLL": "0.2",
    }
    init = subprocess.run([str(BIN / "flask"), "--app", "wsgi", "kb", "init"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=600)
    assert init.returncode == 0, init.stdout + init.stderr
    log = tmp / "supervise.log"
    process = subprocess.Popen(
        [sys.executable, "-m", "app.worker.supervise", "--", str(BIN / "gunicorn"), "--bind", f"127.0.0.1:{port}",
         "--workers", "1", "--worker-class", "gthread", "--threads", "4", "wsgi:app"],
        cwd=ROOT, env=env, stdout=open(log, "wb"), stderr=subprocess.STDOUT,
    )
    wait_until_serving(url, process, log)
    yield url, smtp, env
    process.send_signal(signal.SIGINT)
    try:
        process.wait(30)
    except subprocess.TimeoutExpired:
        process.kill()
    smtp.stop()
    drop()


@pytest.fixture
def mail_page(chromium, mail_portal):
    context = chromium.new_context(locale="zh-CN", base_url=mail_portal[0], viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


@pytest.fixture(scope="session")
def browser(portal, chromium):
    return chromium


@pytest.fixture
def page(browser, portal):
    context = browser.new_context(locale="zh-CN", base_url=portal.url, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()
