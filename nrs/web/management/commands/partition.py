from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

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
            what = f"converted, {item.rows} rows moved" if item.converted else "already partitioned"
            self.stdout.write(f"{item.table}: {what}; new partitions: {', '.join(item.partitions) or '—'} / "
                              f"bảng {item.table}: {'đã chuyển' if item.converted else 'đã phân vùng'}")
