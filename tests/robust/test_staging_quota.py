"""Issue 13 item 7: the no-JavaScript check step stages attachments on the server; anyone can
use it, so it has a quota per address and in total, a rate limit, and a clean-up job."""

from __future__ import annotations

import datetime as dt
import io
import os
import re
import time

import pytest

from tests.conftest import _teardown, build_app
from tests.requests.conftest import VALID

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def make_app(tmp_path, articles_dir, pg_available):
    apps = []

    def make(**extra):
        app, drop = build_app(tmp_path / f"a{len(apps)}", articles_dir, pg_available, **extra)
        apps.append((app, drop))
        result = app.test_cli_runner().invoke(args=["kb", "sync"])
        assert result.exit_code == 0, result.output
        return app

    yield make
    for app, drop in apps:
        _teardown(app, drop)


def _check(client, size: int, address: str = "10.0.0.1", name="screen.png"):
    page = client.get("/requests/new", environ_base={"REMOTE_ADDR": address})
    token = re.search(r'name="visit" value="([^"]+)"', page.text).group(1)
    data = {**VALID, "visit": token, "step": "check",
            "attachments": (io.BytesIO(PNG + b"\0" * size), name)}
    return client.post("/requests/new", data=data, content_type="multipart/form-data",
                       environ_base={"REMOTE_ADDR": address})


def _staged_bytes(app) -> int:
    root = os.path.join(app.config["KB_INSTANCE_DIR"], "staging")
    return sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(root) for f in fs if f.endswith(".bin"))


def test_quota_per_address(make_app):
    app = make_app(KB_STAGING_PER_ADDRESS_MB=1)
    client = app.test_client()
    assert _check(client, 600_000).status_code == 200  # the check page with the staged file
    refused = _check(client, 600_000)
    assert refused.status_code == 429
    assert "您暂存的附件已超过 1 MB" in refused.text and "您填写的内容都还在" in refused.text
    assert f'value="{VALID["subject"]}"' in refused.text  # nothing typed is lost
    assert _check(app.test_client(), 600_000, address="10.0.0.2").status_code == 200  # others are not blocked
    assert _staged_bytes(app) < 1_300_000


def test_quota_in_total(make_app):
    app = make_app(KB_STAGING_TOTAL_MB=1)
    assert _check(app.test_client(), 700_000, address="10.0.0.1").status_code == 200
    refused = _check(app.test_client(), 700_000, address="10.0.0.9")
    assert refused.status_code == 503 and "暂存附件的空间暂时已满" in refused.text
    assert _staged_bytes(app) < 800_000


def test_rate_limit_per_address(make_app):
    app = make_app(RATELIMIT_ENABLED=True, KB_STAGING_LIMIT="2 per hour")
    client = app.test_client()
    assert [_check(client, 10).status_code for _ in range(2)] == [200, 200]
    refused = _check(client, 10)
    assert refused.status_code == 429 and "上传附件的次数太多了" in refused.text


def test_bad_limit_setting_is_explained():
    from app.requests.staging import parse_limit

    assert parse_limit("20 per hour") == (20, 3600) and parse_limit("5/minute") == (5, 60)
    with pytest.raises(ValueError, match="KB_STAGING_LIMIT"):
        parse_limit("lots")


def test_cleanup_job_in_the_worker_registry_removes_old_staging(make_app):
    from app.worker.jobs import JOBS, run_due_jobs

    app = make_app(KB_STAGING_MAX_HOURS=1)
    client = app.test_client()
    assert _check(client, 10).status_code == 200
    assert _check(client, 10).status_code == 200
    root = os.path.join(app.config["KB_INSTANCE_DIR"], "staging")
    folders = sorted(os.listdir(root))
    old = time.time() - 2 * 3600
    os.utime(os.path.join(root, folders[0]), (old, old))
    job = next(j for j in JOBS if j.name == "staging_cleanup")
    with app.app_context():
        runs = run_due_jobs("test-worker", now=dt.datetime.now(dt.timezone.utc), jobs=[job])
    assert [(r.name, r.result, r.error) for r in runs] == [("staging_cleanup", 1, None)]
    assert os.listdir(root) == folders[1:]
