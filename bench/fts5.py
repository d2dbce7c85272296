"""SQLite FTS5 baseline: ``tokenize='trigram'`` over title + body, top 10 with ``snippet()``.

The query is the user's text with FTS5 syntax removed: each whitespace-separated piece becomes
a quoted string (a trigram substring match); pieces are ANDed.  Trigram cannot match a piece
shorter than 3 characters, so such pieces are dropped; a query left with none returns nothing.
"""
from __future__ import annotations

import sqlite3
import time

SQL = ("SELECT slug, title, snippet(docs, 2, '<mark>', '</mark>', '…', 24) FROM docs "
       "WHERE docs MATCH ? ORDER BY rank LIMIT 10")


class Fts5:
    def __init__(self, path: str):
        self.db = sqlite3.connect(path)
        self.db.execute("CREATE VIRTUAL TABLE IF NOT EXISTS docs USING fts5("
                        "slug UNINDEXED, title, body, tokenize='trigram')")

    def build(self, records) -> float:
        t0 = time.perf_counter()
        with self.db:
            self.db.execute("DELETE FROM docs")
            self.db.executemany("INSERT INTO docs(slug, title, body) VALUES (?, ?, ?)",
                                ((r.slug, r.title, r.body) for r in records))
        return time.perf_counter() - t0

    @staticmethod
    def match_expr(q: str) -> str | None:
        pieces = [p for p in q.split() if len(p) >= 3]
        if not pieces:
            return None
        return " AND ".join('"' + p.replace('"', '""') + '"' for p in pieces)

    def search(self, q: str) -> list:
        expr = self.match_expr(q)
        if expr is None:
            return []
        return self.db.execute(SQL, (expr,)).fetchall()

    def close(self) -> None:
        self.db.close()
