"""Helpfulness and popularity feed the search ranking, within bounds, per current version."""

from __future__ import annotations

import itertools

import pytest
from sqlalchemy import select

from app.db import session_scope
from app.feedback import ranking
from app.feedback.ranking import HIGHEST, LOWEST, multiplier
from app.models import Article, Feedback, utcnow

from .conftest import api_vote

BODY = """# {title}

## 症状
打印机在“设备和打印机”里显示“脱机”，文档停在打印队列里不动。

## 解决步骤
1. 检查打印机电源和网线，确认面板上没有报错。
2. 在“设备和打印机”里右键打印机，取消勾选“脱机使用打印机”。
3. 清空打印队列后重新打印。
"""


def _write(folder, name, title, updated="2026-11-01"):
    text = (f"---\ntitle: {title}\nslug: printing/{name}\ncategory: 打印与外设\ntags: [打印机, 脱机]\n"
            f"updated: {updated}\n---\n" + BODY.format(title=title))
    (folder / "printing").mkdir(exist_ok=True)
    (folder / "printing" / f"{name}.md").write_text(text, encoding="utf-8")


@pytest.fixture
def twins(app, runner, articles_dir):
    """Two comparable articles about the same problem."""
    _write(articles_dir, "offline-a", "打印机显示脱机怎么办（方法甲）")
    _write(articles_dir, "offline-b", "打印机显示脱机怎么办（方法乙）")
    assert runner.invoke(args=["kb", "sync"]).exit_code == 0
    return app


def _order(client, endpoint="search", q="打印机脱机"):
    body = client.get(f"/api/{endpoint}?q={q}&limit=10").json
    return [r["slug"] for r in body["results"] if r["slug"].startswith("printing/offline-")]


