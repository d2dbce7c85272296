"""The gevent worker of ``make run``: gunicorn's, with new connections shared between workers.

Every worker waits on the one listening socket and the first to call ``accept()`` wins.  When a
few keep-alive connections arrive together (ten browsers, a proxy opening its upstream pool, the
load test), the worker that woke first usually took all of them while the other stayed idle: at
10 concurrent clients one worker did all the work (server CPU per process 2.4 s and 0.0 s,
``bench/load.py``) and every request queued on one core.

:class:`TakeTurnsServer` leaves new connections alone for a moment after it accepts one, longer
the more connections its worker already holds (``PAUSE_PER_CONNECTION`` each, at most
``PAUSE_MAX``), so a less busy worker wins the next ``accept()``: least-connections balancing
without shared state.  The listening socket stays watched (no timer): a pausing worker looks
again on its next turn of the loop, so a connection never waits longer for it than with
gunicorn's own worker (one accept per turn); the price is that a pausing worker with nothing
else to do polls the socket for at most ``PAUSE_MAX``.  A single worker never pauses.
``tests/robust/test_shared_connections.py`` counts the split; app/serving/README.md has the
measurements.
"""
from __future__ import annotations

import time

from gevent.server import StreamServer
from gunicorn.workers import ggevent

PAUSE_PER_CONNECTION = 0.0005  # seconds without accepting per connection this worker holds
PAUSE_MAX = 0.02


class TakeTurnsServer(StreamServer):
    _resume = 0.0   # time.monotonic() before which this worker leaves new connections alone

    def _do_read(self):
        if time.monotonic() < self._resume:
            return                        # another worker may take it; looked at again next turn
        super()._do_read()                # gunicorn sets max_accept = 1: at most one connection
        pool = self.pool
        held = pool.size - pool.free_count() if pool is not None else 0
        if held > 1:
            self._resume = time.monotonic() + min(PAUSE_MAX, held * PAUSE_PER_CONNECTION)


class GeventWorker(ggevent.GeventWorker):
    """``worker_class`` of app/serving/gunicorn_conf.py."""

    def run(self):
        if self.cfg.workers > 1:
            # gunicorn's run() builds its listeners with ggevent.StreamServer; this worker
            # process builds ours instead (the master and other workers are not touched)
            ggevent.StreamServer = TakeTurnsServer
        super().run()
