"""Measure build, update, search and suggest speed on the shared corpus.

    python -m indexer.bench --corpus ../shared/corpus -n 1000 4000 [--procs 2] [--profile]

Documents are the corpus Markdown files (front matter stripped, title from ``title:`` or the
first heading); when ``n`` exceeds the corpus, files are reused with a numbered slug and title.
"""
from __future__ import annotations

import argparse
import datetime
import hashlib
import os
import random
import re
import resource
import statistics
import tempfile
import time
from pathlib import Path

from .documents import IndexDocument
from .engine import SearchEngine

_FM = re.compile(r"\A---\s*\n(.*?)\n---\s*\n", re.S)
_TITLE = re.compile(r"^title:\s*(.+)$", re.M)
_H1 = re.compile(r"^#\s+(.+)$", re.M)

QUERIES = [  # keywords, codes, Traditional/full-width, typo, natural questions

    "VPN 连接失败", "错误 809", "0x80070005", "outlook 无法发送邮件", "密码 重置", "两步验证",
    "打印机", "蓝屏", "激活 office", "554 5.2.2", "Teams 会议", "OneDrive 同步", "共享邮箱 权限",
    "error 691", "KB5034441", "Windows 更新 失败", "帳號 鎖定", "ｗｉｆｉ 连不上", "outlok",
    "如何在手机上设置邮箱", "远程桌面 连接", "DNS 解析 失败", "证书 过期", "许可证 分配",
    "邮箱满了收不到邮件", "改完密码以后账号每天早上都被锁，好像是手机邮箱还在用旧密码，怎么彻底解决",
    "Wi-Fi 连上了但是不能上网", "电脑开机蓝屏怎么办", "OneDrive 同步 卡住了 一直转圈",
]
PREFIXES = ["vp", "vpn 连", "outl", "打印", "连接失", "两步", "0x8007", "tea", "onedr", "密码重",
            "激活", "ex", "邮箱", "share", "wind", "蓝", "证书", "远程桌", "dns", "安装"]


def load_corpus(root: Path) -> list[tuple[str, str, str, str]]:
    out = []
    for p in sorted(root.rglob("*.md")):
        if p.name in ("SOURCE.md", "README.md"):
            continue
        text = p.read_text("utf-8", errors="replace")
        m = _FM.match(text)
        fm = m.group(1) if m else ""
        body = text[m.end():] if m else text
        t = _TITLE.search(fm) or _H1.search(body)
        title = (t.group(1).strip().strip("'\"") if t else p.stem)[:200]
        rel = p.relative_to(root)
        out.append((str(rel.with_suffix("")), title, rel.parts[0], body))
    return out


def make_docs(corpus, n: int) -> list[IndexDocument]:
    docs = []
    rnd = random.Random(7)
    corpus = list(corpus)
    random.Random(11).shuffle(corpus)
    for i in range(n):
        slug, title, cat, body = corpus[i % len(corpus)]
        if i >= len(corpus):
            slug, title = f"{slug}-{i // len(corpus)}", f"{title} ({i // len(corpus)})"
        docs.append(IndexDocument(
            slug=slug, title=title, category=cat, tags=(), error_codes=(),
            audience="internal" if rnd.random() < 0.1 else "public", body=body,
            updated=datetime.date(2026, 1, 1),
            content_hash=hashlib.sha1(body.encode()).hexdigest()))
    return docs


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]


def bench(docs, procs, rounds=3):
    with tempfile.TemporaryDirectory() as d:
        eng = SearchEngine(Path(d) / "index", procs=procs)
        chars = sum(len(x.body) for x in docs)
        c0 = time.process_time()
        ch0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        stats = eng.rebuild(docs)
        ch1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = time.process_time() - c0 + (ch1.ru_utime - ch0.ru_utime) + (ch1.ru_stime - ch0.ru_stime)
        print(f"build: {len(docs)} docs, {chars / 1e6:.1f} M chars, {stats.seconds:.1f}s wall, "
              f"{stats.docs_per_second:.0f} docs/s, {cpu:.1f} CPU-s (procs={procs or 'auto'}, "
              f"load {os.getloadavg()[0]:.1f})")
        t = []
        for i in range(20):
            t0 = time.perf_counter()
            eng.update([docs[i]])
            t.append(time.perf_counter() - t0)
        print(f"update 1 doc + commit: median {statistics.median(t) * 1000:.1f} ms, max {max(t) * 1000:.1f} ms")
        eng.search("warm up")
        for name, fn, qs, snapshot in (
                ("search", lambda q: eng.search(q), QUERIES, False),
                ("search(staff)", lambda q: eng.search(q, audiences={"public", "internal"}), QUERIES, False),
                ("search(new snapshot)", lambda q: eng.search(q), QUERIES, True),
                ("suggest", lambda q: eng.suggest(q), PREFIXES, False),
                ("suggest(new snapshot)", lambda q: eng.suggest(q), PREFIXES, True)):
            t, c, per = [], [], {}
            for r in range(rounds):
                for q in qs:
                    gen = eng._gen
                    if gen is not None:   # measure the work, not the query caches; with
                        gen.clear_caches(terms=snapshot)   # snapshot also term scores, as after a commit
                    t0, c0 = time.perf_counter(), time.thread_time()
                    fn(q)
                    t.append(time.perf_counter() - t0)
                    c.append(time.thread_time() - c0)
                    per[q] = min(per.get(q, 9.9), c[-1])
            print(f"{name}: wall median {statistics.median(t) * 1000:.1f} ms, p95 {pct(t, 95) * 1000:.1f} ms, "
                  f"max {max(t) * 1000:.1f} ms; CPU median {statistics.median(c) * 1000:.1f} ms, "
                  f"p95 {pct(c, 95) * 1000:.1f} ms ({len(t)} queries, "
                  f"{'no cache at all' if snapshot else 'query caches cleared'})")
            slow = sorted(per.items(), key=lambda kv: -kv[1])[:4]
            print("   slowest: " + ", ".join(f"{q!r} {v * 1000:.0f} ms" for q, v in slow))
        eng.close()


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", type=Path, default=Path(__file__).resolve().parents[1] / ".." / "shared" / "corpus")
    ap.add_argument("-n", type=int, nargs="+", default=[1000])
    ap.add_argument("--procs", type=int, default=None)
    ap.add_argument("--profile", action="store_true")
    args = ap.parse_args(argv)
    corpus = load_corpus(args.corpus)
    print(f"corpus: {len(corpus)} files")
    for n in args.n:
        docs = make_docs(corpus, n)
        if args.profile:
            import cProfile
            import pstats

            with tempfile.TemporaryDirectory() as d:
                eng = SearchEngine(Path(d) / "index", procs=args.procs)
                cProfile.runctx("eng.rebuild(docs)", globals(), locals(), "/tmp/ixbuild.prof")
                pstats.Stats("/tmp/ixbuild.prof").sort_stats("cumulative").print_stats(30)
        else:
            bench(docs, args.procs)


if __name__ == "__main__":
    main()
