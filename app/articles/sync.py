"""Import the Markdown library into the database (``kb sync`` / ``kb init``).

Unchanged files (same content hash, same path) are skipped; a file removed from
a synced folder archives its article, never deletes it; a broken file is
reported with its path and reason and keeps whatever was imported before.

Files and the browser stay in step (app/writer/README.md): every import that changes an
article is a revision (origin ``file``). An article changed in the browser or the API since
the files last agreed with it (``Article.web_edited``) whose file changed too — or was
deleted — is a **conflict**: it is reported with both versions and neither side changes,
unless ``prefer_files`` says the file wins (the browser's revisions stay in the history).
A file that says exactly what the article holds is unchanged wherever it lives, so
``kb export DIR`` then ``kb sync DIR`` changes nothing.
"""

from __future__ import annotations

import os
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Callable, Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from indexer.loader import (
    ArticleFormatError,
    ImportWarnings,
    LoadError,
    LoadWarning,
    SourceArticle,
    iter_markdown_files,
    load_file,
)

from ..models import Article, utcnow


@dataclass
class SyncConflict:
    """The article changed in the browser and in its file: both versions, neither applied."""

    path: str
    slug: str
    revision: int
    web: str  # the browser's newest version, as a Markdown file
    file: str | None  # the file's text; None when the file was deleted

    def as_json(self) -> dict:
        return {"path": self.path, "slug": self.slug, "revision": self.revision, "web": self.web,
                "file": self.file}

    def describe(self) -> list[str]:
        """Lines for the terminal: what happened, a diff, how to settle it."""
        from ..writer.diff import unified

        what = "文件已被删除" if self.file is None else "文件也被修改了"
        lines = [f"冲突  {self.path}（{self.slug}）：网页上改过（最新第 {self.revision} 版），{what}；两边都没有改动。"]
        lines += ["    " + line for line in unified(self.web, self.file or "", f"网页（第 {self.revision} 版）",
                                                     "文件（已删除）" if self.file is None else "文件")]
        lines.append("    保留网页版本：kb export 到文章库目录；以文件为准：kb sync --prefer-files（网页上的版本仍留在历史中）。")
        return lines


@dataclass
class SyncReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    archived: int = 0
    errors: list[LoadError] = field(default_factory=list)
    warnings: list[LoadWarning] = field(default_factory=list)  # imported, but read the message
    conflicts: list[SyncConflict] = field(default_factory=list)
    changed: list[Article] = field(default_factory=list)

    def as_json(self) -> dict:
        return {
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "archived": self.archived,
            "errors": [{"path": e.path, "error": e.error} for e in self.errors],
            "warnings": [{"path": w.path, "warning": w.warning} for w in self.warnings],
            "conflicts": [c.as_json() for c in self.conflicts],
        }


def sync_folders(
    session: Session,
    folders: Iterable[Path],
    progress: Callable[[list[Path]], object] | None = None,
    audience_map: dict[str, str] | None = None,
    prefer_files: bool = False,
) -> SyncReport:
    """Import every folder in one transaction; the caller commits and re-indexes ``changed``.

    ``audience_map`` (see ``indexer.loader.parse_audience_map``) says what foreign
    ``audience`` values mean; anything foreign left over imports as internal with a warning.
    """
    report = SyncReport()
    warnings = ImportWarnings()
    report.warnings = warnings.items
    folders = [Path(f).resolve() for f in folders]
    by_slug = {a.slug: a for a in session.scalars(select(Article))}
    seen_paths: set[str] = set()
    seen_slugs: dict[str, str] = {}

    for folder in folders:
        if not folder.is_dir():
            report.errors.append(LoadError(str(folder), "文件夹不存在"))
            continue
        files = list(iter_markdown_files(folder))
        bar = progress(files) if progress else nullcontext(files)
        with bar as items:
            for path in items:
                seen_paths.add(str(path))
                try:
                    source = load_file(path, folder, audience_map=audience_map)
                except ArticleFormatError as exc:
                    report.errors.append(LoadError(str(path), str(exc)))
                    continue
                warnings.add(source)
                _import_one(session, source, by_slug, seen_slugs, report, folder, prefer_files)

    _archive_missing(session, by_slug.values(), folders, seen_paths, report, prefer_files)
    session.flush()
    from ..feedback.fixtasks import close_for_new_versions

    close_for_new_versions(session, report.changed)  # a new version closes the article's fix task
    return report


