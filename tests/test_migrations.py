"""The Alembic migrations build exactly the schema app/models.py describes, on SQLite and PostgreSQL.

A schema change is a model change plus a migration; these tests fail when one is missing, when
two migrations fork the history, or when a migration cannot be undone and redone.
"""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from app import migrate
from app.models import Base


def _diff(engine) -> list:
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        return compare_metadata(context, Base.metadata)


def test_one_line_of_history():
    script = ScriptDirectory.from_config(migrate.alembic_config())
    assert len(script.get_heads()) == 1, f"several heads: {script.get_heads()} (re-point a down_revision)"


def test_migrated_schema_matches_the_models(app):
    engine = app.extensions["kb.engine"]
    assert migrate.current_revision(engine) == migrate.head_revision()
    assert _diff(engine) == []


def test_every_migration_downgrades_and_upgrades_again(app):
    engine = app.extensions["kb.engine"]
    cfg = migrate.alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "base")
    assert migrate.current_revision(engine) is None
    migrate.upgrade(engine)
    assert _diff(engine) == []