def test_the_multiplier_is_neutral_without_signals_and_always_bounded():
    assert multiplier(0, 0, 0) == 1.0
    for votes, views in itertools.product([0, 1, 2, 5, 20, 100, 10_000], [0, 1, 10, 1000, 10**7]):
        for helpful in {0, votes // 3, votes // 2, votes}:
            m = multiplier(helpful, votes, views)
            assert LOWEST <= m <= HIGHEST, (helpful, votes, views, m)
    assert multiplier(0, 10_000, 0) == LOWEST
    assert multiplier(10_000, 10_000, 10**7) == HIGHEST


def test_the_multiplier_moves_the_right_way_and_is_smoothed():
    assert multiplier(0, 1, 0) > multiplier(0, 20, 0)  # one vote says less than twenty
    assert multiplier(0, 1, 0) == pytest.approx(0.958, abs=1e-3)
    assert multiplier(0, 20, 0) == pytest.approx(0.825, abs=1e-3)
    assert multiplier(10, 10, 0) > multiplier(5, 10, 0) > multiplier(0, 10, 0)
    assert multiplier(0, 0, 1000) > multiplier(0, 0, 10) > multiplier(0, 0, 0)  # popularity, on a log scale
    assert multiplier(0, 0, 10**6) == multiplier(0, 0, 1000)  # and it saturates


def test_an_article_many_find_unhelpful_drops_below_a_comparable_one(twins, readers):
    client = readers()
    before = _order(client)
    assert len(before) == 2, before
    top, other = before
    assert _order(client, "suggest", "打印机脱") == [top, other]  # suggestions rank them the same way

    for _ in range(20):
        assert api_vote(readers(), top, helpful=False, reason="not_solved").status_code == 201

    assert _order(client) == [other, top]  # dropped below, but still there: not buried
    assert _order(client, "suggest", "打印机脱") == [other, top]
    page = client.get("/search?q=打印机脱机").get_data(as_text=True)
    assert page.index("/articles/printing/offline-" + other.split("-")[-1]) < page.index(
        "/articles/printing/offline-" + top.split("-")[-1])


def _scores(client, q="打印机脱机") -> dict[str, float]:
    body = client.get(f"/api/search?q={q}&limit=10").json
    return {r["slug"]: r["score"] for r in body["results"]}


def test_a_bad_article_is_not_buried_the_bound_holds_in_search(twins, readers):
    before = _scores(readers())
    top = _order(readers())[0]
    for _ in range(50):
        api_vote(readers(), top, helpful=False, reason="irrelevant")
    after = _scores(readers())
    assert set(after) == set(before)  # still found
    assert LOWEST - 1e-3 <= after[top] / before[top] < 0.85  # it loses at most 20 %


def test_a_new_version_recovers(twins, readers, articles_dir, runner):
    top, other = _order(readers())
    for _ in range(20):
        api_vote(readers(), top, helpful=False, reason="outdated")
    assert _order(readers()) == [other, top]
    scores = _scores(readers())
    assert scores[top] < 0.85 * scores[other]
    name = top.split("/")[-1]
    title = "打印机显示脱机怎么办（方法甲）" if name.endswith("a") else "打印机显示脱机怎么办（方法乙）"
    _write(articles_dir, name, title, updated="2026-11-21")  # the writer fixes it: version 2, same text
    assert runner.invoke(args=["kb", "sync"]).exit_code == 0
    with twins.test_request_context():
        ranking.invalidate()  # kb sync runs in another process: the workers see it within KB_RANKING_TTL
    scores = _scores(readers())
    assert scores[top] == pytest.approx(scores[other], rel=1e-3)  # the same text scores the same again


def test_helpful_votes_lift_an_article(twins, readers):
    top, other = _order(readers())
    for _ in range(30):
        api_vote(readers(), other, helpful=True)
    assert _order(readers()) == [other, top]


def _add_votes_from_another_worker(app, slug, n, helpful=False):
    """Votes written by another process, straight into the database."""
    with app.app_context(), session_scope() as s:
        a = s.scalar(select(Article).where(Article.slug == slug))
        for i in range(n):
            s.add(Feedback(article_id=a.id, article_version=a.version, voter_key=f"session:other-worker-{slug}-{i:03d}",
                           helpful=helpful, reason=None if helpful else "unclear", created_at=utcnow(), updated_at=utcnow()))


def test_signals_are_cached_per_process_and_refreshed_by_a_local_vote(twins, readers):
    twins.config["KB_RANKING_TTL"] = 3600
    top, other = _order(readers())
    _add_votes_from_another_worker(twins, top, 20)
    assert _order(readers()) == [top, other]  # this process still uses its cached signals
    api_vote(readers(), other, helpful=True)  # a vote here refreshes them at once
    assert _order(readers()) == [other, top]


def test_signals_expire_after_the_ttl(twins, readers):
    twins.config["KB_RANKING_TTL"] = 0
    top, other = _order(readers())
    _add_votes_from_another_worker(twins, top, 20)
    assert _order(readers()) == [other, top]
    with twins.test_request_context():
        signals = ranking.current_signals()
    assert signals[top] == pytest.approx(multiplier(0, 20, 0), abs=1e-3) and other not in signals


# -- signals off the request path: kb worker's job writes them, web workers read the file --------

def _count_computes(monkeypatch) -> list:
    calls = []
    real = ranking.compute

    def counting(session):
        calls.append(1)
        return real(session)

    monkeypatch.setattr(ranking, "compute", counting)
    return calls


def _run_job(app):
    from app.worker.jobs import JOBS

    job = next(j for j in JOBS if j.name == "ranking_signals")
    with app.app_context(), session_scope() as s:
        return job.load()(s, utcnow())


def _fresh_process(app):
    """Forget this process's signals, as in a newly started web worker."""
    app.extensions.pop("kb.ranking", None)


def test_the_worker_job_writes_the_signals_and_searches_only_read_them(twins, readers, monkeypatch):
    top, other = _order(readers())
    _add_votes_from_another_worker(twins, top, 20)
    assert _run_job(twins) == 1                                  # one article has a multiplier
    path = ranking.signals_file(twins.config)
    assert ranking.read_file(path) == {top: pytest.approx(multiplier(0, 20, 0), abs=1e-3)}
    _fresh_process(twins)
    calls = _count_computes(monkeypatch)
    for _ in range(3):
        assert _order(readers()) == [other, top]                 # read from the file
        assert _order(readers(), "suggest", "打印机脱") == [other, top]
    assert calls == []                                           # never computed on the request path


def test_a_new_file_from_the_worker_reaches_a_running_web_worker(twins, readers, monkeypatch):
    twins.config["KB_RANKING_TTL"] = 3600
    top, other = _order(readers())                               # this process has its signals
    _add_votes_from_another_worker(twins, top, 20)
    path = ranking.signals_file(twins.config)
    before = path.stat().st_mtime
    _run_job(twins)
    import os
    os.utime(path, (before + 5, before + 5))                     # a later modification time
    calls = _count_computes(monkeypatch)
    import time
    deadline = time.monotonic() + 5
    while _order(readers()) != [other, top]:                     # read in the background
        assert time.monotonic() < deadline, "the new signals never arrived"
        time.sleep(ranking.STAT_EVERY / 4)
    assert calls == []


def test_without_a_worker_a_stale_file_is_recomputed_in_the_background(twins, readers, monkeypatch):
    twins.config["KB_RANKING_TTL"] = 1
    top, other = _order(readers())
    _add_votes_from_another_worker(twins, top, 20)
    path = ranking.signals_file(twins.config)
    import os
    import time
    os.utime(path, (time.time() - 60, time.time() - 60))         # nobody has refreshed it for a minute
    deadline = time.monotonic() + 5
    while _order(readers()) != [other, top]:
        assert time.monotonic() < deadline, "stale signals were never recomputed"
        time.sleep(ranking.STAT_EVERY / 4)
    assert ranking.read_file(path)[top] == pytest.approx(multiplier(0, 20, 0), abs=1e-3)


def test_the_signals_file_is_only_rewritten_when_they_change(tmp_path):
    path = tmp_path / "ranking-signals.json"
    assert ranking.write_file(path, {"a/b": 0.9}) is True
    assert ranking.write_file(path, {"a/b": 0.9}) is False       # same: only touched
    assert ranking.write_file(path, {"a/b": 0.8}) is True
    path.write_text("{not json", encoding="utf-8")
    assert ranking.read_file(path) is None                       # a broken file is ignored
    assert ranking.write_file(path, {}) is True and ranking.read_file(path) == {}


def test_the_signals_job_is_registered():
    from app.worker.jobs import JOBS

    job = next(j for j in JOBS if j.name == "ranking_signals")
    assert job.load() is ranking.refresh
    assert job.every.total_seconds() <= 60
