"""writers' workspace: article revisions, workflow log, autosaved drafts, images, review dates

Every existing article gets revision 1 holding its current content (published articles:
published_revision 1; articles imported from a file: in step with it).

Revision ID: 0004_writer
Revises: 0003
Create Date: 2026-12-02 03:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0004_writer'
down_revision = '0004_accounts'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('article_autosaves',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=40), nullable=False),
    sa.Column('base_revision', sa.Integer(), nullable=True),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('saved_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_article_autosaves_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_article_autosaves')),
    sa.UniqueConstraint('user_id', 'key', name=op.f('uq_article_autosaves_user_id'))
    )
    with op.batch_alter_table('article_autosaves', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_article_autosaves_user_id'), ['user_id'], unique=False)

    op.create_table('article_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('article_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=True),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['article_id'], ['articles.id'], name=op.f('fk_article_events_article_id_articles'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_article_events_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_article_events'))
    )
    with op.batch_alter_table('article_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_article_events_article_id'), ['article_id'], unique=False)

    op.create_table('article_images',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('stored_name', sa.String(length=80), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('content_type', sa.String(length=100), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('article_id', sa.Integer(), nullable=True),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['article_id'], ['articles.id'], name=op.f('fk_article_images_article_id_articles')),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['users.id'], name=op.f('fk_article_images_uploaded_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_article_images')),
    sa.UniqueConstraint('stored_name', name=op.f('uq_article_images_stored_name'))
    )
    with op.batch_alter_table('article_images', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_article_images_article_id'), ['article_id'], unique=False)

    op.create_table('article_revisions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('article_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('category', sa.String(length=100), nullable=False),
    sa.Column('tags', sa.JSON(), nullable=False),
    sa.Column('error_codes', sa.JSON(), nullable=False),
    sa.Column('audience', sa.String(length=20), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('note', sa.String(length=200), nullable=False),
    sa.Column('origin', sa.String(length=20), nullable=False),
    sa.Column('restored_from', sa.Integer(), nullable=True),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['article_id'], ['articles.id'], name=op.f('fk_article_revisions_article_id_articles'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_article_revisions_author_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_article_revisions')),
    sa.UniqueConstraint('article_id', 'number', name=op.f('uq_article_revisions_article_id'))
    )

    with op.batch_alter_table('articles', schema=None) as batch_op:
        batch_op.add_column(sa.Column('revision', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('published_revision', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('review_revision', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('web_edited', sa.Boolean(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('review_by', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('reviewed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('reviewed_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('created_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('source_ticket_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_articles_source_ticket_id'), ['source_ticket_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_articles_created_by_id_users'), 'users', ['created_by_id'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_articles_reviewed_by_id_users'), 'users', ['reviewed_by_id'], ['id'])

    # Revision 1 = what each article holds today.
    op.execute(
        "INSERT INTO article_revisions (article_id, number, title, category, tags, error_codes, audience, body,"
        " note, origin, created_at)"
        " SELECT id, 1, title, category, tags, error_codes, audience, body, '', 'file', modified_at FROM articles"
    )
    op.execute("UPDATE articles SET revision = 1")
    op.execute("UPDATE articles SET published_revision = 1 WHERE status = 'published'")


def downgrade() -> None:
    with op.batch_alter_table('articles', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_articles_reviewed_by_id_users'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_articles_created_by_id_users'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_articles_source_ticket_id'))
        batch_op.drop_column('source_ticket_id')
        batch_op.drop_column('created_by_id')
        batch_op.drop_column('reviewed_by_id')
        batch_op.drop_column('reviewed_at')
        batch_op.drop_column('review_by')
        batch_op.drop_column('web_edited')
        batch_op.drop_column('review_revision')
        batch_op.drop_column('published_revision')
        batch_op.drop_column('revision')

    op.drop_table('article_revisions')
    with op.batch_alter_table('article_images', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_article_images_article_id'))

    op.drop_table('article_images')
    with op.batch_alter_table('article_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_article_events_article_id'))

    op.drop_table('article_events')
    with op.batch_alter_table('article_autosaves', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_article_autosaves_user_id'))

    op.drop_table('article_autosaves')
