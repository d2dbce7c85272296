"""app/db.py: how the SQLite database is opened (the embedded default)."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from app import create_app
from app.config import SqliteSettingError
from app.db import get_engine


def _pragmas(tmp_path, **config) -> tuple[int, str]:
    app = create_app({"KB_INSTANCE_DIR": str(tmp_path / "inst"),
                      "KB_DATABASE_URL": f"sqlite:///{tmp_path / 'kb.sqlite3'}", **config})
    with app.app_context(), get_engine().connect() as con:
        return (con.execute(text("PRAGMA synchronous")).scalar(),
                con.execute(text("PRAGMA journal_mode")).scalar())


def test_sqlite_commits_do_not_wait_for_the_disk_by_default(tmp_path):
    # WAL + NORMAL: 1 = NORMAL (FULL is 2); a search logs a row per request, and a commit that
    # waits for an fsync blocks the whole gevent worker
    assert _pragmas(tmp_path) == (1, "wal")


@pytest.mark.parametrize(("value", "level"), [("FULL", 2), ("full", 2), ("Extra", 3), ("normal", 1), ("", 1)])
def test_sqlite_synchronous_setting(tmp_path, value, level):
    assert _pragmas(tmp_path, KB_SQLITE_SYNCHRONOUS=value) == (level, "wal")


@pytest.mark.parametrize("value", ["OFF", "0", "fast"])
def test_a_wrong_sqlite_synchronous_stops_start_up_with_a_clear_message(tmp_path, value):
    with pytest.raises(SqliteSettingError, match="KB_SQLITE_SYNCHRONOUS：应为 NORMAL、FULL 或 EXTRA"):
        create_app({"KB_INSTANCE_DIR": str(tmp_path / "inst"), "KB_SQLITE_SYNCHRONOUS": value})


def test_the_setting_is_read_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("KB_SQLITE_SYNCHRONOUS", "FULL")
    assert _pragmas(tmp_path)[0] == 2
