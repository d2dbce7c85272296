"""One ``kb sync`` at a time (issue 13 item 11).

Two imports of the same folder at once both insert the same new articles; the second died
with ``IntegrityError`` and printed half a report.  ``sync_lock`` serialises them: on
PostgreSQL with an advisory lock keyed by the schema (any host sharing the database), on
SQLite with ``flock`` on ``$KB_INSTANCE_DIR/sync.lock`` (the database is a local file).
A second sync waits (saying so on stderr) and then runs on the first one's result; after
``timeout`` seconds it gives up with :class:`SyncBusy`.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import time
from pathlib import Path

from flask import current_app
from sqlalchemy import text

from ..db import get_engine


class SyncBusy(RuntimeError):
    """Another ``kb sync`` kept the lock for longer than the timeout."""


@contextlib.contextmanager
def sync_lock(timeout: float = 600.0, on_wait=None):
    engine = get_engine()
    if engine.dialect.name == "postgresql":
        with _pg_lock(engine, timeout, on_wait):
            yield
    else:
        with _file_lock(Path(current_app.config["KB_INSTANCE_DIR"]) / "sync.lock", timeout, on_wait):
            yield


def _poll(try_once, timeout: float, on_wait) -> None:
    deadline = time.monotonic() + timeout
    told = False
    delay = 0.05
    while not try_once():
        if not told and on_wait is not None:
            on_wait()
            told = True
        if time.monotonic() > deadline:
            raise SyncBusy("另一个 kb sync 正在运行")
        time.sleep(delay)
        delay = min(delay * 2, 1.0)


@contextlib.contextmanager
def _pg_lock(engine, timeout: float, on_wait):
    key = "hashtext(current_schema() || :name)"
    name = {"name": "/kb sync"}
    with engine.connect() as conn:
        conn = conn.execution_options(isolation_level="AUTOCOMMIT")
        _poll(lambda: bool(conn.execute(text(f"select pg_try_advisory_lock({key})"), name).scalar()),
              timeout, on_wait)
        try:
            yield
        finally:
            conn.execute(text(f"select pg_advisory_unlock({key})"), name)


@contextlib.contextmanager
def _file_lock(path: Path, timeout: float, on_wait):
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)

    def try_once() -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except OSError as e:
            if e.errno not in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                raise
            return False

    try:
        _poll(try_once, timeout, on_wait)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
