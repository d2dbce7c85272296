"""make run's gunicorn settings (app/serving/gunicorn_conf.py) as a served portal sees them."""
from __future__ import annotations

from pathlib import Path


def test_the_portal_opens_no_control_socket_in_the_users_home(server):
    """gunicorn 27's default control socket (~/.gunicorn/gunicorn.ctl) is shared by every
    portal a user runs: the portal does not open one."""
    home = Path(server.env["HOME"])
    assert server.get("/api/suggest?q=vpn")[0] == 200
    assert not (home / ".gunicorn").exists()
    assert "Control socket" not in server.log.read_text("utf-8", "replace")
