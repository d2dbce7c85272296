"""The gevent worker of ``make run``: gunicorn's, with new connections shared between workers.

Every worker waits on the one listening socket and the first to call ``accept()`` wins.  When a
few keep-alive connections arrive together (ten browsers, a proxy opening its upstream pool, the
load test), the worker that woke first usually took all of them while the other stayed idle: at
10 concurrent clients one worker did all the work (server CPU per process 2.4 s and 0.0 s,
``bench/load.py``) and every request queued on one core.

:class:`TakeTurnsServer`, on each turn of its worker's loop:

* takes its share of the connections waiting right now — the accept queue's length (Linux
  ``TCP_INFO``) divided by the number of workers, at least one — where gunicorn takes exactly
  one per turn (``max_accept = 1``): a turn of a loaded worker serves every ready connection and
  lasts tens of milliseconds, so one per turn left the last of 50 simultaneous connections
  waiting 1.3–2.4 s for its first answer (0.25–0.43 s now);
* then leaves new connections alone for 0.5 ms per connection its worker holds (at most 20 ms),
  so a less busy worker wins the next ``accept()``: least-connections balancing without shared
  state.  The socket stays watched (no timer): a pausing worker with nothing else to do polls it
  for at most ``PAUSE_MAX``.

A single worker is left as gunicorn made it.  ``tests/robust/test_shared_connections.py`` counts
the split; app/serving/README.md has the measurements.
"""
from __future__ import annotations

import socket
import struct
import time

from gevent.server import StreamServer
from gunicorn.workers import ggevent

PAUSE_PER_CONNECTION = 0.0005  # seconds without accepting per connection this worker holds
PAUSE_MAX = 0.02
SHARE_MAX = 64                 # connections taken at most in one turn


class TakeTurnsServer(StreamServer):
    workers = 1     # set by GeventWorker: how many workers share the listening socket
    _resume = 0.0   # time.monotonic() before which this worker leaves new connections alone

    def _do_read(self):
        if time.monotonic() < self._resume:
            return                        # another worker may take it; looked at again next turn
        # this worker's share of what is waiting now (gunicorn's max_accept is 1: one per call)
        share = -(-(waiting(self.socket) or 1) // self.workers)
        pool = self.pool
        for _ in range(min(share, SHARE_MAX)):
            before = pool.free_count() if pool is not None else 0
            super()._do_read()
            if pool is None or pool.free_count() == before or self._watcher is None:
                break                     # nothing waiting, an error, or the pool is full
        held = pool.size - pool.free_count() if pool is not None else 0
        if held > 1:
            self._resume = time.monotonic() + min(PAUSE_MAX, held * PAUSE_PER_CONNECTION)


def waiting(sock) -> int | None:
    """Connections in the accept queue of the listening ``sock`` (Linux ``TCP_INFO``: for a
    listening socket ``tcpi_unacked`` is the accept queue's length), None where unknown."""
    try:
        raw = sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, _TCP_INFO.size)
    except (OSError, AttributeError):
        return None
    return _TCP_INFO.unpack(raw)[8 + 4]


# struct tcp_info: 8 one-byte fields, then 32-bit fields (rto, ato, snd_mss, rcv_mss, unacked, …)
_TCP_INFO = struct.Struct("8B5I")


class GeventWorker(ggevent.GeventWorker):
    """``worker_class`` of app/serving/gunicorn_conf.py."""

    def run(self):
        if self.cfg.workers > 1:
            # gunicorn's run() builds its listeners with ggevent.StreamServer; this worker
            # process builds ours instead (the master and other workers are not touched)
            TakeTurnsServer.workers = self.cfg.workers
            ggevent.StreamServer = TakeTurnsServer
        super().run()
