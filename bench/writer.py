"""Writers' workspace speed, with the real server (python bench/writer.py [--rounds N]).

Two gunicorn processes (A and B, one worker each) serve the same temporary instance (SQLite +
index) with `articles/` imported. A writer logged in on A:

* **publish → searchable in the other process**: create a draft with a fresh word (POST
  /api/articles), then POST …/publish on A; process B polls /api/search?q=<word> every ~5 ms.
  Reported: the publish request itself, and the time from the publish *answer* to B's first
  response that contains the article (0 when B's very first query after the answer finds it).
* **archive → gone from the other process**: the same, until B no longer returns it.
* **save** (PUT with base_revision) and **preview** (POST /writer/preview of the library's
  longest article with one changing character, as while typing: uncached rendering + warnings).

Prints medians and p95 with the target beside each (visible ≤ 1 s, like indexer update → visible).
Everything runs on 127.0.0.1 in a temporary folder that is removed at the end.
"""
from __future__ import annotations

import argparse
import http.cookiejar
import json
import re
import shutil
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench import server  # noqa: E402
from bench.stats import summary  # noqa: E402


class Browser:
    """A logged-in writer: cookies and the CSRF token, like the editor's script."""

    def __init__(self, port: int):
        self.base = f"http://127.0.0.1:{port}"
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        self.csrf = ""

    def request(self, method: str, path: str, body=None, form=None) -> tuple[int, dict | str]:
        headers = {"X-CSRFToken": self.csrf}
        data = None
        if body is not None:
            data, headers["Content-Type"] = json.dumps(body).encode(), "application/json"
        elif form is not None:
            data = urllib.parse.urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        req = urllib.request.Request(self.base + path, data=data, headers=headers, method=method)
        try:
            with self.opener.open(req, timeout=30) as response:
                raw = response.read().decode()
                status = response.status
        except urllib.error.HTTPError as exc:
            raw, status = exc.read().decode(), exc.code
        try:
            return status, json.loads(raw)
        except ValueError:
            return status, raw

    def login(self, username: str, password: str) -> None:
        _, page = self.request("GET", "/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        self.request("POST", "/login", form={"username": username, "password": password, "csrf_token": token})
        _, editor = self.request("GET", "/writer/articles/new")
        self.csrf = re.search(r'<meta name="csrf-token" content="([^"]+)"', editor).group(1)


def search_slugs(port: int, word: str) -> list[str]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/search?q={urllib.parse.quote(word)}", timeout=30) as response:
        return [hit["slug"] for hit in json.load(response)["results"]]


def wait_for(port: int, word: str, present: bool, timeout: float = 10.0) -> tuple[float, int]:
    """Seconds until B's answer has (or no longer has) the article, and how many polls it took."""
    t0 = time.perf_counter()
    polls = 0
    while True:
        polls += 1
        found = bool(search_slugs(port, word))
        if found == present:
            return time.perf_counter() - t0, polls
        if time.perf_counter() - t0 > timeout:
            raise RuntimeError(f"{word}: not {'visible' if present else 'gone'} after {timeout} s")
        time.sleep(0.005)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="kb-bench-writer-"))
    instance, articles, log = tmp / "instance", REPO / "articles", tmp / "bench.log"
    servers: list[server.Server] = []
    try:
        server.import_set(instance, articles, log)
        flask = server._bin("flask") + ["--app", "wsgi", "kb"]
        server._run(flask + ["user", "create", "bench-writer", "--role", "writer", "--password", "bench-pass-123"],
                    server.app_env(instance, articles), log, 120)
        for _ in range(2):
            s = server.Server(instance, articles, log, workers=1, production=False)  # as measured before
            s.start()
            s.wait_ready("/api/suggest?q=VPN")
            servers.append(s)
        a, b = servers
        writer = Browser(a.port)
        writer.login("bench-writer", "bench-pass-123")
        search_slugs(b.port, "VPN 809")  # B has searched before, as a running portal has

        publish_ms, visible_ms, visible_polls, archive_ms, gone_ms, save_ms = [], [], [], [], [], []
        for i in range(args.rounds):
            word = f"Benchword{i}x{int(time.time() * 1000) % 100000}"
            slug = f"printing/bench-{i}-{word.lower()}"
            status, _ = writer.request("POST", "/api/articles", body={
                "title": f"打印机 {word} 测试", "category": "打印与外设", "slug": slug,
                "body": f"## 症状\n\n{word} 出现。\n"})
            assert status == 201, status
            t0 = time.perf_counter()
            status, _ = writer.request("POST", f"/api/articles/{slug}/publish", body={})
            assert status == 200, status
            publish_ms.append((time.perf_counter() - t0) * 1000)
            seconds, polls = wait_for(b.port, word, True)
            visible_ms.append(seconds * 1000)
            visible_polls.append(polls)
            t0 = time.perf_counter()
            status, _ = writer.request("PUT", f"/api/articles/{slug}", body={"base_revision": 1, "body": f"## 症状\n\n{word} 第二版。\n"})
            assert status == 200, status
            save_ms.append((time.perf_counter() - t0) * 1000)
            t0 = time.perf_counter()
            status, _ = writer.request("POST", f"/api/articles/{slug}/archive", body={})
            assert status == 200, status
            archive_ms.append((time.perf_counter() - t0) * 1000)
            seconds, _ = wait_for(b.port, word, False)
            gone_ms.append(seconds * 1000)

        longest = max(articles.rglob("*.md"), key=lambda p: p.stat().st_size)
        body = longest.read_text(encoding="utf-8").split("\n---\n", 1)[-1]
        preview_ms = []
        for i in range(30):
            t0 = time.perf_counter()
            status, _ = writer.request("POST", "/writer/preview", body={"body": body + f"\n{i}", "audience": "public"})
            assert status == 200, status
            preview_ms.append((time.perf_counter() - t0) * 1000)

        rows = [
            ("publish (POST …/publish on A)", summary(publish_ms), None),
            ("publish answered → found by B's /api/search", summary(visible_ms), 1000.0),
            ("archive (POST …/archive on A)", summary(archive_ms), None),
            ("archive answered → gone from B's /api/search", summary(gone_ms), 1000.0),
            ("save (PUT with base_revision)", summary(save_ms), None),
            (f"preview of {longest.relative_to(REPO)} ({len(body)} chars)", summary(preview_ms[1:]), None),
        ]
        print(f"\nwriters' workspace, {args.rounds} rounds, load average {open('/proc/loadavg').read().split()[0]}")
        print(f"{'measure':<52} {'median ms':>10} {'p95 ms':>9}  target")
        for name, s, target in rows:
            mark = "" if target is None else (f"≤ {target:.0f} ms " + ("✓" if s["p50"] <= target else "✗"))
            print(f"{name:<52} {s['p50']:>10.1f} {s['p95']:>9.1f}  {mark}")
        first_poll = sum(1 for p in visible_polls if p == 1)
        print(f"B's first query after the publish answer already found the article in {first_poll} of {len(visible_polls)} rounds")
        return 0
    finally:
        for s in servers:
            s.stop()
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
