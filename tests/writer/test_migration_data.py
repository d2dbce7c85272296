"""Migration 0004_writer gives every existing article its revision 1 (an upgraded portal keeps its history)."""

from __future__ import annotations

from alembic import command
from sqlalchemy import text

from app import migrate


def test_existing_articles_get_revision_1(app):
    engine = app.extensions["kb.engine"]
    cfg = migrate.alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0003")
    with engine.begin() as conn:
        for slug, status in (("a/published", "published"), ("a/draft", "draft")):
            conn.execute(text(
                "insert into articles (slug, title, category, tags, error_codes, audience, status, body, content_hash,"
                " version, view_count, version_views, created_at, modified_at) values (:s, '标题', '类别', '[]', '[\"809\"]',"
                " 'public', :st, '正文', 'h', 3, 0, 0, current_timestamp, current_timestamp)"), {"s": slug, "st": status})
    migrate.upgrade(engine)
    with engine.connect() as conn:
        rows = conn.execute(text(
            "select a.slug, a.revision, a.published_revision, a.web_edited, r.number, r.body, r.origin"
            " from articles a join article_revisions r on r.article_id = a.id order by a.slug")).all()
    assert [tuple(r) for r in rows] == [
        ("a/draft", 1, None, False, 1, "正文", "file"),
        ("a/published", 1, 1, False, 1, "正文", "file"),
    ]
