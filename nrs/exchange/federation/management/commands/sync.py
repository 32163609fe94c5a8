"""`nrs sync`: push this node's approved submissions to the upstream node, now."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from nrs.exchange.federation import sync
from nrs.lib.errors import InputError


class Command(BaseCommand):
    help = ("Send every approval not yet acknowledged upstream, in signed batches "
            "(NRS_FEDERATION_BATCH each). Safe to interrupt and rerun.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch-size", type=int, default=None)
        parser.add_argument("--from-start", action="store_true",
                            help="resend every approval (the upstream skips what it has)")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            if options["from_start"]:
                sync.rewind()
            result = sync.run(batch_size=options["batch_size"])
        except (sync.SyncError, InputError, OSError) as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"{result.batches} batches, {result.submissions} submissions sent; "
                          f"{result.imported} imported upstream, {result.skipped} already there")
