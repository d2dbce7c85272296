"""The article sets: ``ours`` (articles/), ``corpus`` (../shared/corpus/), ``10k``, ``100k``.

Each set is a list of :class:`Record` (what one Markdown file holds) plus load statistics.
The same records feed the in-process engine, the FTS5 baseline and — written back to Markdown
files with explicit front matter — the real app (``kb sync``), so every engine sees the same
articles.

``10k``, ``30k`` and ``100k``: corpus + ours, then synthesised variants until 10,000 / 30,000 / 100,000:
variant *k* (k = 1, 2, …) of corpus article *i* re-uses its body, tags, codes and category,
with slug ``synth-k/<slug>`` and title ``<title>（副本 k）``.  Variants are taken in corpus
order, round after round.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from indexer.documents import IndexDocument
from indexer.loader import load_tree

REPO = Path(__file__).resolve().parent.parent
ARTICLES = REPO / "articles"
CORPUS = (REPO / ".." / "shared" / "corpus").resolve()
TEN_K = 10_000
SIZES = {"10k": 10_000, "30k": 30_000, "100k": 100_000}


@dataclass(frozen=True)
class Record:
    slug: str
    title: str
    category: str
    tags: tuple[str, ...]
    error_codes: tuple[str, ...]
    audience: str
    updated: dt.date | None
    body: str

    @property
    def content_hash(self) -> str:
        return hashlib.sha256(f"{self.slug}\0{self.title}\0{self.body}".encode()).hexdigest()

    def document(self) -> IndexDocument:
        return IndexDocument(slug=self.slug, title=self.title, category=self.category,
                             tags=self.tags, error_codes=self.error_codes, audience=self.audience,
                             body=self.body, updated=self.updated, content_hash=self.content_hash)


@dataclass
class ArticleSet:
    name: str
    records: list[Record]
    source_dir: Path | None          # folder the app imports as-is (None: write files first)
    loaded: int = 0                  # files loaded without error
    errors: int = 0                  # files the loader rejected
    skipped: int = 0                 # loaded but not published (drafts, archived)
    synthesised: int = 0
    notes: dict = field(default_factory=dict)

    @property
    def chars(self) -> int:
        return sum(len(r.body) for r in self.records)


def _records(root: Path, prefix: str = "") -> tuple[list[Record], int, int, int]:
    res = load_tree(root)
    out = []
    skipped = 0
    for a in res.articles:
        if a.status != "published":       # the app indexes published articles only
            skipped += 1
            continue
        out.append(Record(slug=f"{prefix}{a.slug}", title=a.title, category=a.category,
                          tags=a.tags, error_codes=a.error_codes, audience=a.audience,
                          updated=a.updated, body=a.body))
    return out, len(res.articles), len(res.errors), skipped


def load_ours() -> ArticleSet:
    recs, loaded, errors, skipped = _records(ARTICLES)
    return ArticleSet("ours", recs, ARTICLES, loaded, errors, skipped)


def load_corpus() -> ArticleSet:
    """Each sub-folder with ``load_tree``; slugs get the folder name in front, as ``kb sync
    corpus/`` gives them (paths relative to the corpus root)."""
    recs: list[Record] = []
    loaded = errors = skipped = 0
    per = {}
    for sub in sorted(p for p in CORPUS.iterdir() if p.is_dir() and not p.name.startswith(".")):
        r, lo, er, sk = _records(sub, prefix=f"{sub.name}/")
        recs += r
        loaded, errors, skipped = loaded + lo, errors + er, skipped + sk
        per[sub.name] = {"loaded": lo, "errors": er}
    s = ArticleSet("corpus", recs, CORPUS, loaded, errors, skipped)
    s.notes["folders"] = per
    return s


def make_10k(ours: ArticleSet, corpus: ArticleSet, total: int = TEN_K, name: str = "10k") -> ArticleSet:
    base = list(corpus.records) + list(ours.records)
    recs = list(base)
    k = 0
    while len(recs) < total:
        k += 1
        for r in corpus.records:
            if len(recs) >= total:
                break
            recs.append(dataclasses.replace(r, slug=f"synth-{k}/{r.slug}", title=f"{r.title}（副本 {k}）"))
    s = ArticleSet(name, recs[:total], None, corpus.loaded + ours.loaded,
                   corpus.errors + ours.errors, corpus.skipped + ours.skipped)
    s.synthesised = len(s.records) - len(base)
    return s


def write_markdown(records: list[Record], folder: Path) -> int:
    """One file per record with explicit front matter (slug included), for ``kb sync``."""
    n = 0
    for r in records:
        path = folder / (r.slug + ".md")
        path.parent.mkdir(parents=True, exist_ok=True)
        meta = {"title": r.title, "slug": r.slug, "category": r.category,
                "tags": list(r.tags), "error_codes": list(r.error_codes),
                "audience": r.audience, "status": "published"}
        if r.updated:
            meta["updated"] = r.updated.isoformat()
        fm = yaml.safe_dump(meta, allow_unicode=True, sort_keys=False, width=10_000)
        path.write_text(f"---\n{fm}---\n{r.body}", encoding="utf-8")
        n += 1
    return n


def load(names: list[str]) -> dict[str, ArticleSet]:
    out: dict[str, ArticleSet] = {}
    need_ours = "ours" in names or any(n in SIZES for n in names)
    need_corpus = "corpus" in names or any(n in SIZES for n in names)
    ours = load_ours() if need_ours else None
    corpus = load_corpus() if need_corpus else None
    for n in names:
        if n == "ours":
            out[n] = ours
        elif n == "corpus":
            out[n] = corpus
        elif n in SIZES:
            out[n] = make_10k(ours, corpus, SIZES[n], n)
    return out
