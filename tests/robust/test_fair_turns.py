"""No keep-alive client is left waiting while others are served again and again: a gevent worker
gives every connection its turn (gunicorn_conf's ``post_request`` yields to the hub after each
response). Counted, not timed: 50 clients ask one after another on their own connections until
2,500 answers have come back; each client got a fair share. Without the yield (measured): the
least-served client got 6–14 answers and the most-served 226, of a fair 50."""

from __future__ import annotations

import asyncio
import collections
import pytest

from tests.conftest import run_async

from .conftest import ask_suggest, start_server

CLIENTS, TOTAL = 50, 2500


@pytest.fixture(scope="module")
def one_worker(tmp_path_factory, pg_available):
    srv = start_server(tmp_path_factory.mktemp("fair"), pg_available, workers=1)
    srv.get("/api/suggest?q=vpn", timeout=60)  # the index and the segmenter are open
    yield srv
    srv.stop()


async def _closed_loop(host: str, port: int) -> collections.Counter:
    answered: collections.Counter = collections.Counter()
    total = [0]

    async def client(i: int) -> None:
        reader, writer = await asyncio.open_connection(host, port)
        k = 0
        while total[0] < TOTAL:
            await ask_suggest(reader, writer, f"vpn {i} {k}")
            answered[i] += 1
            total[0] += 1
            k += 1
        writer.close()

    await asyncio.wait_for(asyncio.gather(*(client(i) for i in range(CLIENTS))), timeout=300)
    return answered


def test_every_keep_alive_client_gets_its_turn(one_worker):
    host, port = one_worker.url.removeprefix("http://").split(":")
    answered = run_async(_closed_loop(host, int(port)))
    shares = sorted(answered[i] for i in range(CLIENTS))
    fair = TOTAL // CLIENTS
    assert shares[0] >= fair // 2 and shares[-1] <= fair * 3, shares
