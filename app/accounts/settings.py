"""The accounts' settings (environment or ``instance/config.py``), their defaults and meaning.

| setting | default | meaning |
| --- | --- | --- |
| ``KB_SECURE_COOKIES`` | ``auto`` | ``Secure`` on the session and remember cookies: ``auto`` = when ``KB_BASE_URL`` is ``https://``; ``1``/``0`` force it on/off |
| ``KB_SESSION_HOURS`` | ``12`` | a login without 「记住我」 ends this many hours after it started |
| ``KB_REMEMBER_DAYS`` | ``14`` | a login with 「记住我」 (and its cookie) ends after this many days |
| ``KB_LOGIN_LIMIT_ACCOUNT`` | ``5 per 15 minutes`` | failed logins allowed for one user name |
| ``KB_LOGIN_LIMIT_ADDRESS`` | ``50 per 15 minutes`` | failed logins allowed from one address (offices share NAT addresses) |
| ``KB_PASSWORD_MIN_LENGTH`` | ``10`` | shortest password accepted |

Limits use the ``limits`` package's notation ("5 per 15 minutes", "5/15minutes", "20/hour").
"""

from __future__ import annotations

import datetime as dt

from flask import current_app

DEFAULTS = {
    "KB_SECURE_COOKIES": "auto",
    "KB_SESSION_HOURS": 12,
    "KB_REMEMBER_DAYS": 14,
    "KB_LOGIN_LIMIT_ACCOUNT": "5 per 15 minutes",
    "KB_LOGIN_LIMIT_ADDRESS": "50 per 15 minutes",
    "KB_PASSWORD_MIN_LENGTH": 10,
}
TRUE = {"1", "true", "yes", "on"}
FALSE = {"0", "false", "no", "off"}


def apply_defaults(app) -> None:
    """Fill the defaults and check every value now, so a typo stops the app at start-up."""
    cfg = app.config
    for name, value in DEFAULTS.items():
        if cfg.get(name) in (None, ""):
            cfg[name] = value
    for name in ("KB_SESSION_HOURS", "KB_REMEMBER_DAYS", "KB_PASSWORD_MIN_LENGTH"):
        try:
            cfg[name] = int(cfg[name])
        except (TypeError, ValueError):
            raise ValueError(f"{name} 必须是整数，现在是 {cfg[name]!r}") from None
        if cfg[name] < 1:
            raise ValueError(f"{name} 必须大于 0")
    for name in ("KB_LOGIN_LIMIT_ACCOUNT", "KB_LOGIN_LIMIT_ADDRESS"):
        parse_limit(cfg[name], name)
    secure = str(cfg["KB_SECURE_COOKIES"]).strip().lower()
    if secure not in TRUE | FALSE | {"auto"}:
        raise ValueError(f"KB_SECURE_COOKIES 只能是 auto、1 或 0，现在是 {cfg['KB_SECURE_COOKIES']!r}")


def secure_cookies(cfg) -> bool:
    value = str(cfg.get("KB_SECURE_COOKIES", "auto")).strip().lower()
    if value == "auto":
        return str(cfg.get("KB_BASE_URL", "")).lower().startswith("https://")
    return value in TRUE


#: the default limits as ``limits.parse`` reads them (tests/accounts/test_settings_limits.py
#: compares): with the defaults neither a start nor a login imports the ``limits`` package,
#: whose ``__init__`` also loads its asyncio storage backends (~13 ms of every start, issue 15)
_DEFAULTS_PARSED = {
    DEFAULTS["KB_LOGIN_LIMIT_ACCOUNT"]: (5, 15 * 60),
    DEFAULTS["KB_LOGIN_LIMIT_ADDRESS"]: (50, 15 * 60),
}


def parse_limit(text, name: str = "limit") -> tuple[int, int]:
    """``"5 per 15 minutes"`` → (5, 900); a (count, seconds) pair passes through."""
    if isinstance(text, (tuple, list)) and len(text) == 2:
        return int(text[0]), int(text[1])
    if isinstance(text, str) and text in _DEFAULTS_PARSED:
        return _DEFAULTS_PARSED[text]
    from limits import parse

    try:
        item = parse(str(text))
    except ValueError:
        raise ValueError(f"{name} 的格式不对（例如 \"5 per 15 minutes\"），现在是 {text!r}") from None
    return item.amount, item.get_expiry()


def session_lifetime(remember: bool) -> dt.timedelta:
    cfg = current_app.config
    if remember:
        return dt.timedelta(days=int(cfg["KB_REMEMBER_DAYS"]))
    return dt.timedelta(hours=int(cfg["KB_SESSION_HOURS"]))
