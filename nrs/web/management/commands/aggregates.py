from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from nrs.analytics import refresh


class Command(BaseCommand):
    help = ("Recompute the dashboards' aggregates from the reported values (after a change to "
            "the registry's units, lineage or aggregation rules). Approvals keep them current otherwise.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("indicators", nargs="*", help="indicator codes (default: all)")

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.perf_counter()
        written = refresh.rebuild(options["indicators"] or None, reason="nrs aggregates")
        self.stdout.write(self.style.SUCCESS(
            f"Aggregates: {written} cells in {time.perf_counter() - started:.1f} s / "
            f"Số liệu tổng hợp: {written} ô"))
