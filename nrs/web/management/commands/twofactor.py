from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext_noop as _

from nrs.accounts import twofactor
from nrs.accounts.models import User
from nrs.i18n import bilingual


class Command(BaseCommand):
    help = ("Two-factor sign-in: `nrs twofactor reset USERNAME` removes the user's authenticator "
            "and backup codes (lost phone); they enrol again at their next sign-in.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["reset"])
        parser.add_argument("username")

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(username=options["username"]).first()
        if user is None:
            raise CommandError("{1} / {0}".format(*bilingual(_("no such user"))))
        removed = twofactor.reset(user)
        self.stdout.write(self.style.SUCCESS(
            "{2}: {1} / {0}".format(*bilingual(_("%(count)s removed"), count=removed), user.username)))
