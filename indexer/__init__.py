"""helpdesk-kb search engine: Whoosh + jieba (rjieba) for Chinese IT helpdesk articles.

Pure Python, no Flask.  See README.md in this folder.
"""
from . import whooshfix

whooshfix.apply()   # read mmapped segments without copying them (see whooshfix.py)

from .documents import IndexDocument  # noqa: E402
from .engine import IndexUnavailable, SearchEngine  # noqa: E402
from .results import BuildStats, Hit, SearchResults, SyncStats  # noqa: E402

__all__ = ["SearchEngine", "IndexDocument", "SearchResults", "Hit", "BuildStats", "SyncStats",
           "IndexUnavailable"]
