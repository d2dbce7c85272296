"""Sliding-window rate limits shared by every worker process (votes, escalations, logins).

Two backends, chosen by the setting ``KB_RATELIMIT_STORAGE_URI``:

* unset (default): a small SQLite file, ``$KB_INSTANCE_DIR/ratelimit.sqlite3``, written with
  ``BEGIN IMMEDIATE`` so every gunicorn worker on the host sees the same counts (unlike
  flask-limiter's ``memory://``, which counts per process);
* ``redis://…``, ``memcached://…`` (anything the ``limits`` package understands): for several
  app servers behind one load balancer.

Callers name a key and a limit (``count`` hits per ``window`` seconds). Keys are hashed with the
app's secret key (:func:`key`), so no address, user name or session id is stored in clear.
``RATELIMIT_ENABLED = False`` switches every limit off (:func:`enabled`; tests do).

Besides :meth:`hit` (count one and say whether it was allowed), a window can be asked without
counting (:meth:`test`), how long until the next hit is allowed (:meth:`retry_after`), and be
emptied (:meth:`clear`) — what a login throttle needs: check first, count failures only, forget
them after a success.
"""

from __future__ import annotations

import hashlib
import hmac
import sqlite3
import time
from pathlib import Path

from flask import current_app


class SqliteWindow:
    """Sliding window counts in a SQLite file shared by processes on this host."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as con:
            con.execute("CREATE TABLE IF NOT EXISTS hits (key TEXT NOT NULL, at REAL NOT NULL)")
            con.execute("CREATE INDEX IF NOT EXISTS hits_key_at ON hits (key, at)")

    def _connect(self) -> sqlite3.Connection:
        con = sqlite3.connect(self.path, timeout=10, isolation_level=None)
        con.execute("PRAGMA journal_mode=WAL")
        con.execute("PRAGMA busy_timeout=10000")
        # counters, not records: a power cut may forget the last hits, no commit waits for the disk
        con.execute("PRAGMA synchronous=NORMAL")
        return con

    def _run(self, work):
        con = self._connect()
        try:
            con.execute("BEGIN IMMEDIATE")
            result = work(con)
            con.execute("COMMIT")
            return result
        except BaseException:
            con.execute("ROLLBACK") if con.in_transaction else None
            raise
        finally:
            con.close()

    def hit(self, key: str, limit: int, window: float, now: float | None = None) -> bool:
        """Count one hit for ``key``; False (and not counted) when the window is full."""
        now = time.time() if now is None else now

        def work(con):
            con.execute("DELETE FROM hits WHERE key = ? AND at <= ?", (key, now - window))
            (n,) = con.execute("SELECT count(*) FROM hits WHERE key = ?", (key,)).fetchone()
            allowed = n < limit
            if allowed:
                con.execute("INSERT INTO hits (key, at) VALUES (?, ?)", (key, now))
            if int(now) % 97 == 0:  # now and then, drop every key's old hits
                con.execute("DELETE FROM hits WHERE at <= ?", (now - 86400,))
            return allowed

        return self._run(work)

    def _times(self, key: str, window: float, now: float) -> list[float]:
        con = self._connect()
        try:
            rows = con.execute("SELECT at FROM hits WHERE key = ? AND at > ? ORDER BY at",
                               (key, now - window)).fetchall()
        finally:
            con.close()
        return [at for (at,) in rows]

    def test(self, key: str, limit: int, window: float, now: float | None = None) -> bool:
        """Would a hit be allowed now? Counts nothing."""
        now = time.time() if now is None else now
        return len(self._times(key, window, now)) < limit

    def retry_after(self, key: str, limit: int, window: float, now: float | None = None) -> float:
        """Seconds until a hit is allowed again (0 when it is allowed now)."""
        now = time.time() if now is None else now
        times = self._times(key, window, now)
        if len(times) < limit:
            return 0.0
        # The window has room again once enough of the oldest hits have left it.
        return max(0.0, times[len(times) - limit] + window - now)

    def clear(self, key: str, limit: int = 0, window: float = 0) -> None:
        """Forget every hit of ``key`` (``limit`` and ``window`` only matter to :class:`LimitsWindow`)."""
        self._run(lambda con: con.execute("DELETE FROM hits WHERE key = ?", (key,)))


class LimitsWindow:
    """The same through the ``limits`` package (Redis, Memcached, …)."""

    def __init__(self, uri: str, namespace: str = "kb"):
        from limits.storage import storage_from_string
        from limits.strategies import MovingWindowRateLimiter

        self.namespace = namespace
        self.limiter = MovingWindowRateLimiter(storage_from_string(uri))

    @staticmethod
    def _item(limit: int, window: float):
        from limits import RateLimitItemPerSecond

        return RateLimitItemPerSecond(int(limit), max(1, int(window)))

    def hit(self, key: str, limit: int, window: float) -> bool:
        return self.limiter.hit(self._item(limit, window), self.namespace, key)

    def test(self, key: str, limit: int, window: float) -> bool:
        return self.limiter.test(self._item(limit, window), self.namespace, key)

    def retry_after(self, key: str, limit: int, window: float) -> float:
        stats = self.limiter.get_window_stats(self._item(limit, window), self.namespace, key)
        if stats.remaining > 0:
            return 0.0
        return max(0.0, stats.reset_time - time.time())

    def clear(self, key: str, limit: int, window: float) -> None:
        self.limiter.clear(self._item(limit, window), self.namespace, key)


def backend(namespace: str = "kb"):
    """This app's window store (one per namespace; the SQLite file is shared by all of them)."""
    ext = current_app.extensions
    name = f"kb.ratelimit.{namespace}"
    store = ext.get(name)
    if store is None:
        uri = current_app.config.get("KB_RATELIMIT_STORAGE_URI")
        if uri:
            store = LimitsWindow(uri, namespace)
        else:
            store = SqliteWindow(Path(current_app.config["KB_INSTANCE_DIR"]) / "ratelimit.sqlite3")
        ext[name] = store
    return store


def enabled() -> bool:
    return bool(current_app.config.get("RATELIMIT_ENABLED", True))


def key(kind: str, who: str) -> str:
    """``kind:`` + a keyed hash of ``who`` (an address, a user name, a session id)."""
    secret = str(current_app.config.get("SECRET_KEY") or "").encode()
    return kind + ":" + hmac.new(secret, who.encode(), hashlib.sha256).hexdigest()[:32]
