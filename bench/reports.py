"""Benchmark: /reports/ for one month of a generated data set (kb demo-data: 3 months, 5,000
tickets, 50,000 searches) on SQLite, or on PostgreSQL with KB_BENCH_DATABASE_URL.

    nice -n 10 .venv/bin/python bench/reports.py [--runs 15] [--tickets 5000] [--searches 50000] [--log-cost 300] [--profile 40]
    .venv/bin/python bench/reports.py --db URL [--code DIR]   # existing demo data; another revision's code
    KB_BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test nice -n 10 .venv/bin/python bench/reports.py

Prints medians and p95 (wall clock and this process's CPU time) of: the whole /reports/ page over
HTTP (Flask test client, logged in as an agent), the report built without rendering, and — as a
plain baseline beside them — the existing ``kb stats`` deflection count for the same month (one
query family over one table; it shares ``visit_outcomes`` with the report, so it got faster too).
On a shared machine the CPU time is the steadier figure; on PostgreSQL it leaves out the
server's work, so read the wall clock there.

``--log-cost N``: what the search log's daily rollup (app/reports/rollup.py) adds to each search
(``searchlog.record`` + commit, with and without the upsert, alternating). ``--profile N``: per
statement SQL times (median of 5 pages) and a cProfile of one page (its N costliest functions).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

HERE = Path(__file__).resolve().parents[1]


def _code_dir() -> str:
    """``--code DIR`` (read before the app is imported): time another revision's code."""
    for i, arg in enumerate(sys.argv):
        if arg == "--code" and i + 1 < len(sys.argv):
            return str(Path(sys.argv[i + 1]).resolve())
        if arg.startswith("--code="):
            return str(Path(arg.split("=", 1)[1]).resolve())
    return str(HERE)


sys.path.insert(0, _code_dir())

from sqlalchemy import create_engine, text  # noqa: E402

from app import create_app, migrate  # noqa: E402
from app.db import session_scope  # noqa: E402


def pct(values, q):
    s = sorted(values)
    return s[max(0, int(round(q * len(s) + 0.5)) - 1)]


class ServerCPU:
    """CPU time of this process's PostgreSQL backends (same machine: ``/proc/<pid>/stat``), so
    the figures on PostgreSQL include the server's work; None on SQLite or a remote server."""

    def __init__(self, engine):
        self.pids: set[int] = set()
        self.hz = os.sysconf("SC_CLK_TCK")
        if engine.dialect.name != "postgresql":
            return
        from sqlalchemy import event

        @event.listens_for(engine, "connect")
        def _pid(dbapi_conn, _record):
            cur = dbapi_conn.cursor()
            cur.execute("SELECT pg_backend_pid()")
            self.pids.add(cur.fetchone()[0])
            cur.close()

        engine.dispose()  # connections opened from now on report their backend
        with engine.connect():
            pass

    def ms(self) -> float | None:
        if not self.pids:
            return None
        total = 0
        for pid in self.pids:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                return None
            total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14, 15 of stat)
        return total * 1000 / self.hz


