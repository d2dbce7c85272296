"""The portal's access log (app/serving/access.py): the same line as gunicorn's own logger,
built without the header and environ atoms when the format names none (issue 15)."""
from __future__ import annotations

import datetime as dt
import logging

import pytest
from gunicorn.config import Config
from gunicorn.glogging import Logger

from app.serving.access import AccessLogger, names_extra_atoms


class _Resp:
    status = "200 OK"
    sent = 2117
    headers = [("Content-Type", "application/json"), ("Content-Length", "2117"), ("Vary", "Cookie")]


class _Req:
    headers = [("HOST", "127.0.0.1:5000"), ("USER-AGENT", 'curl/8 "quoted"'), ("X-REAL-IP", "10.1.2.3")]


ENVIRON = {
    "REMOTE_ADDR": "127.0.0.1", "REQUEST_METHOD": "GET", "SERVER_PROTOCOL": "HTTP/1.1",
    "RAW_URI": "/api/suggest?q=VPN%20%E8%BF%9E%E6%8E%A5&limit=5", "PATH_INFO": "/api/suggest",
    "QUERY_STRING": "q=VPN%20%E8%BF%9E%E6%8E%A5&limit=5", "HTTP_USER_AGENT": 'curl/8 "quoted"',
    "HTTP_AUTHORIZATION": "Basic dXNlcjpwYXNz", "HTTP_X_REAL_IP": "10.1.2.3", "wsgi.url_scheme": "http",
}


def _line(logger_class, access_format: str | None) -> str:
    cfg = Config()
    cfg.set("accesslog", "-")
    if access_format is not None:
        cfg.set("access_log_format", access_format)
    logger = logger_class(cfg)
    lines: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record):
            lines.append(record.getMessage())

    logger.access_log.handlers[:] = [Keep()]
    logger.now = lambda: "[03/Dec/2026:10:33:18 +0000]"
    logger.access(_Resp(), _Req(), ENVIRON, dt.timedelta(seconds=1, microseconds=2345))
    assert len(lines) == 1
    return lines[0]


@pytest.mark.parametrize("access_format", [
    None,                                                    # gunicorn's default (make run's)
    '%(t)s %(p)s "%(r)s" %(s)s %(M)s',                       # the soak's timing format (bench/README.md)
    "%(h)s %(u)s %(m)s %(U)s %(q)s %(H)s %(b)s %(B)s %(f)s %(a)s %(T)s %(D)s %(L)s %(nope)s",
    '%(h)s "%(r)s" %({x-real-ip}i)s %({content-length}o)s %({remote_addr}e)s',   # header atoms
])
def test_the_access_line_is_gunicorns(access_format):
    assert _line(AccessLogger, access_format) == _line(Logger, access_format)


def test_only_header_and_environ_atoms_need_the_full_dict():
    assert not names_extra_atoms('%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s"')
    assert names_extra_atoms("%(h)s %({x-forwarded-for}i)s")
    assert names_extra_atoms("%({wsgi.url_scheme}e)s")


def test_make_run_uses_it():
    """Read, not imported: the settings file patches the standard library for gevent."""
    import ast
    from pathlib import Path

    import app.serving

    source = (Path(app.serving.__file__).parent / "gunicorn_conf.py").read_text("utf-8")
    settings = {node.targets[0].id: node.value for node in ast.parse(source).body
                if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name)}
    assert ast.literal_eval(settings["logger_class"]) == "app.serving.access.AccessLogger"
