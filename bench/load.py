"""Concurrent HTTP clients: suggest and search with 10 and 50 clients at once (issue 15).

An asyncio load generator (one keep-alive connection per client, raw HTTP/1.1, no third-party
client) against a running server.  Every client takes the next query from one shared rotation of
distinct query strings, so a phase never asks the same thing twice and the servers' per-query
caches (ranked results, suggestion candidates) never answer; per-term and per-segment data warm
up as they would in a worker that has been serving for a while.

The generator runs on the same 2 CPUs as the server: its own CPU time is printed beside the
figures (``client CPU``), and the server's CPU per request (sum of the gunicorn processes'
``utime + stime`` from ``/proc``) is the figure that does not depend on the load around it.

Standalone, on an instance that ``kb init`` already filled (starts gunicorn with the production
settings, ``app/serving/gunicorn_conf.py``, and stops it at the end)::

    .venv/bin/python -m bench.load --instance /tmp/inst --articles /tmp/lib [--requests 1000]
    .venv/bin/python -m bench.load --url http://127.0.0.1:5000      # a running portal
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import sys
import time
from pathlib import Path
from urllib.parse import quote, urlsplit

from .inproc import WARMUP
from .queries import TEXTS
from .stats import summary

CLIENTS = (10, 50)
#: words appended to the bench queries to make distinct, still plausible searches
_TAILS = ["怎么办", "无法", "Windows 11", "报错", "公司电脑", "设置", "失败", "手机", "权限", "今天",
          "总是", "新员工"]
_TICK = os.sysconf("SC_CLK_TCK")


def search_pool() -> list[str]:
    """1,176 distinct searches: each of the 100 bench queries with one of 12 words appended
    (not the bench queries themselves: the one-client phase just asked those, and the server's
    per-query caches may still hold them)."""
    asked = set(TEXTS)
    pool = [q for q in dict.fromkeys(f"{q} {t}" for t in _TAILS for q in TEXTS) if q not in asked]
    random.Random(15).shuffle(pool)
    return pool


def suggest_pool() -> list[str]:
    """Every prefix of two characters or more of the searches, as typed (distinct, shuffled)."""
    seen: dict[str, None] = {}
    asked = set(TEXTS)
    for q in search_pool():
        for i in range(2, len(q) + 1):
            p = q[:i]
            if p.strip() == p and p not in asked:
                seen[p] = None
    pool = list(seen)
    random.Random(16).shuffle(pool)
    return pool


def path(kind: str, q: str) -> str:
    limit = 5 if kind == "suggest" else 10
    return f"/api/{kind}?q={quote(q)}&limit={limit}"


def _cpu_seconds(pids) -> float:
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])    # utime, stime (clock ticks)
    return total / _TICK


class _Conn:
    def __init__(self, host: str, port: int):
        self.host, self.port = host, port
        self.reader = self.writer = None
        self.connects = 0

    async def get(self, target: str) -> int:
        for attempt in (0, 1):
            if self.writer is None:
                self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
                self.connects += 1
            try:
                self.writer.write(f"GET {target} HTTP/1.1\r\nHost: {self.host}\r\n\r\n".encode())
                head = await self.reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                status = int(lines[0].split()[1])
                length, close = 0, False
                for line in lines[1:]:
                    k, _, v = line.partition(":")
                    k = k.strip().lower()
                    if k == "content-length":
                        length = int(v)
                    elif k == "connection" and v.strip().lower() == "close":
                        close = True
                if length:
                    await self.reader.readexactly(length)
                if close:
                    self.close()
                return status
            except (asyncio.IncompleteReadError, ConnectionError):
                # the server closed an idle keep-alive connection: reconnect once
                self.close()
                if attempt:
                    raise
        raise AssertionError("unreachable")

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.writer = None


async def _phase(host: str, port: int, kind: str, clients: int, pool: list[str], start: int,
                 requests: int) -> dict:
    times: list[float] = []
    statuses: dict[int, int] = {}
    counter = iter(range(start, start + requests))
    conns = [_Conn(host, port) for _ in range(clients)]

    async def client(conn: _Conn) -> None:
        for i in counter:
            target = path(kind, pool[i % len(pool)])
            t0 = time.perf_counter()
            try:
                status = await conn.get(target)
            except (OSError, asyncio.IncompleteReadError, ValueError, IndexError):
                status = 0
                conn.close()
            times.append((time.perf_counter() - t0) * 1000)
            statuses[status] = statuses.get(status, 0) + 1

    t0 = time.perf_counter()
    await asyncio.gather(*(client(c) for c in conns))
    wall = time.perf_counter() - t0
    for c in conns:
        c.close()
    ok = statuses.get(200, 0)
    return summary(times) | {"clients": clients, "requests": len(times), "errors": len(times) - ok,
                             "statuses": {str(k): v for k, v in sorted(statuses.items())},
                             "wall_s": wall, "rps": len(times) / wall if wall else 0.0,
                             "connects": sum(c.connects for c in conns)}


def run(host: str, port: int, server_pids=(), requests: dict | None = None,
        clients=CLIENTS) -> dict:
    """Suggest then search, at each client count; ``requests`` per phase by kind."""
    requests = requests or {"suggest": 1000, "search": 500}
    pools = {"suggest": suggest_pool(), "search": search_pool()}
    # untimed: several connections at once, so that every worker has opened the index
    for kind in ("suggest", "search"):
        asyncio.run(_phase(host, port, kind, 8, WARMUP, 0, 4 * len(WARMUP)))
    offset = {"suggest": 0, "search": 0}
    out: dict = {}
    for kind in ("suggest", "search"):
        for n in clients:
            pool = pools[kind]
            cpu0, srv0 = time.process_time(), _cpu_seconds(server_pids)
            each0 = [_cpu_seconds([pid]) for pid in server_pids]
            res = asyncio.run(_phase(host, port, kind, n, pool, offset[kind], requests[kind]))
            offset[kind] += requests[kind]
            res["client_cpu_s"] = time.process_time() - cpu0
            if server_pids:
                srv = _cpu_seconds(server_pids) - srv0
                res["server_cpu_s"] = srv
                res["server_cpu_ms_per_req"] = srv * 1000 / max(1, res["requests"])
                # per process (master first): an uneven share means one worker was the queue
                res["server_cpu_s_each"] = [round(_cpu_seconds([pid]) - c0, 2)
                                            for pid, c0 in zip(server_pids, each0)]
            res["pool"] = len(pool)
            res["repeats"] = max(0, offset[kind] - len(pool))
            out[f"{kind}_{n}"] = res
    return out


#: issue 15's targets at 10,000 articles (p95 ms) per phase
TARGETS = {"suggest_10": 25.0, "suggest_50": 100.0, "search_10": 60.0}


def lines(res: dict) -> list[str]:
    out = []
    for key, r in res.items():
        target = TARGETS.get(key)
        mark = "" if target is None else (f"  target p95 ≤ {target:.0f} ms "
                                          + ("✓" if r["p95"] <= target else "✗"))
        srv = (f", server CPU {r['server_cpu_ms_per_req']:.1f} ms/req "
               f"(s per process {r.get('server_cpu_s_each')})"
               if "server_cpu_ms_per_req" in r else "")
        kind, n = key.rsplit("_", 1)
        out.append(f"HTTP {kind:7s} {n:>2} clients: p50/p95/p99 {r['p50']:.1f}/{r['p95']:.1f}/"
                   f"{r['p99']:.1f} ms, {r['rps']:.0f} req/s, {r['requests']} requests, "
                   f"errors {r['errors']}{srv}, client CPU {r['client_cpu_s']:.1f} s "
                   f"of {r['wall_s']:.1f} s{mark}")
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--url", help="a running portal (no server started)")
    ap.add_argument("--instance", type=Path, help="instance folder filled by kb init")
    ap.add_argument("--articles", type=Path, help="KB_ARTICLES_DIR of that instance")
    ap.add_argument("--requests", type=int, default=1000, help="suggest requests per phase "
                    "(search: half)")
    ap.add_argument("--clients", default="10,50")
    ap.add_argument("--sync", action="store_true", help="gunicorn sync workers (the bench's "
                    "former server) instead of the production gevent settings")
    ap.add_argument("--json", type=Path, help="write the figures here")
    args = ap.parse_args(argv)
    clients = tuple(int(c) for c in args.clients.split(","))
    reqs = {"suggest": args.requests, "search": max(1, args.requests // 2)}
    out: dict = {}
    if args.url:
        u = urlsplit(args.url)
        out["load"] = run(u.hostname, u.port or 80, (), reqs, clients)
    else:
        if not args.instance or not args.articles:
            ap.error("--instance and --articles (or --url)")
        from .server import Server, memory
        srv = Server(args.instance, args.articles, args.instance / "load-server.log",
                     production=not args.sync)
        try:
            srv.start()
            out["ready_s"] = srv.wait_ready(path("suggest", "VPN"))
            print(f"worker ready {out['ready_s']:.2f} s ({srv.kind})", flush=True)
            master, workers = srv.all_pids()
            out["load"] = run("127.0.0.1", srv.port, [master, *workers], reqs, clients)
            out["memory"] = [memory(p) for p in workers]
        finally:
            srv.stop()
    for line in lines(out["load"]):
        print(line)
    if args.json:
        args.json.write_text(json.dumps(out, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
