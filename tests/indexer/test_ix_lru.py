"""indexer.lru: the least-recently-used helpers and the weighted LRU of the results cache."""
from __future__ import annotations

from indexer import lru, searching


def weighted(maxsize=3, maxweight=10):
    return lru.Weighted(maxsize, maxweight, len)


def test_weighted_keeps_at_most_maxsize_entries_dropping_the_least_recently_used():
    c = weighted(maxsize=3, maxweight=100)
    for k in "abc":
        c.put(k, "x")
    assert c.get("a") == "x"          # a is now the most recent
    c.put("d", "x")
    assert "b" not in c and all(k in c for k in "acd")
    assert len(c) == 3 and c.total == 3


def test_weighted_drops_old_entries_past_the_weight_but_keeps_the_newest_alone():
    c = weighted(maxsize=10, maxweight=10)
    c.put("a", "x" * 4)
    c.put("b", "x" * 4)
    c.put("c", "x" * 4)               # 12 > 10: a goes
    assert "a" not in c and c.total == 8
    c.put("big", "x" * 50)            # heavier than the bound on its own: it stays, alone
    assert len(c) == 1 and "big" in c and c.total == 50


def test_weighted_replacing_a_key_counts_its_new_weight_only():
    c = weighted(maxsize=10, maxweight=100)
    c.put("a", "x" * 7)
    c.put("a", "x" * 2)
    assert len(c) == 1 and c.total == 2
    c.clear()
    assert len(c) == 0 and c.total == 0 and c.get("a") is None


def test_the_results_cache_weighs_each_entry_by_its_matches(engine):
    engine.search("vpn")
    engine.search("密码")
    cache = engine._gen.result_cache
    assert isinstance(cache, lru.Weighted) and cache.maxsize == searching.RESULT_CACHE_SIZE
    assert cache.total == sum(len(cache.get(k)[0]) for k in list(cache._d)) > 0
    engine._gen.clear_caches()
    assert cache.total == 0 and len(cache) == 0
