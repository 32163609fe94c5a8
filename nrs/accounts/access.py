"""The one access module: "may this user do this, here?".

Every page, API operation, admin screen and CLI action that touches an org
unit asks here. Nothing else reads grants.

A grant of a role on an org unit covers that unit's whole subtree (a grant
on a province covers its communes; a grant on the Government root covers
everything), and the subtrees of the units that became it whole (lineage links
of share 1, followed back: the new Ninh Bình's grant covers the old Ninh Bình,
Nam Định and Hà Nam; the statistics office CTK's covers TCTK before it), so that a
successor keeps its predecessors' history, including backfills of it. Revoked
grants and inactive users count for nothing. Superusers (created only by
`nrs createuser --superuser`) may do everything.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Any

from django.apps import apps
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.db.models import Q

from nrs.accounts.models import Grant, Role

if TYPE_CHECKING:  # pragma: no cover
    from nrs.accounts.models import User


class Perm(StrEnum):
    VIEW_DATA = "view_data"                # approved values and dashboards
    VIEW_UNAPPROVED = "view_unapproved"    # drafts/submitted values (preview)
    ENTER_DATA = "enter_data"              # create and edit drafts
    SUBMIT = "submit"                      # send a report for approval
    APPROVE = "approve"                    # approve or return a report
    VIEW_COMPLIANCE = "view_compliance"    # who is late, who is missing
    MANAGE_CATALOGUE = "manage_catalogue"  # indicators, org units, codelists
    MANAGE_REGIMES = "manage_regimes"      # report regimes and deadlines
    SET_TARGETS = "set_targets"            # annual plan values
    MANAGE_USERS = "manage_users"          # users and role grants
    VIEW_AUDIT = "view_audit"              # the audit log
    BRIEFINGS = "briefings"                # generate, download and archive briefing documents
    BACKFILL = "backfill"                  # record a historical version's real release date


ROLE_PERMS: dict[str, frozenset[Perm]] = {
    Role.LEADER: frozenset({Perm.VIEW_DATA, Perm.VIEW_UNAPPROVED, Perm.VIEW_COMPLIANCE, Perm.BRIEFINGS}),
    Role.COORDINATOR: frozenset({Perm.VIEW_DATA, Perm.VIEW_UNAPPROVED, Perm.VIEW_COMPLIANCE, Perm.BRIEFINGS,
                                 Perm.MANAGE_CATALOGUE, Perm.MANAGE_REGIMES, Perm.SET_TARGETS,
                                 Perm.MANAGE_USERS}),
    Role.REPORTER: frozenset({Perm.VIEW_DATA, Perm.VIEW_UNAPPROVED, Perm.ENTER_DATA,
                              Perm.SUBMIT}),
    Role.APPROVER: frozenset({Perm.VIEW_DATA, Perm.VIEW_UNAPPROVED, Perm.APPROVE}),
    Role.VIEWER: frozenset({Perm.VIEW_DATA}),
    Role.AUDITOR: frozenset({Perm.VIEW_DATA, Perm.VIEW_AUDIT}),
    Role.SYSTEM: frozenset({Perm.VIEW_DATA, Perm.VIEW_UNAPPROVED, Perm.ENTER_DATA, Perm.SUBMIT}),
    # Granted beside approver or system to whoever loads a statistics office's past releases:
    # it only lets their real release dates be recorded (docs/domain.md, release dates).
    Role.BACKFILL: frozenset({Perm.VIEW_DATA, Perm.BACKFILL}),
}

_CACHE_ATTR = "_nrs_grant_paths"


def _active(user: Any) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active)


def _grant_paths(user: User) -> list[tuple[str, str]]:
    """(role, org-unit path) of the user's live grants and of the units those units
    succeeded whole, read once per user object. An empty path matches nothing."""
    cached = getattr(user, _CACHE_ATTR, None)
    if cached is None:
        grants = Grant.objects.active().filter(user=user).values_list("role", "org_unit_id", "org_unit__path")
        cached = [(role, path) for role, unit, own in grants
                  for path in [own, *_predecessor_paths(unit)] if path]
        setattr(user, _CACHE_ATTR, cached)
    return cached


LINEAGE_TTL = 3600  # seconds; a merger's predecessors have ended and their paths do not move


def _predecessor_paths(unit: int) -> list[str]:
    """The paths of every unit that became ``unit`` whole (lineage of share 1, followed
    back), remembered in the cache: no query on a warm request."""
    key = f"nrs:predecessor-paths:{unit}"
    found = cache.get(key)
    if found is None:
        found = _read_predecessor_paths(unit)
        cache.set(key, found, LINEAGE_TTL)
    return list(found)


def _read_predecessor_paths(unit: int) -> list[str]:
    # The registry's model by name: grants point at org units, and the registry is a layer
    # above this one (it imports access for its own checks).
    lineage = apps.get_model("registry", "Lineage")
    found: list[str] = []
    seen, frontier = {unit}, {unit}
    while frontier:
        links = list(lineage.objects.filter(successor_id__in=frontier, share=1)
                     .values_list("predecessor_id", "predecessor__path"))
        frontier = {pk for pk, _path in links if pk not in seen}
        seen |= frontier
        found += [path for pk, path in links if pk in frontier]
    return found


def forget(user: Any) -> None:
    """Drop the cached grants (after a grant changes in the same request)."""
    if hasattr(user, _CACHE_ATTR):
        delattr(user, _CACHE_ATTR)


def _paths_with(user: User, perm: Perm) -> list[str]:
    return [path for role, path in _grant_paths(user) if perm in ROLE_PERMS.get(role, ())]


_READ_PERMS = frozenset({Perm.VIEW_DATA, Perm.VIEW_UNAPPROVED, Perm.VIEW_COMPLIANCE, Perm.VIEW_AUDIT})


def _token_allows(token: Any, perm: Perm, unit: Any) -> bool:
    """An API token narrows its user's grants: to its org unit's subtree, and
    to reading when its scope is read."""
    if token is None:
        return True
    if token.scope == "read" and perm not in _READ_PERMS:
        return False
    return unit is None or any(unit.path.startswith(path) for path in _token_paths(token))


def _token_paths(token: Any) -> list[str]:
    """The token's org unit's path and its whole predecessors' (as for grants)."""
    cached = getattr(token, _CACHE_ATTR, None)
    if cached is None:
        cached = [p for p in [token.org_unit.path, *_predecessor_paths(token.org_unit_id)] if p]
        setattr(token, _CACHE_ATTR, cached)
    return cached


