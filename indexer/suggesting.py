"""Suggest on one snapshot: titles for text still being typed (the last word may be
incomplete).  See README.md, "Suggest".

The typed text becomes a plan like a search (``query``: variants, filler, glued letters and
digits, synonyms), ranked by the same scorer (``ranking``) with the ``titles`` model (title
words and tags, codes; never bodies):

* the words typed so far are ordinary groups (coordination: titles holding more of them come
  first, none is strictly required);
* the last fragment, when the text does not end with a space, is the one *required* group:
  a title word must start with it (the ``prefix`` field holds every prefix of every title,
  tag and code word, and of neighbouring Chinese words joined), looked up as typed, as the
  last word jieba cuts from it, and joined with the word before it (``不|正`` → ``不正``).
  One Latin letter alone is too short.
* a fragment that ends with a filler word (``打印机脱机了怎么办``) is said, not being typed: the
  text is ranked as complete words; one that ends with a whole Chinese word of two characters or
  more (``vpn连不上``, ``打印机脱机``) is ranked both ways, each title keeping its better score
  (``bench/form_suggestions.py``, the ``typeahead`` column: our set MRR@10 0.774 → 0.899 for the
  whole query, corpus tuning half 0.470 → 0.575; +0.1 CPU-ms per call at p50).

Pinyin slips among the words typed so far (``邮箱容两不足`` → 容量, ``密码重至`` → 重置) are
corrected as in search (``searching.homophone_fixes``, with the documents of every field, so
"no visible article holds it" means the same as for search); the fragment still being typed is
not — it may be the first character of a word.

The 40 best candidates are cached per (normalised text, audiences) on the snapshot; the
category boost and ranking signals are applied after the cache.
"""
from __future__ import annotations

from . import query
from .analysis import PREFIX_MAX, STOPWORDS, prefix_key, prefix_key_of, words
from .hits import make_hit, rank_key, signal
from .query import (FILLER, Group, Plan, PlanGroup, highlight_terms, parse, plan,
                    with_span_corrections)
from .ranking import PREFIX_MARK, Terms, prefix_term, rank
from .results import SearchResults
from .snippets import highlight_all
from .text import normalise

__all__ = ["suggest"]

SUGGEST_CATEGORY_BOOST = 1.5
SUGGEST_CANDIDATES = 40
SUGGEST_CACHE_SIZE = 512


def suggest(snap, s, base: SearchResults, q: str, auds, limit, category, signals,
            synonyms=None, ctx=None) -> SearchResults:
    """``ctx``: the engine (``dictionary_terms``, for pinyin slips); None: no slip correction."""
    res = SearchResults(query=base.query, page=1, per_page=limit)
    qn = normalise(q[:400])[:100]
    key = (qn, auds)
    cached = snap.cache_get(snap.suggest_cache, key)
    if cached is None:
        cached = _candidates(snap, s, qn, auds, synonyms, ctx)
        snap.cache_put(snap.suggest_cache, key, cached, SUGGEST_CACHE_SIZE)
    cands, terms = cached
    if not cands:
        return res
    if category or signals:
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
    else:
        scored = cands      # already in ``rank_key`` order (``_candidates``)
    res.total = len(cands)
    for score, docnum in scored[:limit]:
        stored = snap.hit_fields(s, docnum)
        res.hits.append(make_hit(stored, score, highlight_all(stored.get("stored_title", ""), terms,
                                                              prefixes=True)))
    return res


def _fragment(last: str, chunks: list[str], have_words: bool) -> tuple[Group | None, list[str], str]:
    """The required group for the fragment being typed, the complete words it holds, and the
    last word jieba cuts from it when that is Chinese (``''`` otherwise)."""
    lw = words(last, keep_stop=True)
    key = prefix_key_of(lw)              # ``prefix_key(last)``, from the words cut once
    if not key or (key.isascii() and len(key) < 2 and not have_words):
        return None, [], ""
    ending = lw[-1] if lw and not lw[-1].isascii() and not last.isascii() else ""
    keys = [key]
    if len(lw) > 1:
        keys.append(lw[-1][:PREFIX_MAX])
        a, b = lw[-2], lw[-1]
        if not a.isascii() and not b.isascii():
            keys.append((a + b)[:PREFIX_MAX])     # the fragment may end inside the next word
    if len(chunks) > 1:
        keys.append(prefix_key(" ".join(chunks)))  # a space typed inside a word
    alts = []
    for k in dict.fromkeys(k for k in keys if k):
        alts.append(((prefix_term(k),), 1.0))
    inner = [w for w in lw[:-1] if w not in STOPWORDS]
    return Group((key,), "prefix", alts), inner, ending