def _import_one(session, source: SourceArticle, by_slug, seen_slugs, report: SyncReport, folder: Path,
                prefer_files: bool) -> None:
    from ..writer.files import matches, review_by_of

    path = str(source.path)
    if source.slug in seen_slugs:
        report.errors.append(LoadError(path, f"slug “{source.slug}” 与 {seen_slugs[source.slug]} 重复"))
        return
    seen_slugs[source.slug] = path
    article = by_slug.get(source.slug)
    if article is None:
        review = review_by_of(source.path)
        article = Article(slug=source.slug, version=1, revision=0, web_edited=False, created_at=utcnow())
        _copy(source, article)
        if review[0]:
            article.review_by = review[1]
        session.add(article)
        _record(session, article, source, folder, new_content=True)
        by_slug[source.slug] = article
        report.created += 1
        report.changed.append(article)
        return
    other = article.source_path
    same_content = article.content_hash == source.content_hash
    # The file has not changed since it was imported: nothing to do — unless the article was
    # archived because the file had gone missing (then it is back); browser changes stay.
    if same_content and other == path and (article.status == source.status or article.web_edited):
        report.unchanged += 1
        return
    review = review_by_of(source.path)
    if matches(article, source, review):  # the file says what the article holds (e.g. `kb export`)
        if other == path:
            article.content_hash = source.content_hash
        report.unchanged += 1
        return
    if other and other != path and article.status != "archived" and os.path.exists(other):
        report.errors.append(LoadError(path, f"slug “{source.slug}” 与 {other} 重复"))
        return
    if article.web_edited and not prefer_files:
        report.conflicts.append(_conflict(session, article, path, source.path.read_text("utf-8-sig", "replace")))
        return
    from ..writer.content import of_article
    from ..writer.workflow import has_pending_changes

    before = None if has_pending_changes(article) else of_article(article)
    _copy(source, article)
    if review[0]:
        article.review_by = review[1]
    if not same_content:
        article.version = (article.version or 0) + 1
        article.version_views = 0  # a new version is judged afresh (app/feedback/health.py)
    _record(session, article, source, folder, new_content=before != of_article(article))
    report.updated += 1
    report.changed.append(article)


def _record(session, article: Article, source: SourceArticle, folder: Path, *, new_content: bool) -> None:
    """The import as a revision (when the content changed); files and database now agree."""
    from ..writer.content import of_article
    from ..writer.workflow import add_revision

    if new_content or not article.revision:
        article.revision = (article.revision or 0) + 1
        rel = Path(source.path).relative_to(folder).as_posix()
        add_revision(session, article, of_article(article), article.revision, user=None, origin="file",
                     note=f"从文件导入：{rel}"[:200])
    if article.status == "published":
        article.published_revision = article.revision
    article.review_revision = None
    article.web_edited = False


def _conflict(session, article: Article, path: str, file_text: str | None) -> SyncConflict:
    from ..writer.files import to_markdown
    from ..writer.workflow import head

    newest = head(session, article)
    web = article
    if newest is not None and article.status == "published" and newest.number != article.published_revision:
        web = SimpleNamespace(slug=article.slug, title=newest.title, category=newest.category, tags=newest.tags,
                              error_codes=newest.error_codes, audience=newest.audience, body=newest.body,
                              status="draft", updated=article.updated, review_by=article.review_by)
    return SyncConflict(path=path, slug=article.slug, revision=article.revision,
                        web=to_markdown(web, Path(path).name), file=file_text)


def _copy(source: SourceArticle, article: Article) -> None:
    article.title = source.title
    article.category = source.category
    article.tags = list(source.tags)
    article.error_codes = list(source.error_codes)
    article.audience = source.audience
    article.status = source.status
    article.updated = source.updated
    article.body = source.body
    article.source_path = str(source.path)
    article.content_hash = source.content_hash
    article.modified_at = utcnow()


def _archive_missing(session, articles, folders: list[Path], seen_paths: set[str], report: SyncReport,
                     prefer_files: bool) -> None:
    roots = [str(f) + os.sep for f in folders]
    for article in articles:
        path = article.source_path
        if not path or path in seen_paths or article.status == "archived":
            continue
        if any(path.startswith(root) for root in roots):
            if article.web_edited and not prefer_files:
                report.conflicts.append(_conflict(session, article, path, None))
                continue
            article.status = "archived"
            article.review_revision = None
            article.web_edited = False
            article.modified_at = utcnow()
            report.archived += 1
            report.changed.append(article)
