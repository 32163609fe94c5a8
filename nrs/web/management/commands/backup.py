from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

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
        self.stdout.write(self.style.SUCCESS(
            f"Backup written: {result.path} ({result.tables} tables, {result.rows} rows, "
            f"{result.files} files, {result.size} bytes, {time.perf_counter() - started:.1f} s) / "
            f"Đã sao lưu: {result.rows} dòng, {result.files} tệp"))
        self.stdout.write(f"SHA-256 {result.sha256}")
