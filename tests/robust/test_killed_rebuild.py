"""Issue 13 item 4: a killed rebuild must not block later rebuilds.

``kb index --rebuild`` builds large indexes with two writer processes (Whoosh's MpWriter).
After ``kill -9`` of the rebuild those children used to live on holding ``rebuild.lock``, and
the next rebuild waited 600 s for a LockTimeout.  Now the children drop the lock and die with
their parent, and a lock whose recorded holder is gone is taken over with a log line."""

from __future__ import annotations

import logging
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time

from indexer import SearchEngine
from tests.conftest import ROOT
from tests.indexer.ixhelpers import make_doc
from tests.robust.conftest import wait_for

CHILD = textwrap.dedent("""
    import sys
    from indexer import SearchEngine
    from tests.indexer.ixhelpers import make_doc
    from tests.robust.test_killed_rebuild import many_docs
    eng = SearchEngine(sys.argv[1], procs=2)
    print("building", flush=True)
    eng.rebuild(many_docs(int(sys.argv[2])))
    print("done", flush=True)
""")


def many_docs(n: int):
    body = "VPN 连接失败，错误 809，请检查网络。" * 200
    return [make_doc(f"synthetic/{i}", f"测试文章 {i} VPN 打印机 邮箱", body + str(i)) for i in range(n)]


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except OSError:
        return False


def test_rebuild_after_kill_9_of_a_rebuild_succeeds(tmp_path, caplog):
    index = tmp_path / "index"
    proc = subprocess.Popen([sys.executable, "-c", CHILD, str(index), "1500"], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert proc.stdout.readline().strip() == "building"

    def writer_children():
        out = subprocess.run(["pgrep", "-P", str(proc.pid)], capture_output=True, text=True).stdout
        return [int(p) for p in out.split()]

    children = wait_for(writer_children, 60, step=0.02)
    assert children, "the rebuild never started its writer processes"
    time.sleep(0.3)
    assert proc.poll() is None, "the rebuild finished before it could be killed: " + proc.stdout.read()
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    # the children die with their parent
    assert wait_for(lambda: not any(_alive(c) for c in children), 10), \
        f"writer processes {children} outlived the killed rebuild"
    eng = SearchEngine(index, lock_timeout=15)
    with caplog.at_level(logging.WARNING, logger="indexer"):
        t0 = time.monotonic()
        stats = eng.rebuild([make_doc("vpn/809", "VPN 错误 809", "连接 VPN 提示 809")])
    assert stats.docs == 1
    assert time.monotonic() - t0 < 15
    assert "taking over" in caplog.text
    assert [h.slug for h in eng.search("809").hits] == ["vpn/809"]
    eng.close()


def test_lock_held_by_orphans_of_a_dead_holder_is_taken_over(tmp_path, caplog):
    """The lock is busy, but the process recorded in it is gone (its orphans hold the lock):
    the waiter takes it over instead of waiting for the timeout."""
    index = tmp_path / "index"
    eng = SearchEngine(index, lock_timeout=5)
    eng.rebuild([make_doc("a/1", "打印机 脱机", "打印机显示脱机")])
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    lock = tmp_path / "index.d" / "rebuild.lock"
    holder = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(f"""
            import fcntl, os, sys, time
            fd = os.open({str(lock)!r}, os.O_RDWR | os.O_CREAT)
            fcntl.flock(fd, fcntl.LOCK_EX)
            os.ftruncate(fd, 0)
            os.pwrite(fd, b"{dead.pid} - {socket.gethostname()}\\n", 0)
            print("holding", flush=True)
            time.sleep(60)
        """)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "holding"
        with caplog.at_level(logging.WARNING, logger="indexer"):
            eng.rebuild([make_doc("a/2", "VPN 错误 809", "连接 VPN 提示 809")])
        assert "orphaned" in caplog.text
        assert [h.slug for h in eng.search("809").hits] == ["a/2"]
    finally:
        holder.kill()
        holder.wait()
        eng.close()


def test_a_live_holder_is_waited_for_not_taken_over(tmp_path):
    index = tmp_path / "index"
    eng = SearchEngine(index, lock_timeout=1)
    eng.rebuild([make_doc("a/1", "打印机 脱机", "打印机显示脱机")])
    lock = tmp_path / "index.d" / "rebuild.lock"
    holder = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(f"""
            import sys
            sys.path.insert(0, {str(ROOT)!r})
            from indexer.storage import IndexStore
            import pathlib, time
            st = IndexStore(pathlib.Path({str(index)!r}))
            with st.rebuild_lock():
                print("holding", flush=True)
                time.sleep(60)
        """)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "holding"
        assert lock.read_text().split()[0] == str(holder.pid)
        from indexer.storage import LockTimeout
        import pytest

        with pytest.raises(LockTimeout):
            eng.rebuild([make_doc("a/2", "VPN", "VPN")])
    finally:
        holder.kill()
        holder.wait()
        eng.close()
