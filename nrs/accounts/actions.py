"""The write path for users and grants. Each action is one transaction and
writes its audit event in it."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_noop as _

from nrs.accounts import access
from nrs.accounts.models import Grant, Role, User
from nrs.audit.events import EventType
from nrs.audit.log import record
from nrs.i18n import bilingual
from nrs.lib.errors import InputError


@transaction.atomic
def create_user(username: str, password: str | None, *, actor: Any = None, full_name: str = "",
                email: str = "", is_superuser: bool = False, is_demo: bool = False,
                check_password: bool = True) -> tuple[User, bool]:
    """Create a user, or return the existing one unchanged. Returns (user, created).
    ``password=None`` (with check_password=False) makes a user who cannot sign in with a password."""
    existing = User.objects.filter(username=username).first()
    if existing is not None:
        return existing, False
    user = User(username=username, full_name=full_name, email=email,
                is_superuser=is_superuser, is_staff=is_superuser, is_demo=is_demo)
    if check_password:
        validate_password(password or "", user)
    user.set_password(password)
    user.save()
    record(EventType.USER_CREATED, actor=actor, obj=user, summary=username,
           data={"superuser": is_superuser, "demo": is_demo})
    return user, True


def _when(value: datetime | None) -> str | None:
    """A moment as the audit log writes it: ISO 8601 in UTC, or None."""
    return None if value is None else value.astimezone(UTC).isoformat()


def _refuse_self(actor: Any, user: User) -> None:
    if access.GRANTS.is_self(actor, user):
        raise PermissionDenied("{} / {}".format(*bilingual(_("nobody grants or changes roles of their own"))))


@transaction.atomic
def save_new_user(user: User, *, actor: Any = None) -> User:
    """Store a user the admin's add form has prepared (password already set and checked)
    and record USER_CREATED, in one transaction."""
    user.save()
    record(EventType.USER_CREATED, actor=actor, obj=user, summary=user.username,
           data={"superuser": user.is_superuser, "demo": user.is_demo, "admin": True})
    return user


@transaction.atomic
def grant_role(user: User, role: Role | str, org_unit: Any, *, actor: Any = None,
               expires_at: datetime | None = None) -> Grant:
    """Give ``user`` ``role`` on ``org_unit``'s subtree (idempotent), until ``expires_at`` if
    given. Nobody grants roles to themselves (PermissionDenied); who may grant what to whom
    is access.GRANTS, which the admin asks. ``actor=None`` is the operator's bootstrap
    (`nrs createuser`, `nrs grant`, the demo loader)."""
    role = Role(role)
    _refuse_self(actor, user)
    grant = Grant.objects.active().filter(user=user, role=role, org_unit=org_unit).first()
    if grant is not None:
        return grant
    # An expired grant still holds the one-live-grant slot until it is closed (at its expiry).
    Grant.objects.filter(user=user, role=role, org_unit=org_unit, revoked_at__isnull=True,
                         expires_at__lte=timezone.now()).update(revoked_at=F("expires_at"))
    grant = Grant.objects.create(user=user, role=role, org_unit=org_unit, expires_at=expires_at,
                                 granted_by=actor if getattr(actor, "pk", None) else None)
    # Staff flag only opens the admin's door; access.can_use_admin decides inside.
    wants_staff = role in (Role.COORDINATOR, Role.AUDITOR)
    if wants_staff and not user.is_staff:
        user.is_staff = True
        user.save(update_fields=["is_staff"])  # admin login needs the flag
    record(EventType.GRANT_ADDED, actor=actor, org_unit=org_unit, obj=grant,
           summary=f"{user.username}: {role.value}",
           data={"role": role.value, **({"expires_at": _when(expires_at)} if expires_at else {})})
    access.forget(user)
    return grant


@transaction.atomic
def revoke_grant(grant: Grant, *, actor: Any = None) -> bool:
    """End ``grant`` now (a grant is ended, never deleted). Returns False if it already was."""
    grant = Grant.objects.select_for_update().select_related("user", "org_unit").get(pk=grant.pk)
    if grant.revoked_at is not None:
        return False
    grant.revoked_at = timezone.now()
    grant.save(update_fields=["revoked_at"])
    record(EventType.GRANT_REVOKED, actor=actor, org_unit=grant.org_unit, obj=grant,
           summary=f"{grant.user.username}: {grant.role}",
           data={"role": grant.role, "user": grant.user.username,
                 "revoked_at": {"old": None, "new": _when(grant.revoked_at)}})
    access.forget(grant.user)
    return True


@transaction.atomic
def set_grant_expiry(grant: Grant, expires_at: datetime | None, *, actor: Any = None) -> bool:
    """Set, move or clear when ``grant`` expires (GRANT_CHANGED with old and new values).
    Nobody changes their own grants. Returns False when nothing changed."""
    grant = Grant.objects.select_for_update().select_related("user", "org_unit").get(pk=grant.pk)
    _refuse_self(actor, grant.user)
    if grant.revoked_at is not None:
        raise InputError("expires_at", *bilingual(_("the grant has been revoked")))
    if expires_at is not None and timezone.is_naive(expires_at):
        raise InputError("expires_at", *bilingual(_("the expiry needs a time zone")))
    old = grant.expires_at
    if old == expires_at:
        return False
    grant.expires_at = expires_at
    grant.save(update_fields=["expires_at"])
    record(EventType.GRANT_CHANGED, actor=actor, org_unit=grant.org_unit, obj=grant,
           summary=f"{grant.user.username}: {grant.role}",
           data={"expires_at": {"old": _when(old), "new": _when(expires_at)}})
    access.forget(grant.user)
    return True


# The account fields the admin (or a script) may change through change_user.
USER_FIELDS = ("username", "first_name", "last_name", "email", "full_name", "is_active", "is_demo",
               "is_staff", "is_superuser")


@transaction.atomic
def change_user(user: User, changes: Mapping[str, Any], *, actor: Any = None) -> dict[str, dict[str, Any]]:
    """Change ``user``'s account fields (USER_FIELDS) and record one USER_CHANGED event with
    {field: {old, new}}; nothing is written when nothing changes. Returns the changes."""
    unknown = set(changes) - set(USER_FIELDS)
    if unknown:
        raise ValueError(f"change_user: not an account field: {sorted(unknown)}")
    current = User.objects.select_for_update().get(pk=user.pk)
    diff = {name: {"old": getattr(current, name), "new": value}
            for name, value in changes.items() if getattr(current, name) != value}
    if not diff:
        return {}
    for name, values in diff.items():
        setattr(current, name, values["new"])
        setattr(user, name, values["new"])
    current.save(update_fields=sorted(diff))
    record(EventType.USER_CHANGED, actor=actor, obj=current, summary=current.username, data=diff)
    access.forget(user)
    return diff


@transaction.atomic
def change_password(user: User, password: str | None, *, actor: Any = None) -> None:
    """Set a new password, checked against AUTH_PASSWORD_VALIDATORS (raises ValidationError).
    ``None`` turns password sign-in off for the user (the admin's "disabled")."""
    if password is None:
        user.set_unusable_password()
    else:
        validate_password(password, user)
        user.set_password(password)
    user.save(update_fields=["password"])  # only the hash changes
    record(EventType.PASSWORD_CHANGED, actor=actor, obj=user, summary=user.username,
           data={"by_self": getattr(actor, "pk", None) == user.pk})
