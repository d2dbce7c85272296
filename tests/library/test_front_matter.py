"""Our own library uses only the front matter the writers' guide defines: no import warnings."""

from __future__ import annotations

from tests.library.checks import load_library


def test_the_library_imports_without_warnings():
    library = load_library()
    assert library.errors == []
    assert library.warnings == [], "\n".join(f"{w.path}: {w.warning}" for w in library.warnings)
