"""The write path for users and grants. Each action is one transaction and
writes its audit event in it."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.db import transaction
from django.utils import timezone

from nrs.accounts import access
from nrs.accounts.models import Grant, Role, User
from nrs.audit.events import EventType
from nrs.audit.log import record


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


@transaction.atomic
def grant_role(user: User, role: Role | str, org_unit: Any, *, actor: Any = None) -> Grant:
    """Give ``user`` ``role`` on ``org_unit``'s subtree (idempotent)."""
    role = Role(role)
    grant = Grant.objects.active().filter(user=user, role=role, org_unit=org_unit).first()
    if grant is not None:
        return grant
    grant = Grant.objects.create(user=user, role=role, org_unit=org_unit,
                                 granted_by=actor if getattr(actor, "pk", None) else None)
    # Staff flag only opens the admin's door; access.can_use_admin decides inside.
    wants_staff = role in (Role.COORDINATOR, Role.AUDITOR)
    if wants_staff and not user.is_staff:
        user.is_staff = True
        user.save(update_fields=["is_staff"])  # admin login needs the flag
    record(EventType.GRANT_ADDED, actor=actor, org_unit=org_unit, obj=grant,
           summary=f"{user.username}: {role.value}", data={"role": role.value})
    access.forget(user)
    return grant


@transaction.atomic
def revoke_grant(grant: Grant, *, actor: Any = None) -> None:
    if grant.revoked_at is not None:
        return
    grant.revoked_at = timezone.now()
    grant.save(update_fields=["revoked_at"])  # a grant is ended, never deleted
    record(EventType.GRANT_REVOKED, actor=actor, org_unit=grant.org_unit, obj=grant,
           summary=f"{grant.user.username}: {grant.role}")
    access.forget(grant.user)


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
