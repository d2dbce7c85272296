"""Shared fixtures: a fresh database (SQLite, or a PostgreSQL schema) and app per test."""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from app import create_app
from app import migrate

ROOT = Path(__file__).resolve().parents[1]
ARTICLES = ROOT / "articles"
SHARED = ROOT.parent / "shared"
FIXTURES = Path(__file__).parent / "fixtures"


def _pg_base_url() -> str | None:
    return os.environ.get("KB_TEST_DATABASE_URL") or None


@pytest.fixture(scope="session")
def pg_available() -> bool:
    url = _pg_base_url()
    if not url:
        return False
    try:
        with create_engine(url).connect() as conn:
            conn.execute(text("select 1"))
        return True
    except Exception as exc:  # noqa: BLE001 - any connection failure
        if os.environ.get("CI") == "true":
            pytest.exit(f"KB_TEST_DATABASE_URL is set but PostgreSQL is unreachable under CI: {exc}", 2)
        pytest.skip(f"PostgreSQL unreachable: {exc}")


def make_database_url(tmp_path: Path, pg_ok: bool) -> tuple[str, callable]:
    """A database nobody else uses: a fresh SQLite file, or a fresh PostgreSQL schema."""
    base = _pg_base_url()
    if not base:
        return f"sqlite:///{tmp_path / 'kb.sqlite3'}", lambda: None
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in base else "?"
    url = f"{base}{sep}options=-csearch_path%3D{schema}"

    def drop():
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()

    return url, drop


def build_app(tmp_path: Path, articles_dir: Path, pg_ok: bool, **extra):
    url, drop = make_database_url(tmp_path, pg_ok)
    app = create_app(
        {
            "TESTING": True,
            "KB_INSTANCE_DIR": str(tmp_path / "instance"),
            "KB_DATABASE_URL": url,
            "KB_ARTICLES_DIR": str(articles_dir),
            "WTF_CSRF_ENABLED": False,
            "RATELIMIT_ENABLED": False,
            **extra,
        }
    )
    migrate.upgrade(app.extensions["kb.engine"])
    return app, drop


def _teardown(app, drop):
    engine = app.extensions.get("kb.search")
    if engine is not None:
        engine.close()
    app.extensions["kb.engine"].dispose()
    drop()


@pytest.fixture
def articles_dir(tmp_path) -> Path:
    """A small writable copy of the test articles in tests/fixtures/articles."""
    target = tmp_path / "articles"
    shutil.copytree(FIXTURES / "articles", target)
    return target


@pytest.fixture
def app(tmp_path, articles_dir, pg_available):
    app, drop = build_app(tmp_path, articles_dir, pg_available)
    yield app
    _teardown(app, drop)


@pytest.fixture
def csrf_app(tmp_path, articles_dir, pg_available):
    """The app with CSRF protection on, as in production (the ``app`` fixture turns it off)."""
    app, drop = build_app(tmp_path, articles_dir, pg_available, WTF_CSRF_ENABLED=True)
    yield app
    _teardown(app, drop)


def csrf_token_in(html: str) -> str:
    """The CSRF token of the first form on a page."""
    import re

    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def synced(app, runner):
    """The app with tests/fixtures/articles imported and indexed."""
    result = runner.invoke(args=["kb", "sync"])
    assert result.exit_code == 0, result.output
    return app


@pytest.fixture(scope="session")
def library(tmp_path_factory, pg_available):
    """One app with the real articles/ library imported: for read-only tests."""
    tmp = tmp_path_factory.mktemp("library")
    app, drop = build_app(tmp, ARTICLES, pg_available)
    result = app.test_cli_runner().invoke(args=["kb", "init"])
    assert result.exit_code == 0, result.output
    yield app
    _teardown(app, drop)


def login(client, app, username: str, role: str, password: str = "pw-123456") -> None:
    """Create a user with ``role`` (if needed) and log the client in as them."""
    from app.db import session_scope
    from app.models import User
    from sqlalchemy import select

    with app.app_context():
        with session_scope() as session:
            if session.scalar(select(User).where(User.username == username)) is None:
                user = User(username=username, role=role, email=f"{username}@example.com")
                user.set_password(password)
                session.add(user)
    response = client.post("/login", data={"username": username, "password": password})
    assert response.status_code == 302, response.data[:500]


@pytest.fixture(scope="session")
def chromium():
    """One headless Chromium for the whole run: Playwright's sync API allows one instance per
    thread, so every browser test (tests/browser/, tests/reports/…) shares this one."""
    from playwright.sync_api import sync_playwright

    from tests.browser.conftest import CHROMIUM_ARGS, _chromium_or_skip

    path = _chromium_or_skip()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=path, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def open_files() -> set[str]:
    """The paths this process holds open (``/proc/self/fd``): a test takes one before and one
    after, and the difference is what was left open."""
    out = set()
    for fd in os.listdir("/proc/self/fd"):
        try:
            out.add(os.readlink(f"/proc/self/fd/{fd}"))
        except OSError:
            pass
    return out


def run_async(coro):
    """``asyncio.run(coro)`` in a thread of its own: the session's Playwright (sync API) keeps an
    event loop running in the main thread once a browser test has started, and asyncio.run()
    refuses to start a second one there."""
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()
