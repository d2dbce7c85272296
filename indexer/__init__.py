"""helpdesk-kb search engine: Whoosh + jieba (rjieba) for Chinese IT helpdesk articles.

Pure Python, no Flask.  See README.md in this folder.
"""
from .documents import IndexDocument
from .engine import IndexUnavailable, SearchEngine
from .results import BuildStats, Hit, SearchResults, SyncStats

__all__ = ["SearchEngine", "IndexDocument", "SearchResults", "Hit", "BuildStats", "SyncStats",
           "IndexUnavailable"]
