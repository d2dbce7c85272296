"""An index without documents (a new installation with an empty library, or every article
deleted) works like any other: sync, search, suggest and the first update.

Whoosh has no column reader when an index has no segments; no reader path may depend on one.
"""
from __future__ import annotations

import logging

import pytest

from indexer import SearchEngine
from indexer.results import SyncStats
from ixhelpers import PUBLIC, STAFF, make_doc, sample_docs

QUERIES = ["vpn", "VPN 错误 809", "outlok", "邮箱满了收不到邮件", "0x80070005", "帳號", "", "   ",
           "a", "title:vpn OR [a TO z]"]


class _Errors(logging.Handler):
    def __init__(self):
        super().__init__(logging.WARNING)
        self.records = []

    def emit(self, record):
        self.records.append(record)


@pytest.fixture
def logged():
    h = _Errors()
    logging.getLogger("indexer").addHandler(h)
    yield h.records
    logging.getLogger("indexer").removeHandler(h)


@pytest.fixture
def empty(tmp_path):
    eng = SearchEngine(tmp_path / "index", cache_dir=tmp_path / "cache")
    eng.rebuild([])
    yield eng
    eng.close()


def _assert_empty(eng):
    for auds in (PUBLIC, STAFF):
        for q in QUERIES:
            r = eng.search(q, audiences=auds)
            assert (r.total, r.hits, r.facets, r.did_you_mean) == (0, [], {}, None), q
            r = eng.search(q, audiences=auds, category="邮件", signals={"x": 2.0})
            assert (r.total, r.hits) == (0, []), q
            s = eng.suggest(q, audiences=auds, category="邮件")
            assert (s.total, s.hits) == (0, []), q


def test_sync_of_nothing_into_an_empty_index(empty, logged):
    assert empty.sync([]) == SyncStats()
    assert logged == []


def test_sync_fills_an_empty_index(empty, logged):
    docs = sample_docs()
    assert empty.sync(docs) == SyncStats(added=len(docs))
    assert empty.search("VPN 错误 809").hits[0].slug == "vpn/error-809"
    assert empty.sync(docs) == SyncStats(unchanged=len(docs))
    assert logged == []


def test_search_and_suggest_on_an_empty_index(empty, logged):
    _assert_empty(empty)
    assert logged == []


def test_first_update_into_an_empty_index(empty, logged):
    _assert_empty(empty)            # readers have opened the empty snapshot
    empty.update([make_doc("mail/quota", "邮箱已满无法接收邮件", "清理邮箱或申请扩容。",
                           category="邮件", tags=("邮箱",))])
    r = empty.search("邮箱满了")
    assert [h.slug for h in r.hits] == ["mail/quota"]
    assert (r.total, r.facets) == (1, {"邮件": 1})
    assert "<mark>" in r.hits[0].snippet
    assert [h.slug for h in empty.suggest("邮箱已").hits] == ["mail/quota"]
    assert empty.sync([]) == SyncStats(deleted=1)
    _assert_empty(empty)
    assert logged == []


def test_first_update_without_any_index(tmp_path, logged):
    eng = SearchEngine(tmp_path / "index", cache_dir=tmp_path / "cache")
    try:
        eng.update([make_doc("vpn/setup", "配置 VPN 客户端", "从软件中心安装。")])
        assert [h.slug for h in eng.search("vpn 客户端").hits] == ["vpn/setup"]
        assert eng.sync([]) == SyncStats(deleted=1)
        _assert_empty(eng)
    finally:
        eng.close()
    assert logged == []


def test_every_document_deleted(tmp_path, logged):
    docs = sample_docs()
    eng = SearchEngine(tmp_path / "index", cache_dir=tmp_path / "cache")
    try:
        eng.rebuild(docs)
        assert eng.search("vpn").total > 0
        eng.update(delete=[d.slug for d in docs])
        _assert_empty(eng)
        assert eng.sync([]) == SyncStats()
        assert eng.sync(docs[:2]) == SyncStats(added=2)
        assert eng.search(docs[0].title).hits[0].slug == docs[0].slug
    finally:
        eng.close()
    assert logged == []
