"""Two code trees' production servers on one instance, their load phases alternated (issue 15).

A/B of the HTTP path on a busy machine: both gunicorns (``-c python:app.serving.gunicorn_conf``,
2 gevent workers, each tree's own venv and code) serve the same instance that ``kb init`` filled;
every round runs each phase on A then B (B then A on odd rounds), so both see the same minutes'
load. Per phase and server: CPU ms per request (``utime + stime`` of master and workers from
``/proc``, as ``bench/load.py``) and p95; then the medians and the per-round ratio B ÷ A.

    .venv/bin/python -m bench.ab_http --a /tmp/base-tree --b . --instance DIR --articles DIR [--rounds 16]

Phases (``bench/load.py``'s client and query rotations): ``fixed_suggest`` / ``fixed_search``
(one query over and over: the engine's caches answer, what is left is the request path —
Flask, hooks, JSON, search log, gunicorn, access log), ``suggest_50`` and ``search_10``
(distinct queries, as ``bench.load``; both servers get the same queries in a round). Each tree
needs ``.venv/bin/gunicorn``.
"""
from __future__ import annotations

import argparse
import asyncio
import http.client
import json
import os
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

from . import load
from .server import app_env, free_port

PHASES = (("fixed_suggest", "suggest", 50, 1000, True), ("fixed_search", "search", 50, 300, True),
          ("suggest_50", "suggest", 50, 300, False), ("search_10", "search", 10, 100, False))
FIXED = ["VPN 连接"]


def _children(pid: int) -> list[int]:
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                    out.append(int(entry.name))
            except OSError:
                pass
    return out


def _wait(port: int, proc: subprocess.Popen) -> None:
    for _ in range(1200):
        if proc.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {proc.returncode}")
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            c.request("GET", load.path("suggest", "VPN"))
            r = c.getresponse()
            r.read()
            if r.status == 200:
                return
        except OSError:
            pass
        time.sleep(0.05)
    raise RuntimeError("server not ready")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--a", type=Path, required=True, help="tree A (e.g. a git worktree of the base commit)")
    ap.add_argument("--b", type=Path, required=True, help="tree B")
    ap.add_argument("--instance", type=Path, required=True)
    ap.add_argument("--articles", type=Path, required=True)
    ap.add_argument("--rounds", type=int, default=16)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args(argv)
    trees = {"A": args.a.resolve(), "B": args.b.resolve()}
    env = app_env(args.instance.resolve(), args.articles.resolve())
    procs, ports, pids = {}, {}, {}
    try:
        for name, tree in trees.items():
            ports[name] = free_port()
            log = open(args.instance / f"ab_http-{name}.log", "a", encoding="utf-8")
            procs[name] = subprocess.Popen(
                [str(tree / ".venv/bin/gunicorn"), "-c", "python:app.serving.gunicorn_conf", "-w", "2",
                 "--bind", f"127.0.0.1:{ports[name]}", "wsgi:app"],
                cwd=tree, env=env, stdout=log, stderr=log, start_new_session=True)
        for name in trees:
            _wait(ports[name], procs[name])
            kids = _children(procs[name].pid)
            for _ in range(600):  # every worker forked (the first answer may come before the second)
                if len(kids) >= 2:
                    break
                time.sleep(0.05)
                kids = _children(procs[name].pid)
            pids[name] = [procs[name].pid, *kids]
            for kind in ("suggest", "search"):  # untimed: every worker opens the index
                asyncio.run(load._phase("127.0.0.1", ports[name], kind, 8, load.WARMUP, 0, 4 * len(load.WARMUP)))
        pools = {"suggest": load.suggest_pool(), "search": load.search_pool()}
        offset = {"suggest": 0, "search": 0}
        res: dict = {}
        for rnd in range(args.rounds):
            order = ("A", "B") if rnd % 2 == 0 else ("B", "A")
            for phase, kind, clients, n, fixed in PHASES:
                pool, start = (FIXED, 0) if fixed else (pools[kind], offset[kind])
                for name in order:
                    c0 = load._cpu_seconds(pids[name])
                    r = asyncio.run(load._phase("127.0.0.1", ports[name], kind, clients, pool, start, n))
                    cpu = (load._cpu_seconds(pids[name]) - c0) * 1000 / max(1, r["requests"])
                    res.setdefault(phase, {}).setdefault(name, []).append(
                        {"cpu_ms": round(cpu, 3), "p95": round(r["p95"], 1), "errors": r["errors"]})
                if not fixed:
                    offset[kind] += n
            print(f"round {rnd + 1}/{args.rounds} {time.strftime('%H:%M:%S')} load {os.getloadavg()[0]:.1f}", flush=True)
    finally:
        for p in procs.values():
            try:
                os.killpg(p.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        for p in procs.values():
            p.wait(timeout=30)
    for phase, d in res.items():
        a, b = d["A"], d["B"]
        ratio = [y["cpu_ms"] / x["cpu_ms"] for x, y in zip(a, b) if x["cpu_ms"]]
        med = lambda rows, k: statistics.median(r[k] for r in rows)  # noqa: E731
        print(f"{phase:14s} CPU ms/req A {med(a, 'cpu_ms'):.3f}  B {med(b, 'cpu_ms'):.3f}  B/A per round "
              f"median {statistics.median(ratio):.3f} (B lower in {sum(x < 1 for x in ratio)}/{len(ratio)}); "
              f"p95 ms A {med(a, 'p95'):.1f}  B {med(b, 'p95'):.1f}; errors {sum(r['errors'] for r in a + b)}")
    if args.json:
        args.json.write_text(json.dumps(res, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
