"""Tokenisation pipeline and the Whoosh analyzers built on it.

One function, ``tokens()``, serves indexing and querying:

1. ``text.normalise_pair``: NFKC, Traditional→Simplified (``t2s``), lowercase;
2. ``codes.CODE_RE`` finds error codes (``codes.code_matches``); each becomes one token at one position, with its
   equivalent spellings (*variants*) and pieces (*parts*) at the same position;
3. the text between codes is cut by ``segment`` (jieba dictionary, accurate mode, HMM off);
   punctuation and whitespace are dropped, stop words are dropped *without* leaving a gap;
4. positions are sequential (0, 1, 2 …) over the kept words, so phrase queries work
   (the stock ``ChineseAnalyzer`` uses character offsets as positions, which breaks them);
5. with ``subwords=True`` (indexing) each long word also yields jieba's search-mode sub-words
   (``中华人民共和国`` → ``中华``, ``共和国`` …) at the *same* position as the word.

There is no stemming (``office`` stays ``office``).

The Whoosh analyzers below are pickled into the index schema, so they live in this importable
module and carry only plain settings (no segmenter state).
"""
from __future__ import annotations

import re
from collections import defaultdict
from bisect import bisect_left, bisect_right
from pathlib import Path
from typing import Iterator, NamedTuple

from whoosh.analysis import Token, Tokenizer

from . import codes as _codes
from . import segment
from .text import normalise, normalise_pair

__all__ = ["Tok", "tokens", "words", "STOPWORDS", "SEP", "TextAnalyzer", "TitleAnalyzer",
           "BodyAnalyzer", "CodesAnalyzer", "PrefixAnalyzer", "PREFIX_MAX", "prefix_key"]

STOPWORDS_PATH = Path(__file__).resolve().with_name("data") / "stopwords.txt"


