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

from django.db import transaction
from django.utils import timezone

from nrs.accounts.models import ApiToken, TokenScope, User
from nrs.audit.events import EventType
from nrs.audit.log import record


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@transaction.atomic
def issue_token(user: User, org_unit: Any, *, name: str, scope: TokenScope | str,
                days: int = 365, actor: Any = None) -> tuple[ApiToken, str]:
    """Create a token; returns it and the one-time plain text."""
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


@transaction.atomic
def revoke_token(token: ApiToken, *, actor: Any = None) -> None:
    if token.revoked_at is not None:
        return
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])  # a token is ended, never deleted
    record(EventType.TOKEN_REVOKED, actor=actor, org_unit=token.org_unit, obj=token,
           summary=token.name)
