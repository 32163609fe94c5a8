from __future__ import annotations

from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from nrs.registry.loader import load_registry
from nrs.registry.sources import RegistryError
from nrs.web.progress import rich_progress


class Command(BaseCommand):
    help = "Migrate the database and load the registry (idempotent)."

    def handle(self, *args: Any, **options: Any) -> None:
        call_command("migrate", interactive=False, verbosity=0)
        self.stdout.write("Database migrated / Đã cập nhật cơ sở dữ liệu")
        try:
            with rich_progress() as progress:
                report = load_registry(progress=progress)
        except RegistryError as exc:
            raise CommandError(str(exc)) from None
        if report.changed:
            for key, count in sorted(report.counts.items()):
                self.stdout.write(f"  {key}: {count}")
        self.stdout.write(self.style.SUCCESS(
            f"Registry loaded: {report.changed} changes / Đã nạp danh mục: {report.changed} thay đổi"))
