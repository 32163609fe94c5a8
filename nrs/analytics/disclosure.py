"""Derived figures: who may see a figure computed from other units' values (decision 38).

One rule, applied by every page, the analytics API, the live stream and the freshness
endpoint (and by compliance, for coverage counts):

    A figure is shown to a user only if the user may read every unit whose values it is
    computed from, with the permission that reads its basis (VIEW_DATA for approved
    figures, VIEW_UNAPPROVED for the preview), through the same token if there is one.

What follows from it:

- a unit's own figure and its total over its subtree: with a grant on the unit (a grant
  covers the subtree);
- a national total, national coverage ("29/34"), a ranking or median over provinces: only
  with a grant on the national root;
- a unit's share of its parent (``sharePct``): only with a grant on the parent, because the
  share and the unit's own value give the parent's figure away;
- a refresh of the aggregate store (the live stream, the freshness endpoint, the "figures
  as of" line): only the newest refresh that wrote a figure of a unit the user may read;
  its reason (which names a report) only to readers of the whole country.

There is no "public" class of derived figure: approval is not publication (the statistics
office releases national figures on its own calendar), and a deployment that wants
provincial users to see national figures grants them viewer on the root, an audited grant.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Any

from django.core.cache import cache
from django.db.models import Max, Q

from nrs.accounts import access
from nrs.accounts.access import Perm
from nrs.analytics.models import Basis, Cell, Refresh
from nrs.registry.models import OrgUnit

ROOT_TTL = 3600  # seconds; the national root does not move
SCOPED_TTL = 600  # seconds; the key holds the store's newest refresh, so a new one is a new key


class Disclosure:
    """What one user (through one token) may see of derived figures on one basis."""

    def __init__(self, user: Any, perm: Perm = Perm.VIEW_DATA, *, token: Any = None) -> None:
        self.user, self.perm, self.token = user, perm, token
        self._reads: dict[int, bool] = {}

    def reads(self, unit: OrgUnit | None) -> bool:
        """May the user read ``unit`` (and so every figure computed within its subtree)?"""
        if unit is None:
            return False
        if unit.pk not in self._reads:
            self._reads[unit.pk] = access.has_perm(self.user, self.perm, unit, token=self.token)
        return self._reads[unit.pk]

    def reads_all(self, units: Iterable[OrgUnit]) -> bool:
        return all(self.reads(unit) for unit in units)

    def national(self) -> bool:
        """National totals, national coverage, rankings and medians over provinces."""
        return self.reads(root())

    def share(self, unit: OrgUnit) -> bool:
        """``unit``'s share of its parent: only to readers of the parent."""
        if unit.parent_id is None:
            return True
        if unit.parent_id not in self._reads:
            parent = OrgUnit.objects.only("id", "path").filter(pk=unit.parent_id).first()
            self._reads[unit.parent_id] = self.reads(parent)
        return self._reads[unit.parent_id]

    def redact_share(self, unit: OrgUnit, extra: dict[str, Any]) -> None:
        """Blank ``sharePct`` in a point's comparisons where the parent is out of reach."""
        if "sharePct" in extra and not self.share(unit):
            extra["sharePct"] = None


def root() -> OrgUnit | None:
    """The current national root (remembered in the cache: no query on a warm request)."""
    key = "nrs:disclosure:root"
    found = cache.get(key)
    if found is None:
        found = OrgUnit.objects.current().filter(parent__isnull=True).order_by("-valid_from").first()
        if found is not None:
            cache.set(key, found, ROOT_TTL)
    return found


# -- refreshes -----------------------------------------------------------------------------

def reads_everything(user: Any) -> bool:
    """Does every refresh of the store concern this user (a reader of the whole country)?"""
    return Disclosure(user).national()


def visible_refresh(user: Any, latest: Refresh | None) -> Refresh | None:
    """The newest refresh (up to ``latest``, the store's newest) that wrote a figure this
    user may read: an approved figure of a unit under a VIEW_DATA grant, or a preview figure
    under a VIEW_UNAPPROVED one. Its reason is kept for readers of the whole country only
    (an unsaved copy with the reason blank otherwise). Remembered per scope and ``latest``."""
    if latest is None or reads_everything(user):
        return latest
    data = access.scope_q(user, Perm.VIEW_DATA)
    preview = access.scope_q(user, Perm.VIEW_UNAPPROVED)
    key = "nrs:visible-refresh:" + hashlib.sha256(
        f"{data}|{preview}|{latest.pk}@{latest.at.timestamp()}".encode()).hexdigest()
    found = cache.get(key)
    if found is None:
        found = _newest_touching((Q(basis=Basis.APPROVED) & data) | (Q(basis=Basis.PREVIEW) & preview), latest)
        cache.set(key, found, SCOPED_TTL)
    if not found:
        return None
    pk, at = found
    return Refresh(pk=pk, at=at, reason="", cells=0)


def _newest_touching(cells: Q, latest: Refresh) -> tuple[int, Any] | tuple[()]:
    """(id, time) of the refresh that wrote the newest of ``cells``, up to ``latest``; ()
    when there is none. A refresh writes its cells, then its row, in one transaction: the
    first refresh row at or after a cell's time is the one that wrote it."""
    written = Cell.objects.filter(cells, refreshed_at__lte=latest.at).aggregate(at=Max("refreshed_at"))["at"]
    if written is None:
        return ()
    found = (Refresh.objects.filter(at__gte=written, pk__lte=latest.pk).order_by("id")
             .values_list("pk", "at").first())
    return found or ()
