"""The external set's documents: ``../shared/corpus`` imported as one folder, as ``kb init`` does.

The corpus relevance set (``tests/relevance/corpus/``) is judged against what an anonymous
searcher can see after ``kb init`` of that folder, so its index is built by the app's own import
path (``sync_folders`` + a full index build) into an instance of its own — never the running
portal's database or index:

* ``import_corpus(app, folder)`` imports into an app that already has a database (the floor test
  builds one per session, on SQLite or a PostgreSQL schema);
* ``corpus_app(folder, cache_root)`` keeps a SQLite instance under ``cache_root`` (``kb eval``
  uses ``<KB_INSTANCE_DIR>/eval/``), keyed on the corpus content and on the code that decides
  what an import produces (loader, sync, index documents, migrations); a changed key builds a new
  one and removes the old. The search engine itself rebuilds the index when its pipeline
  fingerprint changes, and query-time changes (ranking) need no rebuild at all.
"""

from __future__ import annotations

import fcntl
import hashlib
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from indexer.evaluation import HALVES  # tune, test, test2: one folder each

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_CORPUS = ROOT.parent / "shared" / "corpus"
OWN_SET = ROOT / "tests" / "relevance"
CORPUS_SET = OWN_SET / "corpus"

# What an import of the corpus produces depends on these files besides the corpus itself.
_IMPORT_CODE = ("indexer/loader.py", "app/articles/sync.py", "app/articles/search.py")


HELD_OUT = ("test", "test2")   # the parts never tuned on


def query_files(half: str = "all") -> list[Path]:
    """The corpus set's YAML files of one half (``tune``, ``test``, ``test2``), of both held-out
    halves together (``held-out``: per kind with the most queries a report can have) or of all
    of them (``all``)."""
    halves = {"all": HALVES, "held-out": HELD_OUT}.get(half, (half,))
    return [p for h in halves for p in sorted((CORPUS_SET / h).glob("*.yaml"))]


@dataclass(frozen=True)
class ImportSummary:
    documents: int  # published articles indexed
    created: int
    errors: int  # files the loader rejected (reported by kb sync with their reasons)
    seconds: float


def import_corpus(app, folder: Path) -> ImportSummary:
    """Import ``folder`` into ``app``'s database and build its index from scratch."""
    from ..articles.search import engine, published_documents, reconcile
    from ..articles.sync import sync_folders
    from ..db import get_engine, session_scope
    from .. import migrate

    started = time.perf_counter()
    with app.app_context():
        migrate.upgrade(get_engine())
        engine()  # open (or create) the index before the import, as `kb init` does
        with session_scope() as session:
            report = sync_folders(session, [Path(folder)])
        reconcile(rebuild=True)
        documents = len(published_documents())
    return ImportSummary(documents, report.created, len(report.errors), time.perf_counter() - started)


def fingerprint(folder: Path) -> str:
    """A hash of every file below ``folder`` (path and content) and of the import code."""
    from .. import migrate

    digest = hashlib.sha256(migrate.head_revision().encode())
    for rel in _IMPORT_CODE:
        digest.update((ROOT / rel).read_bytes())
    folder = Path(folder)
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest.update(path.relative_to(folder).as_posix().encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()[:16]


def corpus_app(folder: Path, cache_root: Path, rebuild: bool = False, log=print):
    """A Flask app on a cached SQLite instance holding ``folder`` imported (built when missing)."""
    from .. import create_app

    folder = Path(folder).resolve()
    cache_root = Path(cache_root)
    cache_root.mkdir(parents=True, exist_ok=True)
    key = fingerprint(folder)
    instance = cache_root / f"corpus-{key}"
    with open(cache_root / "corpus.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one build at a time; the others wait and reuse it
        if rebuild or not (instance / "READY").is_file():
            shutil.rmtree(instance, ignore_errors=True)
            app = _app(create_app, instance, folder)
            log(f"正在导入 {folder} 并建立索引（首次运行或语料有变化，需要一两分钟）……")
            summary = import_corpus(app, folder)
            (instance / "READY").write_text(f"{summary}\n", encoding="utf-8")
            log(f"已导入 {summary.created} 篇，{summary.errors} 个文件未能导入，索引 {summary.documents} 篇"
                f"（用时 {summary.seconds:.0f} 秒）。")
            close(app)
        for old in cache_root.glob("corpus-*"):
            if old != instance:
                shutil.rmtree(old, ignore_errors=True)
    return _app(create_app, instance, folder)


def _app(create_app, instance: Path, folder: Path):
    return create_app({
        "KB_INSTANCE_DIR": str(instance),
        "KB_DATABASE_URL": f"sqlite:///{instance / 'kb.sqlite3'}",
        "KB_ARTICLES_DIR": str(folder),
        "KB_SECRET_KEY": "relevance-evaluation",
    })


def close(app) -> None:
    """Close the app's search engine and database connections."""
    engine = app.extensions.get("kb.search")
    if engine is not None:
        engine.close()
        app.extensions["kb.search"] = None
    app.extensions["kb.engine"].dispose()
