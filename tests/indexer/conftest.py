"""Fixtures for the search engine tests: engines on tmp_path over ``ixhelpers.sample_docs``."""
from __future__ import annotations

import pytest

from indexer import IndexDocument, SearchEngine
from ixhelpers import sample_docs


@pytest.fixture(scope="session")
def docs() -> list[IndexDocument]:
    return sample_docs()


@pytest.fixture(scope="module")
def engine(tmp_path_factory, docs):
    """A read-only engine over ``sample_docs`` shared by a test module (do not write to it)."""
    d = tmp_path_factory.mktemp("ix")
    eng = SearchEngine(d / "index", cache_dir=d / "cache")
    eng.rebuild(docs)
    yield eng
    eng.close()


@pytest.fixture
def fresh(tmp_path, docs):
    """A writable engine, built from ``sample_docs``."""
    eng = SearchEngine(tmp_path / "index", cache_dir=tmp_path / "cache")
    eng.rebuild(docs)
    yield eng
    eng.close()
