from __future__ import annotations

import subprocess
import sys
from typing import Any

import uvicorn
from django.core.management.base import BaseCommand, CommandParser


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
            [sys.executable, "-m", "nrs.cli", "run_huey", "--workers", "1", "--quiet"])
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
