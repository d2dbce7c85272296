"""Typo tolerance and "您是不是要找" for Latin words (Chinese pinyin slips: ``homophones.py``).

The vocabulary is built from title and tag words of the articles the caller may see (the
``dym_<audience>`` fields) plus the dictionary terms (user dictionary, synonyms) — never from
bodies, which are full of noise (and, for internal articles, of secrets).  Lookup uses
symmetric one-character deletes, then true Damerau–Levenshtein distance: ≤ 1 for 4–5 letter
words, ≤ 2 for longer ones.  Ties go to the more frequent word, then alphabetical order.
"""
from __future__ import annotations

import re
from collections import defaultdict
from typing import Iterable, Mapping

__all__ = ["Vocabulary", "distance"]

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

    def correct(self, word: str) -> str | None:
        """Best vocabulary word within the allowed distance, or None (also when known)."""
        if word in self.freq or len(word) < 4:
            return None
        maxd = 1 if len(word) <= 5 else 2
        cands = set(self._index.get(word, ()))
        for d in _deletes(word):
            cands.update(self._index.get(d, ()))
        best = None
        for c in cands:
            dist = distance(word, c, maxd)
            if dist <= maxd:
                key = (dist, -self.freq[c], c)
                if best is None or key < best:
                    best = key
        return best[2] if best else None
