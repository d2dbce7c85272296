"""tickets.idempotency_fingerprint; keys are now scoped per caller

Keys stored before this revision were hashed with one scope shared by every anonymous
caller; from now on they are hashed with the caller's own scope, so old anonymous keys can
never be replayed by anyone (the request path computes digests that cannot match them).

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02 02:40:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('tickets') as batch:
        batch.add_column(sa.Column('idempotency_fingerprint', sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('tickets') as batch:
        batch.drop_column('idempotency_fingerprint')
