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


# -- start-up (issue 15, "worker ready"): what reading the config file costs and leaves behind --

def _python(code: str) -> str:
    """Run ``code`` in a fresh interpreter from the repository root; its stdout."""
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[2]
    out = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    return out.stdout


def test_reading_the_config_patches_before_flask_is_imported():
    """gunicorn imports ``app.serving.gunicorn_conf`` (hence the ``app`` package) before the
    app: the package must not import Flask, so that gevent patches the standard library before
    Flask, Werkzeug and the rest are imported (and scans fewer objects for existing locks)."""
    out = _python(
        "import sys\n"
        "import app.serving.gunicorn_conf\n"
        "from gevent import monkey\n"
        "print(monkey.is_module_patched('socket'), 'flask' in sys.modules, 'werkzeug' in sys.modules)\n"
    )
    assert out.split() == ["True", "False", "False"]


def test_the_patch_lists_the_installed_packages_once():
    """``monkey.patch_all()`` asks ``importlib.metadata`` for plugin entry points at each of
    the ~25 modules it patches; the config answers them from one listing (it was 25 listings
    of every installed distribution, 60–100 ms of each start), then puts the function back."""
    out = _python(
        "from importlib import metadata\n"
        "calls = []\n"
        "original_distributions = metadata.distributions\n"
        "def counted(**kw):\n"
        "    calls.append(1)\n"
        "    return original_distributions(**kw)\n"
        "metadata.distributions = counted\n"
        "original_entry_points = metadata.entry_points\n"
        "import app.serving.gunicorn_conf\n"
        "from gevent import monkey\n"
        "assert all(monkey.is_module_patched(m) for m in ('threading', 'socket', 'ssl', 'select', 'os', 'time', 'signal', 'subprocess'))\n"
        "assert metadata.entry_points is original_entry_points\n"
        "print(len(calls))\n"
    )
    assert int(out) == 1


def test_the_garbage_collector_is_off_while_the_master_imports_and_on_in_the_workers(tmp_path):
    """Off from the config file to ``when_ready`` (the master, after ``--preload`` imported the
    app, before the first fork); then what the import made is frozen and collection is on
    again, so every worker collects as usual without walking the master's objects.  (The
    instance has no index yet: the master leaves it to the workers and says so.)"""
    out = _python(
        "import gc, logging, os, types\n"
        f"os.environ['KB_INSTANCE_DIR'] = {str(tmp_path / 'instance')!r}\n"
        "import app.serving.gunicorn_conf as conf\n"
        "off = not gc.isenabled()\n"
        "import wsgi\n"
        "still_off = not gc.isenabled()\n"
        "logging.basicConfig(level=logging.INFO, format='%(message)s')\n"
        "server = types.SimpleNamespace(cfg=types.SimpleNamespace(preload_app=True),\n"
        "                               app=types.SimpleNamespace(wsgi=lambda: wsgi.app),\n"
        "                               log=logging.getLogger('gunicorn.error'))\n"
        "import sqlalchemy\n"
        "from app.models import Article\n"
        "configured_before = sqlalchemy.inspect(Article).configured\n"
        "conf.when_ready(server)\n"
        "print(off, still_off, gc.isenabled(), gc.get_freeze_count() > 100_000,\n"
        "      wsgi.app.extensions['kb.search'] is None,\n"
        "      configured_before, sqlalchemy.inspect(Article).configured)\n"
    )
    # the models' mappers are configured in the master too (once, not at each worker's first page)
    assert out.split() == ["True", "True", "True", "True", "True", "False", "True"]


def test_a_worker_collects_even_when_the_config_file_was_read_again():
    """gunicorn executes a config given as a file path again on HUP (collector off in the
    master, ``when_ready`` not called again): each forked worker switches collection on."""
    out = _python(
        "import gc\n"
        "import app.serving.gunicorn_conf as conf\n"
        "off = not gc.isenabled()\n"
        "conf.post_fork(None, None)\n"
        "print(off, gc.isenabled())\n"
    )
    assert out.split() == ["True", "True"]


def test_the_master_starts_no_blas_threads(monkeypatch):
    """numpy's OpenBLAS would start a thread per core when the app imports numpy (30-40 ms of
    the start, threads alive at fork); the config asks for none unless the operator set a value."""
    code = ("import os\n"
            "import app.serving.gunicorn_conf\n"
            "import numpy\n"
            "print(os.environ['OPENBLAS_NUM_THREADS'], len(os.listdir('/proc/self/task')))\n")
    monkeypatch.delenv("OPENBLAS_NUM_THREADS", raising=False)
    assert _python(code).split() == ["1", "1"]
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "2")
    assert _python(code).split()[0] == "2"
