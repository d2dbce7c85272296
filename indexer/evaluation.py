"""Relevance evaluation: R@1, R@5, MRR@10 and Hit@10 over a set of labelled queries.

Query files are YAML lists. Two sets use this module: our own articles
(``tests/relevance/*.yaml``) and the external corpus (``tests/relevance/corpus/``)::

    - query: "VPN 连不上 提示 809"
      expected: [vpn/error-809]     # slugs; every document that answers the need
      kind: natural                 # our set: natural, keyword, code, traditional, fullwidth,
                                    # synonym, typo, prefix, long; the corpus set: colloquial,
                                    # keyword, code, traditional, mixed, typo, long, campus
      role: agent                   # optional; who is searching (default anonymous)
      id: co-01                     # optional; a stable name (the corpus set has one)
      origin: [slug, ...]           # optional; the document(s) that inspired the need
      half: tune                    # optional; else taken from the folder (tune/, test/ or test2/)

``prefix`` queries are text still being typed, so they are run through
``suggest`` (what the search box and the request form call while typing);
every other kind through ``search``.

Metrics, per query, averaged over the queries of a kind (``rel`` = the expected
documents, ``top k`` = the first k results):

* **R@1** — 1 when the first result is expected;
* **R@5** — capped recall: ``|rel ∩ top 5| / min(5, |rel|)``, so a query with one expected
  document scores 1 when it is anywhere in the top 5, and one with eight scores 1 only
  when all five first results are expected;
* **MRR@10** — ``1 / rank`` of the first expected result within the top 10, else 0;
* **Hit@10** — 1 when any expected document is in the top 10.

``Scores.recall_at_5`` keeps the older meaning "an expected document in the top 5" (the
floors of ``tests/test_relevance.py`` and the ``recall@5`` key of ``kb eval --json`` use it);
for a query with one expected document both are the same.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Sequence

import numpy as np
import yaml

STAFF = ("agent", "writer", "admin")
#: the corpus set's parts, each a folder: the tuning half, the held-out half, and a second held-out
#: half written at stop 23 (tests/relevance/corpus/README.md, "A second held-out half")
HALVES = ("tune", "test", "test2")
METRICS = (("R@1", "r_at_1"), ("R@5", "r_at_5"), ("MRR@10", "mrr_at_10"), ("Hit@10", "hit_at_10"))


@dataclass(frozen=True)
class LabelledQuery:
    query: str
    expected: tuple[str, ...]
    kind: str
    role: str = "anonymous"
    source: str = ""
    id: str = ""
    half: str = ""
    origin: tuple[str, ...] = ()


@dataclass
class Scores:
    count: int = 0
    hits_at_1: int = 0
    hits_at_5: int = 0
    hits_at_10: int = 0
    reciprocal_ranks: float = 0.0
    capped_recall_5: float = 0.0

    def add(self, rank: int | None, found_in_5: int | None = None, relevant: int = 1) -> None:
        """One query: ``rank`` of its first expected result (None: not found), how many expected
        documents are in its top 5 and how many it has (defaults: a single expected document)."""
        self.count += 1
        if found_in_5 is None:
            found_in_5 = 1 if rank is not None and rank <= 5 else 0
        self.capped_recall_5 += found_in_5 / min(5, max(1, relevant))
        if rank is not None:
            self.hits_at_1 += rank == 1
            self.hits_at_5 += rank <= 5
            self.hits_at_10 += rank <= 10
            self.reciprocal_ranks += 1.0 / rank if rank <= 10 else 0.0

    def _mean(self, total: float) -> float:
        return total / self.count if self.count else 0.0

    @property
    def recall_at_1(self) -> float:
        return self._mean(self.hits_at_1)

    r_at_1 = recall_at_1

    @property
    def recall_at_5(self) -> float:
        """An expected document in the top 5 (the older, uncapped definition)."""
        return self._mean(self.hits_at_5)

    @property
    def r_at_5(self) -> float:
        """Capped recall at 5: ``|expected ∩ top 5| / min(5, |expected|)``."""
        return self._mean(self.capped_recall_5)

    @property
    def mrr_at_10(self) -> float:
        return self._mean(self.reciprocal_ranks)

    @property
    def hit_at_10(self) -> float:
        return self._mean(self.hits_at_10)

    def as_dict(self) -> dict:
        return {
            "n": self.count,
            "recall@1": self.recall_at_1,
            "recall@5": self.recall_at_5,
            "mrr@10": self.mrr_at_10,
            "capped_recall@5": self.r_at_5,
            "hit@10": self.hit_at_10,
        }


@dataclass(frozen=True)
class QueryResult:
    query: LabelledQuery
    slugs: tuple[str, ...]  # the top 10 as returned
    rank: int | None  # of the first expected slug, 1-based


@dataclass
class Evaluation:
    overall: Scores = field(default_factory=Scores)
    by_kind: dict[str, Scores] = field(default_factory=lambda: defaultdict(Scores))
    by_half: dict[str, Scores] = field(default_factory=lambda: defaultdict(Scores))
    misses: list[tuple[LabelledQuery, list[str]]] = field(default_factory=list)
    results: list[QueryResult] = field(default_factory=list)

    def add(self, q: LabelledQuery, slugs: Sequence[str]) -> None:
        slugs = tuple(slugs[:10])
        expected = set(q.expected)
        rank = next((i for i, slug in enumerate(slugs, 1) if slug in expected), None)
        in_5 = len(expected.intersection(slugs[:5]))
        for scores in (self.overall, self.by_kind[q.kind], *([self.by_half[q.half]] if q.half else [])):
            scores.add(rank, in_5, len(expected))
        self.results.append(QueryResult(q, slugs, rank))
        if rank != 1:
            self.misses.append((q, list(slugs[:5])))

    def rows(self) -> list[tuple[str, Scores]]:
        """Kinds in name order, then ``overall``, then one row per half when there is more than one."""
        rows = sorted(self.by_kind.items()) + [("overall", self.overall)]
        if len(self.by_half) > 1:
            rows += [(f"overall {h}", self.by_half[h]) for h in HALVES if h in self.by_half]
        return rows

    def as_json(self) -> dict:
        return {name: s.as_dict() for name, s in self.rows()}

    def table(self) -> str:
        rows = [("kind", "n", *(label for label, _ in METRICS))]
        for name, s in self.rows():
            rows.append((name, str(s.count), *(f"{getattr(s, attr):.3f}" for _, attr in METRICS)))
        return _columns(rows)


def compare(ours: Evaluation, baselines: dict[str, Evaluation]) -> str:
    """Our figures with each baseline's and the ratio ours / baseline beside them, per metric."""
    blocks = []
    for label, attr in METRICS:
        header = ["kind", "n", label]
        for name in baselines:
            header += [name, "×"]
        rows = [tuple(header)]
        for name, s in ours.rows():
            ours_value = getattr(s, attr)
            row = [name, str(s.count), f"{ours_value:.3f}"]
            for other in baselines.values():
                value = getattr(dict(other.rows())[name], attr)
                row += [f"{value:.3f}", f"{ours_value / value:.2f}" if value else "—"]
            rows.append(tuple(row))
        blocks.append(_columns(rows))
    return "\n\n".join(blocks)


