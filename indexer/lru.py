"""Least-recently-used helpers over an ``OrderedDict``, shared by the snapshot's caches and the
snippets' normalised texts. Tolerant of another thread evicting the same key meanwhile (the
search path takes no lock for these caches).  ``Weighted``: an LRU bounded by entries and by the
sum of a weight per value (the ranked-results cache: matches held)."""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Callable


def get(cache: OrderedDict, key):
    value = cache.get(key)
    if value is not None:
        try:
            cache.move_to_end(key)
        except KeyError:   # evicted by another thread meanwhile
            pass
    return value


def put(cache: OrderedDict, key, value, maxsize: int) -> None:
    cache[key] = value
    while len(cache) > maxsize:
        try:
            cache.popitem(last=False)
        except KeyError:
            break


class Weighted:
    """LRU bounded by ``maxsize`` entries and by ``maxweight``, the sum of ``weight(value)``
    over the entries (the newest entry stays even when it alone weighs more).

    The sum is kept as entries come and go, never recomputed: iterating an ``OrderedDict``
    looks every key up again, and with the results cache's long tuple keys a walk over its
    256 entries cost ≈ 1.5 ms per search that missed the cache (stop 22)."""

    def __init__(self, maxsize: int, maxweight: int, weight: Callable[[object], int]):
        self.maxsize, self.maxweight, self._weight = maxsize, maxweight, weight
        self._d: OrderedDict = OrderedDict()
        self._lock = threading.Lock()
        self.total = 0

    def get(self, key):
        return get(self._d, key)

    def put(self, key, value) -> None:
        w = self._weight(value)
        with self._lock:
            old = self._d.pop(key, None)
            if old is not None:
                self.total -= self._weight(old)
            self._d[key] = value
            self.total += w
            while len(self._d) > self.maxsize or (self.total > self.maxweight and len(self._d) > 1):
                _k, gone = self._d.popitem(last=False)
                self.total -= self._weight(gone)

    def clear(self) -> None:
        with self._lock:
            self._d.clear()
            self.total = 0

    def __len__(self) -> int:
        return len(self._d)

    def __contains__(self, key) -> bool:
        return key in self._d
