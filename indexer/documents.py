"""The document the app hands to the engine, and its conversion to index fields."""
from __future__ import annotations

import datetime
from dataclasses import asdict, dataclass

from .plaintext import markdown_to_text

__all__ = ["IndexDocument", "AUDIENCES", "to_fields", "to_json", "from_json"]

#: audiences the schema knows; any other value is treated like "internal" for vocabularies
AUDIENCES = ("public", "internal")


@dataclass(frozen=True)
class IndexDocument:
    slug: str
    title: str
    category: str
    tags: tuple[str, ...]
    error_codes: tuple[str, ...]
    audience: str            # "public" | "internal"
    body: str                # Markdown source
    updated: datetime.date | None
    content_hash: str        # app-computed; used by SearchEngine.sync to skip unchanged docs


def to_fields(doc: IndexDocument) -> dict:
    """Whoosh field values for one document."""
    text, headings = markdown_to_text(doc.body or "")
    tags = tuple(doc.tags or ())
    codes = tuple(str(c) for c in (doc.error_codes or ()))
    audience = doc.audience or "public"
    vocab = "\n".join((doc.title or "", *tags))
    fields = dict(
        slug=doc.slug,
        title=doc.title or "",
        category=doc.category or "",
        tags="\n".join(tags),
        codes_fm="\n".join(codes),
        codes_body=text,
        headings="\n".join(headings),
        body=text,
        prefix="\n".join((doc.title or "", *tags, *codes)),
        audience=audience,
        error_codes=codes,
        updated=doc.updated.isoformat() if doc.updated else None,
        content_hash=doc.content_hash or "",
    )
    fields["dym_public" if audience == "public" else "dym_internal"] = vocab
    return fields


def to_json(doc: IndexDocument) -> dict:
    d = asdict(doc)
    d["updated"] = doc.updated.isoformat() if doc.updated else None
    d["tags"] = list(doc.tags or ())
    d["error_codes"] = list(doc.error_codes or ())
    return d


def from_json(d: dict) -> IndexDocument:
    upd = d.get("updated")
    return IndexDocument(
        slug=d["slug"], title=d["title"], category=d["category"], tags=tuple(d["tags"]),
        error_codes=tuple(d["error_codes"]), audience=d["audience"], body=d["body"],
        updated=datetime.date.fromisoformat(upd) if upd else None, content_hash=d["content_hash"],
    )
