"""Search execution on one snapshot: the query plan → matches (with fallbacks) → ranked,
visibility-filtered results with facets, signals, pagination and snippets."""
from __future__ import annotations

import heapq
from collections import Counter

from whoosh import query as wq

from .hits import make_hit, rank_key, signal
from .query import (build, correctable, display, highlight_terms, prune_alternatives, relax,
                    with_corrections)
from .results import SearchResults
from .scoring import evaluate
from .snippets import make_snippet

__all__ = ["search", "RESULT_CACHE_SIZE"]

RESULT_CACHE_SIZE = 256    # (query groups, audiences) → scored matches, per index snapshot


def search(ctx, snap, s, base: SearchResults, groups, auds, category, page, per_page,
           signals) -> SearchResults:
    """``ctx``: the engine (synonyms, dictionary terms)."""
    res = SearchResults(query=base.query, page=page, per_page=per_page)
    allowed = snap.allowed(s, auds)
    if not allowed:
        return res
    table = snap.table(s)
    key = ("search", tuple((g.words, tuple(g.alts)) for g in groups), auds)
    cached = snap.cache_get(snap.result_cache, key)
    if cached is None:
        cached = _match_with_fallbacks(ctx, snap, s, groups, auds, allowed)
        snap.cache_put(snap.result_cache, key, cached, RESULT_CACHE_SIZE)
    matches, used, res.relaxed, res.corrected, res.did_you_mean = cached   # ranked
    if not matches:
        return res
    # facets over every visible match; the category filter applies to total and hits only
    cats = table.categories
    counts: Counter = Counter(cats[d] for _score, d in matches)
    res.facets = dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))
    if category is not None:
        matches = [(sc, d) for sc, d in matches if cats[d] == category]
    res.total = len(matches)
    if signals:
        slugs = table.slugs
        matches = [(sc * signal(signals, slugs[d]), d) for sc, d in matches]
    end = page * per_page
    if signals:   # cached matches are ranked by score; signals re-rank
        matches = heapq.nsmallest(end, matches, key=rank_key)
    terms = highlight_terms(used)
    for score, docnum in matches[(page - 1) * per_page:end]:
        stored = s.stored_fields(docnum)
        res.hits.append(make_hit(stored, score, make_snippet(stored.get("stored_text", ""), terms)))
    return res


def _words_df(snap, reader, words) -> int:
    """Documents that may hold all ``words`` (min over words of max(title, body, codes) df)."""
    best = None
    for w in words:
        d = max(snap.df(reader, "body", w), snap.df(reader, "title", w), snap.df(reader, "codes", w))
        best = d if best is None else min(best, d)
    return best or 0


def _match_with_fallbacks(ctx, snap, s, groups, auds, allowed):
    """AND → typo-corrected AND → relaxed OR.  Returns (matches, groups used, relaxed,
    corrected, did_you_mean); cached per index snapshot."""
    reader = s.reader()

    def exists(field, term):
        return snap.df(reader, field, term) > 0

    def df(ws):
        return _words_df(snap, reader, ws)

    relaxed_flag = corrected = False
    dym = None
    groups = prune_alternatives(groups, df, reader.doc_count())
    used = groups
    matches = _match(snap, s, build(groups, "and", exists), allowed)
    if not matches:
        fixes = corrections(ctx, snap, s, groups, auds)
        if fixes:
            fixed = with_corrections(groups, fixes, replace=True)
            matches = _match(snap, s, build(fixed, "and", exists), allowed)
            if matches:
                used, corrected, dym = fixed, True, display(fixed)
        if not matches and len(groups) > 1:
            relaxed = with_corrections(groups, fixes, replace=False) if fixes else groups
            relaxed = relax(relaxed, df, reader.doc_count())
            matches = _match(snap, s, build(relaxed, "or", exists), allowed)
            if matches:
                used, relaxed_flag = relaxed, True
                if fixes:
                    corrected = True
                    dym = display(with_corrections(groups, fixes, replace=True))
    matches.sort(key=rank_key)
    return matches, used, relaxed_flag, corrected, dym


def _match(snap, s, q, allowed: set) -> list[tuple[float, int]]:
    if q is wq.NullQuery:
        return []
    scores = evaluate(q, s, snap.terms)
    return [(sc, d) for d, sc in scores.items() if d in allowed]


def corrections(ctx, snap, s, groups, auds) -> dict[int, str]:
    """{group index: correction} for Latin words that are not in the visible vocabulary."""
    vocab = None
    fixes = {}
    for i, g in enumerate(groups):
        if not correctable(g):
            continue
        if vocab is None:
            vocab = snap.vocabulary(s, auds, ctx.dictionary_terms)
        w = g.words[0]
        if w in vocab:
            continue
        c = vocab.correct(w)
        if c is None:
            continue
        if c not in ctx.dictionary_terms() and not snap.visible_term(s, auds, c):
            continue
        fixes[i] = c
    return fixes
