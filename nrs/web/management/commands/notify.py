from __future__ import annotations

from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from nrs.collection import reminders


class Command(BaseCommand):
    help = "Send today's report reminders and overdue notices now (the daily task does this at 07:00)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--date", type=date.fromisoformat, default=None)

    def handle(self, *args: Any, **options: Any) -> None:
        sent = reminders.send_due(options["date"] or timezone.localdate())
        self.stdout.write(f"{sent} notices sent / đã gửi {sent} thông báo")
