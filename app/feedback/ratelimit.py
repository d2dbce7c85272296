"""Rate limits for votes, feedback and escalations, shared by all workers.

The windows themselves (SQLite file by default, Redis/Memcached through ``limits`` with
``KB_RATELIMIT_STORAGE_URI``) live in :mod:`app.ratelimit`, shared with the login throttle.
Limits (count per window in seconds) come from ``KB_FEEDBACK_LIMITS``, merged over
``DEFAULT_LIMITS``; ``RATELIMIT_ENABLED = False`` switches every limit off (tests do).
"""

from __future__ import annotations

from flask import current_app

from .. import ratelimit as windows
from ..ratelimit import LimitsWindow, SqliteWindow  # noqa: F401 - the public names of this module

DEFAULT_LIMITS: dict[str, tuple[int, int]] = {
    "vote_person": (30, 600),  # votes / reasons / comments by one reader in 10 minutes
    "vote_address": (300, 600),  # from one address (offices share NAT addresses: generous)
    "escalate_person": (5, 3600),  # tickets from article feedback by one reader per hour
    "escalate_address": (30, 3600),
}
MESSAGE = "操作太频繁，请稍后再试。"
NAMESPACE = "kb-feedback"


def _limits() -> dict[str, tuple[int, int]]:
    merged = dict(DEFAULT_LIMITS)
    merged.update(current_app.config.get("KB_FEEDBACK_LIMITS") or {})
    return merged


def allow(action: str, *, person: str, address: str | None) -> bool:
    """Count one ``action`` ("vote" or "escalate") for this person and address; False if over."""
    if not windows.enabled():
        return True
    limits = _limits()
    backend = windows.backend(NAMESPACE)
    for scope, who in (("person", person), ("address", address or "unknown")):
        limit, window = limits[f"{action}_{scope}"]
        if not backend.hit(windows.key(f"{action}_{scope}", who), int(limit), float(window)):
            return False
    return True