def _rank(tv, groups, frag, synonyms, memo=None):
    """``memo``: ``ranking.rank``'s, kept for the query (its two rankings share groups)."""
    p = plan(groups, tv.df, tv.ndocs, synonyms, titles=True) if groups else Plan([])
    terms = highlight_terms(p.groups)
    if frag is not None:
        live = [(ws, w) for ws, w in frag.alts if tv.df(ws[0]) > 0]
        if not live:
            return rank(tv, Plan([]), memo), []
        idf = max(tv.idf(ws[0]) for ws, _w in live)
        p.groups.append(PlanGroup(frag.words, "prefix", live, 1.0, idf, idf, required=True))
        terms += [ws[0][len(PREFIX_MARK):] for ws, _w in frag.alts]
    p.pairs = []            # titles are short: the title coverage bonus says enough
    return rank(tv, p, memo), terms


def _slips(ctx, snap, s, titles, auds, synonyms):
    """``fix(groups) -> groups`` with the pinyin slips of complete words corrected (the search
    model's document frequencies: a word only bodies hold is no slip); ``titles``: the query's
    ``Terms`` of the titles model."""
    if ctx is None or not query.HOMOPHONES:
        return lambda groups: groups
    from .searching import homophone_fixes

    tv = None

    def held(text: str) -> int:
        # above 0 exactly when the search model's count is: its fields include the titles
        # model's, whose counts the plan reads anyway — bodies are read only for a word no
        # visible title, tag or code holds
        return titles.df(text) or tv.df(text)

    def fix(groups):
        nonlocal tv
        if not groups:
            return groups
        if tv is None:
            tv = Terms(snap.rank, s, titles.allowed)
        spans = homophone_fixes(ctx, snap, s, tv, groups, auds, held)
        return with_span_corrections(groups, spans, synonyms) if spans else groups

    return fix


def _candidates(snap, s, qn: str, auds, synonyms, ctx=None) -> tuple[list, list[str]]:
    stripped = qn.strip()
    if not stripped:
        return [], []
    allowed = snap.allowed_mask(s, auds)
    if not allowed.any():
        return [], []
    complete = qn[-1].isspace()
    chunks = stripped.split()[:12]
    full_text = " ".join(chunks if complete else chunks[:-1])
    groups = parse(full_text, synonyms) if full_text else []
    frag, ending = None, ""
    if not complete:
        frag, inner, ending = _fragment(chunks[-1], chunks, bool(groups))
        if inner:
            groups += parse(" ".join(inner), synonyms)
    if not groups and frag is None:
        return [], []
    tv = Terms(snap.rank, s, allowed, model="titles")
    fix = _slips(ctx, snap, s, tv, auds, synonyms)
    groups = fix(groups)
    typed = parse(stripped + " ", synonyms)      # the whole text taken as complete words
    whole_groups = fix(typed)
    slipped = whole_groups is not typed
    memo: dict = {}         # the group scores both rankings below share (the words typed)
    if ending in FILLER:
        # 打印机脱机了怎么办: 怎么办 is said, not being typed; requiring a title word that starts
        # with it listed every 「…怎么办」 title and hid the printer page
        frag = None
        groups = whole_groups
    ranked, terms = _rank(tv, groups, frag, synonyms, memo)
    cands = _top(ranked)
    if frag is not None and (len(ending) > 1 or slipped):
        # the fragment ends with a whole Chinese word (vpn连不上, 打印机脱机), or the text holds
        # a pinyin slip (密码重至: 至 is no start of the word meant): the text may be complete
        # already — rank it as complete words too, each title keeping its better score (with
        # the fragment required, 「VPN 连接…」 titles were missing: none holds 连不上)
        whole, more = _rank(tv, whole_groups, None, synonyms, memo)
        best = {d: sc for sc, d in cands}
        for sc, d in _top(whole):
            if sc > best.get(d, 0.0):
                best[d] = sc
        cands = sorted(((sc, d) for d, sc in best.items()), key=lambda c: (-c[0], c[1]))
        cands = cands[:SUGGEST_CANDIDATES]
        terms = terms + more
    elif not cands and frag is not None:
        # no title word starts with the last fragment: it may be a complete word already
        # (``vpn连不上``, ``密码忘了``) — rank the text as complete words
        ranked, terms = _rank(tv, whole_groups, None, synonyms, memo)
        cands = _top(ranked)
    return cands, sorted(set(terms), key=len, reverse=True)


def _top(ranked) -> list[tuple[float, int]]:
    n = min(SUGGEST_CANDIDATES, len(ranked))
    return list(zip(ranked.scores[:n].tolist(), ranked.ids[:n].tolist()))

