"""Highlighted snippets built from the stored plain text.

Terms are located in the *normalised* text (so ``帳號`` in the article matches the query
``帐号``, ``ＶＰＮ`` matches ``vpn``) and mapped back to the original characters.  CJK terms match
anywhere (there are no spaces between Chinese words); Latin/digit terms only at word
boundaries (``out`` does not light up inside ``outlook``).  The window (~``width`` characters) with
the most distinct terms wins, then it is moved to start at a sentence or clause boundary when one
is close.  Snippets first look in the lowercased text (no normalisation needed when the terms are
there as typed) and normalise the whole text only when that finds nothing.  Everything is HTML-escaped except our ``<mark>`` tags.
"""
from __future__ import annotations

import bisect
import html
from array import array
from collections import OrderedDict

from . import lru
from .text import is_cjk, normalise_with_map

__all__ = ["make_snippet", "highlight_all"]

#: characters of a Latin/digit word (a term starting or ending with one matches only at a word
#: boundary)
_ASCII_WORD_CHARS = frozenset("0123456789abcdefghijklmnopqrstuvwxyz")
_BOUNDARY_BEFORE = "。！？；!?;\n"
_SOFT_BEFORE = "，、,：: "
MAX_TEXT = 200_000
MAX_NORMALISED = 20_000   # the slow path (Traditional, full-width text) looks at this much
MAX_HITS_PER_TERM = 40    # enough to choose a window; a common word may occur hundreds of times


def _find_spans(norm: str, terms, prefixes: bool = False,
                limit: int = MAX_HITS_PER_TERM) -> list[tuple[int, int, str]]:
    spans = []
    add = spans.append
    find = norm.find
    for term in terms:
        if not term:
            continue
        first_ascii, last_ascii, _cjk = _term_info(term)
        size = len(term)
        if not first_ascii and (prefixes or not last_ascii):
            # no word boundary to check (a Chinese term): every occurrence counts
            i = find(term)
            n = 0
            while i >= 0:
                add((i, -size, term))
                n += 1
                if n == limit:
                    break
                i = find(term, i + 1)
            continue
        start = 0
        n = 0
        while n < limit:
            i = find(term, start)
            if i < 0:
                break
            j = i + size
            ok = True
            if first_ascii and i > 0 and norm[i - 1] in _ASCII_WORD_CHARS:
                ok = False
            if last_ascii and not prefixes and j < len(norm) and norm[j] in _ASCII_WORD_CHARS:
                ok = False
            if ok:
                add((i, -size, term))
                n += 1
            start = i + 1
    # by start, the longest first (two spans with the same start and length are the same
    # substring, so the same term: the order among them does not matter)
    spans.sort()
    merged: list[tuple[int, int, str]] = []
    end = -1
    for a, neg, term in spans:
        b = a - neg
        if merged and a <= end:   # overlapping or adjacent: one <mark>
            if b > end:
                merged[-1] = (merged[-1][0], b, merged[-1][2])
                end = b
            continue
        merged.append((a, b, term))
        end = b
    return merged


_TERM_INFO: dict[str, tuple[bool, bool, bool]] = {}
_TERM_INFO_MAX = 4096


def _term_info(term: str) -> tuple[bool, bool, bool]:
    """(first character ASCII word, last character ASCII word, ``is_cjk``) of a term,
    remembered (the same terms are looked for in every hit of a page)."""
    v = _TERM_INFO.get(term)
    if v is None:
        if not term:
            return False, False, False
        v = (term[0] in _ASCII_WORD_CHARS, term[-1] in _ASCII_WORD_CHARS, is_cjk(term))
        if len(_TERM_INFO) >= _TERM_INFO_MAX:
            _TERM_INFO.clear()
        _TERM_INFO[term] = v
    return v


def _render(text: str, spans, lo: int, hi: int) -> str:
    out = []
    pos = lo
    for a, b in spans:
        a, b = max(a, lo), min(b, hi)
        if a >= b:
            continue
        out.append(html.escape(text[pos:a]))
        out.append("<mark>" + html.escape(text[a:b]) + "</mark>")
        pos = b
    out.append(html.escape(text[pos:hi]))
    return "".join(out)


def _to_orig(spans, offsets):
    if offsets is None:
        return [(a, b) for a, b, _ in spans]
    return [(offsets[a], offsets[b] if b < len(offsets) else offsets[-1]) for a, b, _ in spans]


def highlight_all(text: str, terms, prefixes: bool = False) -> str:
    """Escape ``text`` and mark every occurrence of ``terms`` (for short texts like titles).

    ``prefixes=True``: a Latin term may end inside a word (``outl`` in ``Outlook``)."""
    text = text or ""
    norm, offsets = normalise_with_map(text)
    spans = _to_orig(_find_spans(norm, terms, prefixes, limit=200), offsets)
    return _render(text, spans, 0, len(text))


