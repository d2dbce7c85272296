"""Suggest on one snapshot: titles for text still being typed (the last word may be
incomplete).  See README.md, "Suggest"."""
from __future__ import annotations

import heapq

from whoosh import query as wq

from .analysis import PREFIX_MAX, STOPWORDS, prefix_key, words
from .hits import make_hit, rank_key, signal
from .query import FIELD_WEIGHTS
from .results import SearchResults
from .scoring import evaluate
from .snippets import highlight_all
from .text import normalise

__all__ = ["suggest", "top"]

SUGGEST_CATEGORY_BOOST = 1.5
SUGGEST_CANDIDATES = 40
SUGGEST_CACHE_SIZE = 512


def suggest(snap, s, base: SearchResults, q: str, auds, limit, category, signals) -> SearchResults:
    res = SearchResults(query=base.query, page=1, per_page=limit)
    qn = normalise(q[:400])[:100]
    key = (qn, auds)
    cached = snap.cache_get(snap.suggest_cache, key)
    if cached is None:
        cached = _candidates(snap, s, qn, auds)
        snap.cache_put(snap.suggest_cache, key, cached, SUGGEST_CACHE_SIZE)
    cands, terms = cached
    if not cands:
        return res
    table = snap.table(s)
    slugs = table.slugs
    cats = table.categories if category else None
    scored = []
    for score, docnum in cands:
        if cats is not None and cats[docnum] == category:
            score *= SUGGEST_CATEGORY_BOOST
        if signals:
            score *= signal(signals, slugs[docnum])
        scored.append((score, docnum))
    scored.sort(key=rank_key)
    res.total = len(cands)
    for score, docnum in scored[:limit]:
        stored = s.stored_fields(docnum)
        res.hits.append(make_hit(stored, score, highlight_all(stored.get("stored_title", ""), terms,
                                                              prefixes=True)))
    return res


def top(snap, s, q, allowed: set, n: int) -> list[tuple[float, int]]:
    """The ``n`` best visible matches, best first (what Whoosh's ``search(limit=n)`` gives)."""
    scores = evaluate(q, s, snap.terms)
    return heapq.nsmallest(n, ((sc, d) for d, sc in scores.items() if d in allowed), key=rank_key)


def _candidates(snap, s, qn: str, auds) -> tuple[list, list[str]]:
    stripped = qn.strip()
    if not stripped:
        return [], []
    complete = qn[-1].isspace()
    chunks = stripped.split()[:12]
    full_chunks = chunks if complete else chunks[:-1]
    last = None if complete else chunks[-1]
    full = words(" ".join(full_chunks))
    terms = list(full)

    def full_q(w):
        return wq.Or([wq.Term("title", w, boost=FIELD_WEIGHTS["title"]),
                      wq.Term("codes", w, boost=FIELD_WEIGHTS["codes"]),
                      wq.Term("prefix", w)])

    clauses = [full_q(w) for w in full]
    required = list(full)       # complete words typed so far
    fragment = None             # the (maybe incomplete) last piece
    if last is not None:
        key = prefix_key(last)
        if key and (not key.isascii() or len(key) >= 2 or clauses):
            options = [wq.Term("prefix", key, boost=2.0)]
            lw = words(last, keep_stop=True)
            if len(lw) > 1:
                options.append(wq.And([full_q(w) for w in lw[:-1]] +
                                      [wq.Term("prefix", lw[-1][:PREFIX_MAX])]))
                required += [w for w in lw[:-1] if w not in STOPWORDS]
                fragment = wq.Or([wq.Term("prefix", key, boost=2.0),
                                  wq.Term("prefix", lw[-1][:PREFIX_MAX])])
            else:
                fragment = options[0]
            clauses.append(wq.Or(options) if len(options) > 1 else options[0])
            terms.extend(lw)
            terms.append(key)
    if not clauses:
        return [], []
    q = clauses[0] if len(clauses) == 1 else wq.And(clauses)
    if len(chunks) > 1 and not complete:
        joined = prefix_key(" ".join(chunks))
        if joined:
            q = wq.Or([q, wq.Term("prefix", joined, boost=2.0)])
    allowed = snap.allowed(s, auds)
    if not allowed:
        return [], []
    cands = []
    if last is not None and len(clauses) == 1 and len(chunks) == 1:
        # one fragment: its own prefix term is cheap and usually enough
        cands = top(snap, s, wq.Term("prefix", prefix_key(last)), allowed, SUGGEST_CANDIDATES)
    if len(cands) < 10:
        cands = top(snap, s, q, allowed, SUGGEST_CANDIDATES)
    if not cands and fragment is not None and required:
        # few titles have every word: require only the fragment being typed, rank by the rest
        loose = wq.AndMaybe(fragment, wq.Or([full_q(w) for w in required]))
        seen = {d for _s, d in cands}
        floor = min((sc for sc, _d in cands), default=1.0)
        extra = top(snap, s, loose, allowed, SUGGEST_CANDIDATES)
        best = max((sc for sc, _d in extra), default=1.0) or 1.0
        for sc, d in extra:
            if d not in seen:   # always below the titles that have every word
                cands.append((floor * 0.5 * sc / best, d))
    return cands, sorted(set(terms), key=len, reverse=True)
