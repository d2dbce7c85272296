"""``make run``: the web server and one ``kb worker`` side by side, stopping together.

    python -m app.worker.supervise -- gunicorn --bind 127.0.0.1:5000 wsgi:app

Runs the command after ``--`` (the web server) and ``flask --app wsgi kb worker``. A worker
that exits (a crash, or killed) is logged with its exit code and started again after a pause
that grows from 1 s to 60 s while it keeps failing. Ctrl+C or SIGTERM stops both; when the web
server exits, the worker is stopped too and the web server's exit code is returned. For
production, run the two under systemd or supervisor instead (see README.md).
"""

from __future__ import annotations

import logging
import signal
import subprocess
import sys
import time

log = logging.getLogger("app.worker.supervise")
WORKER = [sys.executable, "-m", "flask", "--app", "wsgi", "kb", "worker"]
STOP_TIMEOUT = 15.0
MAX_BACKOFF = 60.0
STABLE_AFTER = 60.0  # a worker that ran this long resets the back-off


def _terminate(proc: subprocess.Popen | None) -> None:
    if proc is not None and proc.poll() is None:
        proc.terminate()


def _wait(procs, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    for proc in procs:
        if proc is None:
            continue
        try:
            proc.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            log.warning("进程 %s 在 %g 秒内没有退出，强制结束", proc.pid, timeout)
            proc.kill()
            proc.wait()


def run(web_cmd: list[str], worker_cmd: list[str] = WORKER, *, poll: float = 0.2) -> int:
    stopping = False

    def _stop(signum, _frame):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    web = subprocess.Popen(web_cmd)
    worker = subprocess.Popen(worker_cmd)
    started = time.monotonic()
    backoff, restart_at = 1.0, None
    log.info("已启动网站（pid %s）和邮件 worker（pid %s）", web.pid, worker.pid)
    code = 0
    try:
        while not stopping:
            if web.poll() is not None:
                code = web.returncode
                log.warning("网站进程已退出（退出码 %s），同时停止邮件 worker", code)
                break
            if restart_at is None and worker.poll() is not None:
                ran = time.monotonic() - started
                if ran >= STABLE_AFTER:
                    backoff = 1.0
                log.error("邮件 worker 意外退出（退出码 %s，运行了 %.0f 秒），%g 秒后重启", worker.returncode, ran, backoff)
                restart_at = time.monotonic() + backoff
                backoff = min(MAX_BACKOFF, backoff * 2)
            if restart_at is not None and time.monotonic() >= restart_at:
                worker = subprocess.Popen(worker_cmd)
                started, restart_at = time.monotonic(), None
                log.info("邮件 worker 已重启（pid %s）", worker.pid)
            time.sleep(poll)
    finally:
        _terminate(web)
        _terminate(worker)
        _wait([web, worker], STOP_TIMEOUT)
        log.info("网站和邮件 worker 都已停止")
    return code


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if "--" in args:
        args = args[args.index("--") + 1:]
    if not args:
        print("用法：python -m app.worker.supervise -- <网站服务器命令…>", file=sys.stderr)
        return 2
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s [supervise] %(message)s")
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