def log_cost(app, n: int) -> None:
    """What the daily rollup adds to a search: ``searchlog.record`` + commit (the request's own
    transaction) with the upsert and without it, alternating so both see the same load."""
    from flask import session as flask_session

    from app.db import get_session
    from app.reports import rollup, searchlog

    real = rollup.add
    got = {"with rollup upsert": [], "without (search_log only)": []}
    try:
        for i in range(2 * n):
            name = list(got)[i % 2]
            rollup.add = real if i % 2 == 0 else (lambda *a, **k: None)
            with app.test_request_context("/search"):
                session = get_session()
                t, c = time.perf_counter(), time.process_time()
                searchlog.record(session, flask_session, f"VPN 错误 {i % 40}", i % 7, "requester", "page")
                session.commit()
                got[name].append(((time.perf_counter() - t) * 1000, (time.process_time() - c) * 1000))
    finally:
        rollup.add = real
    print(f"\nlogging one search, {n} each (ms):")
    for name, values in got.items():
        wall, cpu = [v[0] for v in values], [v[1] for v in values]
        print(f"{name:42} {statistics.median(wall):11.2f} {pct(wall, 0.95):9.2f} {statistics.median(cpu):11.2f} "
              f"{pct(cpu, 0.95):8.2f}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=15)
    ap.add_argument("--tickets", type=int, default=5000)
    ap.add_argument("--searches", type=int, default=50000)
    ap.add_argument("--db", metavar="URL",
                    help="an existing database that already holds kb demo-data (nothing generated, migrated or "
                         "dropped): the same data for several runs or revisions")
    ap.add_argument("--code", metavar="DIR", help="import the app from DIR (e.g. `git archive REV | tar -x -C DIR`) "
                    "instead of this checkout: with --db, an A/B of two revisions on one data set")
    ap.add_argument("--log-cost", type=int, default=0, metavar="N",
                    help="also time logging one search (record + commit) N times with the rollup upsert and "
                         "N times without it, alternating")
    ap.add_argument("--profile", type=int, default=0, metavar="N",
                    help="after the timed runs, cProfile one page render and print its N costliest functions")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-reports-"))
    base = None if args.db else os.environ.get("KB_BENCH_DATABASE_URL")
    drop = None
    if args.db:
        url = args.db
    elif base:
        schema = f"bench_{uuid.uuid4().hex[:10]}"
        admin = create_engine(base)
        with admin.begin() as c:
            c.execute(text(f'CREATE SCHEMA "{schema}"'))
        url = f"{base}{'&' if '?' in base else '?'}options=-csearch_path%3D{schema}"

        def drop():
            with admin.begin() as c:
                c.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    else:
        url = f"sqlite:///{tmp / 'kb.sqlite3'}"
    app = create_app({"KB_INSTANCE_DIR": str(tmp), "KB_DATABASE_URL": url, "WTF_CSRF_ENABLED": False,
                      "RATELIMIT_ENABLED": False, "KB_ARTICLES_DIR": str(HERE / "articles")})
    import app as app_package

    print(f"code: {Path(app_package.__file__).parent.parent}")
    if not args.db:
        migrate.upgrade(app.extensions["kb.engine"])
        runner = app.test_cli_runner()
        t = time.perf_counter()
        out = runner.invoke(args=["kb", "sync"])
        assert out.exit_code == 0, out.output
        out = runner.invoke(args=["kb", "demo-data", "--tickets", str(args.tickets), "--searches", str(args.searches)])
        assert out.exit_code == 0, out.output
        print(out.output.strip(), f"(with sync: {time.perf_counter() - t:.1f} s)")
    from app.models import User
    from app.reports.period import last_month
    from app.reports.summary import build
    from app.requests.visits import deflection_stats
    from app.tickets.sla import timezone_from_config

    from sqlalchemy import select

    with app.app_context(), session_scope() as s:
        u = s.scalar(select(User).where(User.username == "bench_agent"))
        if u is None:
            u = User(username="bench_agent", role="agent", email="b@example.com")
            s.add(u)
        u.set_password("bench-password-1")
    client = app.test_client()
    assert client.post("/login", data={"username": "bench_agent", "password": "bench-password-1"}).status_code == 302
    period = last_month(timezone_from_config(app.config))
    q = "range=last_month"
    with app.app_context(), session_scope() as s:
        r = build(s, period, "agent")
    print(f"month {period.label}: {r['tickets']['created']} tickets created, {r['tickets']['resolved']} resolved, "
          f"{r['search']['searches']} searches, {r['self_service']['deflection']['visits']} form visits")
    names = ("GET /reports/ (HTTP, full page)", "build() only", "baseline: kb stats deflection_stats()")
    timings = {name: [] for name in names}  # (wall ms, CPU ms): the machine is shared, CPU time is the steadier
    client.get(f"/reports/?{q}")  # warm-up

    server = ServerCPU(app.extensions["kb.engine"])

    def timed(name, fn):
        t, c, sc = time.perf_counter(), time.process_time(), server.ms()
        out = fn()
        after = server.ms()
        timings[name].append(((time.perf_counter() - t) * 1000, (time.process_time() - c) * 1000,
                              None if sc is None or after is None else after - sc))
        return out

    for _ in range(args.runs):
        resp = timed(names[0], lambda: client.get(f"/reports/?{q}"))
        assert resp.status_code == 200
        with app.app_context(), session_scope() as s:
            timed(names[1], lambda: build(s, period, "agent"))
            timed(names[2], lambda: deflection_stats(s, period.start, period.end))
    db = "PostgreSQL" if url.startswith("postgresql") else "SQLite"
    print(f"\n{db}, {args.runs} runs, load average {os.getloadavg()[0]:.1f}; page size {len(resp.data) // 1024} KB")
    with_server = all(v[2] is not None for values in timings.values() for v in values)
    print(f"{'measure':42} {'wall median':>11} {'wall p95':>9} {'CPU median':>11} {'CPU p95':>8}"
          + (f" {'server CPU median':>17} {'p95':>6}" if with_server else "") + "  (ms)")
    for name, values in timings.items():
        wall, cpu = [v[0] for v in values], [v[1] for v in values]
        line = (f"{name:42} {statistics.median(wall):11.1f} {pct(wall, 0.95):9.1f} {statistics.median(cpu):11.1f} "
                f"{pct(cpu, 0.95):8.1f}")
        if with_server:
            sc = [v[2] for v in values]
            line += f" {statistics.median(sc):17.0f} {pct(sc, 0.95):6.0f}"
        print(line)
    if with_server:
        print(f"(server CPU: the PostgreSQL backends of this process, /proc utime + stime, {1000 // server.hz} ms ticks)")
    page = statistics.median(v[0] for v in timings[names[0]])
    print(f"ratio page / baseline (wall): {page / statistics.median(v[0] for v in timings[names[2]]):.1f}×")
    if args.log_cost:
        log_cost(app, args.log_cost)
    if args.profile:
        import cProfile
        import pstats

        from sqlalchemy import event

        engine = app.extensions["kb.engine"]
        sql = []

        def before(conn, cursor, statement, parameters, context, executemany):
            conn.info.setdefault("bench_t", []).append(time.perf_counter())

        def after(conn, cursor, statement, parameters, context, executemany):
            sql.append((time.perf_counter() - conn.info["bench_t"].pop(), " ".join(statement.split())))

        event.listen(engine, "before_cursor_execute", before)
        event.listen(engine, "after_cursor_execute", after)
        rounds = []
        for _ in range(5):  # SQL timings without the profiler's overhead: per statement, median of 5 pages
            sql.clear()
            client.get(f"/reports/?{q}")
            rounds.append(list(sql))
        event.remove(engine, "before_cursor_execute", before)
        event.remove(engine, "after_cursor_execute", after)
        per = [(statistics.median(r[i][0] for r in rounds), rounds[0][i][1]) for i in range(min(map(len, rounds)))]
        print(f"\nSQL of one GET /reports/ ({db}): {len(per)} statements, median of 5 pages per statement, "
              f"{sum(t for t, _ in per) * 1000:.1f} ms in all (execute only; SQLite steps most rows in fetchall, "
              "which is in the profile below)")
        for t, stmt in sorted(per, reverse=True)[:12]:
            print(f"{t * 1000:8.1f} ms  {stmt[:150]}")
        prof = cProfile.Profile()
        prof.enable()
        client.get(f"/reports/?{q}")
        prof.disable()
        print(f"\ncProfile of one GET /reports/ ({db}), by cumulative time:")
        pstats.Stats(prof).sort_stats("cumulative").print_stats(args.profile)
        print("by own time:")
        pstats.Stats(prof).sort_stats("tottime").print_stats(args.profile)
    app.extensions["kb.engine"].dispose()
    if drop:
        drop()


if __name__ == "__main__":
    main()
