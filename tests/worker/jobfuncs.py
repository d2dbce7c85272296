"""Timed-job functions for tests/worker/test_jobs.py (importable targets, like real jobs)."""

from __future__ import annotations

import threading
import time

from app.worker import enqueue

calls: list[tuple[str, object]] = []
running = 0
most_at_once = 0
_lock = threading.Lock()


def count(session, now) -> int:
    calls.append(("count", now))
    return 3


def slow(session, now) -> int:
    global running, most_at_once
    with _lock:
        running += 1
        most_at_once = max(most_at_once, running)
    time.sleep(0.5)
    with _lock:
        running -= 1
    calls.append(("slow", now))
    return 1


def broken(session, now) -> int:
    from tests.worker.conftest import sample_mail

    enqueue(session, sample_mail(99))  # must be rolled back with the failure
    raise RuntimeError("数据库里有一张坏工单")


def mails(session, now) -> int:
    from tests.worker.conftest import sample_mail

    return int(enqueue(session, sample_mail(7)) is not None)