def _locate(text: str, terms, prepared=None):
    """Spans of ``terms`` in ``text`` and the offset map (None = same offsets).

    Fast path: the lowercased text, when it already contains some of the terms (the usual
    case; 3–5× cheaper than NFKC + OpenCC over a long article) — for Chinese-only terms the
    text itself, which has them at the same places.  Otherwise (Traditional or full-width
    text, …) the full normalisation with its offset map.

    ``prepared`` (``hitstore.Prepared``, written at index time): the normalised head comes
    from it instead of being computed, and a term with a character the searched text lacks
    (``prepared.chars``, ``norm_chars()``) is not looked for — it cannot occur, and looking
    scans the whole text (most of what a Traditional article's snippet cost: the query's
    Simplified terms)."""
    chars = None if prepared is None else prepared.chars
    if (_LONGER_LOWER not in (text if chars is None else chars)
            and all(_term_info(t)[2] for t in terms)):
        # the lowercased text has the same characters at the same places for these terms:
        # look in the text itself (lowercasing a long article costs more than the search)
        look = terms if chars is None else _possible(terms, chars)
        found = _find_spans(text, look) if look else []
        if found:
            return found, None
    else:
        look = terms if chars is None else _possible(terms, chars.lower())
        if look:
            low = text.lower()
            if len(low) == len(text):
                found = _find_spans(low, look)
                if found:
                    return found, None
    if prepared is None:
        norm, offsets = _normalised(text[:MAX_NORMALISED])
        return _find_spans(norm, terms), offsets
    look = _possible(terms, prepared.norm_chars())
    if not look:
        return [], None
    norm, offsets = prepared.normalised()
    return _find_spans(norm, look), offsets


def _possible(terms, chars: str) -> list[str]:
    """The terms whose every character is in ``chars`` (the others cannot occur in a text made
    of those characters; the order is kept).  ``t.strip(chars)`` is empty exactly when every
    character of ``t`` is in ``chars``: one C call per term instead of a generator over its
    characters (a long query's forty terms cost a hit ≈ 25 µs that way)."""
    return [t for t in terms if not t.strip(chars)]


#: the one character ``str.lower`` turns into two (İ → i̇): without it, lowercasing keeps every
#: character at its place (``tests/indexer/test_ix_speed.py`` checks this for the running
#: Python's Unicode tables)
_LONGER_LOWER = "\u0130"


_NORM_CACHE: OrderedDict = OrderedDict()
NORM_CACHE_SIZE = 32      # texts (≤ 20,000 characters each, offsets as a compact array)


def _normalised(head: str):
    """``normalise_with_map(head)``, remembered for the last few texts: the slow path is NFKC +
    OpenCC over up to 20,000 characters (≈ 5 ms), and the same Traditional-Chinese articles
    come back in the hits of query after query."""
    got = lru.get(_NORM_CACHE, head)
    if got is not None:
        return got
    norm, offsets = normalise_with_map(head)
    got = (norm, None if offsets is None else array("i", offsets))
    lru.put(_NORM_CACHE, head, got, NORM_CACHE_SIZE)
    return got


def make_snippet(text: str, terms, width: int = 100, prepared=None) -> str:
    """``prepared``: what the hit store prepared for this text at index time
    (``hitstore.Prepared``; see ``_locate``) — the same snippet, less work."""
    text = (text or "")[:MAX_TEXT]
    if not text:
        return ""
    found, offsets = _locate(text, terms, prepared)
    spans = _to_orig(found, offsets)
    if not spans:
        end = min(len(text), width)
        cut = text[:end]
        return html.escape(" ".join(cut.split())) + ("…" if end < len(text) else "")
    # best window: most distinct terms, then most hits; starts at a span start
    # (a sliding window over the spans, which are sorted and do not overlap: the count of
    # each term inside [k, hi) instead of a set per start)
    starts = [a for a, _ in spans]
    names = [f[2] for f in found]
    best_terms, best_hits, first = -1, -1, 0
    counts: dict[str, int] = {}
    get = counts.get
    hi = 0
    nspans = len(starts)
    for k, a in enumerate(starts):
        if hi < nspans and starts[hi] < a + width:
            end = bisect.bisect_left(starts, a + width, hi)
            for t in names[hi:end]:
                counts[t] = get(t, 0) + 1
            hi = end
        d = len(counts)
        if d > best_terms or (d == best_terms and hi - k > best_hits):
            best_terms, best_hits, first = d, hi - k, a
        t = names[k]
        c = counts[t]
        if c == 1:
            del counts[t]
        else:
            counts[t] = c - 1
    # move the window start back a little, to a sentence/clause boundary if one is near
    lo = max(0, first - width // 4)
    for i in range(first - 1, max(-1, first - width // 2), -1):
        if text[i] in _BOUNDARY_BEFORE:
            lo = i + 1
            break
    else:
        for i in range(first - 1, max(-1, first - width // 4), -1):
            if text[i] in _SOFT_BEFORE:
                lo = i + 1
                break
    hi = min(len(text), lo + width)
    if hi - lo < width:  # near the end: use the room before the window instead
        lo = max(0, hi - width)
        for i in range(lo, first):
            if i > 0 and text[i - 1] in _BOUNDARY_BEFORE:
                lo = i
                break
    # do not cut a highlighted span in half at the end (spans are sorted and do not
    # overlap: only the last one starting before ``hi`` can)
    k = bisect.bisect_left(starts, hi)
    if k and spans[k - 1][1] > hi:
        hi = spans[k - 1][1]
    # only the spans that reach into [lo, hi) are rendered (the others are clipped away)
    j = bisect.bisect_left(starts, hi)
    i = bisect.bisect_right(spans, lo, 0, j, key=lambda s: s[1])   # ends ascending too
    snippet = _render(text, spans[i:j], lo, hi)
    snippet = " ".join(snippet.split())  # newlines/tabs → single spaces
    return ("…" if lo > 0 else "") + snippet + ("…" if hi < len(text) else "")
