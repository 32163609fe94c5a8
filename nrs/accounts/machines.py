"""Machine accounts use API tokens only, never the web sign-in (issue 18, finding 8).

The rule: an active user who holds a live system grant and no human role is a machine
client. Human roles are every role but SYSTEM and BACKFILL (the backfill role is granted
beside system to the clients that load past releases). A superuser is a person.
"""

from __future__ import annotations

from typing import Any

from nrs.accounts import access
from nrs.accounts.models import Role

MACHINE_ROLES = frozenset({Role.SYSTEM.value, Role.BACKFILL.value})


def token_only(user: Any) -> bool:
    """May ``user`` reach NRS only with an API token (no password or OIDC sign-in, no session)?"""
    if user is None or not getattr(user, "is_authenticated", False) or user.is_superuser:
        return False
    held = access.roles(user)
    return Role.SYSTEM.value in held and not held - MACHINE_ROLES
