"""Engine and sessions: one engine per app, one session per request (or CLI command)."""

from __future__ import annotations

from contextlib import contextmanager

from flask import current_app, g
from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):  # pragma: no cover - trivial
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        return engine
    return create_engine(url, pool_pre_ping=True)


def init_app(app) -> None:
    engine = make_engine(app.config["KB_DATABASE_URL"])
    app.extensions["kb.engine"] = engine
    app.extensions["kb.sessionmaker"] = sessionmaker(engine, expire_on_commit=False)
    app.teardown_appcontext(_close_session)


def get_engine() -> Engine:
    return current_app.extensions["kb.engine"]


def get_session() -> Session:
    """The session of the current request or app context."""
    if "db_session" not in g:
        g.db_session = current_app.extensions["kb.sessionmaker"]()
    return g.db_session


def _close_session(_exc=None) -> None:
    session = g.pop("db_session", None)
    if session is not None:
        session.close()


@contextmanager
def session_scope():
    """A short-lived session outside the request one, committed on success."""
    session = current_app.extensions["kb.sessionmaker"]()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
