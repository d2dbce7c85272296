"""The Whoosh schema and the pipeline fingerprint.

Few indexed fields, so a query word needs few matchers (Whoosh's matcher machinery is pure
Python: fields × words × alternatives is what a search costs).  Field weights are partly token
boosts summed into each posting's weight (BM25F-style) and partly query-time field boosts:

=============  ==================================  ====================================  ======
field          value / analyzer                    content                               weight
=============  ==================================  ====================================  ======
title          TitleAnalyzer, positions            title; tags (token boost 0.6)         5
codes          CodesAnalyzer                       front-matter codes (token boost 4),   2.5
                                                   strong codes from the body (1)
body           BodyAnalyzer, positions             headings (token boost 2, so 1+2) and  1
                                                   the Markdown-stripped plain text
prefix         PrefixAnalyzer, existence only      edge n-grams of title/tag/code words  –
dym_public     TextAnalyzer (no sub-words)         title+tag words of public docs        –
dym_internal   TextAnalyzer (no sub-words)         same for internal docs                –
slug           ID, unique, column, stored          identity, ``sync``
audience       ID, stored                          visibility filter
category       ID, column, stored                  facets, filter
content_hash   ID, column, stored                  ``sync``
stored_title, stored_tags, stored_text, error_codes, updated   STORED (hits, snippets)
=============  ==================================  ====================================  ======
"""
from __future__ import annotations

import hashlib
from pathlib import Path

from whoosh.fields import ID, STORED, TEXT, Schema
from whoosh.formats import Existence

from .analysis import BodyAnalyzer, CodesAnalyzer, PrefixAnalyzer, TextAnalyzer, TitleAnalyzer

__all__ = ["make_schema", "SCHEMA_VERSION", "pipeline_fingerprint"]

#: bump when the schema or the analysis code changes in a way that needs a rebuild
SCHEMA_VERSION = 2


def _existence(field):
    """Postings without frequencies (the prefix field only needs "is there")."""
    field.format = Existence(field_boost=field.format.field_boost)
    return field


def make_schema() -> Schema:
    return Schema(
        slug=ID(stored=True, unique=True, sortable=True),
        title=TEXT(analyzer=TitleAnalyzer(), phrase=True),
        codes=TEXT(analyzer=CodesAnalyzer(), phrase=False),
        body=TEXT(analyzer=BodyAnalyzer(), phrase=True),
        prefix=_existence(TEXT(analyzer=PrefixAnalyzer(), phrase=False)),
        dym_public=TEXT(analyzer=TextAnalyzer(subwords=False), phrase=False),
        dym_internal=TEXT(analyzer=TextAnalyzer(subwords=False), phrase=False),
        audience=ID(stored=True),
        category=ID(stored=True, sortable=True),
        content_hash=ID(stored=True, sortable=True),
        stored_title=STORED(),
        stored_tags=STORED(),
        stored_text=STORED(),
        error_codes=STORED(),
        updated=STORED(),
    )


def pipeline_fingerprint() -> str:
    """Changes when anything that decides index tokens changes (then ``ensure`` rebuilds)."""
    here = Path(__file__).resolve().parent
    h = hashlib.sha256(f"schema-{SCHEMA_VERSION}".encode())
    for name in ("data/userdict.txt", "data/stopwords.txt", "codes.py", "analysis.py",
                 "text.py", "segment.py", "plaintext.py", "schema.py", "documents.py"):
        h.update(name.encode())
        h.update((here / name).read_bytes())
    return h.hexdigest()[:20]
