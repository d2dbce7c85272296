"""``kb worker``: passes of delivery + due jobs, until told to stop.

One pass (:meth:`Worker.run_once`, also ``kb worker --once``) delivers every due outbox message
and then runs the due timed jobs. The loop waits ``KB_WORKER_POLL`` seconds between passes; a
pass that fails (database unreachable, …) is logged and tried again with a growing pause
(at most a minute) — the worker never exits on its own. SIGTERM or Ctrl+C finishes the current
message and stops.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import secrets
import socket
import threading
from dataclasses import dataclass, field

from ..models import utcnow
from .delivery import DeliveryReport, deliver_due
from .jobs import JobRun, run_due_jobs
from .settings import WorkerSettings

log = logging.getLogger("app.worker")
MAX_PAUSE = 60.0


@dataclass
class PassReport:
    delivery: DeliveryReport
    jobs: list[JobRun] = field(default_factory=list)


def worker_name() -> str:
    return f"{socket.gethostname()[:60]}:{os.getpid()}:{secrets.token_hex(3)}"


class Worker:
    def __init__(self, app, *, name: str | None = None, jobs=None):
        self.app = app
        self.name = name or worker_name()
        self.settings = WorkerSettings.from_config(app.config)
        self.jobs = jobs  # None: the registry (jobs.JOBS)
        self.stopping = threading.Event()

    def run_once(self, now: dt.datetime | None = None) -> PassReport:
        with self.app.app_context():
            delivery = deliver_due(self.settings, self.name, now=now)
            jobs = [] if self.stopping.is_set() else run_due_jobs(self.name, now=now or utcnow(), jobs=self.jobs)
        return PassReport(delivery, jobs)

    def run_forever(self) -> None:
        s = self.settings
        where = s.smtp.describe() if s.smtp else "未设置 KB_SMTP_URL，邮件只保存在发件箱中（kb outbox 查看）"
        log.info("worker %s 已启动：%s；每 %g 秒检查一次", self.name, where, s.poll)
        pause = s.poll
        while not self.stopping.is_set():
            try:
                self.run_once()
                pause = s.poll
            except Exception:  # noqa: BLE001 - keep running: the database may come back
                pause = min(MAX_PAUSE, max(pause * 2, 1.0))
                log.exception("worker 本轮出错，%g 秒后重试", pause)
            self.stopping.wait(pause)
        log.info("worker %s 已停止", self.name)

    def stop(self) -> None:
        self.stopping.set()
