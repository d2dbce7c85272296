"""Worker ready, A/B: the production server's start as ``bench/search.py`` times it, only that.

``gunicorn -c python:app.serving.gunicorn_conf -w 2`` (``make run``'s settings) is started from
each tree in turn on one instance filled once by ``kb init``, and timed from start to the first
``200`` of ``/api/suggest`` (a new connection every 10 ms, as ``server.Server.wait_ready``); then
the master's and workers' CPU (``/proc``) and PSS are read and the server is stopped.  Trees
alternate (A B, B A, …) so both see the same minutes of a shared machine.  Also, with
``--import-runs``, ``import wsgi`` alone in a fresh interpreter (wall and CPU), alternated too.

    .venv/bin/python -m bench.ready --build /tmp/ready10k            # once: the bench's 10k set, kb init
    .venv/bin/python -m bench.ready --instance-root /tmp/ready10k --tree . --tree /tmp/base --runs 8

Each ``--tree`` needs its own venv (``TREE/.venv``, the package installed from that tree) and is
byte-compiled first (``compileall``, as ``make init`` does).  The instance's database and index
are shared: only use trees whose schema and index pipeline are the same.
"""
from __future__ import annotations

import argparse
import http.client
import os
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.server import app_env, free_port, memory  # noqa: E402

PATH = "/api/suggest?q=VPN&limit=5"
IMPORT = ("import resource, time\n"
          "def cpu():\n"
          "    r = resource.getrusage(resource.RUSAGE_SELF)\n"
          "    return r.ru_utime + r.ru_stime\n"
          "t, c = time.perf_counter(), cpu()\n"
          "import wsgi\n"
          "print(time.perf_counter() - t, cpu() - c)\n")


def build(root: Path) -> None:
    """The bench's 10k set written as Markdown under ROOT/library, imported by ``kb init``
    into ROOT/instance (what ``bench/search.py`` does before its HTTP part)."""
    from bench import datasets, server

    s = datasets.load(["10k"])["10k"]
    n = datasets.write_markdown(s.records, root / "library")
    print(f"wrote {n:,} articles", flush=True)
    print(server.import_set(root / "instance", root / "library", root / "init.log"))


def _cpu(pid: int) -> float | None:
    try:
        f = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")


def _children(pid: int) -> list[int]:
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True)
    return sorted(int(p) for p in out.stdout.split())


def start_once(tree: Path, root: Path, log) -> dict:
    port = free_port()
    cmd = [str(tree / ".venv" / "bin" / "gunicorn"), "-c", "python:app.serving.gunicorn_conf",
           "-w", "2", "--bind", f"127.0.0.1:{port}", "wsgi:app"]
    t0 = time.monotonic()
    proc = subprocess.Popen(cmd, cwd=tree, env=app_env(root / "instance", root / "library"),
                            stdout=log, stderr=log, start_new_session=True)
    try:
        ready = None
        while time.monotonic() < t0 + 60:
            if proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {proc.returncode}")
            try:
                c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
                c.request("GET", PATH)
                r = c.getresponse()
                r.read()
                c.close()
                if r.status == 200:
                    ready = time.monotonic() - t0
                    break
            except OSError:
                pass
            time.sleep(0.01)
        if ready is None:
            raise RuntimeError("not ready after 60 s")
        time.sleep(0.05)
        workers = _children(proc.pid)
        return {"ready": ready, "master_cpu": _cpu(proc.pid),
                "worker_cpu": [_cpu(p) for p in workers],
                "pss": [round(memory(p).get("Pss", 0)) for p in [proc.pid, *workers]]}
    finally:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        proc.wait(15)


def import_once(tree: Path, root: Path) -> tuple[float, float]:
    out = subprocess.run([str(tree / ".venv" / "bin" / "python"), "-c", IMPORT], cwd=tree,
                         env=app_env(root / "instance", root / "library"), capture_output=True,
                         text=True, timeout=120)
    if out.returncode != 0:
        raise RuntimeError(out.stderr)
    wall, cpu = map(float, out.stdout.split())
    return wall, cpu


def _spread(values) -> str:
    v = sorted(values)
    return f"{statistics.median(v):.3f} ({v[0]:.3f}–{v[-1]:.3f})"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", type=Path, help="fill ROOT once (10k set, kb init) and exit")
    ap.add_argument("--instance-root", type=Path, help="ROOT as filled by --build")
    ap.add_argument("--tree", type=Path, action="append", help="a source tree with its .venv (repeatable)")
    ap.add_argument("--runs", type=int, default=6, help="starts per tree (alternated)")
    ap.add_argument("--import-runs", type=int, default=0, help="fresh 'import wsgi' per tree (alternated)")
    args = ap.parse_args(argv)
    if args.build:
        build(args.build)
        return 0
    if not args.instance_root or not args.tree:
        ap.error("--instance-root and at least one --tree (or --build ROOT)")
    root = args.instance_root
    trees = [t.resolve() for t in args.tree]
    for t in trees:
        subprocess.run([str(t / ".venv" / "bin" / "python"), "-m", "compileall", "-q", "app",
                        "indexer", "wsgi.py"], cwd=t, check=True, stdout=subprocess.DEVNULL)
    starts: dict[Path, list[dict]] = {t: [] for t in trees}
    imports: dict[Path, list[tuple[float, float]]] = {t: [] for t in trees}
    load0 = os.getloadavg()[0]
    with open(root / "ready.log", "a", encoding="utf-8") as log:
        for i in range(args.runs):
            for t in (trees if i % 2 == 0 else trees[::-1]):
                r = start_once(t, root, log)
                starts[t].append(r)
                print(f"{i} {t}: ready {r['ready']:.3f} s, master CPU {r['master_cpu']:.2f} s, "
                      f"workers CPU {r['worker_cpu']}, PSS MB {r['pss']}", flush=True)
    for i in range(args.import_runs):
        for t in (trees if i % 2 == 0 else trees[::-1]):
            imports[t].append(import_once(t, root))
    print(f"load average {load0:.1f} at start, {os.getloadavg()[0]:.1f} at end")
    for t in trees:
        rs = starts[t]
        line = (f"{t}: worker ready median {_spread(r['ready'] for r in rs)} s; master CPU "
                f"{_spread(r['master_cpu'] for r in rs)} s; busiest worker CPU "
                f"{_spread(max(r['worker_cpu'] or [0]) for r in rs)} s")
        if imports[t]:
            line += (f"; import wsgi wall {_spread(w for w, _ in imports[t])} s, CPU "
                     f"{_spread(c for _, c in imports[t])} s")
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
