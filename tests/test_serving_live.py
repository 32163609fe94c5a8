"""`nrs serve --workers 2`: two uvicorn processes, each on its own SO_REUSEPORT socket,
supervised (nrs/web/management/commands/serve.py, decision 36). The kernel spreads the
connections over both, and a worker that dies is started again."""

from __future__ import annotations

import http.client
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.live import NRS, LiveNode, call
from tests.test_redis_live import EventStream, _sign_in

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


def _wait_listening(workers: list[int], port: int) -> None:
    """/health/ answers once one worker listens; wait until all do."""
    deadline = time.monotonic() + 60
    while not all(_established(pid, port, state="0A") for pid in workers):
        assert time.monotonic() < deadline, "a worker never listened"
        time.sleep(0.2)


def _spread(workers: list[int], port: int) -> dict[int, int]:
    """Open CONNECTIONS keep-alive connections at once, one request each; how many each
    worker holds."""
    conns = [http.client.HTTPConnection("127.0.0.1", port, timeout=10) for _ in range(CONNECTIONS)]
    for conn in conns:
        conn.connect()  # all open at once, as a load tool's clients do
    assert all(_get(conn) == 200 for conn in conns)
    held = {pid: _established(pid, port) for pid in workers}
    for conn in conns:
        conn.close()
    assert sum(held.values()) == CONNECTIONS, held
    return held


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
        _wait_listening(workers, port)
        held = _spread(workers, port)
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
        time.sleep(6)  # past the supervisor's start-up window (a worker dying in it stops all)
        os.kill(before[0], signal.SIGKILL)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            now = _workers(live_node, base)
            if len(now) == 2 and before[0] not in now:
                break
            time.sleep(0.2)
        else:
            pytest.fail(f"the killed worker was not replaced: {before} -> {_workers(live_node, base)}")
        assert before[1] in now  # the other one was left alone
        port = int(base.rsplit(":", 1)[1])
        _wait_listening(now, port)
        held = _spread(now, port)
        assert min(held.values()) >= 6, held  # the new worker takes its share
    finally:
        live_node.kill(base)


def test_a_second_server_on_a_port_in_use_refuses_to_start(live_node: LiveNode) -> None:
    """SO_REUSEPORT would let it share the port silently; the supervisor checks first."""
    base = live_node.start(workers=2)
    try:
        port = base.rsplit(":", 1)[1]
        second = subprocess.run([NRS, "serve", "--port", port, "--workers", "2", "--no-worker"],
                                env=live_node.env, capture_output=True, text=True, timeout=60)
        assert second.returncode != 0
        assert "already in use" in second.stderr
    finally:
        live_node.kill(base)


def test_open_live_streams_do_not_hold_pooled_connections(live_node: LiveNode) -> None:
    """Each dashboard holds /dashboard/events/ open for minutes; with a pool of 2 connections
    per process, 6 open streams must leave the pages and the API answering."""
    if not live_node.database.startswith("postgres"):
        pytest.skip("the connection pool is PostgreSQL's")
    live_node.user("pool.leader", "leader", "CP")
    env = {"NRS_DB_POOL": "2", "NRS_REQUIRE_2FA": "false", "NRS_SECURE_COOKIES": "false"}
    base = live_node.start(workers=1, env=env)
    streams: list[EventStream] = []
    try:
        cookies = _sign_in(base, "pool.leader")
        for _ in range(6):
            stream = EventStream(base, cookies, since=0)
            stream.start()
            assert stream.opened.wait(30) and stream.status == 200
            streams.append(stream)
        time.sleep(2)  # every stream has read the newest refresh and waits for the next
        started = time.monotonic()
        for path in ("/dashboard/", "/dashboard/freshness/"):
            answer = call(base, "GET", path, headers={"Cookie": cookies}, timeout=20)
            assert answer.status == 200, (path, answer.status)
        assert time.monotonic() - started < 10  # not waiting for the pool's 30 s timeout
    finally:
        for stream in streams:
            stream.close()
        live_node.kill(base)