def _load_stopwords() -> frozenset[str]:
    out = set()
    for line in STOPWORDS_PATH.read_text("utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            out.add(normalise(line))
    return frozenset(out)


STOPWORDS = _load_stopwords()

# a token is kept when it holds a letter, digit or CJK character (not just "_" or punctuation)
_WORDLIKE = re.compile(r"[^\W_]")
MAX_WORD_LEN = 48

WORD, SUB, CODE, VARIANT, PART = "word", "sub", "code", "variant", "part"


class Tok(NamedTuple):
    text: str
    pos: int
    kind: str          # word | sub | code | variant | part
    strong: bool = False


def _keep(w: str) -> bool:
    if len(w) > MAX_WORD_LEN:
        return False
    return w.isalnum() or _WORDLIKE.search(w) is not None


#: word → 0 (dropped: space, punctuation, too long), 1 (a stop word), 2 (kept): the same
#: answer as ``w.isspace() or not _keep(w)`` / ``w in STOPWORDS``, remembered per distinct word
#: (a rebuild asks it for every word of every article; issue 15)
_KIND_MEMO: dict[str, int] = {}
_KIND_MEMO_MAX = 300_000


def _word_kind(w: str) -> int:
    k = 0 if (w.isspace() or not _keep(w)) else (1 if w in STOPWORDS else 2)
    if len(_KIND_MEMO) < _KIND_MEMO_MAX:
        _KIND_MEMO[w] = k
    return k


def _segment(chunk: str, pos: int, out: list, subwords: bool, keep_stop: bool) -> int:
    seg = segment.get()
    least = 1 if keep_stop else 2
    kinds = _KIND_MEMO
    append = out.append
    if not subwords:
        for w in seg.cut(chunk):
            k = kinds.get(w)
            if k is None:
                k = _word_kind(w)
            if k < least:
                continue
            append(Tok(w, pos, WORD))
            pos += 1
        return pos
    for w, subs in seg.cut_for_search(chunk):
        k = kinds.get(w)
        if k is None:
            k = _word_kind(w)
        if k < least:
            continue
        for sw in subs:
            append(Tok(sw, pos, SUB))
        append(Tok(w, pos, WORD))
        pos += 1
    return pos


_STRONG_MEMO: dict[str, list[tuple[str, int]]] = {}


def tokens(text: str, *, subwords: bool = False, keep_stop: bool = False,
           codes: bool = True) -> list[Tok]:
    """Analyse ``text`` (raw, un-normalised) into positioned tokens."""
    if not text:
        return []
    if subwords and codes and len(text) > 200:
        out = _tokens(text, subwords, keep_stop, codes)
        # the body text is analysed again for ``codes`` right after: remember its strong codes
        if len(_STRONG_MEMO) >= 4:
            _STRONG_MEMO.clear()
        _STRONG_MEMO[text] = _strong_codes(out)
        return out
    return _tokens(text, subwords, keep_stop, codes)


def _strong_codes(toks: list[Tok]) -> list[tuple[str, int]]:
    out = []
    n = -1
    for t in toks:
        if t.strong and t.kind in (CODE, VARIANT):
            if t.kind == CODE:
                n += 1
            out.append((t.text, n))
    return out


def _tokens(text: str, subwords: bool, keep_stop: bool, codes: bool) -> list[Tok]:
    cased, low = normalise_pair(text)
    if len(cased) != len(low):  # lowercasing changed the length: case not usable
        cased = None
    out: list[Tok] = []
    pos = 0
    last = 0
    if codes:
        for m in _codes.code_matches(low):
            if m.start() > last:
                pos = _segment(low[last:m.start()], pos, out, subwords, keep_stop)
            c = _codes.interpret(m, cased)
            out.append(Tok(c.main, pos, CODE, c.strong))
            for v in c.variants:
                out.append(Tok(v, pos, VARIANT, c.strong))
            if subwords:
                for p in c.parts:
                    if p not in STOPWORDS:
                        out.append(Tok(p, pos, PART, c.strong))
            pos += 1
            last = m.end()
    if last < len(low):
        _segment(low[last:], pos, out, subwords, keep_stop)
    return out


def words(text: str, *, keep_stop: bool = False) -> list[str]:
    """Main tokens only (one per position), query style."""
    return [t.text for t in tokens(text, keep_stop=keep_stop) if t.kind in (WORD, CODE)]


# -- Whoosh side ---------------------------------------------------------------------------

class _Base(Tokenizer):
    """Whoosh tokenizer over ``tokens()``; subclasses choose which tokens to emit."""

    def __eq__(self, other):
        return type(self) is type(other) and self.__dict__ == other.__dict__

    def __hash__(self):  # pragma: no cover
        return hash(type(self).__name__)

    def _items(self, value: str) -> Iterator[tuple[str, int, float]]:
        raise NotImplementedError

    def __call__(self, value, positions=False, chars=False, keeporiginal=False,
                 removestops=True, start_pos=0, start_char=0, tokenize=True,
                 mode="", **kwargs):
        t = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        if not tokenize:
            t.original = t.text = value
            t.boost = 1.0
            if positions:
                t.pos = start_pos
            yield t
            return
        for text, pos, boost in self._items(value):
            t.text = text
            t.boost = boost
            t.stopped = False
            if keeporiginal:
                t.original = text
            if positions:
                t.pos = start_pos + pos
            if chars:  # we do not record offsets; snippets are built from stored text
                t.startchar = t.endchar = start_char
            yield t


#: separates the parts of a multi-part field value (title / tags, headings / body, …)
SEP = "\x1e"
TAG_BOOST = 0.6       # a tag word weighs 0.6 of a title word (title 5 → tags 3)
HEADING_BOOST = 2.0   # a heading word counts 1 (body) + 2 (heading)
LINK_BOOST = 1.0      # a word of a link target's last path segment (plaintext.link_words)
ANCHOR_BOOST = 1.0    # a word of a heading's anchor id (its source-language name, plaintext.heading_anchors)
FM_CODE_BOOST = 4.0   # token weight of a front-matter code (a strong body code: 1)
PART_GAP = 100        # position gap between parts: phrases never span two parts


class TextAnalyzer(_Base):
    """Plain text: words, sub-words, codes, variants, parts (did-you-mean vocabulary fields)."""

    def __init__(self, subwords: bool = True):
        self.subwords = subwords

    def _items(self, value):
        for tok in tokens(value, subwords=self.subwords):
            yield tok.text, tok.pos, 1.0


# -- indexing without token objects (issue 15) ------------------------------------------------
#: word → the terms it is indexed as (its search-mode sub-words, then itself), or ``()`` when
#: it is dropped (space, punctuation, too long, a stop word): ``_segment``'s decisions for
#: ``subwords=True, keep_stop=False``, remembered per distinct word
_EMIT_MEMO: dict[str, tuple[str, ...]] = {}
_EMIT_MEMO_MAX = 300_000


def _emit(w: str, seg) -> tuple[str, ...]:
    k = _KIND_MEMO.get(w)
    if k is None:
        k = _word_kind(w)
    if k < 2:
        out: tuple[str, ...] = ()
    elif len(w) > 2:
        out = (*seg.subwords(w), w)
    else:
        out = (w,)
    if len(_EMIT_MEMO) < _EMIT_MEMO_MAX:
        _EMIT_MEMO[w] = out
    return out


def _segment_into(chunk: str, at: int, poses: dict) -> int:
    """``_segment(chunk, …, subwords=True, keep_stop=False)`` with each token's position
    (``at`` + its position) appended to ``poses[term]`` instead of a ``Tok``; returns the
    absolute position after the last word."""
    seg = segment.get()
    memo = _EMIT_MEMO
    for w in seg.cut(chunk):
        terms = memo.get(w)
        if terms is None:
            terms = _emit(w, seg)
        if terms:
            for t in terms:
                poses[t].append(at)
            at += 1
    return at


def _positions_into(text: str, base: int, poses: dict) -> int:
    """The positions of ``tokens(text, subwords=True)`` (shifted by ``base``) appended to
    ``poses[term]`` in token order; returns the number of positions the text used (its last
    token's position + 1, 0 without tokens).  Same side effect as ``tokens``: a long text's
    strong codes are remembered for ``CodesAnalyzer``."""
    if not text:
        return 0
    cased, low = normalise_pair(text)
    if len(cased) != len(low):
        cased = None
    at = base
    last = 0
    strong: list[tuple[str, int]] = []
    n = -1
    for m in _codes.code_matches(low):
        if m.start() > last:
            at = _segment_into(low[last:m.start()], at, poses)
        c = _codes.interpret(m, cased)
        terms = [c.main, *c.variants]
        if c.strong:
            n += 1
            strong.extend((t, n) for t in terms)
        terms.extend(p for p in c.parts if p not in STOPWORDS)
        for t in terms:
            poses[t].append(at)
        at += 1
        last = m.end()
    if last < len(low):
        at = _segment_into(low[last:], at, poses)
    if len(text) > 200:
        if len(_STRONG_MEMO) >= 4:
            _STRONG_MEMO.clear()
        _STRONG_MEMO[text] = strong
    return at - base


def _weighted_positions(parts, boosts):
    """What ``_weighted(parts, boosts)`` yields, grouped: ``{term: [position, …]}`` (token
    order) and each non-empty part's ``(first position, boost)``."""
    poses: dict[str, list[int]] = defaultdict(list)
    starts: list[tuple[int, float]] = []
    base = 0
    for part, boost in zip(parts, boosts):
        if not part:
            continue
        starts.append((base, boost))
        used = _positions_into(part, base, poses)
        base += used + PART_GAP
    return poses, starts


def _weights(poses: dict, starts: list) -> dict:
    """Each term's weight: the boosts of its positions' parts summed in token order, as
    ``weights[term] += boost`` per token gives (bit for bit: with whole-number boosts every
    partial sum is a whole number, so the sum is ``Σ count × boost``)."""
    if all(float(b).is_integer() for _s, b in starts):
        runs: list[tuple[int, float]] = []     # neighbouring parts of equal boost joined
        for st, b in starts:
            if not runs or runs[-1][1] != b:
                runs.append((st, float(b)))
        if len(runs) == 1:
            b = runs[0][1]
            return {t: len(pl) * b for t, pl in poses.items()}
        if len(runs) == 2:
            bound, b0, b1 = runs[1][0], runs[0][1], runs[1][1]
            out = {}
            for t, pl in poses.items():
                if pl[-1] < bound:
                    out[t] = len(pl) * b0
                elif pl[0] >= bound:
                    out[t] = len(pl) * b1
                else:
                    j = bisect_left(pl, bound)
                    out[t] = j * b0 + (len(pl) - j) * b1
            return out
        bounds = [st for st, _b in runs[1:]]
        bs = [b for _st, b in runs]
        out = {}
        for t, pl in poses.items():
            w = 0.0
            i = 0
            for bound, b in zip(bounds, bs):
                j = bisect_left(pl, bound, i)
                w += (j - i) * b
                i = j
            out[t] = w + (len(pl) - i) * bs[-1]
        return out
    out = {}
    bounds = [s for s, _b in starts]
    for t, pl in poses.items():
        w = 0.0
        for p in pl:
            w += starts[bisect_right(bounds, p) - 1][1]
        out[t] = w
    return out


def _weighted(parts, boosts):
    """Analyse consecutive parts with their token boosts and non-overlapping positions."""
    base = 0
    for part, boost in zip(parts, boosts):
        if not part:
            continue
        last = -1
        for tok in tokens(part, subwords=True):
            last = tok.pos
            yield tok.text, base + tok.pos, boost
        base += last + 1 + PART_GAP


class TitleAnalyzer(_Base):
    """``title``: ``title SEP tag SEP tag …``; tag words weigh ``TAG_BOOST``."""

    def _parts(self, value):
        parts = value.split(SEP)
        return parts, [1.0] + [TAG_BOOST] * (len(parts) - 1)

    def _items(self, value):
        yield from _weighted(*self._parts(value))

    def _positions(self, value):
        """``({term: positions}, {term: weight})`` of ``_items`` (the indexing path)."""
        poses, starts = _weighted_positions(*self._parts(value))
        return poses, _weights(poses, starts)


class BodyAnalyzer(_Base):
    """``body``: ``headings SEP plain text [SEP anchor ids [SEP link targets]]``; heading words
    weigh ``HEADING_BOOST``, the words of the headings' anchor ids ``ANCHOR_BOOST``, those of
    the links' targets ``LINK_BOOST`` (``plaintext.heading_anchors``, ``link_words``)."""

    @staticmethod
    def _parts(value):
        headings, _, rest = value.partition(SEP)
        text, _, rest = rest.partition(SEP)
        anchors, _, links = rest.partition(SEP)
        return [headings, text, anchors, links], [HEADING_BOOST, 1.0, ANCHOR_BOOST, LINK_BOOST]

    def _items(self, value):
        yield from _weighted(*self._parts(value))

    def _positions(self, value):
        """``({term: positions}, {term: weight})`` of ``_items`` (the indexing path)."""
        poses, starts = _weighted_positions(*self._parts(value))
        return poses, _weights(poses, starts)


class CodesAnalyzer(_Base):
    """``codes``: ``front-matter codes (one per line) SEP plain body text``.

    Every front-matter entry is a code (weight ``FM_CODE_BOOST``); from the body only *strong*
    codes count (see ``codes`` for the rule), weight 1.
    """

    def _items(self, value):
        fm, _, text = value.partition(SEP)
        pos = 0
        for line in fm.split("\n"):
            cased, low = normalise_pair(line)
            toks = _codes.code_entry_tokens(low, cased if len(cased) == len(low) else None)
            for t in toks:
                yield t, pos, FM_CODE_BOOST
            if toks:
                pos += 1
        if not text:
            return
        pos += PART_GAP
        memo = _STRONG_MEMO.get(text)   # the body field was analysed just before
        if memo is not None:
            for t, n in memo:
                yield t, pos + n, 1.0
            return
        cased, low = normalise_pair(text)
        if len(cased) != len(low):
            cased = None
        for n, c in enumerate(_codes.find_codes(low, cased, strong_only=True)):
            yield c.main, pos + n, 1.0
            for v in c.variants:
                yield v, pos + n, 1.0


PREFIX_MAX = 10   # edge n-grams up to this many characters
PAIR_MAX = 6      # joined neighbouring CJK words: prefixes up to this many characters


def prefix_key(text: str) -> str:
    """The key a typed fragment is looked up by in the ``prefix`` field."""
    return prefix_key_of(words(text, keep_stop=True))


def prefix_key_of(fragment_words: list[str]) -> str:
    """``prefix_key`` of a fragment already cut by ``words(…, keep_stop=True)`` (suggest needs
    the words too: the fragment is cut once)."""
    return "".join(fragment_words)[:PREFIX_MAX]


class PrefixAnalyzer(_Base):
    """``prefix``: edge n-grams for suggest-as-you-type.

    Every word of the titles, tags and codes — with its jieba sub-words and code variants, stop
    words included — gives each of its prefixes up to ``PREFIX_MAX`` characters:
    ``VPN 连接失败`` → ``v vp vpn 连 连接 失 失败 连接失 连接失败``;
    ``两步验证`` → ``两 两步 两步验 两步验证 验 验证``.  Neighbouring Chinese words also give the
    prefixes of their join up to ``PAIR_MAX`` characters (``不|正确`` → ``不正``, ``不正确``).
    Looking up the fragment being typed is then a single term lookup — no expanding ``Prefix``
    query at search time.  (Joining up to four words into n-grams of 12 characters was measured:
    it tripled the number of distinct terms, the main cost of this field; a fragment such as
    ``vpn连接失`` is matched as the words ``vpn`` ``连接`` plus the prefix ``失`` instead.)
    """

    def _items(self, value):
        seen = set()
        for line in value.split("\n"):
            mains = []
            for tok in tokens(line, subwords=True, keep_stop=True):
                if tok.kind == PART:
                    continue
                if tok.kind in (WORD, CODE):
                    mains.append(tok.text)
                w = tok.text[:PREFIX_MAX]
                for k in range(1, len(w) + 1):
                    p = w[:k]
                    if p not in seen:
                        seen.add(p)
                        yield p, 0, 1.0
            # Chinese is typed without spaces and a fragment may end inside the next word:
            # ``不正`` of ``不|正确``.  Neighbouring CJK words also give the prefixes of their join.
            for a, b in zip(mains, mains[1:]):
                if a.isascii() or b.isascii():
                    continue
                j = (a + b)[:PAIR_MAX]
                for k in range(len(a) + 1, len(j) + 1):
                    p = j[:k]
                    if p not in seen:
                        seen.add(p)
                        yield p, 0, 1.0
