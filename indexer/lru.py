"""Least-recently-used helpers over an ``OrderedDict``, shared by the snapshot's caches and the
snippets' normalised texts. Tolerant of another thread evicting the same key meanwhile (the
search path takes no lock for these caches)."""

from __future__ import annotations

from collections import OrderedDict


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
