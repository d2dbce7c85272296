"""Files in step (docs-as-code): `kb export DIR` → `kb sync DIR` changes nothing; an article changed
in the browser and in its file is a conflict that changes neither side."""

from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import func, select

from app.db import session_scope
from app.models import Article, ArticleRevision
from tests.writer.conftest import create, publish, put, revision_rows, row

SLUG = "printing/quuxprint-offline"
FILE_SLUG = "vpn/error-809"


def sync(runner, *args):
    result = runner.invoke(args=["kb", "sync", *map(str, args), "--json"])
    return result.exit_code, json.loads(result.output.strip().splitlines()[-1])


def snapshot(app) -> dict:
    """Every article's row and how many revisions it has: what a sync must not change."""
    skip = {"modified_at"}
    with app.app_context(), session_scope() as session:
        counts = dict(session.execute(select(ArticleRevision.article_id, func.count()).group_by(ArticleRevision.article_id)).all())
        return {
            a.slug: ({c.key: getattr(a, c.key) for c in Article.__table__.columns if c.key not in skip}, counts.get(a.id))
            for a in session.scalars(select(Article))
        }


def a_varied_library(writer, other_writer, synced):
    """Browser-made, published with an unpublished change, internal, archived, with a review date."""
    create(writer)
    publish(writer, SLUG)
    put(writer, SLUG, 1, body="尚未发布的修改\n")
    create(writer, slug="internal/printer-reset", title="打印服务器重置（内部）", audience="internal",
           category="打印与外设", review_by="2027-03-01", tags=["打印", "内部: 流程"], error_codes=["0x0000011b", "809"])
    publish(writer, "internal/printer-reset")
    create(writer, slug="printing/old", title="123", body="---\n看起来像 front matter 的正文\n")
    writer.post("/writer/articles/printing/old/archive")
    put(other_writer, FILE_SLUG, 1, title="VPN 错误 809（网页修改）")
    publish(other_writer, FILE_SLUG)


def test_export_then_sync_of_the_export_changes_nothing(writer, other_writer, synced, runner, tmp_path):
    a_varied_library(writer, other_writer, synced)
    before = snapshot(synced)
    out = tmp_path / "export"
    result = runner.invoke(args=["kb", "export", str(out)])
    assert result.exit_code == 0, result.output
    assert "1 篇文章有尚未发布的修改" in result.output
    files = sorted(p.relative_to(out).as_posix() for p in out.rglob("*.md"))
    assert len(files) == len(before) and f"{SLUG}.md" in files and "internal/printer-reset.md" in files
    text = (out / "internal" / "printer-reset.md").read_text(encoding="utf-8")
    assert "audience: internal" in text and "review_by: 2027-03-01" in text and "status: published" in text

    code, summary = sync(runner, out)
    assert (code, summary["created"], summary["updated"], summary["archived"]) == (0, 0, 0, 0), summary
    assert summary["errors"] == [] and summary["conflicts"] == [] and summary["unchanged"] == len(before)
    assert snapshot(synced) == before

    again = tmp_path / "again"
    runner.invoke(args=["kb", "export", str(again)])
    assert all((out / f).read_bytes() == (again / f).read_bytes() for f in files)  # deterministic


def test_export_into_the_library_keeps_it_in_step(writer, synced, runner, articles_dir):
    create(writer)
    publish(writer, SLUG)
    hand_written = (articles_dir / "vpn" / "error-809.md").read_bytes()
    result = runner.invoke(args=["kb", "export", str(articles_dir)])
    assert result.exit_code == 0, result.output
    assert (articles_dir / "vpn" / "error-809.md").read_bytes() == hand_written  # same content: left alone
    assert (articles_dir / "printing" / "quuxprint-offline.md").is_file()
    before = snapshot(synced)
    code, summary = sync(runner)
    assert code == 0 and summary["created"] == summary["updated"] == 0 and snapshot(synced) == before

    # the browser-made article now lives in its file too: a file edit imports, no conflict
    path = articles_dir / "printing" / "quuxprint-offline.md"
    path.write_text(path.read_text(encoding="utf-8").replace("打印队列卡住。", "打印队列卡住了（文件修改）。"),
                    encoding="utf-8")
    code, summary = sync(runner)
    assert code == 0 and summary["updated"] == 1 and summary["conflicts"] == []
    assert "文件修改" in row(synced, SLUG).body
    assert revision_rows(synced, SLUG)[-1].origin == "file"


