from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext_noop as _
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from nrs.i18n import bilingual
from nrs.web import demo


class Command(BaseCommand):
    help = "Create the demo users and demo data (idempotent). Run `nrs init` first."

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            result = demo.load_demo()
            if demo.ensure_demo_pki():
                self.stdout.write("PKI: a test CA and signer for documents in var/pki/ (demo only)")
            with Progress(TextColumn("demo reports"), BarColumn(), MofNCompleteColumn(),
                          TimeElapsedColumn()) as bars:
                task = bars.add_task("reports", total=None)
                values = demo.load_demo_values(lambda n: bars.advance(task, n))
        except demo.DemoError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(self.style.SUCCESS(
            f"Demo: {result.users_created} users and {result.targets_changed + values.targets_changed} "
            "targets added"))
        labelled = bilingual(_("labelled as demo data"))
        self.stdout.write(self.style.SUCCESS(
            f"Demo: {values.reports} reports with {values.values} values added ({labelled.en} / {labelled.vi})"))
        logins, password = bilingual(_("Demo logins")), bilingual(_("password"))
        self.stdout.write(f"\n{logins.en} / {logins.vi} ({password.en} / {password.vi}: {demo.DEMO_PASSWORD}):")
        for login in demo.DEMO_USERS:
            self.stdout.write(f"  {login.username:<18} {login.role:<12} {login.unit_code:<6} "
                              f"{login.full_name}")
