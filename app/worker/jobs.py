"""Timed jobs: a registry, and running the due ones with a lease so no two workers overlap.

Register a job with ONE line in :data:`JOBS`::

    Job("sla_states", "app.console.sla:run", every=dt.timedelta(minutes=1), help="SLA 将超时/已超时"),

The target is ``"module:function"`` (imported when the job first runs, so this module imports
nothing of yours) with the signature ``run(session, now) -> int``: do the work in ``session``
(queue notifications with :func:`app.worker.outbox.enqueue` in it), return how many things were
done, never commit — the worker commits after it returns and rolls back if it raises. ``now``
is an aware UTC datetime; use it instead of the clock so tests can move time.

A job is due ``every`` after its last start. Before running it a worker takes the job's lease in
the ``worker_jobs`` table with a conditional UPDATE (only one worker's update matches); the lease
lasts ``lease`` (default 10 minutes) — keep a job's pass well under it, e.g. by working in
batches. A job that raises is logged with its traceback, its error kept in ``worker_jobs``, and
tried again at its next interval.
"""

from __future__ import annotations

import datetime as dt
import importlib
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..models import WorkerJob
from .outbox import _utc

log = logging.getLogger("app.worker")


@dataclass(frozen=True)
class Job:
    name: str
    target: str  # "package.module:function" → run(session, now) -> int
    every: dt.timedelta
    help: str = ""
    lease: dt.timedelta = dt.timedelta(minutes=10)

    def load(self) -> Callable[[Session, dt.datetime], int]:
        module, _, attr = self.target.partition(":")
        return getattr(importlib.import_module(module), attr)


# The registry: one line per job.
JOBS: list[Job] = [
    Job("outbox_prune", "app.worker.housekeeping:prune_outbox", dt.timedelta(hours=6),
        help="删除 KB_OUTBOX_KEEP_DAYS 天之前已发送的邮件"),
    Job("sla_states", "app.tickets.sla_job:run", dt.timedelta(minutes=1),
        help="记录 SLA 超时（每个期限一次）并通知将超时/已超时"),
    Job("requester_reminders", "app.requests.reminders:pending_reminders", dt.timedelta(minutes=10),
        help="等待提交人回复超过 KB_PENDING_REMIND_DAYS 个工作日：提醒一次"),
    Job("ranking_signals", "app.feedback.ranking:refresh", dt.timedelta(seconds=30),
        help="重新计算搜索排序信号（有用度、浏览量），写入实例目录供各 Web 进程读取",
        lease=dt.timedelta(minutes=5)),
    Job("auto_close", "app.requests.reminders:auto_close", dt.timedelta(minutes=10),
        help="已解决未确认：KB_AUTO_CLOSE_REMIND_DAYS 个工作日后提醒，KB_AUTO_CLOSE_DAYS 个工作日后自动关闭"),
    Job("staging_cleanup", "app.requests.staging:run_cleanup", dt.timedelta(minutes=15),
        help="删除请求表单暂存超过 KB_STAGING_MAX_HOURS 小时的附件"),
    Job("search_log_retention", "app.reports.rollup:retention_job", dt.timedelta(hours=1),
        help="搜索日汇总缺失时重建；删除 KB_SEARCH_LOG_DAYS 天之前的原始搜索记录（汇总保留）"),
]


@dataclass
class JobRun:
    name: str
    result: int | None
    error: str | None
    seconds: float


def _sessionmaker():
    return current_app.extensions["kb.sessionmaker"]


def acquire(session: Session, job: Job, worker: str, now: dt.datetime) -> bool:
    """Take ``job``'s lease if it is due and nobody holds it; committed."""
    now = _utc(now)
    stmt = (
        update(WorkerJob)
        .where(
            WorkerJob.name == job.name,
            or_(WorkerJob.lease_until.is_(None), WorkerJob.lease_until < now),
            or_(WorkerJob.next_run_at.is_(None), WorkerJob.next_run_at <= now),
        )
        .values(locked_by=worker, lease_until=now + job.lease, last_started_at=now)
        .execution_options(synchronize_session=False)
    )
    for _ in range(2):
        result = session.execute(stmt)
        session.commit()
        if result.rowcount == 1:
            return True
        if session.scalar(select(WorkerJob.name).where(WorkerJob.name == job.name)) is not None:
            session.commit()
            return False
        try:  # first run ever: create the row, then race for it like everyone else
            session.add(WorkerJob(name=job.name, runs=0, failures=0))
            session.commit()
        except IntegrityError:
            session.rollback()
    return False


def _finish(session: Session, job: Job, worker: str, started: dt.datetime, run: JobRun) -> None:
    values = dict(
        locked_by=None, lease_until=None, next_run_at=started + job.every, last_finished_at=started
        + dt.timedelta(seconds=run.seconds), last_result=run.result, last_error=run.error, runs=WorkerJob.runs + 1,
    )
    if run.error:
        values["failures"] = WorkerJob.failures + 1
    session.execute(
        update(WorkerJob).where(WorkerJob.name == job.name, WorkerJob.locked_by == worker).values(**values)
        .execution_options(synchronize_session=False)
    )
    session.commit()


def run_due_jobs(worker: str, *, now: dt.datetime, jobs: Sequence[Job] | None = None) -> list[JobRun]:
    """Run every due job this worker can lease; what ran, with its result or error."""
    now = _utc(now)
    runs = []
    control = _sessionmaker()()
    try:
        for job in JOBS if jobs is None else jobs:
            if not acquire(control, job, worker, now):
                continue
            runs.append(_run(control, job, worker, now))
    finally:
        control.close()
    return runs


def _run(control: Session, job: Job, worker: str, now: dt.datetime) -> JobRun:
    started = time.perf_counter()
    work = _sessionmaker()()
    try:
        result = job.load()(work, now)
        work.commit()
        run = JobRun(job.name, int(result or 0), None, time.perf_counter() - started)
        if run.result:
            log.info("定时任务 %s 完成：%s 项（%.2f 秒）", job.name, run.result, run.seconds)
    except Exception as exc:  # noqa: BLE001 - one broken job must not stop the worker or the others
        work.rollback()
        log.exception("定时任务 %s 失败", job.name)
        run = JobRun(job.name, None, f"{type(exc).__name__}: {exc}"[:2000], time.perf_counter() - started)
    finally:
        work.close()
    _finish(control, job, worker, now, run)
    return run


def job_status(session: Session) -> dict[str, WorkerJob]:
    return {row.name: row for row in session.scalars(select(WorkerJob))}
