"""Alembic environment: runs against the connection handed over by app.migrate."""

from alembic import context

from app.models import Base

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - only via `alembic` CLI with a URL
    raise SystemExit("Run migrations through `flask --app wsgi kb init`.")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
