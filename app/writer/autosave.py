"""Autosave: each writer's unsaved editor content, so a closed tab or a crash loses nothing.

One buffer per writer and editor (``key``: ``article:<id>``, ``new`` or ``ticket:<id>``),
overwritten on every autosave and removed by an explicit save. It is not a revision: nobody
else sees it and it never reaches readers, search or the history.
"""

from __future__ import annotations

import re

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..models import Article, ArticleAutosave, User, utcnow
from .content import BODY_MAX, clean_text

FIELDS = ("title", "slug", "category", "tags", "error_codes", "audience", "review_by", "note", "body")
FIELD_MAX = 2_000  # every field but the body
KEY_RE = re.compile(r"^(?:new|article:\d{1,12}|ticket:\d{1,12})$")


class AutosaveError(ValueError):
    pass


def key_for(article: Article | None = None, ticket_id: int | None = None) -> str:
    if article is not None:
        return f"article:{article.id}"
    if ticket_id is not None:
        return f"ticket:{ticket_id}"
    return "new"


def clean(data) -> dict[str, str]:
    """Only the editor's fields, as bounded strings."""
    if not isinstance(data, dict):
        raise AutosaveError("自动保存的内容格式不对。")
    out = {}
    for name in FIELDS:
        value = data.get(name)
        if isinstance(value, (list, tuple)):
            value = ", ".join(str(v) for v in value)
        text = clean_text(value)
        limit = BODY_MAX if name == "body" else FIELD_MAX
        if len(text.encode("utf-8")) > limit:
            raise AutosaveError("内容太长，无法自动保存。")
        out[name] = text
    return out


def put(session: Session, user: User, key: str, base_revision: int | None, data) -> ArticleAutosave:
    """Store ``data`` as the writer's buffer for ``key`` (insert or overwrite); the caller commits."""
    if not KEY_RE.match(key or ""):
        raise AutosaveError("未知的编辑器。")
    fields = clean(data)
    for _ in range(2):
        row = get(session, user, key)
        if row is None:
            row = ArticleAutosave(user_id=user.id, key=key)
            try:
                with session.begin_nested():
                    row.base_revision, row.data, row.saved_at = base_revision, fields, utcnow()
                    session.add(row)
                return row
            except IntegrityError:  # the same writer's other tab inserted it first
                continue
        row.base_revision, row.data, row.saved_at = base_revision, fields, utcnow()
        return row
    raise AutosaveError("自动保存冲突，请稍后重试。")


def get(session: Session, user: User, key: str) -> ArticleAutosave | None:
    return session.scalar(select(ArticleAutosave).where(ArticleAutosave.user_id == user.id,
                                                        ArticleAutosave.key == key))


def discard(session: Session, user: User, key: str) -> None:
    session.execute(delete(ArticleAutosave).where(ArticleAutosave.user_id == user.id, ArticleAutosave.key == key))


def differs(buffer: ArticleAutosave | None, values: dict) -> bool:
    """Is there autosaved text the editor would not show anyway?"""
    if buffer is None:
        return False
    return any((buffer.data or {}).get(name, "") != str(values.get(name, "") or "") for name in FIELDS
               if name != "note")
