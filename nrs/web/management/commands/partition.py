from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext_noop as _

from nrs.i18n import bilingual
from nrs.web import partitioning


class Command(BaseCommand):
    help = ("PostgreSQL: partition the value tables (reported values, aggregates) by year, in one "
            "transaction; run again (e.g. each December) to add the coming years' partitions.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--years-ahead", type=int, default=2)

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            done = partitioning.partition_all(options["years_ahead"])
        except partitioning.PartitionError as exc:
            raise CommandError(str(exc)) from None
        for item in done:
            params = {"table": item.table, "partitions": ", ".join(item.partitions) or "—"}
            line = (bilingual(_("%(table)s: converted, %(rows)s rows moved; new partitions: %(partitions)s"),
                              rows=item.rows, **params) if item.converted
                    else bilingual(_("%(table)s: already partitioned; new partitions: %(partitions)s"), **params))
            self.stdout.write(f"{line.en} / {line.vi}")
