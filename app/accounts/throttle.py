"""Failed logins, counted per user name and per address, in the shared rate-limit windows.

Before a password is checked, both windows are asked (nothing counted); a full one refuses
the attempt — even with the right password — and says in Chinese when to try again. Each
failure counts in both; a success forgets the user name's failures (not the address's).
Unknown user names are counted like known ones, so the throttle does not reveal who exists.
Limits: ``KB_LOGIN_LIMIT_ACCOUNT`` and ``KB_LOGIN_LIMIT_ADDRESS`` (app/accounts/settings.py).
"""

from __future__ import annotations

import math

from flask import current_app

from .. import ratelimit
from .settings import parse_limit

NAMESPACE = "kb-login"


def _scopes(username: str, address: str | None):
    cfg = current_app.config
    yield ("login_account", username.strip().casefold(), parse_limit(cfg["KB_LOGIN_LIMIT_ACCOUNT"]))
    yield ("login_address", address or "unknown", parse_limit(cfg["KB_LOGIN_LIMIT_ADDRESS"]))


def wait_seconds(username: str, address: str | None) -> float:
    """0 when a login may be tried now, else the seconds until it may."""
    if not ratelimit.enabled():
        return 0.0
    store = ratelimit.backend(NAMESPACE)
    return max(store.retry_after(ratelimit.key(kind, who), count, window)
               for kind, who, (count, window) in _scopes(username, address))


def failed(username: str, address: str | None) -> None:
    if not ratelimit.enabled():
        return
    store = ratelimit.backend(NAMESPACE)
    for kind, who, (count, window) in _scopes(username, address):
        store.hit(ratelimit.key(kind, who), count, window)


def succeeded(username: str) -> None:
    if not ratelimit.enabled():
        return
    store = ratelimit.backend(NAMESPACE)
    kind, who, (count, window) = next(_scopes(username, None))
    store.clear(ratelimit.key(kind, who), count, window)


def message(seconds: float) -> str:
    if seconds < 60:
        when = f"{max(1, math.ceil(seconds))} 秒"
    else:
        when = f"{math.ceil(seconds / 60)} 分钟"
    return f"登录失败次数过多，请 {when}后再试。如果忘记了密码，请联系管理员重置。"
