"""Import the Markdown library into the database (``kb sync`` / ``kb init``).

Unchanged files (same content hash, same path) are skipped; a file removed from
a synced folder archives its article, never deletes it; a broken file is
reported with its path and reason and keeps whatever was imported before.
"""

from __future__ import annotations

import os
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
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
class SyncReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    archived: int = 0
    errors: list[LoadError] = field(default_factory=list)
    warnings: list[LoadWarning] = field(default_factory=list)  # imported, but read the message
    changed: list[Article] = field(default_factory=list)

    def as_json(self) -> dict:
        return {
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "archived": self.archived,
            "errors": [{"path": e.path, "error": e.error} for e in self.errors],
            "warnings": [{"path": w.path, "warning": w.warning} for w in self.warnings],
        }


def sync_folders(
    session: Session,
    folders: Iterable[Path],
    progress: Callable[[list[Path]], object] | None = None,
    audience_map: dict[str, str] | None = None,
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
                _import_one(session, source, by_slug, seen_slugs, report)

    _archive_missing(by_slug.values(), folders, seen_paths, report)
    session.flush()
    from ..feedback.fixtasks import close_for_new_versions

    close_for_new_versions(session, report.changed)  # a new version closes the article's fix task
    return report


def _import_one(session, source: SourceArticle, by_slug, seen_slugs, report: SyncReport) -> None:
    path = str(source.path)
    if source.slug in seen_slugs:
        report.errors.append(LoadError(path, f"slug “{source.slug}” 与 {seen_slugs[source.slug]} 重复"))
        return
    seen_slugs[source.slug] = path
    article = by_slug.get(source.slug)
    if article is None:
        article = Article(slug=source.slug, version=1, created_at=utcnow())
        _copy(source, article)
        session.add(article)
        by_slug[source.slug] = article
        report.created += 1
        report.changed.append(article)
        return
    other = article.source_path
    if other and other != path and article.status != "archived" and os.path.exists(other):
        report.errors.append(LoadError(path, f"slug “{source.slug}” 与 {other} 重复"))
        return
    same_content = article.content_hash == source.content_hash
    if same_content and other == path and article.status == source.status:
        report.unchanged += 1
        return
    _copy(source, article)
    if not same_content:
        article.version = (article.version or 0) + 1
        article.version_views = 0  # a new version is judged afresh (app/feedback/health.py)
    report.updated += 1
    report.changed.append(article)


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


def _archive_missing(articles, folders: list[Path], seen_paths: set[str], report: SyncReport) -> None:
    roots = [str(f) + os.sep for f in folders]
    for article in articles:
        path = article.source_path
        if not path or path in seen_paths or article.status == "archived":
            continue
        if any(path.startswith(root) for root in roots):
            article.status = "archived"
            article.modified_at = utcnow()
            report.archived += 1
            report.changed.append(article)
