from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext_noop as _

from nrs.i18n import bilingual
from nrs.registry.loader import load_registry
from nrs.registry.sources import DATA_DIR, RegistryError
from nrs.web import storage
from nrs.web.progress import rich_progress


class Command(BaseCommand):
    help = "Migrate the database and load the registry (idempotent)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--data", type=Path, default=DATA_DIR,
                            help="folder of registry data files (default: the shipped ones)")

    def handle(self, *args: Any, **options: Any) -> None:
        call_command("migrate", interactive=False, verbosity=0)
        storage.collect()  # skipped when STATIC_ROOT holds the sources as they are
        self.stdout.write("{1} / {0}".format(*bilingual(_("Database migrated"))))
        try:
            with rich_progress() as progress:
                report = load_registry(options["data"], progress=progress)
        except RegistryError as exc:
            raise CommandError(str(exc)) from None
        if report.changed:
            for key, count in sorted(report.counts.items()):
                self.stdout.write(f"  {key}: {count}")
        self.stdout.write(self.style.SUCCESS(
            "{1} / {0}".format(*bilingual(_("Registry loaded: %(count)s changes"), count=report.changed))))
