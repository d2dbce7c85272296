"""Timed jobs: run when due, never by two workers at once, failures kept and isolated."""

from __future__ import annotations

import datetime as dt
import threading

import pytest

from app.db import session_scope
from app.worker.jobs import JOBS, Job, job_status, run_due_jobs
from tests.worker import jobfuncs
from tests.worker.conftest import rows, utc

EVERY = dt.timedelta(minutes=5)


@pytest.fixture(autouse=True)
def _reset():
    jobfuncs.calls.clear()
    jobfuncs.running = jobfuncs.most_at_once = 0


def _run(app, worker, now, *jobs):
    with app.app_context():
        return run_due_jobs(worker, now=now, jobs=list(jobs))


def test_the_registry_names_importable_functions():
    assert len({j.name for j in JOBS}) == len(JOBS)
    for job in JOBS:
        assert callable(job.load()), job.target


def test_a_job_runs_when_due_and_not_before(mail_app):
    job = Job("count", "tests.worker.jobfuncs:count", EVERY)
    t0 = utc(2026, 12, 1, 9, 0)
    assert [(r.name, r.result, r.error) for r in _run(mail_app, "w1", t0, job)] == [("count", 3, None)]
    assert _run(mail_app, "w2", t0 + dt.timedelta(minutes=4), job) == []
    assert len(_run(mail_app, "w2", t0 + dt.timedelta(minutes=5), job)) == 1
    assert [c[1] for c in jobfuncs.calls] == [t0, t0 + dt.timedelta(minutes=5)]
    with mail_app.app_context(), session_scope() as session:
        row = job_status(session)["count"]
        assert (row.runs, row.failures, row.last_result, row.locked_by) == (2, 0, 3, None)


def test_two_workers_never_run_the_same_job_at_once(mail_app):
    job = Job("slow", "tests.worker.jobfuncs:slow", EVERY)
    now = utc(2026, 12, 1, 9, 0)
    start = threading.Barrier(3)
    results = []

    def work(name):
        start.wait()
        results.append(_run(mail_app, name, now, job))

    threads = [threading.Thread(target=work, args=(f"w{n}",)) for n in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(len(r) for r in results) == [0, 0, 1]
    assert jobfuncs.most_at_once == 1 and len(jobfuncs.calls) == 1


def test_a_job_left_by_a_dead_worker_runs_after_its_lease(mail_app):
    from app.worker.jobs import acquire

    job = Job("count", "tests.worker.jobfuncs:count", EVERY, lease=dt.timedelta(minutes=2))
    now = utc(2026, 12, 1, 9, 0)
    with mail_app.app_context(), session_scope() as session:
        assert acquire(session, job, "dead", now)  # took the lease, then died
    assert _run(mail_app, "w", now + dt.timedelta(minutes=1), job) == []
    assert len(_run(mail_app, "w", now + dt.timedelta(minutes=3), job)) == 1


def test_a_failing_job_is_recorded_rolled_back_and_does_not_stop_the_others(mail_app):
    broken = Job("broken", "tests.worker.jobfuncs:broken", EVERY)
    good = Job("mails", "tests.worker.jobfuncs:mails", EVERY)
    now = utc(2026, 12, 1, 9, 0)
    runs = _run(mail_app, "w", now, broken, good)
    assert runs[0].name == "broken" and "坏工单" in runs[0].error and runs[0].result is None
    assert (runs[1].name, runs[1].result, runs[1].error) == ("mails", 1, None)
    assert [r.dedupe_key for r in rows(mail_app)] == ["test:7"]  # the broken job's mail was rolled back
    with mail_app.app_context(), session_scope() as session:
        row = job_status(session)["broken"]
        assert row.failures == 1 and "坏工单" in row.last_error and row.locked_by is None
    # Tried again at its next interval, not before.
    assert _run(mail_app, "w", now + dt.timedelta(minutes=1), broken) == []
    assert len(_run(mail_app, "w", now + EVERY, broken)) == 1


def test_prune_outbox_deletes_only_old_sent_messages(mail_app):
    from app.models import OutboxMessage, utcnow
    from app.worker.housekeeping import prune_outbox
    from tests.worker.conftest import queue, sample_mail

    queue(mail_app, sample_mail(1), sample_mail(2), sample_mail(3))
    now = utcnow()
    with mail_app.app_context(), session_scope() as session:
        one, two, three = session.query(OutboxMessage).order_by(OutboxMessage.id).all()
        one.status, one.sent_at = "sent", now - dt.timedelta(days=91)
        two.status, two.sent_at = "sent", now - dt.timedelta(days=10)
        three.created_at = now - dt.timedelta(days=200)  # old but never sent: kept
    with mail_app.app_context(), session_scope() as session:
        assert prune_outbox(session, now) == 1
    assert [r.dedupe_key for r in rows(mail_app)] == ["test:2", "test:3"]
