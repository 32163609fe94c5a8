"""`nrs serve`: uvicorn, and the huey worker as a child that never outlives it.

With --workers N > 1 (Linux), N uvicorn processes each listen on their own socket bound with
SO_REUSEPORT, so the kernel spreads connections evenly over them (decision 36). uvicorn's own
multi-worker mode shares one socket, and asyncio accepts every pending connection at once:
the first process to wake took all 50 keep-alive connections of a load test while the other
idled. This process supervises them: one that dies is started again; all stop with it.
"""

from __future__ import annotations

import ctypes
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

import uvicorn
from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
APPLICATION = "nrs.asgi:application"
# A worker that exits this soon after `nrs serve` started failed to start: stop, do not retry.
STARTUP_SECONDS = 5.0
# A worker slot is restarted at most this often (a worker that keeps crashing is not a busy loop).
RESTART_SECONDS = 1.0


def die_with_parent() -> Callable[[], None] | None:
    """A ``preexec_fn`` that has Linux send the child SIGTERM when this process dies, even by
    SIGKILL (when the ``finally`` below never runs); None elsewhere. The signal follows the
    thread that started the child: here the main thread, which lives as long as the server."""
    if not sys.platform.startswith("linux"):
        return None
    prctl = ctypes.CDLL(None, use_errno=True).prctl  # looked up before the fork
    parent = os.getpid()

    def arm() -> None:  # in the child, between fork and exec: no imports, no allocation to speak of
        prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
        if os.getppid() != parent:  # the server died before prctl: no signal will come
            os._exit(1)

    return arm


class Command(BaseCommand):
    help = ("Serve NRS over HTTP (uvicorn, ASGI), with a background worker (huey) for reminders and "
            "document generation unless --no-worker (then run `nrs run_huey` yourself).")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--workers", type=int, default=1)
        parser.add_argument("--no-worker", action="store_true", help="do not start the background worker")
        parser.add_argument("--reuse-port", action="store_true",
                            help="bind with SO_REUSEPORT (how the processes of --workers N share the port)")

    def handle(self, *args: Any, **options: Any) -> None:
        worker = None if options["no_worker"] else subprocess.Popen(
            [sys.executable, "-m", "nrs.cli", "run_huey", "--workers", "1", "--quiet"],
            preexec_fn=die_with_parent())  # preexec_fn is safe here: no thread has started yet
        host, port, workers = options["host"], options["port"], options["workers"]
        if not options["reuse_port"]:
            self.stdout.write(f"NRS: http://{host}:{port}/")
        try:
            if options["reuse_port"]:
                serve_one(host, port)
            elif workers > 1 and hasattr(socket, "SO_REUSEPORT"):
                supervise(host, port, workers)
            else:
                uvicorn.run(APPLICATION, host=host, port=port, workers=workers, **uvicorn_options())
        finally:
            if worker is not None:
                worker.terminate()
                worker.wait(timeout=10)


def uvicorn_options() -> dict[str, Any]:
    """uvicorn's settings for every way of serving. Live dashboards hold event streams open: do
    not wait on them to stop. X-Forwarded-For (and -Proto) are believed only from the proxies in
    settings.NRS_TRUSTED_PROXIES: uvicorn on its own believes them from 127.0.0.1 (or from
    $FORWARDED_ALLOW_IPS), so anyone on the host, or any client of a loopback tunnel, could
    name the address the lockout counts (issue 18, finding 7). With no proxy configured the
    headers are ignored and the client address is the socket's peer."""
    proxies = [str(proxy) for proxy in settings.NRS_TRUSTED_PROXIES if str(proxy).strip()]
    return {"log_level": "info", "lifespan": "off", "timeout_graceful_shutdown": 3,
            "proxy_headers": bool(proxies), "forwarded_allow_ips": proxies}


def tcp_socket(host: str) -> socket.socket:
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    return sock


def serve_one(host: str, port: int) -> None:
    """One uvicorn process on a listening socket of its own, bound with SO_REUSEPORT."""
    sock = tcp_socket(host)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    uvicorn.Server(uvicorn.Config(APPLICATION, host=host, port=port, **uvicorn_options())).run(sockets=[sock])


def port_free(host: str, port: int) -> bool:
    """Whether no other server listens on the port: a plain bind (no SO_REUSEPORT) fails if one
    does, where the workers' SO_REUSEPORT binds would silently share the port with it."""
    probe = tcp_socket(host)
    try:
        probe.bind((host, port))
    except OSError:
        return False
    finally:
        probe.close()
    return True


def supervise(host: str, port: int, count: int) -> None:
    """``count`` processes of `nrs serve --reuse-port`, kept running until SIGTERM or SIGINT."""
    if not port_free(host, port):
        raise SystemExit(f"nrs serve: {host}:{port} is already in use")
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    command = [sys.executable, "-m", "nrs.cli", "serve", "--host", host, "--port", str(port),
               "--no-worker", "--reuse-port"]
    began = time.monotonic()
    children = [(began, subprocess.Popen(command, preexec_fn=die_with_parent())) for _ in range(count)]
    try:
        while not stop.wait(0.5):
            for i, (started, child) in enumerate(children):
                if child.poll() is None or time.monotonic() - started < RESTART_SECONDS:
                    continue
                if time.monotonic() - began < STARTUP_SECONDS:
                    raise SystemExit(f"nrs serve: a worker exited at start (code {child.returncode})")
                print(f"nrs serve: worker {child.pid} exited (code {child.returncode}); starting another",
                      file=sys.stderr, flush=True)
                children[i] = (time.monotonic(), subprocess.Popen(command, preexec_fn=die_with_parent()))
    finally:
        for _started, child in children:
            child.terminate()
        for _started, child in children:
            try:
                child.wait(timeout=10)
            except subprocess.TimeoutExpired:
                child.kill()