#: resamples of ``paired``'s bootstrap; the seed makes a run repeatable
BOOTSTRAP_RESAMPLES = 10_000
BOOTSTRAP_SEED = 8


def reciprocal_ranks(evaluation: Evaluation) -> dict[LabelledQuery, float]:
    """Each query's MRR@10 term: ``1 / rank`` of its first expected result in the top 10, else 0."""
    return {r.query: (1.0 / r.rank if r.rank is not None and r.rank <= 10 else 0.0)
            for r in evaluation.results}


@dataclass(frozen=True)
class PairedDifference:
    """Ours − a baseline's MRR@10 over the same queries, query by query."""
    n: int
    delta: float                  # mean of the per-query differences = difference of the MRR@10s
    low: float                    # 95 % percentile interval of the mean difference (paired bootstrap)
    high: float
    wins: int                     # queries ours ranks better (a higher reciprocal rank)
    ties: int
    losses: int
    share_over: float             # share of the resamples whose mean difference reaches ``margin``


def paired(ours: Evaluation, baseline: Evaluation, kind: str | None = None, margin: float = 0.10,
           resamples: int = BOOTSTRAP_RESAMPLES, seed: int = BOOTSTRAP_SEED) -> PairedDifference:
    """Ours − ``baseline`` on MRR@10 for one kind (None: every query), with a paired bootstrap:
    the queries are drawn with replacement ``resamples`` times and the mean of their
    differences taken each time; the 2.5th and 97.5th percentiles bound the difference a set
    of this size could have shown.  A kind of 11 queries moves by 0.09 when one of them goes
    from rank 1 to rank 12 — this says which per-kind differences the set can tell apart."""
    mine, theirs = reciprocal_ranks(ours), reciprocal_ranks(baseline)
    keys = [q for q in mine if q in theirs and (kind is None or q.kind == kind)]
    diffs = np.array([mine[q] - theirs[q] for q in keys], dtype=np.float64)
    if not len(diffs):
        return PairedDifference(0, 0.0, 0.0, 0.0, 0, 0, 0, 0.0)
    rng = np.random.default_rng(seed)
    means = diffs[rng.integers(0, len(diffs), size=(resamples, len(diffs)))].mean(axis=1)
    low, high = np.percentile(means, [2.5, 97.5])
    eps = 1e-12
    return PairedDifference(
        n=len(diffs), delta=float(diffs.mean()), low=float(low), high=float(high),
        wins=int((diffs > eps).sum()), ties=int((abs(diffs) <= eps).sum()),
        losses=int((diffs < -eps).sum()),
        share_over=float((means >= margin - eps).mean()))


