"""Connections that arrive together are shared between the workers (app/serving/worker.py).

Ten keep-alive clients connect at once and each asks one question; then, while they are all
still connected, the test reads from ``/proc`` which worker process holds each connection.
Counted, not timed. With gunicorn's stock gevent worker the worker that woke first usually took
all ten (measured: 10/0 in most bursts), and every request of those clients then queued on one
core while the other stayed idle.
"""

from __future__ import annotations

import asyncio
import os
from collections import Counter

import pytest

from tests.conftest import run_async

from .conftest import ask_suggest, start_server

CLIENTS, BURSTS = 10, 5


@pytest.fixture(scope="module")
def two_workers(tmp_path_factory, pg_available):
    srv = start_server(tmp_path_factory.mktemp("shared"), pg_available, workers=2)
    for _ in range(4):
        srv.get("/api/suggest?q=vpn", timeout=60)
    yield srv
    srv.stop()


def _server_inodes(port: int) -> dict[int, int]:
    """Client port → inode of the server side of that connection (/proc/net/tcp)."""
    out = {}
    for line in open("/proc/net/tcp").read().splitlines()[1:]:
        f = line.split()
        local, remote, inode = f[1], f[2], int(f[9])
        if int(local.split(":")[1], 16) == port and remote != "00000000:0000":
            out[int(remote.split(":")[1], 16)] = inode
    return out


def _owner(pids, inode: int) -> int | None:
    link = f"socket:[{inode}]"
    for pid in pids:
        for fd in os.listdir(f"/proc/{pid}/fd"):
            try:
                if os.readlink(f"/proc/{pid}/fd/{fd}") == link:
                    return pid
            except OSError:
                continue
    return None


async def _burst(host: str, port: int, pids) -> Counter:
    conns = await asyncio.gather(*(asyncio.open_connection(host, port) for _ in range(CLIENTS)))

    await asyncio.wait_for(asyncio.gather(*(ask_suggest(r, w, f"vpn{i}") for i, (r, w) in enumerate(conns))), 60)
    inodes = _server_inodes(port)
    held = Counter(_owner(pids, inodes.get(w.get_extra_info("sockname")[1], -1)) for _r, w in conns)
    for _r, w in conns:
        w.close()
    await asyncio.sleep(0.2)   # the workers see the connections close
    return held


def test_a_burst_of_connections_is_shared_between_workers(two_workers):
    host, port = two_workers.url.removeprefix("http://").split(":")
    pids = sorted(two_workers.workers())
    assert len(pids) == 2
    # one burst first, not counted: a worker's first request opens the index and the segmenter
    # (~0.1 s without turns of its loop, so without accepting), whichever worker got it
    run_async(_burst(host, int(port), pids))
    splits = [run_async(_burst(host, int(port), pids)) for _ in range(BURSTS)]
    for held in splits:
        assert sum(held[p] for p in pids) == CLIENTS, splits   # every connection found
    # every burst lands on both workers, none of them with fewer than 2 of the 10
    assert all(min(held[p] for p in pids) >= 2 for held in splits), splits
