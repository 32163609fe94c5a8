"""Template context shared by every page."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from nrs.accounts import access
from nrs.exchange.connectors import actions as connectors


def nrs(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    return {
        "nrs_demo": settings.DEMO_MODE,
        "nrs_can_admin": access.can_use_admin(user),
        "nrs_can_compliance": access.has_perm(user, access.Perm.VIEW_COMPLIANCE),
        "nrs_can_dashboard": access.has_perm(user, access.Perm.VIEW_DATA),
        "nrs_can_briefings": access.has_perm(user, access.Perm.BRIEFINGS),
        "nrs_can_audit": access.has_perm(user, access.Perm.VIEW_AUDIT),
        # The run log's own check (connectors/views.py): any grant that may manage connectors.
        "nrs_can_connectors": access.has_perm(user, connectors.MANAGE),
        "nrs_roles": sorted(access.roles(user)),
    }
