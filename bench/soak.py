"""Soak: the real server under mixed load with slow clients (issue 13).

    nice -n 10 .venv/bin/python -m bench.soak [--seconds 60] [--suggest 50] [--search 10]
                                              [--tickets 2] [--slow 50] [--database-url URL] [--url URL]

Starts the portal exactly like ``make run`` (``gunicorn -c python:app.serving.gunicorn_conf
--workers 2``) on a temporary instance with ``articles/`` imported (SQLite unless
``--database-url``), or uses ``--url``; ``--legacy`` starts it as ``make run`` did before
issue 13 (``gunicorn --workers 2 --preload``, sync workers) for a baseline.  Then, for ``--seconds``: ``--suggest`` clients typing
into ``/api/suggest`` (every prefix of the fixed query list), ``--search`` clients on
``/api/search`` and the ``/search`` page, ``--tickets`` clients creating tickets through
``POST /api/tickets`` and the request form, while ``--slow`` sockets send one header line a
second and never finish.  Prints per endpoint: requests, errors (5xx, no answer, or an
unexpected status), p50/p95/p99 latency and requests/s, and whether the slow sockets stayed
connected.  Exit code 1 when there was any error.

The load generator runs on the same machine (threads in this process): on 2 cores it takes
CPU from the server, so the figures are a floor, not a capacity.
"""
from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections import defaultdict
from pathlib import Path
from urllib.parse import quote, urlsplit

from .queries import TEXTS, typed

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Portal:
    def __init__(self, url: str, process=None, log: Path | None = None):
        self.url, self.process, self.log = url, process, log


@contextlib.contextmanager
def started_portal(url: str | None = None, database_url: str | None = None, workers: int = 2,
                   legacy: bool = False):
    """A running portal: ``url`` as given, or one started like ``make run`` in a temp folder."""
    if url:
        yield Portal(url.rstrip("/"))
        return
    with tempfile.TemporaryDirectory(prefix="kb-soak-") as tmp:
        env = {**os.environ, "KB_INSTANCE_DIR": f"{tmp}/instance", "KB_ARTICLES_DIR": str(REPO / "articles"),
               "KB_SECRET_KEY": "soak", "KB_LOG_LEVEL": "WARNING"}
        if database_url:
            env["KB_DATABASE_URL"] = database_url
        init = subprocess.run([str(BIN / "flask"), "--app", "wsgi", "kb", "init"], cwd=REPO, env=env,
                              capture_output=True, text=True)
        if init.returncode:
            sys.exit("kb init failed:\n" + init.stdout + init.stderr)
        port = _free_port()
        log = Path(tmp) / "gunicorn.log"
        serving = (["--preload"] if legacy  # make run before issue 13: sync workers
                   else ["-c", "python:app.serving.gunicorn_conf"])
        proc = subprocess.Popen(
            [str(BIN / "gunicorn"), *serving, "--workers", str(workers),
             "--bind", f"127.0.0.1:{port}", "--access-logfile", "/dev/null", "wsgi:app"],
            cwd=REPO, env=env, stdout=open(log, "wb"), stderr=subprocess.STDOUT)
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 120
        while True:
            try:
                urllib.request.urlopen(url + "/api/suggest?q=vpn", timeout=30).read()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    proc.kill()
                    sys.exit("the portal did not start:\n" + log.read_text(errors="replace")[-3000:])
                time.sleep(0.2)
        for _ in range(2 * workers):  # every worker opens the index and the segmenter
            urllib.request.urlopen(url + "/api/search?q=vpn", timeout=30).read()
        try:
            yield Portal(url, proc, log)
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
            tail = log.read_text(errors="replace")
            crashes = len(re.findall(r"Worker \(pid:\d+\) was sent|Traceback", tail))
            if crashes:
                print(f"server log: {crashes} worker kill(s) or traceback(s); last lines:\n{tail[-2000:]}")


def open_slow(host: str, port: int) -> socket.socket:
    """A connection that starts a request and will send one header line a second."""
    s = socket.create_connection((host, port), timeout=10)
    s.sendall(b"GET /search?q=vpn HTTP/1.1\r\nHost: x\r\n")
    return s


