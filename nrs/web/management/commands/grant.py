"""`nrs grant`: role grants from the command line, through the same actions as the admin
(each audited): list, add, revoke, expire. The operator running it is the system (actor
None): the bootstrap that makes the first coordinators and the auditors."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_noop as _

from nrs.accounts import actions
from nrs.accounts.models import Grant, Role, User
from nrs.i18n import bilingual
from nrs.lib.errors import InputError
from nrs.registry.models import OrgUnit


class Command(BaseCommand):
    help = ("Role grants: `nrs grant list [--user U] [--all]`, `nrs grant add USER --role R --unit 01 "
            "[--expires ISO]`, `nrs grant revoke USER --role R --unit 01`, "
            "`nrs grant expire USER --role R --unit 01 --at ISO|never`.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["list", "add", "revoke", "expire"])
        parser.add_argument("username", nargs="?")
        parser.add_argument("--user", help="list: only this user's grants")
        parser.add_argument("--all", action="store_true", help="list: also revoked and expired grants")
        parser.add_argument("--role", choices=Role.values)
        parser.add_argument("--unit", help="org-unit code (current unit), e.g. 01 or BTC")
        parser.add_argument("--expires", help="add: when the grant ends (ISO 8601 with a time zone)")
        parser.add_argument("--at", help="expire: when the grant ends (ISO 8601 with a time zone), or 'never'")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "list":
            self._list(options["user"] or options["username"], show_all=options["all"])
            return
        user, role, unit = self._target(options)
        try:
            if action == "add":
                expires = _moment(options["expires"]) if options["expires"] else None
                grant = actions.grant_role(user, role, unit, expires_at=expires)
                self.stdout.write("{1} / {0}: {2}".format(*bilingual(_("granted")), _line(grant)))
            elif action == "revoke":
                actions.revoke_grant(self._live(user, role, unit))
                self.stdout.write("{1} / {0}".format(*bilingual(_("revoked"))))
            else:
                if not options["at"]:
                    raise CommandError("{1} / {0}".format(*bilingual(_("--at is required"))))
                moment = None if options["at"] == "never" else _moment(options["at"])
                changed = actions.set_grant_expiry(self._live(user, role, unit), moment)
                self.stdout.write("{1} / {0}".format(*bilingual(_("changed") if changed else _("unchanged"))))
        except (InputError, PermissionDenied) as exc:
            raise CommandError(str(exc)) from None

    def _list(self, username: str | None, *, show_all: bool) -> None:
        grants = (Grant.objects.all() if show_all else Grant.objects.active()).select_related("user", "org_unit")
        if username:
            grants = grants.filter(user__username=username)
        for grant in grants.order_by("user__username", "role", "org_unit__code"):
            self.stdout.write(_line(grant))

    @staticmethod
    def _target(options: dict[str, Any]) -> tuple[User, str, OrgUnit]:
        user = User.objects.filter(username=options["username"] or "").first()
        unit = OrgUnit.objects.current().filter(code=options["unit"] or "").first()
        if user is None or unit is None or not options["role"]:
            raise CommandError("{1} / {0}".format(*bilingual(_("give an existing user, --role and --unit"))))
        return user, options["role"], unit

    @staticmethod
    def _live(user: User, role: str, unit: OrgUnit) -> Grant:
        grant = Grant.objects.active().filter(user=user, role=role, org_unit=unit).first()
        if grant is None:
            raise CommandError("{1} / {0}".format(*bilingual(_("no live grant"))))
        return grant


def _moment(text: str) -> datetime:
    moment = parse_datetime(text)
    if moment is None or timezone.is_naive(moment):
        raise CommandError("'{2}': {1} / {0}".format(*bilingual(_("ISO 8601 with a time zone, e.g. %(example)s"),
                                                                example="2026-12-31T23:59:00+07:00"), text))
    return moment


def _line(grant: Grant) -> str:
    state = ("revoked " + grant.revoked_at.isoformat() if grant.revoked_at
             else "expires " + grant.expires_at.isoformat() if grant.expires_at else "no expiry")
    return f"{grant.pk}  {grant.user.username}  {grant.role}  {grant.org_unit.code}  {state}"
