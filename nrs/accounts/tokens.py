"""API tokens: issue, verify, revoke. Secrets are never stored, only hashed.

A token reads ``nrs_<prefix>_<secret>``; the prefix finds the row, the
secret's SHA-256 is compared in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_noop as _

from nrs.accounts.models import ApiToken, TokenScope, User
from nrs.audit.events import EventType
from nrs.audit.log import record
from nrs.i18n import bilingual
from nrs.lib.errors import InputError

# last_used_at is written at most this often per token, not on every request.
TOUCH_EVERY = timedelta(minutes=1)


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@transaction.atomic
def issue_token(user: User, org_unit: Any, *, name: str, scope: TokenScope | str,
                days: int | None = None, actor: Any = None) -> tuple[ApiToken, str]:
    """Create a token valid for ``days`` (at most NRS_TOKEN_MAX_DAYS, the default);
    returns it and the one-time plain text."""
    max_days = settings.NRS_TOKEN_MAX_DAYS
    days = max_days if days is None else days
    if not 1 <= days <= max_days:
        raise InputError("days", *bilingual(_("a token's lifetime must be 1 to %(max)s days (got %(days)s)"),
                                            max=max_days, days=days))
    prefix, secret = secrets.token_hex(6), secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user, org_unit=org_unit, name=name, scope=TokenScope(scope), prefix=prefix,
        secret_hash=_hash(secret), expires_at=timezone.now() + timedelta(days=days))
    record(EventType.TOKEN_ISSUED, actor=actor, org_unit=org_unit, obj=token,
           summary=f"{user.username}: {name} ({token.scope})")
    return token, f"nrs_{prefix}_{secret}"


def verify_token(text: str) -> ApiToken | None:
    """The live token for ``text``, or None."""
    parts = text.strip().split("_", 2)
    if len(parts) != 3 or parts[0] != "nrs":
        return None
    token = ApiToken.objects.select_related("user", "org_unit").filter(prefix=parts[1]).first()
    if token is None or not hmac.compare_digest(token.secret_hash, _hash(parts[2])):
        return None
    if token.revoked_at is not None or token.expires_at <= timezone.now():
        return None
    if not token.user.is_active:
        return None
    return token


def touch(token: ApiToken) -> None:
    """Note that ``token`` was used now, at most once per TOUCH_EVERY (one UPDATE, no audit)."""
    now = timezone.now()
    if token.last_used_at is not None and now - token.last_used_at < TOUCH_EVERY:
        return
    stale = Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - TOUCH_EVERY)
    ApiToken.objects.filter(stale, pk=token.pk).update(last_used_at=now)
    token.last_used_at = now


@transaction.atomic
def revoke_token(token: ApiToken, *, actor: Any = None) -> None:
    if token.revoked_at is not None:
        return
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])  # a token is ended, never deleted
    record(EventType.TOKEN_REVOKED, actor=actor, org_unit=token.org_unit, obj=token,
           summary=token.name)
