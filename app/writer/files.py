"""Articles as Markdown files with front matter: ``kb export`` and what ``kb sync`` compares.

``to_markdown`` writes an article the way the importer (``indexer/loader.py``) reads it, so
``kb export DIR`` then ``kb sync DIR`` changes nothing: every key is explicit (title, category,
tags, error codes, audience, status, updated, review_by; ``slug`` when the file's path would
not give it), and the body follows the closing ``---`` byte for byte.

Which content is exported: what the article row holds — the published revision for a
published article, the newest revision otherwise. A published article with newer,
unpublished revisions exports its published text and is counted in ``pending`` (its draft
lives in the browser until it is published).

Where: an article imported from ``KB_ARTICLES_DIR`` keeps its file's relative path; any other
goes to ``<slug>.md``. Exporting into the library folder itself brings the files back in step
with the database (``web_edited`` cleared, ``content_hash`` updated, a browser-made article
adopts its new file), so a later ``kb sync`` imports file edits again instead of calling them
conflicts. A file whose content already equals the article is left untouched (hand-written
formatting survives an export).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from indexer.loader import ArticleFormatError, SourceArticle, load_file

from ..models import Article

FILE_STATUS = {"draft": "draft", "in_review": "draft", "published": "published", "archived": "archived"}


def _scalar(value) -> str:
    """One YAML value on one line (flow style, quoted when YAML would read it otherwise)."""
    text = yaml.safe_dump(value, allow_unicode=True, default_flow_style=True, width=1_000_000, sort_keys=False)
    if text.endswith("\n...\n"):
        text = text[:-5]
    return text.strip()


def path_slug(rel: str) -> str:
    """The slug the importer derives from a relative path."""
    from indexer.loader import _slug_from_path  # the importer's own rule

    return _slug_from_path(rel[:-3] if rel.lower().endswith(".md") else rel)


def to_markdown(article: Article, rel: str) -> str:
    lines = [f"title: {_scalar(article.title)}"]
    if path_slug(rel) != article.slug:
        lines.append(f"slug: {_scalar(article.slug)}")
    lines += [
        f"category: {_scalar(article.category)}",
        f"tags: {_scalar(list(article.tags or []))}",
        f"error_codes: {_scalar([str(c) for c in article.error_codes or []])}",
        f"audience: {article.audience}",
        f"status: {FILE_STATUS.get(article.status, 'draft')}",
    ]
    if article.updated is not None:
        lines.append(f"updated: {article.updated.isoformat()}")
    if article.review_by is not None:
        lines.append(f"review_by: {article.review_by.isoformat()}")
    return "---\n" + "\n".join(lines) + "\n---\n" + (article.body or "")


def review_by_of(path: Path) -> tuple[bool, dt.date | None]:
    """(present, date) of a file's ``review_by`` front-matter key (the importer ignores it)."""
    from indexer.loader import _split_front_matter  # the importer's own front-matter reader

    try:
        data = Path(path).read_bytes()
    except OSError:
        return False, None
    if b"review_by" not in data:
        return False, None
    try:
        meta, _ = _split_front_matter(data.decode("utf-8-sig"))
    except (ArticleFormatError, UnicodeDecodeError):
        return False, None
    if "review_by" not in meta:
        return False, None
    from .content import parse_date

    try:
        return True, parse_date(meta.get("review_by"))
    except (TypeError, ValueError):
        return False, None


def matches(article: Article, source: SourceArticle, review: tuple[bool, dt.date | None]) -> bool:
    """Does the file say exactly what the article row holds (content, status, dates)?"""
    present, review_by = review
    return (
        source.slug == article.slug
        and source.title == article.title
        and source.category == article.category
        and list(source.tags) == list(article.tags or [])
        and list(source.error_codes) == [str(c) for c in article.error_codes or []]
        and source.audience == article.audience
        and source.status == FILE_STATUS.get(article.status, article.status)
        and source.updated == article.updated
        and source.body == (article.body or "")
        and (not present or review_by == article.review_by)
    )


@dataclass
class ExportReport:
    written: int = 0
    unchanged: int = 0
    pending: list[str] = field(default_factory=list)  # slugs with unpublished revisions
    errors: list[tuple[str, str]] = field(default_factory=list)  # (slug, reason)

    @property
    def total(self) -> int:
        return self.written + self.unchanged


def relative_path(article: Article, library: Path) -> str:
    if article.source_path:
        try:
            return Path(article.source_path).resolve().relative_to(library).as_posix()
        except ValueError:
            pass
    return f"{article.slug}.md"


def _write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".export-", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def export_all(session: Session, folder: Path, library: Path) -> ExportReport:
    """Write every article below ``folder``; the caller commits (bookkeeping of in-place exports)."""
    from .workflow import has_pending_changes

    folder, library = Path(folder).resolve(), Path(library).resolve()
    in_library = folder == library
    report = ExportReport()
    used: dict[str, str] = {}
    for article in session.scalars(select(Article).order_by(Article.slug)):
        rel = relative_path(article, library)
        if rel in used:
            rel = f"{article.slug}.md"
        if rel in used:
            report.errors.append((article.slug, f"与 {used[rel]} 要写到同一个文件 {rel}"))
            continue
        used[rel] = article.slug
        path = folder / rel
        text = to_markdown(article, rel)
        data = text.encode("utf-8")
        if _already(path, folder, article, data):
            report.unchanged += 1
        else:
            _write_atomic(path, data)
            report.written += 1
        pending = has_pending_changes(article)
        if pending:
            report.pending.append(article.slug)
        if in_library and (article.source_path in (None, str(path))):
            article.source_path = str(path)
            article.content_hash = hashlib.sha256(path.read_bytes()).hexdigest()
            if not pending:
                article.web_edited = False
    return report


def _already(path: Path, folder: Path, article: Article, data: bytes) -> bool:
    """The file exists and already says what we would write (same bytes, or the same content)."""
    try:
        if path.read_bytes() == data:
            return True
    except OSError:
        return False
    try:
        source = load_file(path, folder)
    except ArticleFormatError:
        return False
    return matches(article, source, review_by_of(path))
