"""Issue 13 item 2: slow clients must not take the portal down.

50 sockets send a request's header lines one per second and never finish (re-connecting at
once when the server gives up on them, as a slow-loris client does) while normal requests keep
coming; every normal request must be answered.  With make run's former ``gunicorn --workers 2``
(sync workers) two such sockets were enough to make every other request time out."""

from __future__ import annotations

import threading
import time

from bench.soak import is_open, open_slow

SLOW = 50


def test_normal_requests_answer_while_50_slow_clients_are_connected(server):
    host, port = server.url.removeprefix("http://").split(":")
    slow = [open_slow(host, int(port)) for _ in range(SLOW)]
    stop = threading.Event()

    def drip():
        while not stop.wait(1.0):
            for i, s in enumerate(slow):
                if not is_open(s):
                    s.close()
                    slow[i] = open_slow(host, int(port))
                    continue
                try:
                    s.sendall(b"X-Slow: 1\r\n")
                except OSError:
                    pass

    dripper = threading.Thread(target=drip, daemon=True)
    dripper.start()
    try:
        time.sleep(1.5)  # every slow socket has sent more than one line and waits
        answers = []
        for path in ["/", "/api/suggest?q=vpn", "/search?q=%E5%AF%86%E7%A0%81", "/requests/new",
                     "/api/search?q=vpn"] * 3:
            status, _body = server.get(path, timeout=10)
            answers.append((path, status))
        assert all(status == 200 for _p, status in answers), answers
        assert sum(is_open(s) for s in slow) >= SLOW // 2  # still held while we were served
    finally:
        stop.set()
        dripper.join(5)
        for s in slow:
            s.close()


def test_a_request_whose_headers_never_end_is_closed(server):
    """The server's header timeout (gevent worker: keepalive, 5 s) ends a slow-loris request."""
    host, port = server.url.removeprefix("http://").split(":")
    s = open_slow(host, int(port))
    try:
        deadline = time.monotonic() + 15
        while is_open(s) and time.monotonic() < deadline:
            s.sendall(b"X-Slow: 1\r\n")
            time.sleep(1)
        assert not is_open(s)
    finally:
        s.close()
