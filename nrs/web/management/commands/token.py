from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext_noop as _

from nrs.accounts import tokens
from nrs.accounts.models import ApiToken, TokenScope, User
from nrs.i18n import bilingual
from nrs.lib.errors import InputError
from nrs.registry.models import OrgUnit


class Command(BaseCommand):
    help = ("API tokens for machine clients: `nrs token issue USER --unit 01 --scope write`, "
            "`nrs token list`, `nrs token revoke PREFIX`. The secret is shown once.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["issue", "list", "revoke"])
        parser.add_argument("target", nargs="?", help="username (issue) or prefix (revoke)")
        parser.add_argument("--unit", help="org-unit code the token is bound to")
        parser.add_argument("--scope", choices=TokenScope.values, default=TokenScope.READ)
        parser.add_argument("--name", default="cli")
        parser.add_argument("--days", type=int, default=None,
                            help="lifetime in days (default and maximum: NRS_TOKEN_MAX_DAYS)")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "list":
            for token in ApiToken.objects.select_related("user", "org_unit").order_by("id"):
                state = "revoked" if token.revoked_at else f"expires {token.expires_at:%Y-%m-%d}"
                used = f"used {token.last_used_at:%Y-%m-%d %H:%M}" if token.last_used_at else "never used"
                self.stdout.write(f"{token.prefix}  {token.user.username}  {token.org_unit.code}  "
                                  f"{token.scope}  {state}  {used}  {token.name}")
            return
        if options["action"] == "revoke":
            found = ApiToken.objects.filter(prefix=options["target"]).first()
            if found is None:
                raise CommandError("{1} / {0}".format(*bilingual(_("no such token"))))
            tokens.revoke_token(found)
            self.stdout.write("{1} / {0}".format(*bilingual(_("revoked"))))
            return
        user = User.objects.filter(username=options["target"] or "").first()
        unit = OrgUnit.objects.current().filter(code=options["unit"] or "").first()
        if user is None or unit is None:
            raise CommandError("{1} / {0}".format(*bilingual(_("give an existing user and --unit"))))
        try:
            _token, secret = tokens.issue_token(user, unit, name=options["name"],
                                                scope=options["scope"], days=options["days"])
        except InputError as exc:
            raise CommandError(f"{exc.vi} / {exc.en}") from None
        self.stdout.write(secret)