def paired_json(ours: Evaluation, baseline: Evaluation, margin: float = 0.10) -> dict:
    """``paired`` per kind and ``overall`` as JSON: kind → {n, delta, low, high, wins, ties,
    losses, share_over}."""
    from dataclasses import asdict

    return {kind or "overall": asdict(paired(ours, baseline, kind, margin))
            for kind in [*sorted(ours.by_kind), None]}


def paired_table(ours: Evaluation, baselines: dict[str, Evaluation], margin: float = 0.10) -> str:
    """Per kind and overall, for each baseline: Δ MRR@10 (ours − baseline), its 95 % interval,
    the queries won / tied / lost, and the share of resamples with Δ ≥ ``margin``."""
    blocks = []
    kinds = sorted(ours.by_kind)
    for name, other in baselines.items():
        rows = [("kind", "n", f"Δ MRR@10 vs {name}", "95% 区间", "胜/平/负", f"Δ≥{margin:.2f} 的比例")]
        for kind in [*kinds, None]:
            d = paired(ours, other, kind, margin)
            rows.append((kind or "overall", str(d.n), f"{d.delta:+.3f}", f"[{d.low:+.3f}, {d.high:+.3f}]",
                         f"{d.wins}/{d.ties}/{d.losses}", f"{d.share_over:.0%}"))
        blocks.append(_columns(rows))
    return "\n\n".join(blocks)


def _columns(rows: list[tuple[str, ...]]) -> str:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows)


def load_queries(paths: Iterable[Path]) -> list[LabelledQuery]:
    queries = []
    for path in paths:
        path = Path(path)
        folder_half = path.parent.name if path.parent.name in HALVES else ""
        for entry in yaml.safe_load(path.read_text(encoding="utf-8")) or []:
            expected = entry["expected"]
            origin = entry.get("origin") or []
            queries.append(
                LabelledQuery(
                    query=str(entry["query"]),
                    expected=tuple(expected if isinstance(expected, list) else [expected]),
                    kind=str(entry.get("kind", "natural")),
                    role=str(entry.get("role", "anonymous")),
                    source=path.name,
                    id=str(entry.get("id", "")),
                    half=str(entry.get("half", folder_half)),
                    origin=tuple(origin if isinstance(origin, list) else [origin]),
                )
            )
    return queries


def evaluate(engine, queries: Iterable[LabelledQuery], audiences_for: Callable[[str], frozenset]) -> Evaluation:
    """Run every query through our engine as its role would and score its top 10."""

    def ranked(q: LabelledQuery) -> list[str]:
        audiences = audiences_for(q.role)
        if q.kind == "prefix":
            found = engine.suggest(q.query, audiences=audiences, limit=10)
        else:
            found = engine.search(q.query, audiences=audiences, per_page=10)
        return [hit.slug for hit in found.hits]

    return evaluate_ranked(queries, ranked)


def evaluate_baseline(baseline, queries: Iterable[LabelledQuery], audiences_for: Callable[[str], frozenset]) -> Evaluation:
    """The same queries through a baseline of ``indexer.baselines`` (same visibility, top 10)."""
    return evaluate_ranked(queries, lambda q: baseline.search(q.query, audiences_for(q.role), limit=10))


def evaluate_ranked(queries: Iterable[LabelledQuery], ranked: Callable[[LabelledQuery], Sequence[str]]) -> Evaluation:
    result = Evaluation()
    for q in queries:
        result.add(q, list(ranked(q)))
    return result


