from __future__ import annotations

from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone
from django.utils.translation import gettext_noop as _

from nrs.collection import reminders
from nrs.i18n import bilingual


class Command(BaseCommand):
    help = "Send today's report reminders and overdue notices now (the daily task does this at 07:00)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--date", type=date.fromisoformat, default=None)

    def handle(self, *args: Any, **options: Any) -> None:
        sent = reminders.send_due(options["date"] or timezone.localdate())
        self.stdout.write("{1} / {0}".format(*bilingual(_("%(count)s notices sent"), count=sent)))
