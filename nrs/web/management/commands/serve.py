"""`nrs serve`: uvicorn, and the huey worker as a child that never outlives it."""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys
from collections.abc import Callable
from typing import Any

import uvicorn
from django.core.management.base import BaseCommand, CommandParser

PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


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

    def handle(self, *args: Any, **options: Any) -> None:
        worker = None if options["no_worker"] else subprocess.Popen(
            [sys.executable, "-m", "nrs.cli", "run_huey", "--workers", "1", "--quiet"],
            preexec_fn=die_with_parent())  # preexec_fn is safe here: no thread has started yet
        self.stdout.write(f"NRS: http://{options['host']}:{options['port']}/")
        try:
            uvicorn.run("nrs.asgi:application", host=options["host"], port=options["port"],
                        workers=options["workers"], log_level="info", lifespan="off",
                        # Live dashboards hold event streams open: do not wait on them to stop.
                        timeout_graceful_shutdown=3)
        finally:
            if worker is not None:
                worker.terminate()
                worker.wait(timeout=10)
