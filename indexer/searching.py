"""Search execution on one snapshot: groups → typo corrections → plan → ranked matches
(``ranking``) → results with facets, category filter, signals, pagination and snippets.

Ranked matches are cached per (query groups, audiences) on the snapshot as two compact arrays
(document numbers and scores, best first); the cache is bounded by the number of matches it
holds, not only by entries, so long queries matching most of a big library cannot fill the
memory of a worker.
"""
from __future__ import annotations

import numpy as np

from .hits import make_hit, signal
from . import lru, query
from .homophones import HomophoneIndex
from .query import (correctable, display, highlight_terms, plan, slip_unit, with_corrections,
                    with_span_corrections)
from .ranking import Terms, rank, ranked_order
from .results import SearchResults
from .snippets import make_snippet

__all__ = ["search", "new_result_cache", "RESULT_CACHE_SIZE", "RESULT_CACHE_MATCHES"]

RESULT_CACHE_SIZE = 256            # entries per snapshot
RESULT_CACHE_MATCHES = 2_000_000   # matches per snapshot (8 bytes each)


def search(ctx, snap, s, base: SearchResults, groups, auds, category, page, per_page,
           signals) -> SearchResults:
    """``ctx``: the engine (``dictionary_terms``)."""
    res = SearchResults(query=base.query, page=page, per_page=per_page)
    allowed = snap.allowed_mask(s, auds)
    if not allowed.any():
        return res
    table = snap.table(s)
    key = ("search", tuple(g.key() for g in groups), auds)
    cached = snap.result_cache.get(key)
    if cached is None:
        cached = _match(ctx, snap, s, groups, auds, allowed)
        snap.result_cache.put(key, cached)
    ranked, used, res.relaxed, res.corrected, res.did_you_mean = cached
    ids, scores = ranked.ids, ranked.scores
    if not len(ids):
        return res
    # facets over every visible match; the category filter applies to total and hits only
    codes = table.category_codes[ids]
    counts = np.bincount(codes, minlength=len(table.category_names))
    names = table.category_names
    # only the categories with a match (a Python loop over every category name and numpy
    # scalar cost ≈ 10 µs a search with the 10k set's 87 categories)
    held = np.flatnonzero(counts)
    res.facets = dict(sorted(zip([names[i] for i in held.tolist()], counts[held].tolist()),
                             key=lambda kv: (-kv[1], kv[0])))
    head = ranked.head
    if category is not None:
        try:
            keep = codes == names.index(category)
        except ValueError:
            keep = np.zeros(len(ids), dtype=bool)
        ids, scores = ids[keep], scores[keep]
        head = int(np.count_nonzero(keep[:head]))
    res.total = len(ids)
    start, end = (page - 1) * per_page, page * per_page
    if end > head and head < len(ids):       # a page past the sorted head: sort them all
        order = np.lexsort((ids, -scores))
        ids, scores = ids[order], scores[order]
    if signals and len(ids):
        ids, scores = _apply_signals(table, signals, ids, scores, end)
    terms = highlight_terms(used)
    for docnum, score in zip(ids[start:end].tolist(), scores[start:end].tolist()):
        stored, text, prepared = snap.hit_record(s, docnum)
        res.hits.append(make_hit(stored, score, make_snippet(text, terms, prepared=prepared)))
    return res


def new_result_cache() -> lru.Weighted:
    """A snapshot's ranked-results cache: ``RESULT_CACHE_SIZE`` entries, ``RESULT_CACHE_MATCHES``
    matches (each entry weighs its number of matches)."""
    return lru.Weighted(RESULT_CACHE_SIZE, RESULT_CACHE_MATCHES, lambda cached: len(cached[0]))


def _apply_signals(table, signals, ids, scores, end):
    """Multiply each match by its slug's signal; the first ``end`` positions are re-ranked
    (the rest, never shown, keep no particular order)."""
    mult = table.signal_multipliers(signals, signal)
    if mult is None:
        return ids, scores
    m = mult[ids]
    if not (m != 1.0).any():
        return ids, scores
    scores = scores * m
    if len(ids) > 4 * end:
        # the matches scoring at least the end-th best (ties included) in final order, the
        # rest after them: the shown positions are exactly those of a full sort
        order, _head = ranked_order(ids, scores, end)
    else:
        order = np.lexsort((ids, -scores))
    return ids[order], scores[order]


def _match(ctx, snap, s, groups, auds, allowed):
    """(ranked, groups used, relaxed, corrected, did_you_mean); cached per snapshot."""
    tv = Terms(snap.rank, s, allowed)
    corrected = False
    dym = None
    fixes = corrections(ctx, snap, s, tv, groups, auds)
    if fixes:
        groups = with_corrections(groups, fixes, ctx.synonyms)
    spans = homophone_fixes(ctx, snap, s, tv, groups, auds) if query.HOMOPHONES else []
    if spans:
        groups = with_span_corrections(groups, spans, ctx.synonyms)
    if fixes or spans:
        corrected, dym = True, display(groups)
    p = plan(groups, tv.df, tv.ndocs, ctx.synonyms)
    if not p.groups:
        return _empty(), p.groups, False, corrected, dym
    ranked = rank(tv, p)
    return ranked, p.groups, not ranked.full and len(p.groups) > 1, corrected, dym


def _empty():
    from .ranking import Ranked

    return Ranked(np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.float32), False)


def corrections(ctx, snap, s, tv, groups, auds) -> dict[int, str]:
    """{group index: correction} for Latin words no visible article holds and that are not in
    the visible vocabulary (titles, tags, dictionary terms)."""
    vocab = None
    fixes = {}
    for i, g in enumerate(groups):
        if not correctable(g) or tv.df(g.words[0]) > 0:
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


def homophone_fixes(ctx, snap, s, tv, groups, auds, held=None) -> list[tuple[int, int, str]]:
    """[(first group, end group, correction)] for pinyin slips: a window of 2-4 characters made
    of neighbouring query groups that are single Chinese characters or Chinese words no
    visible article holds (容两 → 容/两, 蓝压 → 蓝/压), which is itself no word the index holds,
    becomes the visible vocabulary word that sounds the same (toneless) and differs in one
    character (two from four on) — the one found in most visible articles.  Windows are tried
    left to right, longest first.  Nothing is read unless such a window exists.

    ``held(text)``: a number above 0 exactly when ``tv.df(text)`` is (suggest passes one that
    asks the titles' counts first, which it needs anyway); only the candidates' counts must be
    ``tv.df``'s."""
    held = held or tv.df
    units = [slip_unit(g, held) for g in groups]
    out: list[tuple[int, int, str]] = []
    index: HomophoneIndex | None = None
    i = 0
    while i < len(groups):
        if units[i] is None:
            i += 1
            continue
        done = False
        for j in range(min(len(groups), i + 4), i, -1):
            if any(u is None for u in units[i:j]):
                continue
            w = "".join(units[i:j])
            if not (2 <= len(w) <= 4) or held(w) > 0:
                continue
            if index is None:
                index = snap.homophones(s, auds, ctx.dictionary_terms)
            best, best_df = None, 0
            for c in index.candidates(w):
                d = tv.df(c)
                if d > best_df or (d == best_df and best is not None and c < best):
                    best, best_df = c, d
            if best is not None:
                out.append((i, j, best))
                i, done = j, True
                break
        if not done:
            i += 1
    return out