# -- cross-validation on the tuning half ----------------------------------------------------------
#
# The tuning half is small (128 queries); a change chosen because it lifts the half as a whole
# may only fit a handful of its queries.  ``folds`` splits a set into ``k`` folds, stratified by
# kind (within each kind the queries are ordered by ``sha1("corpus-fold:" + id)`` and dealt out
# in turn — deterministic, independent of the text, unrelated to the tune/test split's own
# hash), so a change can be judged fold by fold: kept only when it helps on average without
# losing clearly on any fold or kind.


def folds(queries: Iterable[LabelledQuery], k: int) -> dict[LabelledQuery, int]:
    """{query: fold number 0..k-1}, stratified by kind."""
    import hashlib

    by_kind: dict[str, list[LabelledQuery]] = defaultdict(list)
    for q in queries:
        by_kind[q.kind].append(q)
    out: dict[LabelledQuery, int] = {}
    offset = 0
    for kind in sorted(by_kind):
        ordered = sorted(by_kind[kind],
                         key=lambda q: hashlib.sha1(f"corpus-fold:{q.id or q.query}".encode()).hexdigest())
        for i, q in enumerate(ordered):
            out[q] = (offset + i) % k
        offset += len(ordered)          # the next kind starts where this one stopped: even folds
    return out


def _subset(evaluation: Evaluation, keep: Callable[[LabelledQuery], bool]) -> Evaluation:
    out = Evaluation()
    for r in evaluation.results:
        if keep(r.query):
            out.add(r.query, r.slugs)
    return out


def fold_scores(evaluation: Evaluation, k: int) -> list[Scores]:
    """The overall scores of each of ``k`` folds (``folds``) of ``evaluation``'s queries."""
    assign = folds([r.query for r in evaluation.results], k)
    return [_subset(evaluation, lambda q, f=f: assign.get(q) == f).overall for f in range(k)]


def fold_table(runs: dict[str, Evaluation], k: int, reference: str | None = None) -> str:
    """MRR@10 and Hit@10 of each run per fold (and their mean, spread and minimum), then per
    kind; with ``reference`` (a name in ``runs``), each other run's difference to it per fold
    and per kind, and on how many folds it is ahead."""
    first = next(iter(runs.values()))
    assign = folds([r.query for r in first.results], k)
    names = list(runs)
    header = ["fold", "n"]
    for name in names:
        header += [f"{name} MRR@10", "Hit@10"]
    if reference:
        header += [f"{name}−{reference}" for name in names if name != reference]
    rows = [tuple(header)]
    per_fold: dict[str, list[float]] = {name: [] for name in names}
    for f in range(k):
        subsets = {name: _subset(ev, lambda q, f=f: assign.get(q) == f) for name, ev in runs.items()}
        n = next(iter(subsets.values())).overall.count
        row = [str(f + 1), str(n)]
        for name in names:
            s = subsets[name].overall
            per_fold[name].append(s.mrr_at_10)
            row += [f"{s.mrr_at_10:.3f}", f"{s.hit_at_10:.3f}"]
        if reference:
            ref = subsets[reference].overall.mrr_at_10
            row += [f"{subsets[name].overall.mrr_at_10 - ref:+.3f}" for name in names if name != reference]
        rows.append(tuple(row))
    # per-fold differences of each variant against the reference
    deltas = {name: [a - b for a, b in zip(per_fold[name], per_fold[reference])]
              for name in names if reference and name != reference}
    for label, fn in (("mean", lambda xs: sum(xs) / len(xs)), ("min", min),
                      ("spread", lambda xs: max(xs) - min(xs))):
        row = [label, ""]
        for name in names:
            row += [f"{fn(per_fold[name]):.3f}", ""]
        row += [f"{fn(diffs):+.3f}" for diffs in deltas.values()]
        rows.append(tuple(row))
    if reference:
        row = ["ahead", ""] + ["", ""] * len(names)
        row += [f"{sum(d > 1e-9 for d in diffs)}/{k} (behind {sum(d < -1e-9 for d in diffs)})"
                for diffs in deltas.values()]
        rows.append(tuple(row))
    kinds = ["kind", "n"] + [f"{name} MRR@10" for name in names]
    if reference:
        kinds += [f"{name}−{reference}" for name in names if name != reference]
    krows = [tuple(kinds)]
    for kind, s in sorted(first.by_kind.items()):
        row = [kind, str(s.count)] + [f"{runs[name].by_kind[kind].mrr_at_10:.3f}" for name in names]
        if reference:
            ref = runs[reference].by_kind[kind].mrr_at_10
            row += [f"{runs[name].by_kind[kind].mrr_at_10 - ref:+.3f}" for name in names if name != reference]
        krows.append(tuple(row))
    return _columns(rows) + "\n\n" + _columns(krows)
