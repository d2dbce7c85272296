"""What an ``/api/suggest`` or ``/api/search`` request costs outside the engine (issue 15).

One process, the app of an instance ``kb init`` filled, the same query over and over through
``app.wsgi_app`` (no test client, no server): the engine's caches answer, so what is measured is
the request path — routing, session, flask-login, CSRF and other hooks, visibility, ranking
signals, the search log, JSON, headers. First the wall time per request without instruments,
then each piece wrapped in a timer (the sum is larger: the timers cost too).

    .venv/bin/python -m bench.request_path --instance DIR --articles DIR [--kind search] [-n 3000]
"""
from __future__ import annotations

import argparse
import collections
import functools
import os
import sys
import time
from pathlib import Path
from urllib.parse import quote


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--instance", type=Path, required=True)
    ap.add_argument("--articles", type=Path, required=True)
    ap.add_argument("--kind", choices=("suggest", "search"), default="suggest")
    ap.add_argument("-n", type=int, default=3000)
    ap.add_argument("-q", default="VPN 连接")
    args = ap.parse_args(argv)
    os.environ.update(KB_INSTANCE_DIR=str(args.instance.resolve()), KB_ARTICLES_DIR=str(args.articles.resolve()),
                      KB_LOG_LEVEL="WARNING")
    from werkzeug.test import EnvironBuilder

    import app.feedback.ranking as ranking
    import app.views.api as api
    import indexer.engine as engine_module
    from app import create_app

    app = create_app()
    kind, n = args.kind, args.n
    env = EnvironBuilder(path=f"/api/{kind}", query_string=f"q={quote(args.q)}&limit={5 if kind == 'suggest' else 10}").get_environ()

    def call():
        body = app.wsgi_app(dict(env), lambda status, headers, exc_info=None: None)
        b"".join(body)
        getattr(body, "close", lambda: None)()

    for _ in range(200):
        call()
    t0, c0 = time.perf_counter(), time.process_time()
    for _ in range(n):
        call()
    wall = (time.perf_counter() - t0) / n * 1e6
    cpu = (time.process_time() - c0) / n * 1e6
    spent: collections.Counter = collections.Counter()

    def timed(name, fn):
        @functools.wraps(fn)
        def wrapper(*a, **k):
            t = time.perf_counter_ns()
            try:
                return fn(*a, **k)
            finally:
                spent[name] += time.perf_counter_ns() - t
        return wrapper

    for funcs, label in ((app.before_request_funcs, "before"), (app.after_request_funcs, "after")):
        for bp, fns in funcs.items():
            funcs[bp] = [timed(f"{label}: {f.__module__}.{f.__qualname__}", f) for f in fns]
    app.teardown_appcontext_funcs[:] = [timed(f"teardown: {f.__qualname__}", f) for f in app.teardown_appcontext_funcs]
    si = app.session_interface
    si.open_session = timed("session: open", si.open_session)
    si.save_session = timed("session: save", si.save_session)
    app.login_manager._load_user = timed("flask-login: load user", app.login_manager._load_user)
    api.jsonify = timed("view: jsonify", api.jsonify)
    api.search_body = timed("view: search_body (hits to dicts)", api.search_body)
    api.log_search = timed("view: log_search", api.log_search)
    ranking.current_signals = timed("view: ranking signals", ranking.current_signals)
    setattr(engine_module.SearchEngine, kind, timed(f"engine.{kind}", getattr(engine_module.SearchEngine, kind)))
    app.view_functions[f"api.{kind}"] = timed("view (all of it)", app.view_functions[f"api.{kind}"])
    app.request_context = timed("request context (routing, request object)", app.request_context)
    for _ in range(n):
        call()
    print(f"/api/{kind} q={args.q!r}: {wall:.1f} µs wall, {cpu:.1f} µs CPU per request (no timers), {n} requests")
    for name, ns in spent.most_common():
        print(f"{ns / n / 1000:8.1f} µs  {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
