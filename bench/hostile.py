"""Hostile input against the real server: queries and JSON bodies that must never get a 5xx.

    nice -n 10 .venv/bin/python -m bench.hostile [--queries 10000] [--bodies 1000] [--url URL]

Without ``--url`` it starts the portal like ``make run`` does (``bench/soak.py``'s server: gunicorn
with app/serving/gunicorn_conf.py on a temporary instance with articles/ imported). Sends
``--queries`` hostile strings to ``/search``, ``/api/search`` and ``/api/suggest`` (in turn) and
``--bodies`` hostile JSON bodies to ``/api/tickets``, article feedback and both request-form
endpoints; prints the count per status and every 5xx. ``tests/robust/test_hostile_inputs.py``
runs a few hundred of the same through the test client.
"""
from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections import Counter
from urllib.parse import quote

ATOMS = [
    "", " ", "\t\n\r", "\x00", "\x01\x02\x7f", "\u200b\u200d\ufeff", "\u202e", "\ud7ff", "\U0001f525" * 3,
    "%", "%%", "%00", "%ZZ", "\\", "\\x00", "'", '"', "`", "''--", "' OR 1=1 --", "\"; DROP TABLE articles; --",
    "*", "?", "~", "^2", "a*", "*a", "[a TO z]", "{a TO z}", "title:vpn", "body:*", "AND", "OR", "NOT",
    "(((", ")))", "((a OR b) AND NOT c)", '"unterminated', "a\"b\"c", "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>", "javascript:alert(1)", "{{7*7}}", "${7*7}", "{% raw %}", "../../etc/passwd",
    "..\\..\\windows", "file:///etc/passwd", "http://[::1]/", "\u3000", "ＶＰＮ８０９", "錯誤 809", "打印機脫機",
    "0x80070005", "80070005", "ERR_CONNECTION_RESET", "554 5.2.2", "KB5034441", "错误809", "809错误",
    "VPN" * 50, "密码" * 100, "a" * 1000, "\u0301" * 50, "é", "ﬁ", "ǅ", "İ", "ß", "\ud800", "\udfff",
    "null", "None", "NaN", "-1", "1e308", "0" * 40, "9" * 40, "\\u0000", "&#0;", "&amp;", "+", "+-+-",
    "emoji 😀 混合 mixed ＦＵＬＬ", "\u0000VPN", "vpn\u0000", "；；；", "，。！？", "💩" * 10, "ℌ𝔢𝔩𝔩𝔬",
]


def hostile_queries(n: int, seed: int = 13) -> list[str]:
    rng = random.Random(seed)
    out = list(ATOMS)
    while len(out) < n:
        parts = [rng.choice(ATOMS) for _ in range(rng.randint(1, 6))]
        q = rng.choice([" ", "", "\t", "+", "　"]).join(parts)
        if rng.random() < 0.1:
            q = "".join(chr(rng.randint(1, 0x2FFFF)) for _ in range(rng.randint(1, 40)))
        if rng.random() < 0.05:
            q = q * rng.randint(10, 60)
        out.append(q)
    return out[:n]


def _value(rng: random.Random, depth: int = 0):
    kind = rng.randint(0, 11 if depth < 4 else 6)
    if kind == 0:
        return None
    if kind == 1:
        return rng.choice([True, False])
    if kind == 2:
        return rng.choice([0, -1, 2**63, -(2**63), 1e308, -0.0, 3.14])
    if kind in (3, 4, 5, 6):
        return rng.choice(ATOMS) * rng.choice([1, 1, 1, 5, 300])
    if kind in (7, 8):
        return [_value(rng, depth + 1) for _ in range(rng.randint(0, 5))]
    return {rng.choice(FIELDS + ATOMS[:20]): _value(rng, depth + 1) for _ in range(rng.randint(0, 6))}


FIELDS = ["subject", "description", "category", "impact", "urgency", "contact_name", "contact_email",
          "contact_phone", "type", "slug", "helpful", "reason", "comment", "escalate", "title", "body", "q",
          "article", "attachments"]

RAW = ["", "null", "[]", "{}", "1", '"x"', "{", "[", '{"a":}', "{'a': 1}", "\x00", '{"subject": "\\ud800"}',
       '{"subject": NaN}', '{"subject": Infinity}', '{"a":1,"a":2}', "\ufeff{}", '{"subject":"a"' + " " * 5000 + "}",
       "[" * 5000 + "]" * 5000, '{"x":' * 500 + "1" + "}" * 500]


def hostile_bodies(n: int, seed: int = 13) -> list[bytes]:
    """JSON bodies (and not-quite-JSON ones) as bytes."""
    rng = random.Random(seed)
    out = [r.encode("utf-8", "surrogatepass") for r in RAW]
    while len(out) < n:
        if rng.random() < 0.75:
            body = {f: _value(rng) for f in rng.sample(FIELDS, rng.randint(0, len(FIELDS)))}
            data = json.dumps(body, ensure_ascii=rng.random() < 0.5)
        else:
            data = json.dumps(_value(rng))
        out.append(data.encode("utf-8", "surrogatepass"))
    return out[:n]


QUERY_PATHS = ["/search?q=", "/api/search?q=", "/api/suggest?q="]


def query_url(i: int, q: str) -> str:
    return QUERY_PATHS[i % len(QUERY_PATHS)] + quote(q.encode("utf-8", "surrogatepass"), safe="")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--queries", type=int, default=10_000)
    ap.add_argument("--bodies", type=int, default=1_000)
    ap.add_argument("--url", help="a running portal (default: start one like make run)")
    args = ap.parse_args()
    from .soak import Client, started_portal

    with started_portal(args.url) as portal:
        client = Client(portal.url)
        token = client.form_token()
        statuses: Counter = Counter()
        bad: list = []
        t0 = time.monotonic()
        for i, q in enumerate(hostile_queries(args.queries)):
            url = query_url(i, q)
            status, _ = client.request("GET", url)
            statuses[status] += 1
            if status >= 500 or status == 0:
                bad.append((status, url[:200]))
        endpoints = ["/api/tickets", "/api/articles/vpn/error-809/feedback",
                     f"/api/visits/{token}/suggest", f"/api/visits/{token}/events"]
        for i, body in enumerate(hostile_bodies(args.bodies)):
            url = endpoints[i % len(endpoints)]
            status, _ = client.request("POST", url, body, {"Content-Type": "application/json"})
            statuses[status] += 1
            if status >= 500 or status == 0:
                bad.append((status, url, body[:200]))
        secs = time.monotonic() - t0
    print(f"{args.queries} hostile queries + {args.bodies} hostile JSON bodies in {secs:.0f} s")
    print("status counts:", dict(sorted(statuses.items())))
    print(f"5xx or no answer: {len(bad)}")
    for b in bad[:30]:
        print("  ", b)
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
