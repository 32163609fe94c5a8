from __future__ import annotations

from typing import Any

import uvicorn
from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Serve NRS over HTTP (uvicorn, ASGI)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--workers", type=int, default=1)

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(f"NRS: http://{options['host']}:{options['port']}/")
        uvicorn.run("nrs.asgi:application", host=options["host"], port=options["port"],
                    workers=options["workers"], log_level="info", lifespan="off",
                    # Live dashboards hold event streams open: do not wait on them to stop.
                    timeout_graceful_shutdown=3)
