"""`nrs connectors list` and `nrs connectors run NAME`: run one pull connector now."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from nrs.exchange.connectors import runner
from nrs.exchange.connectors.models import Connector, RunStatus


class Command(BaseCommand):
    help = ("Pull connectors. `nrs connectors list` shows each with its next run; `nrs connectors run NAME` "
            "runs one now (fetch, store, log), as the scheduler would, and exits 1 when the run failed.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["list", "run"])
        parser.add_argument("name", nargs="?", default="")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "list":
            for c in Connector.objects.order_by("name"):
                state = "active" if c.active else "inactive"
                self.stdout.write(f"{c.name}\t{c.kind}\t{state}\t{c.next_run_at:%Y-%m-%d %H:%M}\t{c.url}")
            return
        connector = Connector.objects.select_related("regime", "org_unit", "run_as").filter(
            name=options["name"]).first()
        if connector is None:
            raise CommandError(f"Không có kết nối '{options['name']}'\nNo connector '{options['name']}'",
                               returncode=2)
        run = runner.run_connector(connector, trigger="manual")
        text = f"{run.message_vi}\n{run.message_en}" + (f"\n[{run.ref}]" if run.ref else "")
        if run.status in (RunStatus.FAILED, RunStatus.RETRYING):
            raise CommandError(text, returncode=1)
        self.stdout.write(text)
