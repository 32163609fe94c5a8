"""The one rule of what an anonymous caller may see (issue 19, part 3).

A stored value (a DataValue vintage) is public when all of these hold:

- public dissemination is on (``NRS_PUBLIC``);
- its indicator has an active Publication;
- its org unit's level is at or above the publication's lowest level (an agency's value
  stands for the national figure, so it counts as national);
- it was approved, and a Release of its indicator's period has passed (``release_at`` at or
  before now) at or after its approval.

``public_q`` is a filter on DataValue rows applied *before* the newest vintage of each key is
chosen (nrs.collection.queries.values), so what is served is the newest vintage approved on or
before the last release that has passed: a revision approved after it stays under embargo until
the next release of that period. Nothing else decides it: the SDMX views, the explorer, its
downloads and its revision history all read through here.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db.models import Exists, OuterRef, Q
from django.http import HttpRequest
from django.utils import timezone

from nrs.accounts import access, ratelimit
from nrs.accounts.access import Perm
from nrs.accounts.api_auth import request_token
from nrs.exchange.public.models import Publication, Release, levels_down_to


class PublicCaller:
    """Who an anonymous request is, once public dissemination lets it in (SDMX _authenticate)."""

    def __repr__(self) -> str:
        return "ANONYMOUS"


ANONYMOUS = PublicCaller()
RATE_GROUP = "public"


def enabled() -> bool:
    """Is public dissemination switched on for this installation (opt-in, NRS_PUBLIC)?"""
    return bool(getattr(settings, "NRS_PUBLIC", False))


def throttle(request: HttpRequest) -> int | None:
    """Count one anonymous request from the caller's address (NRS_PUBLIC_RATE); the seconds to
    wait when over the rate, else None. Audited once per window (ratelimit.hit)."""
    rate = getattr(settings, "NRS_PUBLIC_RATE", "120/m")
    return ratelimit.hit(request, group=RATE_GROUP, key=ratelimit.client_ip(request), rate=rate)


def released_q(now: datetime | None = None) -> Exists:
    """Has a release of the row's indicator and period passed, at or after the row's approval?"""
    now = now or timezone.now()
    return Exists(Release.objects.filter(
        publication__indicator_id=OuterRef("indicator_id"), publication__active=True,
        period=OuterRef("period"), release_at__lte=now, release_at__gte=OuterRef("version__approved_at")))


def public_q(now: datetime | None = None) -> Q:
    """The DataValue rows an anonymous caller may be served at ``now`` (default: now)."""
    if not enabled():
        return Q(pk__in=[])
    by_level: dict[str, list[int]] = defaultdict(list)
    for indicator, lowest in Publication.objects.filter(active=True).values_list("indicator_id", "min_level"):
        by_level[lowest].append(indicator)
    if not by_level:
        return Q(pk__in=[])
    where = Q(pk__in=[])
    for lowest, indicators in sorted(by_level.items()):
        where |= Q(indicator_id__in=sorted(indicators), org_unit__level__in=levels_down_to(lowest))
    return where & Q(version__approved_at__isnull=False) & Q(released_q(now))


def sdmx_scope(request: HttpRequest, token: Any) -> Q:
    """The DataValue rows an /sdmx/ request may read: a signed-in user's or a token's scope
    (access.scope_q, VIEW_DATA); for a caller with neither (let in by the SDMX views only when
    public dissemination is on), the public scope: released, approved, never under embargo."""
    user = request.user
    if token is None and not (user.is_authenticated and user.is_active):
        return public_q()
    return access.scope_q(user, Perm.VIEW_DATA, token=request_token(request) or token)
