from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext_noop as _

from nrs.i18n import bilingual
from nrs.web.backup import BackupError, create_backup
from nrs.web.progress import rich_progress


class Command(BaseCommand):
    help = ("Write the whole installation (every table, the uploaded files, checksums) to one "
            "zip archive; `nrs restore PATH` loads it into an empty database.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path, help="the archive to write (e.g. nrs-backup.zip)")

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.perf_counter()
        try:
            with rich_progress() as progress:
                result = create_backup(options["path"], progress=progress)
        except (BackupError, OSError) as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(self.style.SUCCESS("{1} / {0}".format(*bilingual(
            _("Backup written: %(path)s (%(tables)s tables, %(rows)s rows, %(files)s files, %(size)s bytes, "
              "%(seconds)s s)"),
            path=result.path, tables=result.tables, rows=result.rows, files=result.files, size=result.size,
            seconds=f"{time.perf_counter() - started:.1f}"))))
        self.stdout.write(f"SHA-256 {result.sha256}")
