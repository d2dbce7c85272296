"""`make run`'s supervisor: gunicorn and kb worker side by side; a killed worker is logged and
restarted; Ctrl+C stops both. Real processes, a real SMTP server."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.mailhelpers import free_port
from tests.worker.conftest import queue, sample_mail

BIN = Path(sys.executable).parent


def _wait(predicate, timeout=30.0, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie is dead too
        return "State:\tZ" not in Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False


@pytest.mark.slow
def test_worker_beside_gunicorn_restarts_after_a_crash_and_stops_with_ctrl_c(mail_app, smtp_server, tmp_path):
    port = free_port()
    log = tmp_path / "supervise.log"
    env = {
        **os.environ,
        "KB_INSTANCE_DIR": mail_app.config["KB_INSTANCE_DIR"],
        "KB_DATABASE_URL": mail_app.config["KB_DATABASE_URL"],
        "KB_ARTICLES_DIR": mail_app.config["KB_ARTICLES_DIR"],
        "KB_SMTP_URL": smtp_server.url,
        "KB_MAIL_FROM": "helpdesk@corp.example",
        "KB_WORKER_POLL": "0.2",
        "KB_SECRET_KEY": "supervise-test",
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "app.worker.supervise", "--", str(BIN / "gunicorn"), "--workers", "1",
         "--bind", f"127.0.0.1:{port}", "wsgi:app"],
        cwd=ROOT, env=env, stdout=open(log, "wb"), stderr=subprocess.STDOUT,
    )
    try:
        def page_ok():
            try:
                return urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5).status == 200
            except OSError:
                return False

        _wait(page_ok, 60, "gunicorn")
        queue(mail_app, sample_mail(1))
        smtp_server.wait_for(1, timeout=30)  # the worker is running
        first = int(_wait(lambda: re.search(r"邮件 worker（pid (\d+)）", log.read_text()), what="worker pid").group(1))
        os.kill(first, signal.SIGKILL)
        restarted = _wait(lambda: re.search(r"邮件 worker 已重启（pid (\d+)）", log.read_text()), what="restart")
        assert "邮件 worker 意外退出（退出码 -9" in log.read_text()
        second = int(restarted.group(1))
        assert second != first and _alive(second)
        queue(mail_app, sample_mail(2))
        assert len(smtp_server.wait_for(2, timeout=30)) == 2  # the new worker delivers
        gunicorn = int(re.search(r"已启动网站（pid (\d+)）", log.read_text()).group(1))
        proc.send_signal(signal.SIGINT)  # Ctrl+C
        assert proc.wait(30) == 0
        assert not _alive(gunicorn) and not _alive(second)
        assert "网站和邮件 worker 都已停止" in log.read_text()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
