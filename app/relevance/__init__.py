"""Search relevance: the labelled query sets, the corpus instance they run on, and ``kb eval``.

See ``tests/relevance/corpus/README.md`` for how the corpus set was made and what it measures.
"""
