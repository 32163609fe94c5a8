"""Template context shared by every page."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone
from django.utils.functional import SimpleLazyObject

from nrs.accounts import access
from nrs.collection import queries
from nrs.exchange.connectors import actions as connectors


def nrs(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    return {
        "nrs_demo": settings.DEMO_MODE,
        "nrs_can_admin": access.can_use_admin(user),
        "nrs_can_compliance": access.has_perm(user, access.Perm.VIEW_COMPLIANCE),
        "nrs_can_dashboard": access.has_perm(user, access.Perm.VIEW_DATA),
        "nrs_can_briefings": access.has_perm(user, access.Perm.BRIEFINGS),
        "nrs_can_approve": access.has_perm(user, access.Perm.APPROVE),
        "nrs_can_enter": access.has_perm(user, access.Perm.ENTER_DATA),
        "nrs_can_audit": access.has_perm(user, access.Perm.VIEW_AUDIT),
        # The run log's own check (connectors/views.py): any grant that may manage connectors.
        "nrs_can_connectors": access.has_perm(user, connectors.MANAGE),
        "nrs_roles": sorted(access.roles(user)),
        "nrs_counts": SimpleLazyObject(lambda: nav_counts(request)),
    }


_COUNTS_ATTR = "_nrs_nav_counts"


def nav_counts(request: HttpRequest) -> dict[str, int]:
    """The menu's counts ("Chờ duyệt (3)", "Báo cáo của tôi (2)"), read once per request
    and only when a template shows them; cached per user for a short time
    (collection.queries.nav_counts: at most one query on a warm request, none for users who
    neither approve nor enter data, such as leaders on the overview)."""
    counts: dict[str, int] | None = getattr(request, _COUNTS_ATTR, None)
    if counts is None:
        counts = queries.nav_counts(getattr(request, "user", None), timezone.localdate())
        setattr(request, _COUNTS_ATTR, counts)
    return counts
