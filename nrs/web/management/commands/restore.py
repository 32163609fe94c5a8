from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext_noop as _

from nrs.i18n import bilingual
from nrs.web.backup import BackupError, restore_backup
from nrs.web.progress import rich_progress


class Command(BaseCommand):
    help = ("Restore an archive written by `nrs backup` into an empty, migrated database: "
            "checksums verified first, all rows in one transaction, verified again after.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path, help="the archive written by `nrs backup`")

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.perf_counter()
        if not options["path"].is_file():
            raise CommandError("{} / {}".format(*bilingual(_("no such file: %(path)s"), path=options["path"])))
        try:
            with rich_progress() as progress:
                result = restore_backup(options["path"], progress=progress)
        except BackupError as exc:
            raise CommandError(f"{exc.vi} / {exc.en}") from None
        self.stdout.write(self.style.SUCCESS("{1} / {0}".format(*bilingual(
            _("Restored: %(tables)s tables, %(rows)s rows, %(files)s files in %(seconds)s s; checksums verified"),
            tables=result.tables, rows=result.rows, files=result.files,
            seconds=f"{time.perf_counter() - started:.1f}"))))
