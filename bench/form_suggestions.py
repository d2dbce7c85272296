"""Relevance of the request form's suggestions (``app/requests/suggestions.py``), as typed.

For each labelled query (anonymous ones) the form's top 5 are scored — MRR@10 (of 5) and
recall@5 — for the whole query and for the query with its last 1, 2, 3 characters not typed
yet: the header's typeahead (``/api/suggest``: title suggestions alone) and three orders of the
form side by side: title suggestions first (the form before 2026-12-02), search alone, search
first then title suggestions (the form now)::

    # our own articles: an instance made by `kb init` (KB_INSTANCE_DIR)
    .venv/bin/python -m bench.form_suggestions --instance instance --queries 'tests/relevance/*.yaml'
    # the corpus: the instance `kb eval --set corpus` imports (printed path under eval/)
    .venv/bin/python -m bench.form_suggestions --instance instance/eval/corpus-<hash> \\
        --queries 'tests/relevance/corpus/tune/*.yaml'
"""
from __future__ import annotations

import argparse
import dataclasses
import glob
import os
import sys
from pathlib import Path

PUBLIC = frozenset({"public"})
LIMIT = 5


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--instance", required=True, type=Path, help="an instance folder kb init filled")
    ap.add_argument("--queries", required=True, help="glob of labelled query files (YAML)")
    args = ap.parse_args(argv)
    os.environ["KB_INSTANCE_DIR"] = str(args.instance.resolve())

    from app import create_app
    from app.articles.search import search as search_articles
    from app.articles.search import suggest as suggest_articles
    from app.requests.suggestions import query_text
    from indexer.evaluation import evaluate_ranked, load_queries

    queries = [q for q in load_queries(sorted(Path(p) for p in glob.glob(args.queries)))
               if q.role == "anonymous"]
    if not queries:
        ap.error(f"no anonymous queries in {args.queries}")

    def searched(text):
        return [h.slug for h in search_articles(text, audiences=PUBLIC, per_page=LIMIT).hits]

    def typed(text):
        return [h.slug for h in suggest_articles(text, audiences=PUBLIC, limit=LIMIT).hits]

    def suggest_first(q):
        t = query_text(q.query)
        first = typed(t)
        return (first + [s for s in searched(t) if s not in first])[:LIMIT]

    def search_alone(q):
        return searched(query_text(q.query))

    def search_first(q):
        t = query_text(q.query)
        first = searched(t)
        return (first + [s for s in typed(t) if s not in first])[:LIMIT]

    def typeahead(q):                 # /api/suggest, the header's typeahead
        return typed(query_text(q.query))

    orders = (("typeahead", typeahead), ("suggest first", suggest_first),
              ("search alone", search_alone), ("search first (now)", search_first))
    app = create_app()
    with app.app_context():
        print(f"{len(queries)} anonymous queries from {args.queries}; MRR@10 / recall@5 of the top {LIMIT}")
        for cut in (0, 1, 2, 3):
            part = [dataclasses.replace(q, query=q.query[:-cut]) if cut else q for q in queries
                    if len(q.query) >= 6]
            cells = []
            for name, fn in orders:
                o = evaluate_ranked(part, fn).overall
                cells.append(f"{name} {o.mrr_at_10:.3f} / {o.r_at_5:.3f}")
            label = "whole query" if not cut else f"last {cut} char(s) not typed"
            print(f"{label:26s} (n={len(part)}): " + " · ".join(cells))
    return 0


if __name__ == "__main__":
    sys.exit(main())
