"""The document the app hands to the engine, and its conversion to index fields."""
from __future__ import annotations

import datetime
from dataclasses import asdict, dataclass

from .analysis import SEP
from .plaintext import heading_anchors, link_words, markdown_to_text

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
    """Whoosh field values for one document (see ``schema`` for what each field holds)."""
    text, headings = markdown_to_text(doc.body or "")
    text = text.replace(SEP, " ")
    title = (doc.title or "").replace(SEP, " ")
    tags = tuple(t.replace(SEP, " ") for t in (doc.tags or ()))
    codes = tuple(str(c).replace(SEP, " ") for c in (doc.error_codes or ()))
    audience = doc.audience or "public"
    fields = dict(
        slug=doc.slug,
        title=SEP.join((title, *tags)),
        codes="\n".join(codes) + SEP + text,
        body=("\n".join(h.replace(SEP, " ") for h in headings) + SEP + text + SEP
              + "\n".join(a.replace(SEP, " ") for a in heading_anchors(doc.body or "")) + SEP
              + "\n".join(link_words(doc.body or ""))),
        prefix="\n".join((title, *tags, *codes)),
        audience=audience,
        category=doc.category or "",
        content_hash=doc.content_hash or "",
        stored_title=doc.title or "",
        stored_tags=tags,
        stored_text=text,
        error_codes=codes,
        updated=doc.updated.isoformat() if doc.updated else None,
    )
    fields["dym_public" if audience == "public" else "dym_internal"] = "\n".join((title, *tags))
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
