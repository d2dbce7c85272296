"""Result and statistics types returned by the engine."""
from __future__ import annotations

import datetime
from dataclasses import dataclass, field

__all__ = ["Hit", "SearchResults", "BuildStats", "SyncStats"]


@dataclass
class Hit:
    slug: str
    title: str
    category: str
    error_codes: tuple[str, ...]
    snippet: str             # safe HTML: escaped text + our <mark>…</mark>
    score: float
    audience: str
    updated: datetime.date | None

    def as_dict(self) -> dict:
        return {
            "slug": self.slug, "title": self.title, "category": self.category,
            "snippet": self.snippet, "error_codes": list(self.error_codes),
            "score": round(self.score, 4), "audience": self.audience,
            "updated": self.updated.isoformat() if self.updated else None,
        }


@dataclass
class SearchResults:
    query: str
    total: int = 0
    took_ms: float = 0.0
    page: int = 1
    per_page: int = 10
    hits: list[Hit] = field(default_factory=list)
    facets: dict[str, int] = field(default_factory=dict)
    did_you_mean: str | None = None
    relaxed: bool = False     # AND found nothing, OR was used
    corrected: bool = False   # typo tolerance was used
    recovering: bool = False  # the index is being rebuilt: hits are from an older snapshot or missing

    def as_dict(self) -> dict:
        """Close to the ``/api/search`` body (the app adds ``url`` to each result)."""
        return {
            "query": self.query, "total": self.total, "took_ms": round(self.took_ms, 2),
            "page": self.page, "per_page": self.per_page,
            "results": [h.as_dict() for h in self.hits], "facets": dict(self.facets),
            "did_you_mean": self.did_you_mean, "relaxed": self.relaxed, "corrected": self.corrected,
            "recovering": self.recovering,
        }


@dataclass
class BuildStats:
    docs: int
    seconds: float
    generation: str

    @property
    def docs_per_second(self) -> float:
        return self.docs / self.seconds if self.seconds > 0 else float("inf")


@dataclass
class SyncStats:
    added: int = 0
    updated: int = 0
    deleted: int = 0
    unchanged: int = 0
