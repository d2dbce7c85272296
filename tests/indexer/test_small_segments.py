"""Small segments — what an edit or a small import commits — keep the texts of their terms
(``segcache.SegmentInfo.texts``): ranking passes over one that does not hold a word without a
look-up in each of its fields (``ranking.RankIndex._compute``), with the same results as
looking the word up; and the RSS check reads this process's own ``/proc/self/statm``."""
from __future__ import annotations

import os

import pytest

from indexer import SearchEngine, poststore, segcache
from ixhelpers import make_doc

BOTH = frozenset({"public", "internal"})
QUERIES = ["打印机 脱机", "脱机", "qzxw 新词", "VPN 错误 809", "忘记密码", "qzxw", "outlook", "0x80070005"]


def _edit(eng) -> None:
    eng.update([make_doc("edit/one", "打印机 qzxw 新词", "打印机 脱机了 qzxw", codes=("0x80070005",))])


def _results(eng):
    return [(q, r.total, [(h.slug, h.score, h.snippet) for h in r.hits])
            for q in QUERIES for r in [eng.search(q, audiences=BOTH, per_page=30)]]


def _leaves(eng):
    eng.search("打印机", audiences=BOTH)        # (the snapshot's leaves are keyed on first use)
    return eng._gen.rank._keyed_leaves()


def _open(folder):
    return SearchEngine(folder / "index", cache_dir=folder / "cache")


@pytest.fixture
def edited(tmp_path, docs, monkeypatch):
    """The 16 sample documents in one segment and one article edited into a segment of its
    own, "small" meaning at most 4 documents."""
    monkeypatch.setattr(segcache, "SMALL_SEGMENT_DOCS", 4)
    eng = _open(tmp_path)
    eng.rebuild(docs)
    _edit(eng)
    yield eng
    eng.close()


def test_a_small_segment_keeps_the_texts_of_its_terms_a_bigger_one_none(edited):
    sizes = {lr.doc_count_all(): texts for lr, _off, _key, texts in _leaves(edited)}
    assert set(sizes) == {16, 1}
    assert sizes[16] is None
    small = sizes[1]
    assert {"打印机", "qzxw", "0x80070005"} <= small      # title, body and codes alike
    assert "vpn" not in small and "809" not in small


def test_a_word_a_small_segment_lacks_is_not_looked_up_there(edited, monkeypatch):
    _leaves(edited)
    small = next(key for lr, _off, key, texts in _leaves(edited) if texts is not None)
    asked = []
    real = poststore.PostingStore.find

    def find(self, field, text):
        asked.append((self.path.name.split(".")[0], field, text))
        return real(self, field, text)

    monkeypatch.setattr(poststore.PostingStore, "find", find)
    edited._gen.clear_caches(segments=True)
    edited.search("VPN 错误 809", audiences=BOTH)
    assert asked and not [a for a in asked if a[0] == small]
    edited._gen.clear_caches(segments=True)
    got = edited.search("qzxw", audiences=BOTH)
    assert [h.slug for h in got.hits] == ["edit/one"]
    assert {(f, t) for seg, f, t in asked if seg == small} >= {("title", "qzxw"), ("body", "qzxw")}


def test_passing_over_small_segments_changes_no_result(edited, tmp_path, monkeypatch):
    want = _results(edited)
    monkeypatch.setattr(segcache, "SMALL_SEGMENT_DOCS", 0)   # every segment looked up
    other = _open(tmp_path)                                  # (its own segment cache)
    try:
        assert all(texts is None for *_rest, texts in _leaves(other))
        assert _results(other) == want
    finally:
        other.close()


def _statm_shared(path: str = "/proc/self/statm") -> int:
    with open(path, "rb") as fh:
        return int(fh.read().split()[2]) * segcache._PAGE


def test_the_rss_check_reads_this_process_statm_after_a_fork():
    """A forked worker inherits its parent's descriptor of ``/proc/<parent>/statm``: it reads
    its own file instead.  The child maps 256 MB of shared memory, so that its figure and its
    parent's are far apart whatever the parent holds."""
    assert segcache._shared_bytes() == pytest.approx(_statm_shared(), abs=64 * segcache._PAGE)
    assert segcache._statm[0] == os.getpid()
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            import mmap

            m = mmap.mmap(-1, 256 << 20, flags=mmap.MAP_SHARED)
            m.write(b"x" * (256 << 20))             # (shared memory counts as "shared")
            mine, own = segcache._shared_bytes(), _statm_shared()
            parent = _statm_shared(f"/proc/{os.getppid()}/statm")
            os.write(w, f"{mine} {own} {parent} {segcache._statm[0] == os.getpid()}".encode())
        finally:
            os._exit(0)
    os.close(w)
    got = os.read(r, 200).decode().split()
    os.waitpid(pid, 0)
    mine, own, parent, mine_pid = int(got[0]), int(got[1]), int(got[2]), got[3]
    assert mine_pid == "True"
    assert abs(own - parent) > 128 << 20               # reading the parent's would show
    assert mine == pytest.approx(own, abs=64 * segcache._PAGE)
