"""`nrs serve --workers 2`: two uvicorn processes, each on its own SO_REUSEPORT socket,
supervised (nrs/web/management/commands/serve.py, decision 36). The kernel spreads the
connections over both, and a worker that dies is started again."""

from __future__ import annotations

import http.client
import os
import signal
import time
from pathlib import Path

import pytest

from tests.live import LiveNode

pytestmark = [pytest.mark.django_db, pytest.mark.ci_pg_only]

CONNECTIONS = 40


def _children(pid: int) -> list[int]:
    return [int(c) for task in Path(f"/proc/{pid}/task").glob("*/children") for c in task.read_text().split()]


def _workers(node: LiveNode, base: str) -> list[int]:
    port = base.rsplit(":", 1)[1]
    proc = next(p for p in node.processes if f"--port {port} " in " ".join(p.args) + " ")  # type: ignore[arg-type]
    return _children(proc.pid)


def _established(pid: int, port: int, state: str = "01") -> int:
    """Connections to ``port`` that process ``pid`` holds open (its fds against /proc/net/tcp);
    with ``state="0A"``, its listening sockets on ``port``."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    count = 0
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local_port, inode = int(fields[1].split(":")[1], 16), fields[9]
        count += local_port == port and fields[3] == state and inode in inodes
    return count


def _get(conn: http.client.HTTPConnection) -> int:
    conn.request("GET", "/health/")
    answer = conn.getresponse()
    answer.read()
    return answer.status


def test_keep_alive_connections_are_spread_over_both_workers(live_node: LiveNode) -> None:
    base = live_node.start(workers=2)
    try:
        workers = _workers(live_node, base)
        assert len(workers) == 2, workers
        port = int(base.rsplit(":", 1)[1])
        deadline = time.monotonic() + 60  # /health/ answered once one worker listened; wait for both
        while not all(_established(pid, port, state="0A") for pid in workers):
            assert time.monotonic() < deadline, "a worker never listened"
            time.sleep(0.2)
        conns = [http.client.HTTPConnection("127.0.0.1", port, timeout=10) for _ in range(CONNECTIONS)]
        for conn in conns:
            conn.connect()  # all open at once, as a load tool's clients do
        assert all(_get(conn) == 200 for conn in conns)
        held = {pid: _established(pid, port) for pid in workers}
        for conn in conns:
            conn.close()
        assert sum(held.values()) == CONNECTIONS, held
        # uvicorn's shared socket gave all 40 to whichever process woke first; hashed over
        # two sockets, fewer than 6 of 40 on one side has a probability of about 1 in a million.
        assert min(held.values()) >= 6, held
    finally:
        live_node.kill(base)


def test_a_worker_that_dies_is_started_again(live_node: LiveNode) -> None:
    base = live_node.start(workers=2)
    try:
        before = _workers(live_node, base)
        assert len(before) == 2, before
        time.sleep(6)  # past the supervisor's start-up window (a worker dying sooner stops it)
        os.kill(before[0], signal.SIGKILL)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            now = _workers(live_node, base)
            if len(now) == 2 and before[0] not in now:
                break
            time.sleep(0.2)
        else:
            pytest.fail(f"the killed worker was not replaced: {before} -> {_workers(live_node, base)}")
        port = int(base.rsplit(":", 1)[1])
        answered = []
        for _ in range(50):  # new connections until the new worker answers too
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            try:
                answered.append(_get(conn))
            except OSError:
                answered.append(0)  # the new worker may still be loading Django
                time.sleep(0.2)
            finally:
                conn.close()
        assert answered[-20:] == [200] * 20, answered
        assert before[1] in _workers(live_node, base)  # the other one was left alone
    finally:
        live_node.kill(base)
