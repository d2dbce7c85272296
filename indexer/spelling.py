"""Typo tolerance and "您是不是要找" for Latin words (Chinese pinyin slips: ``homophones.py``).

The vocabulary is built from title and tag words of the articles the caller may see (the
``dym_<audience>`` fields) plus the dictionary terms (user dictionary, synonyms) — never from
bodies, which are full of noise (and, for internal articles, of secrets).  Lookup uses
symmetric one-character deletes, then true Damerau–Levenshtein distance: ≤ 1 for 4–5 letter
words, ≤ 2 for longer ones.  Ties go to the more frequent word, then alphabetical order.
"""
from __future__ import annotations

import functools
import re
from collections import defaultdict
from typing import Iterable, Mapping

__all__ = ["Combined", "Vocabulary", "dictionary_part", "distance"]

_LATIN = re.compile(r"[a-z][a-z0-9\-]{2,31}")


def _deletes(w: str) -> set[str]:
    return {w[:i] + w[i + 1:] for i in range(len(w))}


def distance(a: str, b: str, cap: int = 3) -> int:
    """Optimal-string-alignment (Damerau–Levenshtein) distance, early exit above ``cap``."""
    if abs(len(a) - len(b)) > cap:
        return cap + 1
    prev2 = None
    prev = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        cur = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if prev2 is not None and i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        if min(cur) > cap:
            return cap + 1
        prev2, prev = prev, cur
    return prev[-1]


class Vocabulary:
    """Latin words with their frequencies, indexed by their one-character deletes.  One part
    of a snapshot's vocabulary (``Combined``): one segment's title/tag words of one audience
    (``segcache.SegmentInfo.latin_vocabulary``, kept across snapshots) or the dictionary terms
    (``dictionary_part``)."""

    def __init__(self, freqs: Mapping[str, int] | Iterable[str]):
        if not isinstance(freqs, Mapping):
            freqs = {w: 1 for w in freqs}
        self.freq = {w: f for w, f in freqs.items() if _LATIN.fullmatch(w)}
        self._index: dict[str, list[str]] = defaultdict(list)
        for w in self.freq:
            self._index[w].append(w)
            for d in _deletes(w):
                self._index[d].append(w)

    def __contains__(self, w: str) -> bool:
        return w in self.freq

    def __len__(self) -> int:
        return len(self.freq)

    def candidates(self, word: str, deletes: set[str]) -> set[str]:
        """Words sharing ``word`` or one of its ``deletes`` as a key (a superset of those
        within distance 2)."""
        cands = set(self._index.get(word, ()))
        for d in deletes:
            cands.update(self._index.get(d, ()))
        return cands

    def correct(self, word: str) -> str | None:
        """Best vocabulary word within the allowed distance, or None (also when known)."""
        if word in self.freq or len(word) < 4:
            return None
        return _best(word, self.candidates(word, _deletes(word)), self.freq.__getitem__)


def _best(word: str, cands: set[str], freq) -> str | None:
    """The candidate within the allowed distance of ``word`` (≤ 1 for 4–5 letters, else ≤ 2)
    with the smallest distance, then the highest ``freq``, then first in alphabetical order."""
    maxd = 1 if len(word) <= 5 else 2
    best = None
    for c in cands:
        dist = distance(word, c, maxd)
        if dist <= maxd:
            key = (dist, -freq(c), c)
            if best is None or key < best:
                best = key
    return best[2] if best else None


class Combined:
    """A snapshot's vocabulary: the segments' parts (their frequencies added up, as one
    ``Vocabulary`` of the summed frequencies would hold them) and the dictionary's, whose words
    count 1 where no segment holds them.  Corrects exactly as that one ``Vocabulary`` would,
    without re-indexing every segment's words after each commit."""

    def __init__(self, parts: Iterable[Vocabulary], dictionary: Vocabulary):
        self._parts = [p for p in parts if len(p)]
        self._dictionary = dictionary

    def freq(self, w: str) -> int:
        n, held = 0, False
        for p in self._parts:
            f = p.freq.get(w)
            if f is not None:
                n += f
                held = True
        return n if held else self._dictionary.freq.get(w, 0)

    def __contains__(self, w: str) -> bool:
        return w in self._dictionary or any(w in p for p in self._parts)

    def __len__(self) -> int:
        return len(set(self._dictionary.freq).union(*(p.freq for p in self._parts)))

    def correct(self, word: str) -> str | None:
        """Best vocabulary word within the allowed distance, or None (also when known)."""
        if word in self or len(word) < 4:
            return None
        deletes = _deletes(word)
        cands = self._dictionary.candidates(word, deletes)
        for p in self._parts:
            cands |= p.candidates(word, deletes)
        return _best(word, cands, self.freq)


def dictionary_part(words: Iterable[str]) -> Vocabulary:
    """The dictionary terms' ``Vocabulary`` (frequency 1 each), remembered for the next
    snapshot while the terms stay the same (a synonym file reloaded changes them)."""
    return _dictionary_part(frozenset(words))


@functools.lru_cache(maxsize=1)
def _dictionary_part(words: frozenset) -> Vocabulary:
    return Vocabulary(words)
