"""gunicorn settings for ``make run``: ``gunicorn -c python:app.serving.gunicorn_conf wsgi:app``.

Slow clients: gunicorn's sync and gthread workers give each connection a worker (thread) from
its first byte to the end of the response, so a few clients that send their headers slowly
take the portal down (issue 13, item 2).  gevent workers wait for every socket cooperatively:
a slow client costs one sleeping greenlet, not a worker.  In production put a buffering
reverse proxy (nginx, Caddy, HAProxy) in front anyway (README.md, "生产部署").

gevent must patch the standard library before the app is imported; with ``preload_app`` the
app is imported in the master, so the patch happens here, when gunicorn reads this file.
"""
from __future__ import annotations

import os

import gevent
from gevent import monkey

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

