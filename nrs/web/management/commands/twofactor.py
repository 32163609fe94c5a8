from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from nrs.accounts import twofactor
from nrs.accounts.models import User


class Command(BaseCommand):
    help = ("Two-factor sign-in: `nrs twofactor reset USERNAME` removes the user's authenticator "
            "and backup codes (lost phone); they enrol again at their next sign-in.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["reset"])
        parser.add_argument("username")

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(username=options["username"]).first()
        if user is None:
            raise CommandError("no such user / không có người dùng này")
        removed = twofactor.reset(user)
        self.stdout.write(self.style.SUCCESS(
            f"{user.username}: {removed} removed / đã xoá {removed}"))
