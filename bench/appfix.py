"""``wsgi:app`` with ``KB_INDEX_DIR`` kept as the index *link* path (benchmark use only).

``app/config.py`` resolves ``KB_INDEX_DIR`` with ``Path.resolve()``, which follows the
``instance/index`` symlink once it exists: every process started after ``kb init`` then gets
the generation folder (``index.d/g000001``) as its index path, finds "no index" there and
rebuilds the whole index from the database on its first search (36 s for the corpus — longer
than gunicorn's 30 s worker timeout, so workers never become ready).  The benchmark uses this
entry point only when it detects that behaviour (see ``server.index_path_bug``), and says so
in its output.
"""
from __future__ import annotations

import os

from app import create_app


def index_link(config) -> str:
    """The path the index link lives at (not followed)."""
    env = os.environ.get("KB_INDEX_DIR")
    return os.path.abspath(env or os.path.join(config["KB_INSTANCE_DIR"], "index"))


app = create_app()
app.config["KB_INDEX_DIR"] = index_link(app.config)
