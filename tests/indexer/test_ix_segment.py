"""rjieba (used in production) must cut exactly like jieba with the same dictionary, HMM off."""
from __future__ import annotations

import random

import pytest

from indexer import segment
from indexer.text import normalise

from ixhelpers import CORPUS


def _sample_files(n=200):
    files = sorted(p for p in CORPUS.rglob("*.md") if p.name != "SOURCE.md")
    random.Random(20260101).shuffle(files)
    return files[:n]


@pytest.fixture(scope="module")
def jieba_twin(tmp_path_factory):
    """A plain jieba Tokenizer given exactly the words/frequencies the production segmenter got."""
    import jieba

    prod = segment.get()
    tk = jieba.Tokenizer()
    tk.tmp_dir = str(tmp_path_factory.mktemp("jieba-cache"))
    tk.initialize()
    for word, freq, tag in prod.entries:
        tk.add_word(word, freq, tag)
    return tk


def test_production_backend_is_rjieba():
    assert segment.get().backend == "rjieba"


@pytest.mark.skipif(not CORPUS.is_dir(), reason="shared corpus not available")
def test_rjieba_cuts_like_jieba_on_real_articles(jieba_twin):
    prod = segment.get()
    files = _sample_files()
    assert len(files) == 200
    differing = []
    for path in files:
        text = normalise(path.read_text("utf-8", errors="replace"))
        ours = prod.cut(text)
        theirs = jieba_twin.lcut(text, HMM=False)
        if ours != theirs:
            differing.append(path.name)
        flat = [x for w, subs in prod.cut_for_search(text) for x in (*subs, w)]
        if flat != jieba_twin.lcut_for_search(text, HMM=False):
            differing.append(path.name + " (search mode)")
    assert differing == []


def test_jieba_backend_uses_the_given_cache_dir(tmp_path):
    seg = segment.Segmenter(backend="jieba", cache_dir=tmp_path)
    assert seg._j.tmp_dir == str(tmp_path)
    assert list(tmp_path.iterdir()), "jieba wrote its cache file elsewhere"
    assert seg.cut("开启两步验证") == segment.get().cut("开启两步验证")


def test_user_dictionary_is_case_insensitive_through_normalisation():
    seg = segment.get()
    assert seg.cut(normalise("Wi-Fi 连不上")) [0] == "wi-fi"
    assert "wi-fi" in seg.terms and "outlook" in seg.terms


def test_segmenter_does_not_build_rjiebas_unused_default_instance():
    """``import rjieba`` builds a module-level ``Jieba()`` (its own dictionary: 0.13 CPU-s of a
    worker's start and its memory); the segmenter loads the class without it (issue 15)."""
    import subprocess
    import sys

    code = ("import sys; from indexer import segment; seg = segment.get(); "
            "assert seg.backend == 'rjieba', seg.backend; "
            "assert 'rjieba' not in sys.modules, 'rjieba/__init__ ran'; "
            "import rjieba; assert rjieba.Jieba is type(seg._r); "
            "assert seg.cut('打印机脱机') == rjieba.cut('打印机脱机') == ['打印机', '脱机']")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr


@pytest.mark.skipif(not CORPUS.is_dir(), reason="shared corpus not available")
def test_remembered_subwords_equal_rjiebas_search_mode():
    """``cut_for_search`` takes each word's sub-words from ``subwords`` (remembered per word);
    it must give what rjieba's own search mode aligned with the accurate cut gave (issue 15)."""
    prod = segment.get()
    for path in _sample_files(300):
        text = normalise(path.read_text("utf-8"))
        assert prod.cut_for_search(text) == prod._cut_for_search_rjieba(text), path.name
    assert prod.cut_for_search("中华人民共和国") == prod._cut_for_search_rjieba("中华人民共和国")
