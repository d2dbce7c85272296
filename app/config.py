"""Settings: defaults, then ``instance/config.py``, then the environment.

The names and defaults are part of the interface contract (INTERFACES.md).
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

SETTINGS = (
    "KB_INSTANCE_DIR",
    "KB_DATABASE_URL",
    "KB_SQLITE_SYNCHRONOUS",  # SQLite only: NORMAL (default) or FULL — see app/db.py
    "KB_INDEX_DIR",
    "KB_ARTICLES_DIR",
    "KB_SECRET_KEY",
    "KB_TIMEZONE",
    "KB_LOG_LEVEL",
    # e-mail and kb worker (app/worker/README.md)
    "KB_BASE_URL",
    "KB_SMTP_URL",
    "KB_MAIL_FROM",
    "KB_SMTP_TIMEOUT",
    "KB_SMTP_CAFILE",
    "KB_WORKER_POLL",
    "KB_OUTBOX_LEASE",
    "KB_OUTBOX_RETRY_BASE",
    "KB_OUTBOX_RETRY_MAX",
    "KB_OUTBOX_MAX_AGE",
    "KB_OUTBOX_KEEP_DAYS",
    "KB_RATELIMIT_STORAGE_URI",
    # accounts (app/accounts/settings.py has their defaults and meaning)
    "KB_SECURE_COOKIES",
    "KB_TRUSTED_PROXIES",  # reverse proxies in front of gunicorn whose X-Forwarded-For/-Proto are believed
    "KB_SESSION_HOURS",
    "KB_REMEMBER_DAYS",
    "KB_LOGIN_LIMIT_ACCOUNT",
    "KB_LOGIN_LIMIT_ADDRESS",
    "KB_PASSWORD_MIN_LENGTH",
    "KB_REQUIRE_REVIEW",  # writers' workspace: publishing needs another writer's or an admin's approval
    "KB_REVIEW_INTERVAL_DAYS",  # writers' workspace: default time until an article is due for review
    "KB_AUTO_CLOSE_DAYS",  # requester side: a resolved ticket closes after this many working days
    "KB_AUTO_CLOSE_REMIND_DAYS",  # … after one reminder this many working days after resolving
    "KB_PENDING_REMIND_DAYS",  # … a ticket waiting for the requester gets one reminder after this
    # request form without JavaScript: attachments waiting between check and confirm
    # (app/requests/staging.py has their defaults and meaning)
    "KB_STAGING_PER_ADDRESS_MB",
    "KB_STAGING_TOTAL_MB",
    "KB_STAGING_LIMIT",
    "KB_STAGING_MAX_HOURS",
    "KB_SEARCH_LOG_DAYS",  # reports: whole days of raw search rows kept (app/reports/README.md)
)


def instance_dir(config: dict | None = None) -> Path:
    value = (config or {}).get("KB_INSTANCE_DIR") or os.environ.get("KB_INSTANCE_DIR") or "instance"
    return Path(value).resolve()


def resolve(app, overrides: dict | None) -> None:
    """Fill ``app.config`` with every KB_* setting, its derived defaults resolved."""
    cfg = app.config
    cfg.from_pyfile("config.py", silent=True)
    for name in SETTINGS:
        if os.environ.get(name):
            cfg[name] = os.environ[name]
    cfg.update(overrides or {})

    inst = Path(app.instance_path)
    cfg["KB_INSTANCE_DIR"] = str(inst)
    cfg.setdefault("KB_DATABASE_URL", f"sqlite:///{inst / 'kb.sqlite3'}")
    cfg.setdefault("KB_INDEX_DIR", str(inst / "index"))
    cfg.setdefault("KB_ARTICLES_DIR", str(Path("articles").resolve()))
    cfg.setdefault("KB_TIMEZONE", "Asia/Shanghai")
    cfg.setdefault("KB_BASE_URL", "http://127.0.0.1:5000")
    cfg.setdefault("KB_MAIL_FROM", "helpdesk@example.com")
    # absolute() not resolve(): the index folder is a symlink swapped on every rebuild.
    cfg["KB_INDEX_DIR"] = os.path.abspath(cfg["KB_INDEX_DIR"])
    cfg["KB_ARTICLES_DIR"] = str(Path(cfg["KB_ARTICLES_DIR"]).resolve())
    if not cfg.get("KB_SECRET_KEY"):
        cfg["KB_SECRET_KEY"] = _stored_secret(inst / "secret_key")
    cfg["SECRET_KEY"] = cfg["KB_SECRET_KEY"]
    # Flask pre-sets these keys to None, so setdefault would not apply.
    for key, value in (
        ("MAX_CONTENT_LENGTH", 25 * 1024 * 1024),
        ("SESSION_COOKIE_SAMESITE", "Lax"),
        ("WTF_CSRF_TIME_LIMIT", 8 * 3600),
    ):
        if cfg.get(key) is None:
            cfg[key] = value
    cfg["SESSION_COOKIE_HTTPONLY"] = True
    # A wrong KB_BASE_URL / KB_MAIL_FROM / KB_SMTP_URL stops start-up with a clear message,
    # instead of failing later inside a request that queues a notification.
    from .worker.settings import WorkerSettings

    WorkerSettings.from_config(cfg)
    cfg["KB_TRUSTED_PROXIES"] = trusted_proxies(cfg.get("KB_TRUSTED_PROXIES"))
    cfg["KB_SQLITE_SYNCHRONOUS"] = sqlite_synchronous(cfg.get("KB_SQLITE_SYNCHRONOUS"))
    from .requests.settings import RequesterSettings

    RequesterSettings.from_config(cfg)


class ProxySettingError(ValueError):
    pass


class SqliteSettingError(ValueError):
    pass


#: ``PRAGMA synchronous`` levels offered for the SQLite database (OFF is not: a commit could
#: be lost even when only the portal's process dies)
SQLITE_SYNCHRONOUS = ("NORMAL", "FULL", "EXTRA")


def sqlite_synchronous(value) -> str:
    """``KB_SQLITE_SYNCHRONOUS``: when a SQLite commit waits for the disk (app/db.py)."""
    if value is None or str(value).strip() == "":
        return "NORMAL"
    level = str(value).strip().upper()
    if level not in SQLITE_SYNCHRONOUS:
        raise SqliteSettingError(
            f"KB_SQLITE_SYNCHRONOUS：应为 NORMAL、FULL 或 EXTRA，收到的是 {value!r}")
    return level


def trusted_proxies(value) -> int:
    """``KB_TRUSTED_PROXIES``: how many reverse proxies stand in front of gunicorn (0 = none: the
    peer address is the client). A wrong value stops start-up with a clear message: believing a
    forged X-Forwarded-For would let anyone escape the per-address limits."""
    if value is None or value == "":
        return 0
    try:
        count = int(str(value).strip())
    except ValueError:
        count = -1
    if not 0 <= count <= 5:
        raise ProxySettingError(f"KB_TRUSTED_PROXIES：应为 0 到 5 的整数（前面有几层反向代理），收到的是 {value!r}")
    return count


def _stored_secret(path: Path) -> str:
    """Generate the signing key once and keep it in the instance folder (mode 0600)."""
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    key = secrets.token_hex(32)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another worker won the race
        return path.read_text().strip()
    try:
        os.write(fd, key.encode())
    except BaseException:
        os.close(fd)
        raise
    os.close(fd)
    return key
