"""Over HTTP with the real server: import the set through the app, start gunicorn, time the API.

Everything stays on 127.0.0.1; the server runs in its own process group and is always killed
(``Server.stop`` in a ``finally``).
"""
from __future__ import annotations

import http.client
import json
import os
import re
import resource
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

from .datasets import REPO
from .inproc import WARMUP
from .queries import TEXTS
from .stats import summary

READY_TIMEOUT = 60.0


def _bin(name: str) -> list[str]:
    exe = Path(sys.executable).parent / name
    return [str(exe)] if exe.exists() else [sys.executable, "-m", name]


def app_env(instance: Path, articles: Path) -> dict:
    env = dict(os.environ)
    env.update(KB_INSTANCE_DIR=str(instance), KB_ARTICLES_DIR=str(articles), KB_LOG_LEVEL="WARNING")
    for k in ("KB_DATABASE_URL", "KB_INDEX_DIR", "KB_SECRET_KEY"):
        env.pop(k, None)
    return env


def _run(cmd: list[str], env: dict, log: Path, timeout: float) -> tuple[subprocess.CompletedProcess, float, float]:
    """Run a command; returns (result, wall seconds, child CPU seconds)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    with open(log, "a", encoding="utf-8") as err:
        res = subprocess.run(cmd, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=err, text=True,
                             timeout=timeout)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return res, wall, cpu


def import_set(instance: Path, articles: Path, log: Path) -> dict:
    """``kb init`` with KB_ARTICLES_DIR = the set's folder: migrate, import, index, admin.

    (``kb init`` on an empty library followed by ``kb sync DIR --json`` would give exact counts,
    but ``kb init`` with an empty library fails at the moment: see bench/README.md.)
    """
    flask = _bin("flask") + ["--app", "wsgi", "kb"]
    res, wall, cpu = _run(flask + ["init"], app_env(instance, articles), log, 900)
    if res.returncode != 0:
        raise RuntimeError(f"kb init failed ({res.returncode}); see {log}")
    m = re.search(r"新增 (\d+).*?失败 (\d+)", res.stdout)
    return {"seconds": wall, "cpu": cpu, "created": int(m.group(1)) if m else None,
            "errors": int(m.group(2)) if m else None, "exit": res.returncode}


COLD_START = """
import json, sys, time
t0 = time.perf_counter()
from wsgi import app
t1 = time.perf_counter()
out = {"import_app": t1 - t0}
from app.articles.search import engine
with app.app_context():
    e = engine()
    t2 = time.perf_counter()
    e.suggest("VPN 连接")
    t3 = time.perf_counter()
    e.search("VPN 连接提示错误 809")
    t4 = time.perf_counter()
