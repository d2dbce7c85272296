"""How much each engine has to read for the bench queries: ``python -m bench.work INDEX_DIR
CACHE_DIR TANTIVY_DIR [SYNONYMS]`` (the folders ``bench/search.py --keep`` leaves: ``…/inproc/index``,
``…/inproc``, ``…/tantivy``; as ``bench.paired`` takes them).

The ratio to tantivy (``bench.paired``) compares time; this says how much of the gap is work.
Tantivy is asked an OR of the query's words over title and body (``tantivy_engine``); ours
scores a plan (``indexer.query``): each word with its sub-words, code spellings, colloquial
variants, synonyms and mainland readings, each over title, body and codes at once.  Per query,
with every cached term cleared before it (as on its first sight):

* ours: the terms whose data the search computed (model and text; a term's data covers every
  field of its model) and the documents those hold (each term's documents counted once,
  whatever fields hold it);
* tantivy: the query's words × its two fields, and their document frequencies summed (the
  postings it reads).

Prints the medians and means per query and the ratio of the sums.
"""
from __future__ import annotations

import statistics
import sys
from pathlib import Path


def measure(index: Path, cache: Path, tantivy_dir: Path, queries=None,
            synonyms: Path | None = None) -> dict:
    from bench.inproc import _clear
    from bench.queries import TEXTS
    from bench.tantivy_engine import Tantivy, _words
    from indexer.engine import SearchEngine

    queries = list(queries or TEXTS)
    eng = SearchEngine(index, extra_synonyms=synonyms, cache_dir=cache)
    try:
        tv = Tantivy.open(tantivy_dir)
        rows = []
        for q in queries:
            _clear(eng, terms=True)
            eng.search(q, per_page=10)
            computed = dict(eng._gen.rank._terms)    # (model, text) → (ids, scores, title ids)
            words = list(dict.fromkeys(_words(q, False)))
            rows.append({
                "query": q,
                "ours_terms": len(computed),
                "ours_term_texts": sorted({text for _model, text in computed}),
                "ours_docs": sum(len(v[0]) for v in computed.values()),
                "tantivy_terms": 2 * len(words),
                "tantivy_postings": sum(tv.searcher.doc_freq(f, w)
                                        for w in words for f in ("title", "body")),
            })
    finally:
        eng.close()
    out: dict = {"queries": len(rows), "rows": rows}
    for k in ("ours_terms", "ours_docs", "tantivy_terms", "tantivy_postings"):
        vals = [r[k] for r in rows]
        out[k] = {"median": statistics.median(vals), "mean": statistics.fmean(vals),
                  "sum": sum(vals)}
    out["docs_ratio"] = out["ours_docs"]["sum"] / max(1, out["tantivy_postings"]["sum"])
    return out


def _both(res: dict, key: str, counts: bool = False) -> str:
    """``median (mean)`` of one of ``measure``'s figures: terms as ``6.5 (8.3)``, documents
    and postings (``counts``) as ``13,434 (39,418)``."""
    if counts:
        return f"{res[key]['median']:,.0f} ({res[key]['mean']:,.0f})"
    return f"{res[key]['median']:g} ({res[key]['mean']:.1f})"


def cell(res: dict) -> str:
    """The report's cell: ``ours terms · documents; tantivy terms · postings; ratio``."""
    return (f"{_both(res, 'ours_terms')} · {_both(res, 'ours_docs', True)}; "
            f"{_both(res, 'tantivy_terms')} · {_both(res, 'tantivy_postings', True)}; "
            f"{res['docs_ratio']:.2f}×")


def lines(res: dict) -> list[str]:
    return [
        f"{res['queries']} queries, each on its first sight (cached terms cleared before it); "
        "median (mean) per query:",
        f"  ours: terms computed {_both(res, 'ours_terms')}, "
        f"documents they hold {_both(res, 'ours_docs', True)}",
        f"  tantivy: words × fields {_both(res, 'tantivy_terms')}, "
        f"postings {_both(res, 'tantivy_postings', True)}",
        f"  ours ÷ tantivy, sums over the queries: {res['docs_ratio']:.2f}× the postings",
    ]


def main(argv: list[str]) -> int:
    if len(argv) not in (3, 4):
        print(__doc__.split("\n\n")[0], file=sys.stderr)
        return 2
    synonyms = Path(argv[3]) if len(argv) > 3 and argv[3] else None
    for line in lines(measure(Path(argv[0]), Path(argv[1]), Path(argv[2]), synonyms=synonyms)):
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
