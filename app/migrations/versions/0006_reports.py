"""reports: the search log (queries typed into search, their grouping key, results, clicks).

Revision ID: 0006_reports
Revises: 0006_console_speed
Create Date: 2026-12-02 09:00:00
"""
import sqlalchemy as sa
from alembic import op


revision = '0006_reports'
down_revision = '0006_console_speed'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('search_log',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('query', sa.String(length=200), nullable=False),
    sa.Column('norm', sa.String(length=200), nullable=False),
    sa.Column('results', sa.Integer(), nullable=False),
    sa.Column('clicks', sa.Integer(), server_default='0', nullable=False),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.Column('source', sa.String(length=10), nullable=False),
    sa.Column('session_key', sa.String(length=32), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_search_log'))
    )
    with op.batch_alter_table('search_log', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_search_log_created_at'), ['created_at'], unique=False)
        batch_op.create_index('ix_search_log_norm', ['norm', 'created_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('search_log', schema=None) as batch_op:
        batch_op.drop_index('ix_search_log_norm')
        batch_op.drop_index(batch_op.f('ix_search_log_created_at'))
    op.drop_table('search_log')
