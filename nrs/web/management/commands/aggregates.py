from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction
from django.utils.translation import gettext_noop as _

from nrs.analytics import pending, refresh
from nrs.i18n import bilingual


class Command(BaseCommand):
    help = ("Recompute the dashboards' aggregates from the reported values (after a change to "
            "the registry's units, lineage or aggregation rules). Approvals keep them current otherwise. "
            "With --pending: apply the refreshes that bulk imports queued (the worker does it by itself).")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("indicators", nargs="*", help="indicator codes (default: all)")
        parser.add_argument("--pending", action="store_true",
                            help="apply the queued refreshes of bulk imports, then stop")

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.perf_counter()
        if options["pending"]:
            applied = pending.apply_all()
            self.stdout.write(self.style.SUCCESS("{1} / {0}".format(*bilingual(
                _("Queued refreshes applied: %(applied)s, still open: %(open)s (%(seconds)s s)"),
                applied=applied, open=pending.open_count(), seconds=f"{time.perf_counter() - started:.1f}"))))
            return
        with transaction.atomic():
            pending.lock()
            written = refresh.rebuild(options["indicators"] or None, reason="nrs aggregates")
        self.stdout.write(self.style.SUCCESS("{1} / {0}".format(*bilingual(
            _("Aggregates: %(cells)s cells in %(seconds)s s"), cells=written,
            seconds=f"{time.perf_counter() - started:.1f}"))))