def has_perm(user: Any, perm: Perm, unit: Any = None, *, token: Any = None) -> bool:
    """May ``user`` (through ``token``, if given) do ``perm`` on ``unit``?
    With no unit: anywhere at all?"""
    if not _active(user):
        return False
    if not _token_allows(token, perm, unit):
        return False
    if user.is_superuser:
        return True
    paths = _paths_with(user, perm)
    if unit is None:
        return bool(paths)
    return any(unit.path.startswith(path) for path in paths)


def require(user: Any, perm: Perm, unit: Any = None, *, token: Any = None) -> None:
    if not has_perm(user, perm, unit, token=token):
        raise PermissionDenied(perm.value)


def scope_q(user: Any, perm: Perm, field: str = "org_unit", *, token: Any = None) -> Q:
    """A filter for any queryset whose ``field`` is an org unit, limited to
    the units where ``user`` may do ``perm``. ``field=""`` filters OrgUnit itself."""
    lookup = f"{field}__path__startswith" if field else "path__startswith"
    if not _active(user) or not _token_allows(token, perm, None):
        return Q(pk__in=[])
    narrowed = Q()
    if token is not None:
        narrowed = Q(pk__in=[])
        for path in _token_paths(token):
            narrowed |= Q(**{lookup: path})
    if user.is_superuser:
        return narrowed
    query = Q(pk__in=[])
    for path in _paths_with(user, perm):
        query |= Q(**{lookup: path})
    return query & narrowed


def audit_scope_q(user: Any) -> Q:
    """The audit events ``user`` may read: those of units under a VIEW_AUDIT grant; events
    tied to no unit (sign-ins, registry loads, tokens) only with that grant on the root
    (the Government, path "/id/") or as a superuser."""
    query = scope_q(user, Perm.VIEW_AUDIT)
    if _active(user) and (user.is_superuser or any(
            path.count("/") == 2 for path in _paths_with(user, Perm.VIEW_AUDIT))):
        query |= Q(org_unit__isnull=True)
    return query


def roles(user: Any) -> set[str]:
    """The roles a user holds anywhere (for menus)."""
    if not _active(user):
        return set()
    return {role for role, _path in _grant_paths(user)}


# -- page-level questions -----------------------------------------------------------

def can_browse_registry(user: Any) -> bool:
    """The registry (units, catalogue, regimes) is reference metadata: any active
    signed-in user may read it."""
    return _active(user)


def can_use_admin(user: Any) -> bool:
    """The Django admin is for metadata stewards (coordinators) and auditors."""
    return has_perm(user, Perm.MANAGE_CATALOGUE) or has_perm(user, Perm.VIEW_AUDIT)


def can_manage_user(user: Any, other: Any = None) -> bool:
    """May ``user`` change ``other``'s account (details, password, active flag)? Only with
    the users permission on every unit ``other`` holds a live grant on, so a provincial
    coordinator cannot take over a national account; a superuser's account only as a
    superuser. With no ``other``: may ``user`` manage users anywhere at all?"""
    if not has_perm(user, Perm.MANAGE_USERS):
        return False
    if other is None or user.is_superuser:
        return True
    if other.is_superuser:
        return False
    grants = Grant.objects.active().filter(user=other).select_related("org_unit")
    return all(has_perm(user, Perm.MANAGE_USERS, grant.org_unit) for grant in grants)


# Roles whose sessions need a second factor (TOTP or a backup code) when NRS_REQUIRE_2FA is on.
SECOND_FACTOR_ROLES = frozenset({Role.LEADER, Role.APPROVER, Role.COORDINATOR})


def needs_second_factor(user: Any) -> bool:
    """Must this user's browser session be verified with a second factor?"""
    if not _active(user):
        return False
    return bool(user.is_superuser or roles(user) & SECOND_FACTOR_ROLES)
