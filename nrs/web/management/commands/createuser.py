from __future__ import annotations

import getpass
import os
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils.translation import gettext_noop as _

from nrs.accounts import actions
from nrs.accounts.models import Role, User
from nrs.i18n import bilingual
from nrs.registry.models import OrgUnit


class Command(BaseCommand):
    help = ("Create a user (idempotent: an existing user is left as it is) and grant a role "
            "on an org unit. The password comes from --password, NRS_USER_PASSWORD or a prompt.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--password")
        parser.add_argument("--full-name", default="")
        parser.add_argument("--email", default="")
        parser.add_argument("--role", choices=Role.values)
        parser.add_argument("--unit", help="org-unit code (current unit), e.g. 01 or BTC")
        parser.add_argument("--superuser", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        if bool(options["role"]) != bool(options["unit"]):
            raise CommandError("{1} / {0}".format(*bilingual(_("--role and --unit go together"))))
        unit = self._unit(options["unit"]) if options["unit"] else None
        password = options["password"] or os.environ.get("NRS_USER_PASSWORD") or ""
        if not password and not User.objects.filter(username=options["username"]).exists():
            password = getpass.getpass("{1} / {0}: ".format(*bilingual(_("Password"))))
        with transaction.atomic():
            try:
                user, created = actions.create_user(
                    options["username"], password,
                    full_name=options["full_name"], email=options["email"],
                    is_superuser=options["superuser"])
            except ValidationError as exc:
                raise CommandError("; ".join(exc.messages)) from None
            if unit is not None:
                actions.grant_role(user, options["role"], unit)
        state = "{1} / {0}".format(*bilingual(_("created") if created else _("exists, unchanged")))
        self.stdout.write(self.style.SUCCESS(f"{user.username}: {state}"))

    def _unit(self, code: str) -> OrgUnit:
        unit = OrgUnit.objects.current().filter(code=code).first()
        if unit is None:
            raise CommandError("{1} / {0}".format(*bilingual(_("no current org unit '%(code)s'"), code=code)))
        return unit
