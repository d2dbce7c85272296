"""gunicorn settings for ``make run``: ``gunicorn -c python:app.serving.gunicorn_conf wsgi:app``.

Slow clients: gunicorn's sync and gthread workers give each connection a worker (thread) from
its first byte to the end of the response, so a few clients that send their headers slowly
take the portal down (issue 13, item 2).  gevent workers wait for every socket cooperatively:
a slow client costs one sleeping greenlet, not a worker.  In production put a buffering
reverse proxy (nginx, Caddy, HAProxy) in front anyway (README.md, "生产部署").

gevent must patch the standard library before the app is imported; with ``preload_app`` the
app is imported in the master, so the patch happens here, when gunicorn reads this file
(``app/__init__.py`` imports nothing heavy, so Flask and the rest come after the patch).

Start-up (issue 15, "worker ready"; app/serving/README.md): the cyclic garbage collector is
off while the master imports the app and is frozen + switched back on just before the
workers are forked (``when_ready``), gevent's plugin look-ups read the installed packages'
entry points once instead of once per patched module (``_entry_points_read_once``), OpenBLAS
starts no thread pool, and the search engine is opened once in the master (``when_ready``).
"""
from __future__ import annotations

import contextlib
import gc
import os

# Importing the app allocates ~180,000 long-lived (GC-tracked) objects and no garbage worth
# collecting: every full collection on the way walked all of them (70–100 ms of the master's start).
# Switched back on in when_ready(), before the first worker is forked.
gc.disable()

# numpy (the search engine's arrays) loads OpenBLAS, which starts a thread per core at import
# (30-40 ms of the master's start, and threads running at fork time).  Nothing here does linear
# algebra, and a gevent worker would not want BLAS threads competing with the other worker
# anyway.  setdefault: an operator's own value wins.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import gevent  # noqa: E402
from gevent import monkey  # noqa: E402


@contextlib.contextmanager
def _entry_points_read_once():
    """``importlib.metadata.entry_points`` answered from one reading of every installed
    package's entry points while the block runs.

    ``monkey.patch_all()`` announces each module it patches to plugins registered under an
    entry-point group, and each announcement (25 of them) lists the entry points of every
    installed distribution again: 60–100 ms of the master's start on this venv.  The answers
    are the same (``EntryPoints.select`` is what ``entry_points(group=…)`` returns); nothing
    installs a package while the config file is read.
    """
    from importlib import metadata

    original = metadata.entry_points
    everything = original()

    def entry_points(**params):
        return everything.select(**params) if params else everything

    metadata.entry_points = entry_points
    try:
        yield
    finally:
        metadata.entry_points = original


with _entry_points_read_once():
    monkey.patch_all()

worker_class = "app.serving.worker.GeventWorker"  # gunicorn's gevent worker, connections shared (worker.py)
workers = 2  # make run passes --workers $(WORKERS)
# connections (slow ones included) one worker keeps at once; more wait in the listen backlog
worker_connections = int(os.environ.get("KB_WEB_CONNECTIONS") or 500)
preload_app = True
timeout = 60            # a worker stuck this long (a blocked event loop) is restarted
graceful_timeout = 20
keepalive = 5
# A search URL pasted from an error log (≈450 Chinese characters = 4 KB encoded) must reach
# the app, which truncates very long queries with a notice instead of an error page.
limit_request_line = 32768
limit_request_field_size = 16384
accesslog = "-"
# the same access line, its atoms built without every header and environ variable (access.py)
logger_class = "app.serving.access.AccessLogger"
# gunicorn 27 opens a control socket at ~/.gunicorn/gunicorn.ctl by default: every portal of a
# user (make run, a second instance, the benchmarks' servers) bound the same path, the last one
# took it over and the first to stop unlinked it under the others, and a read-only home logged
# an error at each start.  The portal is stopped and restarted with signals (app/worker/
# supervise.py, README.md); nothing here uses gunicornc.  Older gunicorn ignores the name.
control_socket_disable = True


def post_request(worker, req, environ, resp):
    """Take turns: after each response the greenlet yields to the hub before reading its
    connection's next request. Without it a keep-alive client whose next request is already
    waiting is served again at once, ahead of every other connection of that worker: at 50
    clients half the requests took 2–3 ms and the slowest waited 1–2 s (suggest p99 1.7 s, one
    request's own time never above 0.1 s). With it every connection gets its turn: suggest p95
    482 → 121 ms, p99 1,725 → 203 ms at 50 clients (p50 2 → 71 ms: the same queue, shared fairly).
    ``bench/load.py``; app/serving/README.md."""
    gevent.sleep(0)



def when_ready(server):
    """In the master, after the app was imported (``preload_app``) and before any worker is
    forked.

    * The search engine is opened here once (``app.articles.search.open_before_fork``: synonym
      tables, index check) and inherited by every worker; only when the index is usable, and
      it leaves no open file behind.  Otherwise each worker opens (or rebuilds) it at its
      first search, as without this hook.
    * SQLAlchemy's mappers (relationships between the 24 models) are configured here once; each
      worker did it at its first request that used the ORM (~26 ms: a page, not the API).
    * Everything the import made is moved into the collector's permanent generation and the
      collector is switched back on.  Workers inherit both: their collections no longer walk
      (and touch, un-sharing the pages of) the objects the master made — the pattern the
      ``gc.freeze`` documentation gives for pre-forking servers.
    """
    if server.cfg.preload_app:
        _open_search_engine(server)
        _configure_mappers(server)
    gc.freeze()
    gc.enable()


def post_fork(server, worker):
    """Every worker collects, whatever the master's state: ``when_ready`` runs once, but a
    config given as a file path (``-c path/gunicorn_conf.py``) is executed again on ``HUP``,
    switching the collector off in the master before it forks the new workers."""
    gc.enable()


def _open_search_engine(server) -> None:
    app = server.app.wsgi()
    if not hasattr(app, "app_context"):
        return                          # not our Flask app (another entry point)
    from app.articles.search import open_before_fork

    try:
        reason = open_before_fork(app)
    except Exception:                   # noqa: BLE001 - the workers open it as they used to
        server.log.exception("search index not opened before the workers start")
        return
    if reason is not None:
        server.log.info("search index %s: the first search of each worker opens it", reason)


def _configure_mappers(server) -> None:
    from sqlalchemy.orm import configure_mappers

    try:
        configure_mappers()
    except Exception:                   # noqa: BLE001 - the first ORM query raises it as before
        server.log.exception("SQLAlchemy mappers not configured before the workers start")