def is_open(s: socket.socket) -> bool:
    """False once the server closed (or answered) the connection."""
    try:
        s.setblocking(False)
        s.recv(1, socket.MSG_PEEK)   # EOF (b"") or an answer: the request is over
        return False
    except BlockingIOError:
        return True
    except OSError:
        return False
    finally:
        with contextlib.suppress(OSError):
            s.setblocking(True)


class Client:
    """One keep-alive connection with a cookie jar of one (the session cookie)."""

    def __init__(self, url: str, timeout: float = 30):
        parts = urlsplit(url)
        self.host, self.port, self.timeout = parts.hostname, parts.port, timeout
        self.conn: http.client.HTTPConnection | None = None
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, body: bytes | None = None, headers: dict | None = None):
        """(status, body); status 0 when there was no answer."""
        hdrs = {"User-Agent": "Mozilla/5.0 (kb soak)", **(headers or {})}
        if self.cookies:
            hdrs["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        for attempt in range(2):
            try:
                if self.conn is None:
                    self.conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
                self.conn.request(method, path, body=body, headers=hdrs)
                resp = self.conn.getresponse()
                data = resp.read()
                for value in resp.headers.get_all("Set-Cookie") or []:
                    name, _, rest = value.partition("=")
                    self.cookies[name.strip()] = rest.split(";", 1)[0]
                if resp.getheader("Connection", "").lower() == "close":
                    self.conn.close()
                    self.conn = None
                return resp.status, data
            except (OSError, http.client.HTTPException):
                if self.conn is not None:
                    self.conn.close()
                self.conn = None
                if attempt:
                    return 0, b""
        return 0, b""

    def form_token(self) -> str:
        status, body = self.request("GET", "/requests/new")
        m = re.search(rb'name="visit" value="([^"]+)"', body)
        return m.group(1).decode() if m else ""


TICKET = {"subject": "VPN 连接提示错误 809", "description": "在家连公司 VPN 提示错误 809，重启路由器也不行。",
          "category": "vpn", "impact": "person", "urgency": "stopped", "contact_name": "压力测试",
          "contact_email": "soak@example.com", "contact_phone": "13800000000"}


class Recorder:
    def __init__(self):
        self.times: dict[str, list[float]] = defaultdict(list)
        self.errors: dict[str, int] = defaultdict(int)
        self.samples: dict[str, list] = defaultdict(list)
        self.lock = threading.Lock()

    def record(self, name: str, started: float, status: int, ok_statuses=(200,), body: bytes = b""):
        ms = (time.perf_counter() - started) * 1000
        with self.lock:
            self.times[name].append(ms)
            if status not in ok_statuses:
                self.errors[name] += 1
                if len(self.samples[name]) < 5:
                    self.samples[name].append((status, body[:200]))


def _pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def warm_up(url: str, rounds: int = 8) -> None:
    """Not measured: every worker's first search, page render and ticket (imports, templates,
    caches) — on a loaded machine these take seconds and would be the whole p99."""
    for i in range(rounds):
        c = Client(url)  # a new connection each round: the workers take turns
        c.request("GET", "/api/suggest?q=" + quote(TEXTS[i]))
        c.request("GET", "/api/search?q=" + quote(TEXTS[i + 10]))
        c.request("GET", "/search?q=" + quote(TEXTS[i + 20]))
        token = c.form_token()
        c.request("POST", "/api/tickets", json.dumps(TICKET).encode(), {"Content-Type": "application/json"})
        data = "&".join(f"{k}={quote(v)}" for k, v in {**TICKET, "visit": token, "step": "submit"}.items())
        c.request("POST", "/requests/new", data.encode(), {"Content-Type": "application/x-www-form-urlencoded"})


def run(url: str, seconds: float, n_suggest: int, n_search: int, n_tickets: int, n_slow: int) -> int:
    stop = threading.Event()
    rec = Recorder()
    prefixes = [p for q in TEXTS for p in typed(q)]
    full = list(TEXTS)

    def suggester(i: int):
        c = Client(url)
        k = i * 37
        while not stop.is_set():
            q = prefixes[k % len(prefixes)]
            k += 1
            t = time.perf_counter()
            status, body = c.request("GET", "/api/suggest?q=" + quote(q))
            rec.record("GET /api/suggest", t, status, body=body)

    def searcher(i: int):
        c = Client(url)
        k = i * 11
        while not stop.is_set():
            q = full[k % len(full)]
            k += 1
            path, name = (("/api/search?q=", "GET /api/search") if k % 2 else ("/search?q=", "GET /search"))
            t = time.perf_counter()
            status, body = c.request("GET", path + quote(q))
            rec.record(name, t, status, body=body)

    def ticketer(i: int):
        c = Client(url)
        k = 0
        while not stop.is_set():
            k += 1
            if k % 2:
                t = time.perf_counter()
                status, body = c.request("POST", "/api/tickets", json.dumps(TICKET).encode(),
                                         {"Content-Type": "application/json"})
                rec.record("POST /api/tickets", t, status, (201,), body)
            else:
                token = c.form_token()
                csrf = ""
                data = "&".join(f"{k2}={quote(v)}" for k2, v in {**TICKET, "visit": token, "step": "submit",
                                                                   "csrf_token": csrf}.items())
                t = time.perf_counter()
                status, body = c.request("POST", "/requests/new", data.encode(),
                                         {"Content-Type": "application/x-www-form-urlencoded"})
                rec.record("POST /requests/new", t, status, (303, 400), body)
            stop.wait(0.5)

    warm_up(url)
    host, port = urlsplit(url).hostname, urlsplit(url).port
    slow = [open_slow(host, port) for _ in range(n_slow)]
    reopened = [0]

    def dripper():
        # the server ends a request whose headers take longer than its keep-alive timeout
        # (5 s); a slow-loris client then connects again at once: so does this one
        while not stop.wait(1.0):
            for i, s in enumerate(slow):
                if not is_open(s):
                    s.close()
                    with contextlib.suppress(OSError):
                        slow[i] = open_slow(host, port)
                        reopened[0] += 1
                    continue
                with contextlib.suppress(OSError):
                    s.sendall(b"X-Slow: 1\r\n")

    threads = [threading.Thread(target=dripper, daemon=True)]
    threads += [threading.Thread(target=suggester, args=(i,), daemon=True) for i in range(n_suggest)]
    threads += [threading.Thread(target=searcher, args=(i,), daemon=True) for i in range(n_search)]
    threads += [threading.Thread(target=ticketer, args=(i,), daemon=True) for i in range(n_tickets)]
    load0 = os.getloadavg()[0]
    started = time.monotonic()
    for t in threads:
        t.start()
    time.sleep(seconds)
    stop.set()
    for t in threads:
        t.join(timeout=40)
    elapsed = time.monotonic() - started
    still_open = sum(is_open(s) for s in slow)
    for s in slow:
        s.close()
    total_errors = sum(rec.errors.values())
    print(f"soak {elapsed:.0f} s: {n_suggest} suggest + {n_search} search + {n_tickets} ticket clients, "
          f"{n_slow} slow sockets held (re-opened {reopened[0]} times after the server's 5 s header "
          f"timeout; {still_open} open at the end); load {load0:.1f} → {os.getloadavg()[0]:.1f} on "
          f"{os.cpu_count()} CPUs")
    print(f"{'endpoint':22} {'requests':>9} {'errors':>7} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'req/s':>7}")
    for name in sorted(rec.times):
        v = rec.times[name]
        print(f"{name:22} {len(v):9d} {rec.errors[name]:7d} {statistics.median(v):8.1f} {_pct(v, 95):8.1f} "
              f"{_pct(v, 99):8.1f} {len(v) / elapsed:7.1f}")
    for name, samples in rec.samples.items():
        for status, body in samples:
            print(f"  {name}: status {status}: {body!r}")
    print(f"errors: {total_errors}")
    return 1 if total_errors else 0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--suggest", type=int, default=50)
    ap.add_argument("--search", type=int, default=10)
    ap.add_argument("--tickets", type=int, default=2)
    ap.add_argument("--slow", type=int, default=50)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--database-url")
    ap.add_argument("--url", help="a running portal instead of starting one")
    ap.add_argument("--legacy", action="store_true",
                    help="start gunicorn as make run did before issue 13 (sync workers), as a baseline")
    args = ap.parse_args()
    with started_portal(args.url, args.database_url, args.workers, args.legacy) as portal:
        code = run(portal.url, args.seconds, args.suggest, args.search, args.tickets, args.slow)
    sys.exit(code)


if __name__ == "__main__":
    main()
