"""Relevance evaluation: recall@1, recall@5 and MRR@10 over a set of labelled queries.

Query files are YAML lists (see ``tests/relevance/``)::

    - query: "VPN 连不上 提示 809"
      expected: [vpn/error-809]     # slugs; any of them counts as a hit
      kind: natural                 # natural, keyword, code, traditional, fullwidth,
                                    # synonym, typo, prefix, long
      role: agent                   # optional; who is searching (default anonymous)

``prefix`` queries are text still being typed, so they are run through
``suggest`` (what the search box and the request form call while typing);
every other kind through ``search``.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

import yaml

STAFF = ("agent", "writer", "admin")


@dataclass(frozen=True)
class LabelledQuery:
    query: str
    expected: tuple[str, ...]
    kind: str
    role: str = "anonymous"
    source: str = ""


@dataclass
class Scores:
    count: int = 0
    hits_at_1: int = 0
    hits_at_5: int = 0
    reciprocal_ranks: float = 0.0

    def add(self, rank: int | None) -> None:
        self.count += 1
        if rank is not None:
            self.hits_at_1 += rank == 1
            self.hits_at_5 += rank <= 5
            self.reciprocal_ranks += 1.0 / rank if rank <= 10 else 0.0

    @property
    def recall_at_1(self) -> float:
        return self.hits_at_1 / self.count if self.count else 0.0

    @property
    def recall_at_5(self) -> float:
        return self.hits_at_5 / self.count if self.count else 0.0

    @property
    def mrr_at_10(self) -> float:
        return self.reciprocal_ranks / self.count if self.count else 0.0


@dataclass
class Evaluation:
    overall: Scores = field(default_factory=Scores)
    by_kind: dict[str, Scores] = field(default_factory=lambda: defaultdict(Scores))
    misses: list[tuple[LabelledQuery, list[str]]] = field(default_factory=list)

    def table(self) -> str:
        rows = [("kind", "n", "recall@1", "recall@5", "MRR@10")]
        for name, s in sorted(self.by_kind.items()) + [("overall", self.overall)]:
            rows.append((name, str(s.count), f"{s.recall_at_1:.3f}", f"{s.recall_at_5:.3f}", f"{s.mrr_at_10:.3f}"))
        widths = [max(len(r[i]) for r in rows) for i in range(5)]
        return "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths)) for r in rows)


def load_queries(paths: Iterable[Path]) -> list[LabelledQuery]:
    queries = []
    for path in paths:
        for entry in yaml.safe_load(Path(path).read_text(encoding="utf-8")) or []:
            expected = entry["expected"]
            queries.append(
                LabelledQuery(
                    query=str(entry["query"]),
                    expected=tuple(expected if isinstance(expected, list) else [expected]),
                    kind=str(entry.get("kind", "natural")),
                    role=str(entry.get("role", "anonymous")),
                    source=Path(path).name,
                )
            )
    return queries


def evaluate(engine, queries: Iterable[LabelledQuery], audiences_for: Callable[[str], frozenset]) -> Evaluation:
    """Run every query as its role would and score the rank of the first expected slug."""
    result = Evaluation()
    for q in queries:
        audiences = audiences_for(q.role)
        if q.kind == "prefix":
            found = engine.suggest(q.query, audiences=audiences, limit=10)
        else:
            found = engine.search(q.query, audiences=audiences, per_page=10)
        slugs = [hit.slug for hit in found.hits]
        rank = next((i for i, slug in enumerate(slugs, 1) if slug in q.expected), None)
        result.overall.add(rank)
        result.by_kind[q.kind].add(rank)
        if rank != 1:
            result.misses.append((q, slugs[:5]))
    return result