out.update(open_engine=t2 - t1, first_suggest=t3 - t2, first_search=t4 - t3, total=t4 - t0)
print(json.dumps(out))
"""


def cold_start(instance: Path, articles: Path, log: Path) -> dict:
    """A fresh process: import the app, open the index (+ segmenter), first suggest and search."""
    cmd = [sys.executable, "-c", COLD_START]
    res, _, _ = _run(cmd, app_env(instance, articles), log, 120)
    return json.loads(res.stdout.strip().splitlines()[-1])


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """gunicorn on a free port: by default with the production settings ``make run`` uses
    (``app/serving/gunicorn_conf.py``: gevent workers, ``--preload``, access log); with
    ``production=False`` sync workers with ``--preload`` (the bench's server before issue 15's
    concurrent clients: one connection per worker at a time, no keep-alive)."""

    def __init__(self, instance: Path, articles: Path, log: Path, workers: int = 2,
                 entry: str = "wsgi:app", production: bool = True):
        self.port = free_port()
        self.entry = entry
        self.production = production
        self.kind = "gevent (app/serving/gunicorn_conf.py)" if production else "sync, --preload"
        self.instance, self.articles, self.log, self.workers = instance, articles, log, workers
        self.proc: subprocess.Popen | None = None
        self.started = 0.0

    def start(self) -> None:
        conf = ["-c", "python:app.serving.gunicorn_conf"] if self.production else ["--preload"]
        cmd = _bin("gunicorn") + conf + ["-w", str(self.workers), "--bind",
                                         f"127.0.0.1:{self.port}", self.entry]
        self._err = open(self.log, "a", encoding="utf-8")
        self.started = time.monotonic()
        self.proc = subprocess.Popen(cmd, cwd=REPO, env=app_env(self.instance, self.articles),
                                     stdout=self._err, stderr=self._err, start_new_session=True)

    def wait_ready(self, path: str) -> float:
        """Seconds from start until the first 200 for ``path`` (new connection per try)."""
        deadline = self.started + READY_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.proc.returncode}; see {self.log}")
            try:
                c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
                c.request("GET", path)
                r = c.getresponse()
                r.read()
                c.close()
                if r.status == 200:
                    return time.monotonic() - self.started
            except OSError:
                pass
            time.sleep(0.01)
        raise RuntimeError(f"server not ready after {READY_TIMEOUT:.0f} s; see {self.log}")

    def pids(self) -> tuple[int, list[int]]:
        master = self.proc.pid
        kids = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            if ppid == master:
                kids.append(int(entry.name))
        return master, sorted(kids)

    def all_pids(self, timeout: float = 30) -> tuple[int, list[int]]:
        """:meth:`pids` once every worker has been forked: the first answer (``wait_ready``) can
        come from the first worker before the master has forked the second, and a CPU figure
        summed over the processes then misses one of them (bench.load run standalone read half
        the CPU per request now and then)."""
        deadline = time.monotonic() + timeout
        master, workers = self.pids()
        while len(workers) < self.workers and time.monotonic() < deadline:
            time.sleep(0.05)
            master, workers = self.pids()
        return master, workers

    def stop(self) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(self.proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                self.proc.wait(timeout=15)
        self._err.close()
        self.proc = None


def memory(pid: int) -> dict:
    """RSS and peak RSS from /proc/<pid>/status, PSS from smaps_rollup (MB)."""
    out = {}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(("VmRSS:", "VmHWM:")):
                out[line.split(":")[0]] = int(line.split()[1]) / 1024
    except OSError:
        pass
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                out["Pss"] = int(line.split()[1]) / 1024
    except OSError:
        pass
    return out


class Client:
    """One keep-alive connection (http.client reopens it when the server closes it)."""

    def __init__(self, port: int):
        self.port = port
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.reconnects = 0
        self.requests = 0

    def get(self, path: str) -> tuple[int, dict]:
        if self.conn.sock is None and self.requests:
            self.reconnects += 1
        self.requests += 1
        self.conn.request("GET", path)
        r = self.conn.getresponse()
        body = r.read()
        if r.status != 200:
            return r.status, {}
        return r.status, json.loads(body)

    def close(self) -> None:
        self.conn.close()


def _path(kind: str, q: str) -> str:
    limit = 5 if kind == "suggest" else 10
    return f"/api/{kind}?q={quote(q)}&limit={limit}"


def time_api(client: Client, kind: str, rounds: int) -> dict:
    times, server, first = [], [], []
    empty = errors = 0
    for r in range(rounds):
        for q in TEXTS:
            t0 = time.perf_counter()
            status, body = client.get(_path(kind, q))
            ms = (time.perf_counter() - t0) * 1000
            times.append(ms)
            if r == 0:
                first.append(ms)
            if status != 200:
                errors += 1
                continue
            server.append(float(body.get("took_ms", 0.0)))
            if r == 0 and not body.get("results"):
                empty += 1
    return summary(times) | {"empty": empty, "errors": errors, "first_round": summary(first),
                             "server_p50": summary(server)["p50"], "server_p95": summary(server)["p95"]}


def precompile(log: Path) -> dict:
    """What ``make init`` does before ``make run``: bytecode for app/, indexer/ and wsgi.py
    (written even when PYTHONDONTWRITEBYTECODE is set, as on this machine; without it every
    server start compiles our ~130 modules again)."""
    res, wall, cpu = _run([sys.executable, "-m", "compileall", "-q", "app", "indexer", "wsgi.py"],
                          dict(os.environ), log, 300)
    return {"seconds": wall, "cpu": cpu, "exit": res.returncode}


def measure(instance: Path, articles: Path, log: Path, suggest_rounds: int, search_rounds: int,
            load_requests: dict | None = None, production: bool = True) -> dict:
    """``load_requests`` ({"suggest": n, "search": m}): also run the concurrent phases
    (``bench/load.py``, 10 and 50 clients) after the one-client ones."""
    out: dict = {}
    out["compile"] = precompile(log)
    out["import"] = import_set(instance, articles, log)
    out["cold_start"] = cold_start(instance, articles, log)
    entry = "wsgi:app"
    out["entry"] = entry
    srv = Server(instance, articles, log, entry=entry, production=production)
    out["server"] = srv.kind
    try:
        srv.start()
        out["ready_s"] = srv.wait_ready(_path("suggest", "VPN"))
        client = Client(srv.port)
        try:
            for q in WARMUP * 2:            # both workers see their first requests here
                client.get(_path("suggest", q))
                client.get(_path("search", q))
            out["suggest"] = time_api(client, "suggest", suggest_rounds)
            out["search"] = time_api(client, "search", search_rounds)
            out["keepalive"] = {"requests": client.requests, "reconnects": client.reconnects}
        finally:
            client.close()
        master, workers = srv.all_pids()
        if load_requests:
            from . import load
            out["load"] = load.run("127.0.0.1", srv.port, [master, *workers], load_requests)
        out["memory"] = {"master": memory(master), "workers": [memory(p) for p in workers]}
    finally:
        srv.stop()
    return out
