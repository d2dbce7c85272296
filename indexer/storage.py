"""Index folders, the inter-process write lock, atomic generation swaps, change stamps.

Layout for ``index_dir = instance/index``::

    instance/index            -> symlink to index.d/g000007   (replaced with os.replace)
    instance/index.d/
        write.lock             fcntl.flock: exactly one writer (any process) at a time
        STAMP                  rewritten (tmp + os.replace) after every commit and swap;
                               readers stat() it to notice changes without polling Whoosh
        g000007/               live generation: a Whoosh index + KBMETA.json
        g000006/ RETIRED       previous generation, deleted after a grace period
        build-…/               a rebuild in progress (or a crashed one, removed later)
        REBUILDING, journal.jsonl   updates made during a rebuild, replayed before the swap

Whoosh never fsyncs; a crash can leave a broken generation.  The engine verifies it on open
and rebuilds from the loader callback.
"""
from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import logging
import os
import shutil
import threading
import time
from pathlib import Path

__all__ = ["IndexStore", "LockTimeout"]

log = logging.getLogger("indexer")

META_NAME = "KBMETA.json"
RETIRED_NAME = "RETIRED"


class LockTimeout(TimeoutError):
    """The write lock could not be taken in time (another writer holds it)."""


class IndexStore:
    def __init__(self, index_dir: Path, *, lock_timeout: float = 600.0,
                 retired_grace: float = 120.0):
        self.link = Path(os.path.abspath(index_dir))
        self.root = self.link.parent / (self.link.name + ".d")
        self.lock_path = self.root / "write.lock"
        self.stamp_path = self.root / "STAMP"
        self.journal_path = self.root / "journal.jsonl"
        self.rebuilding_path = self.root / "REBUILDING"
        self.lock_timeout = lock_timeout
        self.retired_grace = retired_grace
        self._write = _FileLock(self.root, "write.lock")
        self._rebuild = _FileLock(self.root, "rebuild.lock")

    # -- locks ----------------------------------------------------------------------------
    def write_lock(self, timeout: float | None = None):
        """Exclusive across processes (flock) and threads; re-entrant in one thread."""
        return self._write.hold(self.lock_timeout if timeout is None else timeout)

    def rebuild_lock(self, timeout: float | None = None):
        """Serialises rebuilds across processes; updates are not blocked by it.

        Lock order: rebuild lock before write lock, never the other way round."""
        return self._rebuild.hold(self.lock_timeout if timeout is None else timeout)

    # -- generations ---------------------------------------------------------------------
    def current(self) -> Path | None:
        """The live generation folder, or None (no link, dangling link, not ours)."""
        try:
            target = os.readlink(self.link)
        except OSError:
            return None
        path = (self.link.parent / target).resolve()
        return path if path.is_dir() else None

    def current_key(self):
        """Cheap change detector for readers: (link target, stamp identity)."""
        try:
            target = os.readlink(self.link)
        except OSError:
            target = None
        try:
            st = os.stat(self.stamp_path)
            stamp = (st.st_ino, st.st_mtime_ns, st.st_size)
        except OSError:
            stamp = None
        return target, stamp

    def new_build_dir(self) -> Path:
        self.root.mkdir(parents=True, exist_ok=True)
        d = self.root / f"build-{time.strftime('%Y%m%d%H%M%S')}-{os.getpid()}-{threading.get_ident() % 10000}"
        d.mkdir()
        return d

    def _next_generation_name(self) -> str:
        n = 0
        for p in self.root.iterdir():
            if p.name.startswith("g") and p.name[1:].isdigit():
                n = max(n, int(p.name[1:]))
        return f"g{n + 1:06d}"

    def read_meta(self, gen: Path) -> dict | None:
        try:
            return json.loads((gen / META_NAME).read_text("utf-8"))
        except (OSError, ValueError):
            return None

    def write_meta(self, gen: Path, meta: dict) -> None:
        tmp = gen / (META_NAME + ".tmp")
        tmp.write_text(json.dumps(meta), "utf-8")
        os.replace(tmp, gen / META_NAME)

    def publish(self, build_dir: Path) -> Path:
        """Rename a verified build to the next generation and point the link at it (atomic).

        Call with the write lock held.
        """
        old = self.current()
        gen = self.root / self._next_generation_name()
        os.rename(build_dir, gen)
        if self.link.exists() and not self.link.is_symlink():
            # a plain folder from an older layout: move it aside (it is not ours to delete)
            aside = self.root / f"legacy-{time.strftime('%Y%m%d%H%M%S')}"
            os.rename(self.link, aside)
            log.warning("moved non-symlink index folder %s to %s", self.link, aside)
        tmp_link = self.link.parent / f".{self.link.name}.tmp-{os.getpid()}-{threading.get_ident()}"
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp_link)
        os.symlink(os.path.join(self.root.name, gen.name), tmp_link)
        os.replace(tmp_link, self.link)
        if old is not None and old != gen:
            with contextlib.suppress(OSError):
                (old / RETIRED_NAME).write_text(str(time.time()))
        self.touch_stamp()
        return gen

    def touch_stamp(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        tmp = self.root / f".STAMP.{os.getpid()}.{threading.get_ident()}"
        tmp.write_text(f"{time.time_ns()} {os.getpid()}\n")
        os.replace(tmp, self.stamp_path)

    def cleanup(self, *, force: bool = False) -> list[str]:
        """Delete retired generations after the grace period and crashed builds.

        Call with the write lock held (so no build is in progress).
        """
        removed = []
        if not self.root.is_dir():
            return removed
        live = self.current()
        now = time.time()
        for p in self.root.iterdir():
            if not p.is_dir() or p == live:
                continue
            try:
                if p.name.startswith("build-"):
                    if force or now - p.stat().st_mtime > 5:
                        shutil.rmtree(p, ignore_errors=True)
                        removed.append(p.name)
                elif p.name.startswith("g") and p.name[1:].isdigit():
                    r = p / RETIRED_NAME
                    retired_at = float(r.read_text()) if r.exists() else p.stat().st_mtime
                    if force or now - retired_at > self.retired_grace:
                        shutil.rmtree(p, ignore_errors=True)
                        removed.append(p.name)
            except (OSError, ValueError):
                continue
        for p in self.link.parent.glob(f".{self.link.name}.tmp-*"):
            with contextlib.suppress(OSError):
                p.unlink()
        if removed:
            log.info("removed old index folders: %s", ", ".join(sorted(removed)))
        return removed

    # -- journal of updates made while a rebuild runs -------------------------------------
    def rebuild_started(self) -> int:
        """Mark a rebuild in progress; returns the journal offset to replay from (lock held)."""
        self.rebuilding_path.write_text(str(os.getpid()))
        try:
            return self.journal_path.stat().st_size
        except FileNotFoundError:
            return 0

    def rebuild_in_progress(self) -> bool:
        try:
            pid = int(self.rebuilding_path.read_text().strip() or 0)
        except (OSError, ValueError):
            return False
        if pid and pid != os.getpid():
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                with contextlib.suppress(OSError):
                    self.rebuilding_path.unlink()
                return False
            except PermissionError:
                pass
        return True

    def journal_append(self, entry: dict) -> None:
        with open(self.journal_path, "a", encoding="utf-8") as f:
            f.write(json.dumps(entry, ensure_ascii=False) + "\n")

    def journal_read(self, offset: int) -> list[dict]:
        try:
            with open(self.journal_path, "rb") as f:
                f.seek(offset)
                data = f.read()
        except FileNotFoundError:
            return []
        out = []
        for line in data.decode("utf-8", "replace").splitlines():
            if line.strip():
                with contextlib.suppress(ValueError):
                    out.append(json.loads(line))
        return out

    def rebuild_finished(self) -> None:
        for p in (self.rebuilding_path, self.journal_path):
            with contextlib.suppress(FileNotFoundError):
                p.unlink()


class _FileLock:
    """flock on a file: one holder across processes and threads, re-entrant per thread.

    The holder writes ``pid start-time host`` into the file, and empties it on release.
    Processes forked while the lock is held (Whoosh's multi-process writer) close their copy of
    the descriptor and are killed when the forking thread dies (``PR_SET_PDEATHSIG``), so the
    lock dies with its holder.  Should a lock still be held while its recorded holder is gone
    (orphans of an older version, a process that cannot be killed), the waiter takes it over:
    it unlinks that file, logs a warning, and locks a new one.
    """

    def __init__(self, folder: Path, name: str):
        self.folder = folder
        self.path = folder / name
        self._tlock = threading.Lock()
        self._local = threading.local()
        self._fd: int | None = None
        _register_after_fork(self)

    @contextlib.contextmanager
    def hold(self, timeout: float):
        depth = getattr(self._local, "depth", 0)
        if depth:
            self._local.depth = depth + 1
            try:
                yield
            finally:
                self._local.depth -= 1
            return
        deadline = time.monotonic() + timeout
        if not self._tlock.acquire(timeout=max(timeout, 0.001)):
            raise LockTimeout(f"{self.path.name} busy for {timeout:.0f}s")
        fd = None
        try:
            fd = self._acquire(deadline, timeout)
            self._fd = fd
            self._local.depth = 1
            try:
                yield
            finally:
                self._local.depth = 0
                self._fd = None
                with contextlib.suppress(OSError):
                    os.ftruncate(fd, 0)
                fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            if fd is not None:
                os.close(fd)
            self._tlock.release()

    def _acquire(self, deadline: float, timeout: float) -> int:
        """Open and flock the lock file (the one at ``self.path`` now); its descriptor."""
        self.folder.mkdir(parents=True, exist_ok=True)
        delay = 0.002
        checked_owner = 0.0
        while True:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as e:
                os.close(fd)
                if e.errno not in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                    raise
                if time.monotonic() > deadline:
                    raise LockTimeout(f"{self.path.name} busy for {timeout:.0f}s") from None
                if time.monotonic() - checked_owner > 0.5:
                    checked_owner = time.monotonic()
                    if self._take_over_if_stale():
                        delay = 0.002
                        continue
                time.sleep(delay)
                delay = min(delay * 2, 0.05)
                continue
            try:
                if os.fstat(fd).st_ino != os.stat(self.path).st_ino:
                    raise FileNotFoundError   # replaced by a takeover meanwhile: lock the new one
            except FileNotFoundError:
                fcntl.flock(fd, fcntl.LOCK_UN)
                os.close(fd)
                continue
            previous = _read_owner(fd)
            if previous and not _owner_alive(previous):
                log.warning("%s: the previous holder (pid %s) ended without releasing it "
                            "(killed?); taking over", self.path, previous[0])
            os.ftruncate(fd, 0)
            os.pwrite(fd, _owner_record().encode(), 0)
            return fd

    def _take_over_if_stale(self) -> bool:
        """The lock is busy: if its recorded holder is gone, unlink the file (whoever still
        holds it keeps a lock on a file nobody uses); True when taken over."""
        guard_fd = os.open(self.folder / (self.path.name + ".takeover"),
                           os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        try:
            fcntl.flock(guard_fd, fcntl.LOCK_EX)
            try:
                fd = os.open(self.path, os.O_RDONLY | os.O_CLOEXEC)
            except FileNotFoundError:
                return True
            try:
                owner = _read_owner(fd)
                if not owner or _owner_alive(owner):
                    return False
                try:   # still busy (not just released)?
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except OSError:
                    pass
                else:
                    fcntl.flock(fd, fcntl.LOCK_UN)
                    return False
                if os.fstat(fd).st_ino != os.stat(self.path).st_ino:
                    return True
                os.unlink(self.path)
                log.warning("%s is held although its holder (pid %s) is gone — orphaned child "
                            "processes of a killed run; taking it over", self.path, owner[0])
                return True
            finally:
                os.close(fd)
        finally:
            os.close(guard_fd)

    def _after_fork_in_child(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            with contextlib.suppress(OSError):
                os.close(fd)   # the child must not keep the parent's lock alive


# -- lock owners ---------------------------------------------------------------------------
def _start_time(pid: int) -> str:
    """The process's start time in clock ticks since boot (Linux), to tell a reused pid."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            data = f.read()
        return data[data.rindex(b")") + 2:].split()[19].decode()
    except (OSError, ValueError, IndexError):
        return "-"


def _owner_record() -> str:
    import socket

    return f"{os.getpid()} {_start_time(os.getpid())} {socket.gethostname()}\n"


def _read_owner(fd: int) -> tuple[int, str, str] | None:
    try:
        parts = os.pread(fd, 256, 0).decode("utf-8", "replace").split()
        return int(parts[0]), parts[1], parts[2]
    except (OSError, ValueError, IndexError):
        return None


def _owner_alive(owner: tuple[int, str, str]) -> bool:
    """False only when we can tell: same host, and the pid is gone or is another process."""
    import socket

    pid, started, host = owner
    if host != socket.gethostname():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    return started == "-" or _start_time(pid) in ("-", started)


def _register_after_fork(lock: _FileLock) -> None:
    """Forked children (multiprocessing, e.g. Whoosh's MpWriter) drop the lock's descriptor and
    die with the thread that forked them."""
    import multiprocessing.util as mpu

    mpu.register_after_fork(lock, _FileLock._after_fork_in_child)


def _die_with_parent(_obj=None) -> None:
    import ctypes
    import multiprocessing
    import signal

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)   # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return
    parent = multiprocessing.parent_process()
    if parent is not None and os.getppid() != parent.pid:   # died before prctl took effect
        os._exit(1)


def _register_die_with_parent() -> None:
    import multiprocessing.util as mpu

    mpu.register_after_fork(_die_with_parent, _die_with_parent)


_register_die_with_parent()
