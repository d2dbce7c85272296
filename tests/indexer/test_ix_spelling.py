"""The Latin did-you-mean vocabulary (``indexer/spelling.py``) across segments and commits:
each segment's words are indexed once (``SegmentInfo.spelling``) and a snapshot combines the
parts (``spelling.Combined``) — correcting exactly as one vocabulary of the summed
frequencies did."""
from __future__ import annotations

import random

from indexer import SearchEngine, spelling
from ixhelpers import make_doc


def test_combined_parts_correct_as_one_vocabulary_of_the_summed_frequencies():
    rng = random.Random(7)
    letters = "abcdeo"
    words = sorted({"".join(rng.choice(letters) for _ in range(rng.randint(4, 8)))
                    for _ in range(400)})
    parts = []
    summed: dict[str, int] = {}
    for _ in range(4):
        freqs = {w: rng.randint(1, 5) for w in rng.sample(words, 120)}
        parts.append(spelling.Vocabulary(freqs))
        for w, n in freqs.items():
            summed[w] = summed.get(w, 0) + n
    dictionary = rng.sample(words, 60) + ["zzzz-not-held"]
    whole = dict(summed)
    for w in dictionary:
        whole.setdefault(w, 1)
    one = spelling.Vocabulary(whole)
    combined = spelling.Combined(parts, spelling.Vocabulary(dictionary))
    typed = words + ["".join(rng.choice(letters) for _ in range(rng.randint(4, 9)))
                     for _ in range(600)]
    assert len(combined) == len(one)
    assert [combined.correct(t) for t in typed] == [one.correct(t) for t in typed]
    assert [t in combined for t in typed] == [t in one for t in typed]
    assert sum(1 for t in typed if one.correct(t)) > 100      # the comparison has teeth


def test_frequencies_decide_between_equally_close_words():
    # ``borker`` is one edit from ``broker`` and ``barker``: the one in more titles wins,
    # the titles counted over every segment (and a dictionary word counts once)
    a = spelling.Vocabulary({"broker": 2, "barker": 3})
    b = spelling.Vocabulary({"broker": 2})
    assert spelling.Combined([a, b], spelling.Vocabulary(["barker"])).correct("borker") == "broker"
    assert spelling.Combined([a], spelling.Vocabulary([])).correct("borker") == "barker"


def test_a_commit_indexes_only_the_new_segments_words(tmp_path, docs, monkeypatch):
    eng = SearchEngine(tmp_path / "index", cache_dir=tmp_path / "cache")
    eng.rebuild(docs)
    try:
        eng.update([make_doc("x/cfg", "Configurator 使用说明", "说明。")])
        assert eng.search("configuratr").did_you_mean == "configurator"
        indexed = []
        real = spelling._deletes
        monkeypatch.setattr(spelling, "_deletes", lambda w: indexed.append(w) or real(w))
        eng.update([make_doc("x/zz", "Zebrafish 手册", "说明。")])
        assert eng.search("zebrafsh").did_you_mean == "zebrafish"
        # the new snapshot indexed the new title's words (and the typed word), not those of
        # the segments it knew (outlook, configurator) nor the dictionary terms again
        assert "zebrafish" in indexed and "outlook" not in indexed
        assert "configurator" not in indexed and len(indexed) < 10
        eng.update(delete=["x/cfg"])
        # the deleted article's title word no longer counts (its segment still holds it)
        r = eng.search("configuratr")
        assert r.did_you_mean is None and not r.corrected
    finally:
        eng.close()
