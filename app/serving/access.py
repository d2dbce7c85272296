"""gunicorn's logger with a cheaper access line (``logger_class`` in gunicorn_conf.py).

gunicorn builds every access line from a dict of *all* its atoms: the ~19 fixed ones plus one
entry per request header (``{name}i``), per response header (``{name}o``) and per WSGI environ
variable (``{name}e``, about 30 under gevent), then copies that dict once more to escape quotes
(``SafeAtoms``) — for a format that names none of them. On ``/api/suggest`` that was about half of
what the access log costs and a tenth of a worker's CPU per cached suggest (cProfile of a gevent
worker, issue 15). :class:`AccessLogger` builds the header and environ entries only when the
format (``access_log_format``) names one; the line written is the same, character for character
(``tests/robust/test_access_log.py`` compares both loggers' lines).
"""
from __future__ import annotations

import os
import re

from gunicorn.glogging import Logger

_ATOM = re.compile(r"%\(([^)]*)\)")


def names_extra_atoms(access_format: str) -> bool:
    """Whether the format names a header or environ atom (``%({x-real-ip}i)s`` …)."""
    return any(name.startswith("{") for name in _ATOM.findall(access_format))


class AccessLogger(Logger):
    _format: str | None = None
    _extra = True

    def atoms(self, resp, req, environ, request_time):
        access_format = self.cfg.access_log_format
        if access_format != self._format:   # worked out once per format (a reload may change it)
            self._extra = names_extra_atoms(access_format)
            self._format = access_format
        if self._extra:
            return super().atoms(resp, req, environ, request_time)
        # gunicorn's fixed atoms (gunicorn/glogging.py, Logger.atoms), nothing else
        status = resp.status
        if isinstance(status, str):
            status = status.split(None, 1)[0]
        sent = getattr(resp, "sent", None)
        seconds, micro = request_time.seconds, request_time.microseconds
        return {
            "h": environ.get("REMOTE_ADDR", "-"),
            "l": "-",
            "u": self._get_user(environ) or "-",
            "t": self.now(),
            "r": "%s %s %s" % (environ["REQUEST_METHOD"], environ["RAW_URI"], environ["SERVER_PROTOCOL"]),
            "s": status,
            "m": environ.get("REQUEST_METHOD"),
            "U": environ.get("PATH_INFO"),
            "q": environ.get("QUERY_STRING"),
            "H": environ.get("SERVER_PROTOCOL"),
            "b": sent is not None and str(sent) or "-",
            "B": sent,
            "f": environ.get("HTTP_REFERER", "-"),
            "a": environ.get("HTTP_USER_AGENT", "-"),
            "T": seconds,
            "D": seconds * 1000000 + micro,
            "M": seconds * 1000 + int(micro / 1000),
            "L": "%d.%06d" % (seconds, micro),
            "p": "<%s>" % os.getpid(),
        }
