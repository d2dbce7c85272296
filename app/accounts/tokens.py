"""API tokens: ``Authorization: Bearer kb_…`` authenticates ``/api/*`` as the token's user.

A token is ``kb_`` + 43 random URL-safe characters (256 bits). It is shown once, when it is
made; the database keeps only its SHA-256 (a fast hash is enough for a random secret of that
length) and its first characters to recognise it in lists. A token stops working when it is
revoked; disabling its user revokes it (enabling the account again does not bring it back).
``last_used_at`` is written at most once a minute per token.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from ..models import ApiToken, User, utcnow

TOKEN_PREFIX = "kb_"
SHOWN_CHARS = 10  # "kb_" + 7 characters in lists
TOUCH_EVERY = dt.timedelta(minutes=1)
MAX_NAME = 100


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create(session: Session, user: User, name: str = "", created_by: str | None = None) -> tuple[ApiToken, str]:
    """A new token for ``user`` (the caller commits); returns the row and the token text."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(user_id=user.id, name=(name or "").strip()[:MAX_NAME], prefix=token[:SHOWN_CHARS],
                   token_hash=_hash(token), created_at=utcnow(), created_by=created_by)
    session.add(row)
    session.flush()
    return row, token


def authenticate(session: Session, token: str) -> tuple[User, ApiToken] | None:
    """The user and row of a live token; None when it is unknown, revoked or its user disabled."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 200 or "\x00" in token:
        return None
    found = session.execute(
        select(ApiToken, User).join(User, User.id == ApiToken.user_id).where(ApiToken.token_hash == _hash(token))
    ).first()
    if found is None:
        return None
    row, user = found
    if row.revoked_at is not None or not user.active:
        return None
    now = utcnow()
    if row.last_used_at is None or now - _aware(row.last_used_at) > TOUCH_EVERY:
        # Its own transaction (the request's session is the view's); the WHERE keeps
        # concurrent requests of one token from writing the same minute twice.
        cutoff = now - TOUCH_EVERY
        with session.get_bind().begin() as conn:
            conn.execute(update(ApiToken).where(
                ApiToken.id == row.id, or_(ApiToken.last_used_at.is_(None), ApiToken.last_used_at < cutoff)
            ).values(last_used_at=now))
    return user, row


def revoke_all(session: Session, user: User) -> int:
    """Revoke every live token of ``user`` (an account being disabled); how many."""
    return session.execute(
        update(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=utcnow()).execution_options(synchronize_session=False)
    ).rowcount


def listing(session: Session, user: User | None = None, include_revoked: bool = False) -> list[ApiToken]:
    query = select(ApiToken).join(User, User.id == ApiToken.user_id).order_by(ApiToken.id.desc())
    if user is not None:
        query = query.where(ApiToken.user_id == user.id)
    if not include_revoked:
        query = query.where(ApiToken.revoked_at.is_(None))
    return list(session.scalars(query))


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)
