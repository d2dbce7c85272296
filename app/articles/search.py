"""Glue between the app and the search engine in ``indexer/``.

One engine per process, opened lazily. Every change to articles in the database
is pushed to the index right after its commit (``index_articles``), so it is
searchable within a second; ``kb index`` reconciles everything at once.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Iterable

from flask import current_app
from sqlalchemy import select

from indexer.documents import IndexDocument
from indexer.engine import SearchEngine

from ..db import session_scope
from ..models import Article

log = logging.getLogger("app.search")

#: characters of a query that are searched; longer ones (an error log pasted whole) are cut,
#: and the page / API says so (``truncated``)
MAX_QUERY_CHARS = 256


def clip_query(q: str) -> tuple[str, bool]:
    """``q`` cut to MAX_QUERY_CHARS (whitespace squeezed first), and whether it was cut."""
    q = " ".join((q or "").split())
    if len(q) <= MAX_QUERY_CHARS:
        return q, False
    return q[:MAX_QUERY_CHARS].rstrip(), True


def init_app(app) -> None:
    app.extensions["kb.search"] = None
    app.after_request(_housekeeping_after_response)


def _housekeeping_after_response(response):
    """The engine's deferred work (``SearchEngine.housekeeping``: unmapping the index pages the
    searches read, ≈ 0.4 ms or more) once the response has been sent — Werkzeug calls
    ``call_on_close`` when the server closes the response — so no request waits for it."""
    eng = current_app.extensions.get("kb.search")
    if eng is not None and eng.housekeeping_due():
        response.call_on_close(eng.housekeeping)
    return response


def document_for(article: Article) -> IndexDocument:
    return IndexDocument(
        slug=article.slug,
        title=article.title,
        category=article.category,
        tags=tuple(article.tags or ()),
        error_codes=tuple(article.error_codes or ()),
        audience=article.audience,
        body=article.body or "",
        updated=article.shown_date,
        content_hash=f"{article.content_hash}:{article.version}:{article.audience}:{article.status}",
    )


def published_documents() -> list[IndexDocument]:
    with session_scope() as session:
        rows = session.scalars(select(Article).where(Article.status == "published"))
        return [document_for(a) for a in rows]


def _loader(app):
    """``published_documents`` for the engine, callable from any thread: the engine's
    background rebuild (a deleted or corrupted index seen by a search) runs outside the
    request that noticed it, so it brings its own application context."""

    def load_all() -> list[IndexDocument]:
        with app.app_context():
            return published_documents()

    return load_all


def _new_engine(cfg) -> SearchEngine:
    extra = Path(cfg["KB_ARTICLES_DIR"]) / "synonyms.txt"
    return SearchEngine(
        cfg["KB_INDEX_DIR"],
        extra_synonyms=extra if extra.is_file() else None,
        cache_dir=Path(cfg["KB_INSTANCE_DIR"]),
    )


def engine() -> SearchEngine:
    """This process's engine; a missing or corrupt index is rebuilt from the database."""
    ext = current_app.extensions
    if ext.get("kb.search") is None:
        eng = _new_engine(current_app.config)
        eng.ensure(_loader(current_app._get_current_object()))
        ext["kb.search"] = eng
    return ext["kb.search"]


def open_before_fork(app) -> str | None:
    """Open ``app``'s engine in a process about to fork its workers (gunicorn's master with
    ``preload_app``: ``when_ready`` in app/serving/gunicorn_conf.py), so that every worker
    inherits it instead of building its own at its first search (the synonym tables, the
    index check and each segment's slugs and categories: ~35 + ~30 ms of each worker's first
    request at 10,000 articles, issue 15 "worker ready").

    Only a usable live index is opened: opening one leaves no file, thread or database
    connection behind (the check closes its reader; searches open their own snapshot in each
    worker).  When the index is missing, unreadable or built by another pipeline nothing is
    kept and the reason is returned: the first search of a worker rebuilds it as before, never
    the master.  None when the engine is open."""
    with app.app_context():
        if app.extensions.get("kb.search") is not None:
            return None
        eng = _new_engine(app.config)
        reason = eng.ensure(_loader(app), rebuild=False)   # one check; never rebuilt here
        if reason is not None:
            return reason
        eng.preload()                 # per-segment slugs and categories, files closed again
        app.extensions["kb.search"] = eng
    return None


def search(q: str, *, role: str | None = None, audiences=None, **options):
    """Search as ``role`` (default: the current user) would, with readers' ranking signals."""
    from ..feedback.ranking import current_signals
    from ..visibility import audiences_for, current_role

    if audiences is None:
        audiences = audiences_for(role or current_role())
    return engine().search(q, audiences=audiences, signals=current_signals(), **options)


def suggest(q: str, *, role: str | None = None, audiences=None, **options):
    """Suggestions for text still being typed; same visibility and signals as ``search``."""
    from ..feedback.ranking import current_signals
    from ..visibility import audiences_for, current_role

    if audiences is None:
        audiences = audiences_for(role or current_role())
    return engine().suggest(q, audiences=audiences, signals=current_signals(), **options)


def index_articles(articles: Iterable[Article]) -> None:
    """Push committed article changes to the index (published → upsert, otherwise → delete)."""
    upsert, delete = [], []
    for article in articles:
        if article.status == "published":
            upsert.append(document_for(article))
        else:
            delete.append(article.slug)
    if upsert or delete:
        engine().update(upsert=upsert, delete=delete)


def reconcile(rebuild: bool = False):
    eng = engine()
    docs = published_documents()
    return eng.rebuild(docs) if rebuild else eng.sync(docs)
