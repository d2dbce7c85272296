"""Issue 13 item 2: slow clients must not take the portal down.

50 sockets send a request's header lines one per second (and never finish) while normal
requests keep coming; every normal request must be answered.  With make run's former
``gunicorn --workers 2`` (sync workers) two such sockets were enough to make every other
request time out."""

from __future__ import annotations

import socket
import threading
import time

SLOW = 50


def _hold_slow_sockets(server, n: int, stop: threading.Event) -> list[socket.socket]:
    host, port = server.url.removeprefix("http://").split(":")
    socks = []
    for _ in range(n):
        s = socket.create_connection((host, int(port)), timeout=5)
        s.sendall(b"GET /search?q=vpn HTTP/1.1\r\nHost: x\r\n")
        socks.append(s)

    def drip():
        while not stop.wait(1.0):
            for s in socks:
                try:
                    s.sendall(b"X-Slow: 1\r\n")
                except OSError:
                    pass

    threading.Thread(target=drip, daemon=True).start()
    return socks


def test_normal_requests_answer_while_50_slow_clients_are_connected(server):
    stop = threading.Event()
    socks = _hold_slow_sockets(server, SLOW, stop)
    try:
        time.sleep(1.5)  # every slow socket has sent more than one line and waits
        answers = []
        for path in ["/", "/api/suggest?q=vpn", "/search?q=%E5%AF%86%E7%A0%81", "/requests/new",
                     "/api/search?q=vpn"] * 3:
            status, _body = server.get(path, timeout=10)
            answers.append((path, status))
        assert all(status == 200 for _p, status in answers), answers
        # the slow sockets are still open (the server did not just drop them to cope)
        still_open = 0
        for s in socks:
            try:
                s.sendall(b"X-Slow: 2\r\n")
                still_open += 1
            except OSError:
                pass
        assert still_open == SLOW
    finally:
        stop.set()
        for s in socks:
            s.close()
