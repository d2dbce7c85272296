"""Benchmark: /reports/ for one month of a generated data set (kb demo-data: 3 months, 5,000
tickets, 50,000 searches) on SQLite, or on PostgreSQL with KB_BENCH_DATABASE_URL.

    nice -n 10 .venv/bin/python bench/reports.py [--runs 15] [--tickets 5000] [--searches 50000]
    KB_BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test nice -n 10 .venv/bin/python bench/reports.py

Prints medians and p95 of: the whole /reports/ page over HTTP (Flask test client, logged in
as an agent), the report built without rendering, and — as a plain baseline beside them — the
existing ``kb stats`` deflection count for the same month (one query family over one table).
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

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import create_engine, text  # noqa: E402

from app import create_app, migrate  # noqa: E402
from app.db import session_scope  # noqa: E402


def pct(values, q):
    s = sorted(values)
    return s[max(0, int(round(q * len(s) + 0.5)) - 1)]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=15)
    ap.add_argument("--tickets", type=int, default=5000)
    ap.add_argument("--searches", type=int, default=50000)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-reports-"))
    base = os.environ.get("KB_BENCH_DATABASE_URL")
    drop = None
    if base:
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
                      "RATELIMIT_ENABLED": False, "KB_ARTICLES_DIR": str(Path(__file__).resolve().parents[1] / "articles")})
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

    with app.app_context(), session_scope() as s:
        u = User(username="bench_agent", role="agent", email="b@example.com")
        u.set_password("bench-password-1")
        s.add(u)
    client = app.test_client()
    assert client.post("/login", data={"username": "bench_agent", "password": "bench-password-1"}).status_code == 302
    period = last_month(timezone_from_config(app.config))
    q = "range=last_month"
    with app.app_context(), session_scope() as s:
        r = build(s, period, "agent")
    print(f"month {period.label}: {r['tickets']['created']} tickets created, {r['tickets']['resolved']} resolved, "
          f"{r['search']['searches']} searches, {r['self_service']['deflection']['visits']} form visits")
    timings = {"GET /reports/ (HTTP, full page)": [], "build() only": [], "baseline: kb stats deflection_stats()": []}
    client.get(f"/reports/?{q}")  # warm-up
    for _ in range(args.runs):
        t = time.perf_counter()
        resp = client.get(f"/reports/?{q}")
        timings["GET /reports/ (HTTP, full page)"].append((time.perf_counter() - t) * 1000)
        assert resp.status_code == 200
        with app.app_context(), session_scope() as s:
            t = time.perf_counter()
            build(s, period, "agent")
            timings["build() only"].append((time.perf_counter() - t) * 1000)
            t = time.perf_counter()
            deflection_stats(s, period.start, period.end)
            timings["baseline: kb stats deflection_stats()"].append((time.perf_counter() - t) * 1000)
    db = "PostgreSQL" if base else "SQLite"
    print(f"\n{db}, {args.runs} runs, load average {os.getloadavg()[0]:.1f}; page size {len(resp.data) // 1024} KB")
    print(f"{'measure':45} {'median ms':>10} {'p95 ms':>10}")
    for name, values in timings.items():
        print(f"{name:45} {statistics.median(values):10.1f} {pct(values, 0.95):10.1f}")
    page = statistics.median(timings["GET /reports/ (HTTP, full page)"])
    print(f"ratio page / baseline: {page / statistics.median(timings['baseline: kb stats deflection_stats()']):.1f}×")
    app.extensions["kb.engine"].dispose()
    if drop:
        drop()


if __name__ == "__main__":
    main()
