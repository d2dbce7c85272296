"""Sliding-window rate limits for votes, feedback and escalations, shared by all workers.

Two backends, chosen by the setting ``KB_RATELIMIT_STORAGE_URI``:

* unset (default): a small SQLite file, ``$KB_INSTANCE_DIR/ratelimit.sqlite3``, written with
  ``BEGIN IMMEDIATE`` so every gunicorn worker on the host sees the same counts (unlike
  flask-limiter's ``memory://``, which counts per process);
* ``redis://…``, ``memcached://…`` (anything the ``limits`` package understands): for several
  app servers behind one load balancer.

Keys are hashed with the app's secret key, so no address or session id is stored in clear.
Limits (count per window in seconds) come from ``KB_FEEDBACK_LIMITS``, merged over
``DEFAULT_LIMITS``; ``RATELIMIT_ENABLED = False`` switches every limit off (tests do).
"""

from __future__ import annotations

import hashlib
import hmac
import sqlite3
import time
from pathlib import Path

from flask import current_app

DEFAULT_LIMITS: dict[str, tuple[int, int]] = {
    "vote_person": (30, 600),  # votes / reasons / comments by one reader in 10 minutes
    "vote_address": (300, 600),  # from one address (offices share NAT addresses: generous)
    "escalate_person": (5, 3600),  # tickets from article feedback by one reader per hour
    "escalate_address": (30, 3600),
}
MESSAGE = "操作太频繁，请稍后再试。"


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
        return con

    def hit(self, key: str, limit: int, window: float, now: float | None = None) -> bool:
        """Count one hit for ``key``; False (and not counted) when the window is full."""
        now = time.time() if now is None else now
        con = self._connect()
        try:
            con.execute("BEGIN IMMEDIATE")
            con.execute("DELETE FROM hits WHERE key = ? AND at <= ?", (key, now - window))
            (n,) = con.execute("SELECT count(*) FROM hits WHERE key = ?", (key,)).fetchone()
            allowed = n < limit
            if allowed:
                con.execute("INSERT INTO hits (key, at) VALUES (?, ?)", (key, now))
            if int(now) % 97 == 0:  # now and then, drop every key's old hits
                con.execute("DELETE FROM hits WHERE at <= ?", (now - 86400,))
            con.execute("COMMIT")
            return allowed
        except BaseException:
            con.execute("ROLLBACK") if con.in_transaction else None
            raise
        finally:
            con.close()


class LimitsWindow:
    """The same through the ``limits`` package (Redis, Memcached, …)."""

    def __init__(self, uri: str):
        from limits.storage import storage_from_string
        from limits.strategies import MovingWindowRateLimiter

        self.limiter = MovingWindowRateLimiter(storage_from_string(uri))

    def hit(self, key: str, limit: int, window: float) -> bool:
        from limits import RateLimitItemPerSecond

        return self.limiter.hit(RateLimitItemPerSecond(limit, int(window)), "kb-feedback", key)


def _backend():
    ext = current_app.extensions
    backend = ext.get("kb.feedback_ratelimit")
    if backend is None:
        uri = current_app.config.get("KB_RATELIMIT_STORAGE_URI")
        if uri:
            backend = LimitsWindow(uri)
        else:
            backend = SqliteWindow(Path(current_app.config["KB_INSTANCE_DIR"]) / "ratelimit.sqlite3")
        ext["kb.feedback_ratelimit"] = backend
    return backend


def _limits() -> dict[str, tuple[int, int]]:
    merged = dict(DEFAULT_LIMITS)
    merged.update(current_app.config.get("KB_FEEDBACK_LIMITS") or {})
    return merged


def _key(kind: str, who: str) -> str:
    secret = str(current_app.config.get("SECRET_KEY") or "").encode()
    return kind + ":" + hmac.new(secret, who.encode(), hashlib.sha256).hexdigest()[:32]


def allow(action: str, *, person: str, address: str | None) -> bool:
    """Count one ``action`` ("vote" or "escalate") for this person and address; False if over."""
    if not current_app.config.get("RATELIMIT_ENABLED", True):
        return True
    limits = _limits()
    backend = _backend()
    for scope, who in (("person", person), ("address", address or "unknown")):
        limit, window = limits[f"{action}_{scope}"]
        if not backend.hit(_key(f"{action}_{scope}", who), int(limit), float(window)):
            return False
    return True
