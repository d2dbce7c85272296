"""The Whoosh schema and the pipeline fingerprint.

Fields (``stored`` = returned with hits; positions only where phrases matter):

=============  ===========================  ===============================================
field          analyzer                     purpose
=============  ===========================  ===============================================
slug           ID, unique, column           identity, ``update_document``, ``sync``
title          TextAnalyzer, stored, pos.   weight 5
codes_fm       CodeEntriesAnalyzer          front-matter ``error_codes``, weight 4
tags           TextAnalyzer, stored         weight 3
codes_body     BodyCodesAnalyzer            strong codes found in the body, weight 2
headings       TextAnalyzer                 Markdown headings, weight 2
body           TextAnalyzer, stored, pos.   plain text (Markdown stripped), weight 1
prefix         PrefixAnalyzer               edge n-grams of title/tag/code words (suggest)
dym_public     TextAnalyzer (no sub-words)  title+tag words of public docs (did-you-mean)
dym_internal   TextAnalyzer (no sub-words)  same for internal docs
audience       ID, stored                   visibility filter
category       ID, stored, column           facet, filter
error_codes    STORED                       returned with hits
updated        STORED                       ISO date
content_hash   ID, stored, column           ``sync``
=============  ===========================  ===============================================
"""
from __future__ import annotations

import hashlib
from pathlib import Path

from whoosh.fields import ID, STORED, TEXT, Schema
from whoosh.formats import Existence

from .analysis import BodyCodesAnalyzer, CodeEntriesAnalyzer, PrefixAnalyzer, TextAnalyzer

__all__ = ["make_schema", "SCHEMA_VERSION", "pipeline_fingerprint"]

#: bump when the schema or the analysis code changes in a way that needs a rebuild
SCHEMA_VERSION = 1


def _existence(field):
    """Postings without frequencies (the prefix field only needs "is there")."""
    field.format = Existence(field_boost=field.format.field_boost)
    return field


def make_schema() -> Schema:
    text = TextAnalyzer()
    return Schema(
        slug=ID(stored=True, unique=True, sortable=True),
        title=TEXT(analyzer=text, stored=True, phrase=True),
        codes_fm=TEXT(analyzer=CodeEntriesAnalyzer(), phrase=False),
        tags=TEXT(analyzer=text, stored=True, phrase=False),
        codes_body=TEXT(analyzer=BodyCodesAnalyzer(), phrase=False),
        headings=TEXT(analyzer=text, phrase=False),
        body=TEXT(analyzer=text, stored=True, phrase=True),
        prefix=_existence(TEXT(analyzer=PrefixAnalyzer(), phrase=False)),
        dym_public=TEXT(analyzer=TextAnalyzer(subwords=False), phrase=False),
        dym_internal=TEXT(analyzer=TextAnalyzer(subwords=False), phrase=False),
        audience=ID(stored=True),
        category=ID(stored=True, sortable=True),
        error_codes=STORED(),
        updated=STORED(),
        content_hash=ID(stored=True, sortable=True),
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
