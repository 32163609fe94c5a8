"""Two-factor authentication (django-otp): TOTP enrolment, backup codes, verification, reset.

Each write is one transaction with its audit event. Pages: nrs/accounts/views.py; policy
(who needs it): access.needs_second_factor; enforcement: middleware.TwoFactorMiddleware.
"""

from __future__ import annotations

from typing import Any

import django_otp
from django.db import transaction
from django.http import HttpRequest
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from nrs.accounts.models import User
from nrs.audit.events import EventType
from nrs.audit.log import record

BACKUP_CODES = 10
TOTP_NAME = "totp"
BACKUP_NAME = "backup"


def has_totp(user: User) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


@transaction.atomic
def pending_totp(user: User) -> TOTPDevice:
    """The user's unconfirmed TOTP device (made on first call): its secret is shown until confirmed."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("id").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=TOTP_NAME, confirmed=False)
    return device


@transaction.atomic
def confirm_totp(user: User, code: str) -> list[str] | None:
    """Confirm the pending TOTP device with a code from the app. On success returns ten new
    one-time backup codes (shown once); on a wrong code records the failure, returns None."""
    device = (TOTPDevice.objects.select_for_update()
              .filter(user=user, confirmed=False).order_by("id").first())
    if device is None or not device.verify_token(_clean(code)):
        record(EventType.TWO_FACTOR_FAILED, actor=user, obj=user, summary=user.username,
               data={"stage": "enrol"})
        return None
    device.confirmed = True
    device.save(update_fields=["confirmed"])  # the secret is now in the user's app
    TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
    codes = _new_backup_codes(user)
    record(EventType.TWO_FACTOR_ENROLLED, actor=user, obj=user, summary=user.username)
    return codes


def _new_backup_codes(user: User) -> list[str]:
    StaticDevice.objects.filter(user=user).delete()
    static = StaticDevice.objects.create(user=user, name=BACKUP_NAME, confirmed=True)
    codes = [StaticToken.random_token() for _ in range(BACKUP_CODES)]
    StaticToken.objects.bulk_create([StaticToken(device=static, token=code) for code in codes])
    return codes


def verify(user: User, code: str) -> Any:
    """The confirmed device (TOTP, or the backup codes, a code then used up) that accepts
    ``code``, or None: the failure is recorded. django-otp throttles each device after a
    failure (1, 2, 4, 8… seconds), so guessing is slow."""
    device = django_otp.match_token(user, _clean(code))
    if device is None:
        with transaction.atomic():
            record(EventType.TWO_FACTOR_FAILED, actor=user, obj=user, summary=user.username,
                   data={"stage": "verify"})
    return device


def mark_verified(request: HttpRequest, device: Any) -> None:
    """The session passed its second factor: a new session key, then django-otp's marker."""
    request.session.cycle_key()
    django_otp.login(request, device)


@transaction.atomic
def reset(user: User, *, actor: Any = None) -> int:
    """Remove all of a user's second-factor devices (lost phone). Returns how many."""
    removed = 0
    for model in (TOTPDevice, StaticDevice):
        devices = model.objects.filter(user=user)
        removed += devices.count()
        devices.delete()
    record(EventType.TWO_FACTOR_RESET, actor=actor, obj=user, summary=user.username,
           data={"removed": removed})
    return removed


def _clean(code: str) -> str:
    return "".join(str(code).split())
