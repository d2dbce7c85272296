"""reports14: the search log rolled up per local day (search_log_daily), the sessions of expired
days (search_log_days), the rollup's state (search_log_rollup), an index for distinct sessions,
article views per local day (article_views_daily: the report's views of a period).

The rollup is filled by ``kb reports-rollup`` (run by ``kb init``, ``kb demo-data`` and the
worker's ``search_log_retention`` job when it is missing): it needs ``KB_TIMEZONE``, which a
migration does not know. Until then the report reads ``search_log`` as before.

Revision ID: 0007_reports14_search_rollup
Revises: 0006_reports
Create Date: 2026-12-02 10:00:00
"""
import sqlalchemy as sa
from alembic import op


revision = '0007_reports14_search_rollup'
down_revision = '0006_reports'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('search_log_daily',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tz', sa.String(length=64), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('norm', sa.String(length=200), nullable=False),
    sa.Column('query', sa.String(length=200), nullable=False),
    sa.Column('searches', sa.Integer(), nullable=False),
    sa.Column('zero', sa.Integer(), nullable=False),
    sa.Column('with_results', sa.Integer(), nullable=False),
    sa.Column('clicked', sa.Integer(), nullable=False),
    sa.Column('last_seen', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_search_log_daily')),
    sa.UniqueConstraint('tz', 'day', 'norm', 'query', name='uq_search_log_daily_key')
    )
    op.create_table('search_log_days',
    sa.Column('tz', sa.String(length=64), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('sessions', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('tz', 'day', name=op.f('pk_search_log_days'))
    )
    op.create_table('search_log_rollup',
    sa.Column('tz', sa.String(length=64), nullable=False),
    sa.Column('built_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('tz', name=op.f('pk_search_log_rollup'))
    )
    with op.batch_alter_table('search_log', schema=None) as batch_op:
        batch_op.create_index('ix_search_log_created_session', ['created_at', 'session_key'], unique=False)
    op.create_table('article_views_daily',
    sa.Column('tz', sa.String(length=64), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('article_id', sa.Integer(), nullable=False),
    sa.Column('views', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['article_id'], ['articles.id'], name=op.f('fk_article_views_daily_article_id_articles'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('tz', 'day', 'article_id', name=op.f('pk_article_views_daily'))
    )


def downgrade() -> None:
    op.drop_table('article_views_daily')
    with op.batch_alter_table('search_log', schema=None) as batch_op:
        batch_op.drop_index('ix_search_log_created_session')
    op.drop_table('search_log_rollup')
    op.drop_table('search_log_days')
    op.drop_table('search_log_daily')
