"""Logins you can end: one ``user_sessions`` row per login, the browser holds only a random key.

flask-login keeps ``session["_user_id"]`` (and the remember-me cookie) set to whatever the
user's ``login_session_key`` returns at login; here that is ``s1.<random key>``, and the loader
accepts it only while its row is neither revoked nor expired and the account is active. So:

* a captured session or remember-me cookie stops working at logout (which ends every login
  of that account), a password change, a reset by an admin, or when the account is disabled;
* every login gets a new remember-me value (it used to be the same user id, signed, forever);
* a login ends by itself after ``KB_SESSION_HOURS`` (``KB_REMEMBER_DAYS`` with 「记住我」).

``last_seen_at`` is written at most once every ``TOUCH_EVERY`` per login, not on every request.
"""

from __future__ import annotations

import datetime as dt
import logging
import hashlib
import secrets

from sqlalchemy import select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from ..models import User, UserSession, utcnow
from .settings import session_lifetime

PREFIX = "s1."
TOUCH_EVERY = dt.timedelta(minutes=5)


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def start(session: Session, user: User, *, remember: bool, address: str | None = None,
          user_agent: str | None = None) -> tuple[UserSession, str]:
    """A new login row for ``user``; returns it and the value for the browser's cookie."""
    key = secrets.token_urlsafe(32)
    now = utcnow()
    row = UserSession(user_id=user.id, key_hash=_hash(key), remember=remember, created_at=now,
                      last_seen_at=now, expires_at=now + session_lifetime(remember),
                      address=(address or "")[:64] or None, user_agent=(user_agent or "")[:200] or None)
    session.add(row)
    session.flush()
    user.session_key = PREFIX + key
    return row, user.session_key


def load(session: Session, value: str) -> User | None:
    """The user of a live login whose cookie says ``value``; None for anything else."""
    if not isinstance(value, str) or not value.startswith(PREFIX) or len(value) > 100 or "\x00" in value:
        return None
    found = session.execute(
        select(UserSession, User).join(User, User.id == UserSession.user_id)
        .where(UserSession.key_hash == _hash(value[len(PREFIX):]))
    ).first()
    if found is None:
        return None
    row, user = found
    now = utcnow()
    if row.revoked_at is not None or _aware(row.expires_at) <= now or not user.active:
        return None
    if now - _aware(row.last_seen_at) > TOUCH_EVERY:
        # Its own short transaction: the request's session may already hold a view's changes.
        # Only a nicety: a database that refuses writes must not sign anyone out.
        try:
            with session.get_bind().begin() as conn:
                conn.execute(update(UserSession).where(UserSession.id == row.id).values(last_seen_at=now))
        except SQLAlchemyError as exc:
            logging.getLogger("app.accounts").warning("login %s: last_seen_at not written: %s", row.id, exc)
    user.session_key = value
    return user


def revoke_all(session: Session, user: User) -> int:
    """End every login of ``user`` (the caller commits); returns how many were live."""
    result = session.execute(
        update(UserSession)
        .where(UserSession.user_id == user.id, UserSession.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
    return result.rowcount or 0


def current_row(session: Session, value: str | None) -> UserSession | None:
    if not value or not value.startswith(PREFIX):
        return None
    return session.scalar(select(UserSession).where(UserSession.key_hash == _hash(value[len(PREFIX):])))


def live_count(session: Session, user_id: int) -> int:
    from sqlalchemy import func

    return session.scalar(
        select(func.count()).select_from(UserSession).where(
            UserSession.user_id == user_id, UserSession.revoked_at.is_(None), UserSession.expires_at > utcnow()
        )
    ) or 0


def _aware(value: dt.datetime) -> dt.datetime:
    """SQLite hands back naive datetimes (stored as UTC)."""
    return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)
