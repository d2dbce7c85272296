"""bench/load.py, the concurrent HTTP load generator: every request answered and counted,
keep-alive reused, servers that close connections handled, no query repeated in a phase."""
from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest

from bench import load
from tests.conftest import run_async


def _server(keep_alive: bool):
    seen: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1" if keep_alive else "HTTP/1.0"

        def do_GET(self):  # noqa: N802 - http.server's name
            q = parse_qs(urlsplit(self.path).query).get("q", [""])[0]
            seen.append(q)
            status = 503 if q.endswith("失败") else 200
            body = b'{"results": []}'
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv, seen


@pytest.mark.parametrize("keep_alive", [True, False])
def test_phase_counts_every_request_and_status(keep_alive):
    srv, seen = _server(keep_alive)
    try:
        pool = load.search_pool()
        res = run_async(load._phase("127.0.0.1", srv.server_address[1], "search", 7, pool, 0, 120))
    finally:
        srv.shutdown()
        srv.server_close()
    assert res["requests"] == 120 == len(seen)
    assert seen == [q for q in seen if q in pool] and len(set(seen)) == 120   # no repeat
    failed = sum(1 for q in pool[:120] if q.endswith("失败"))
    assert failed and res["errors"] == failed and res["statuses"] == {"200": 120 - failed, "503": failed}
    if keep_alive:
        assert res["connects"] == 7
    else:
        assert res["connects"] == 120
    assert res["p50"] <= res["p95"] <= res["p99"] <= res["max"]


def test_pools_are_large_and_distinct():
    search, suggest = load.search_pool(), load.suggest_pool()
    assert len(search) == len(set(search)) >= 1000
    assert len(suggest) == len(set(suggest)) >= 2000
    assert all(len(q) >= 2 and q == q.strip() for q in suggest)


def test_unreachable_server_is_an_error_not_a_crash():
    import socket

    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    res = run_async(load._phase("127.0.0.1", port, "suggest", 3, ["a b"], 0, 6))
    assert res["requests"] == 6 and res["errors"] == 6 and res["statuses"] == {"0": 6}
