"""The search that led a reader to an article, kept in the session.

``/search`` remembers its last query and the slugs it showed; an article opened from those
results can then tell a ticket what the reader had been looking for. ``?q=`` on the article's
URL wins over the session. The query is only attached to an article that search showed,
so an unrelated earlier search never ends up on a ticket.
"""

from __future__ import annotations

from .votes import MAX_QUERY, clean_text

SESSION_KEY = "kb_last_search"
MAX_SLUGS = 20


def remember(flask_session, query: str, slugs) -> None:
    query = clean_text(query, multiline=False)[:MAX_QUERY]
    if not query:
        return
    flask_session[SESSION_KEY] = {"q": query, "slugs": [str(s)[:300] for s in list(slugs)[:MAX_SLUGS]]}


def query_for(flask_session, args, slug: str) -> str:
    """The search text that led to ``slug``: ``?q=``, else the last search if it showed the article."""
    explicit = clean_text(args.get("q"), multiline=False)[:MAX_QUERY] if args is not None else ""
    if explicit:
        return explicit
    last = flask_session.get(SESSION_KEY)
    if isinstance(last, dict) and slug in (last.get("slugs") or []) and isinstance(last.get("q"), str):
        return last["q"][:MAX_QUERY]
    return ""