def test_a_browser_edit_and_a_file_edit_conflict_and_neither_side_changes(writer, synced, runner, articles_dir):
    put(writer, FILE_SLUG, 1, body="网页上改写的正文 Webside\n")
    path = articles_dir / "vpn" / "error-809.md"
    path.write_text(path.read_text(encoding="utf-8") + "\n3. 文件里加的一步 Fileside。\n", encoding="utf-8")
    file_bytes = path.read_bytes()

    code, summary = sync(runner)
    assert code == 1 and summary["updated"] == 0
    [conflict] = summary["conflicts"]
    assert conflict["slug"] == FILE_SLUG and conflict["path"] == str(path) and conflict["revision"] == 2
    assert "Webside" in conflict["web"] and "Fileside" in conflict["file"]
    assert path.read_bytes() == file_bytes  # the file is untouched
    article = row(synced, FILE_SLUG)
    assert article.revision == 2 and "Fileside" not in article.body  # the database too
    assert writer.get(f"/api/articles/{FILE_SLUG}").get_json()["draft"]["body"] == "网页上改写的正文 Webside\n"

    human = runner.invoke(args=["kb", "sync"])
    assert human.exit_code == 1
    assert "冲突" in human.output and "Webside" in human.output and "Fileside" in human.output
    assert "--prefer-files" in human.output

    # the file wins when asked; the browser's revision stays in the history
    code, summary = sync(runner, "--prefer-files")
    assert code == 0 and summary["updated"] == 1 and summary["conflicts"] == []
    rows = revision_rows(synced, FILE_SLUG)
    assert [r.origin for r in rows] == ["file", "api", "file"] and "Webside" in rows[1].body
    assert "Fileside" in row(synced, FILE_SLUG).body


def test_a_browser_edit_alone_survives_kb_sync(writer, synced, runner):
    put(writer, FILE_SLUG, 1, title="VPN 错误 809（网页修改）")
    publish(writer, FILE_SLUG)
    code, summary = sync(runner)
    assert code == 0 and summary["unchanged"] == 4 and summary["conflicts"] == []
    assert row(synced, FILE_SLUG).title == "VPN 错误 809（网页修改）"


def test_deleting_the_file_of_an_article_edited_in_the_browser_is_a_conflict(writer, synced, runner, articles_dir):
    put(writer, FILE_SLUG, 1, body="网页上改写的正文\n")
    (articles_dir / "vpn" / "error-809.md").unlink()
    code, summary = sync(runner)
    assert code == 1 and summary["archived"] == 0
    assert summary["conflicts"][0]["file"] is None
    assert row(synced, FILE_SLUG).status == "published"
    code, summary = sync(runner, "--prefer-files")
    assert summary["archived"] == 1 and row(synced, FILE_SLUG).status == "archived"


def test_review_by_in_front_matter_is_imported(synced, runner, articles_dir):
    path = articles_dir / "vpn" / "error-809.md"
    path.write_text(path.read_text(encoding="utf-8").replace("updated: 2026-11-01", "updated: 2026-11-01\nreview_by: 2027-05-01"),
                    encoding="utf-8")
    code, summary = sync(runner)
    assert code == 0 and summary["updated"] == 1
    assert row(synced, FILE_SLUG).review_by == dt.date(2027, 5, 1)


def test_file_imports_are_revisions(synced, runner, articles_dir):
    path = articles_dir / "vpn" / "error-809.md"
    path.write_text(path.read_text(encoding="utf-8") + "\n3. 重启电脑。\n", encoding="utf-8")
    sync(runner)
    rows = revision_rows(synced, FILE_SLUG)
    assert [(r.number, r.origin) for r in rows] == [(1, "file"), (2, "file")]
    assert rows[1].note == "从文件导入：vpn/error-809.md" and rows[1].author_id is None
    article = row(synced, FILE_SLUG)
    assert (article.revision, article.published_revision, article.version) == (2, 2, 2)
