"""The one access module: "may this user do this, here?".

Every page, API operation, admin screen and CLI action that touches an org
unit asks here. Nothing else reads grants.

A grant of a role on an org unit covers that unit's whole subtree (a grant
on a province covers its communes; a grant on the Government root covers
everything), and the subtrees of the units that became it whole (lineage links
of share 1, followed back: the new Ninh Bình's grant covers the old Ninh Bình,
Nam Định and Hà Nam; the statistics office CTK's covers TCTK before it), so that a
successor keeps its predecessors' history, including backfills of it. Revoked
grants, expired grants and inactive users count for nothing. Superusers (created only by
`nrs createuser --superuser`) may do everything.

``has_perm`` and ``scope_q`` are the primitives. Above them, one permission policy per
resource, in the manner of Wagtail's permission policies (``USERS``, ``GRANTS``, ``AUDIT``,
``SUBMISSIONS``, ``ORG_UNITS``, ``EXCHANGE``): "may this user do this action at all, on this
instance, and on which instances?". Separation of duties lives in the policies:

- nobody grants roles to themselves, nor changes their own grants (``GRANTS``);
- a coordinator grants only the roles it is entitled to grant, within its units: every role
  but auditor (auditors watch the coordinators; only a superuser or the CLI makes them);
- the approver of a report is not who entered (saved values or a document in) or submitted
  its current version, unless the regime's ``separate_duties`` is off (``SUBMISSIONS``);
- a unit's code and parent change only nationally (``ORG_UNITS``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeGuard, TypeVar

from django.apps import apps
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import Q, QuerySet

from nrs.accounts.models import Grant, Role

if TYPE_CHECKING:  # pragma: no cover
    from django.contrib.auth.models import AnonymousUser

    from nrs.accounts.models import ApiToken, User
    from nrs.audit.models import Event

    # Whoever asks: a signed-in user, the anonymous user, or nobody (the system).
    Actor = User | AnonymousUser | None


class Unit(Protocol):
    """An org unit as access sees it (the registry's OrgUnit; the registry is a layer above)."""

    pk: Any

    @property
    def path(self) -> str: ...


class Report(Protocol):
    """A report as access sees it (collection.Submission; collection is a layer above)."""

    pk: Any
    version: int

    @property
    def org_unit(self) -> Unit: ...

    @property
    def regime(self) -> object: ...


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


def _active(user: Actor) -> TypeGuard[User]:
    return bool(user is not None and user.is_authenticated and user.is_active)


def _grant_paths(user: User) -> list[tuple[str, str]]:
    """(role, org-unit path) of the user's live grants and of the units those units
    succeeded whole, read once per user object. An empty path matches nothing."""
    cached: list[tuple[str, str]] | None = getattr(user, _CACHE_ATTR, None)
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


def forget(user: Actor) -> None:
    """Drop the cached grants (after a grant changes in the same request)."""
    if hasattr(user, _CACHE_ATTR):
        delattr(user, _CACHE_ATTR)


def _paths_with(user: User, perm: Perm) -> list[str]:
    return [path for role, path in _grant_paths(user) if perm in ROLE_PERMS.get(role, ())]


def _is_root(path: str) -> bool:
    """A national path: the root's own, "/<id>/"."""
    return path.count("/") == 2


def _national(user: Actor, perm: Perm) -> bool:
    """Does ``user`` hold ``perm`` on a root (the Government), or is a superuser?"""
    if not _active(user):
        return False
    return user.is_superuser or any(_is_root(path) for path in _paths_with(user, perm))


_READ_PERMS = frozenset({Perm.VIEW_DATA, Perm.VIEW_UNAPPROVED, Perm.VIEW_COMPLIANCE, Perm.VIEW_AUDIT})


def _token_allows(token: ApiToken | None, perm: Perm, unit: Unit | None) -> bool:
    """An API token narrows its user's grants: to its org unit's subtree, and
    to reading when its scope is read."""
    if token is None:
        return True
    if token.scope == "read" and perm not in _READ_PERMS:
        return False
    return unit is None or any(unit.path.startswith(path) for path in _token_paths(token))


def _token_paths(token: ApiToken) -> list[str]:
    """The token's org unit's path and its whole predecessors' (as for grants)."""
    cached: list[str] | None = getattr(token, _CACHE_ATTR, None)
    if cached is None:
        cached = [p for p in [token.org_unit.path, *_predecessor_paths(token.org_unit_id)] if p]
        setattr(token, _CACHE_ATTR, cached)
    return cached


def has_perm(user: Actor, perm: Perm, unit: Unit | None = None, *, token: ApiToken | None = None) -> bool:
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


def require(user: Actor, perm: Perm, unit: Unit | None = None, *, token: ApiToken | None = None) -> None:
    if not has_perm(user, perm, unit, token=token):
        raise PermissionDenied(perm.value)


def scope_q(user: Actor, perm: Perm, field: str = "org_unit", *, token: ApiToken | None = None) -> Q:
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


def roles(user: Actor) -> set[str]:
    """The roles a user holds anywhere (for menus)."""
    if not _active(user):
        return set()
    return {role for role, _path in _grant_paths(user)}


def _users_with(perm: Perm, unit: Unit | None = None) -> QuerySet[User]:
    """Active users who may do ``perm`` (on ``unit``, if given): superusers, and holders of
    a live grant of a role carrying it that covers the unit."""
    user_model = apps.get_model("accounts", "User")
    carrying = [role for role, perms in ROLE_PERMS.items() if perm in perms]
    candidates = user_model.objects.filter(is_active=True).filter(
        Q(is_superuser=True) | Q(pk__in=Grant.objects.active().filter(role__in=carrying).values("user_id")))
    if unit is None:
        return candidates
    return user_model.objects.filter(pk__in=[u.pk for u in candidates if has_perm(u, perm, unit)])


# -- permission policies --------------------------------------------------------------

M = TypeVar("M", bound=models.Model)


def _refused(action: str) -> PermissionDenied:
    return PermissionDenied(action)


class PermissionPolicy(Generic[M]):
    """One resource's rules, asked the same way everywhere (after Wagtail's
    BasePermissionPolicy): may ``user`` do ``action`` at all, on ``instance``, and on which
    instances? Which users may? Subclasses define the unit-scoped answers; the model is
    named by label because most resources live in layers above this one."""

    model_label: str = ""
    actions: frozenset[str] = frozenset()

    @property
    def model(self) -> type[M]:
        return apps.get_model(self.model_label)  # type: ignore[return-value]

    def _known(self, action: str) -> None:
        if action not in self.actions:
            raise ValueError(f"{type(self).__name__}: unknown action {action!r}")

    def user_has_permission(self, user: Actor, action: str) -> bool:
        raise NotImplementedError

    def user_has_any_permission(self, user: Actor, actions: Iterable[str]) -> bool:
        return any(self.user_has_permission(user, action) for action in actions)

    def user_has_permission_for_instance(self, user: Actor, action: str, instance: M) -> bool:
        return self.user_has_permission(user, action)

    def user_has_any_permission_for_instance(self, user: Actor, actions: Iterable[str], instance: M) -> bool:
        return any(self.user_has_permission_for_instance(user, action, instance) for action in actions)

    def instances_user_has_permission_for(self, user: Actor, action: str) -> QuerySet[M]:
        raise NotImplementedError

    def instances_user_has_any_permission_for(self, user: Actor, actions: Iterable[str]) -> QuerySet[M]:
        found = self.model._default_manager.none()
        for action in actions:
            found = found | self.instances_user_has_permission_for(user, action)
        return found.distinct()

    def users_with_permission(self, action: str) -> QuerySet[User]:
        raise NotImplementedError

    def users_with_permission_for_instance(self, action: str, instance: M) -> QuerySet[User]:
        user_model = apps.get_model("accounts", "User")
        candidates = self.users_with_permission(action)
        return user_model.objects.filter(
            pk__in=[u.pk for u in candidates if self.user_has_permission_for_instance(u, action, instance)])

    def check(self, user: Actor, action: str, instance: M | None = None) -> None:
        """Raise PermissionDenied unless ``user`` may do ``action`` (on ``instance``)."""
        allowed = (self.user_has_permission(user, action) if instance is None
                   else self.user_has_permission_for_instance(user, action, instance))
        if not allowed:
            raise _refused(action)


class UnitScopedPolicy(PermissionPolicy[M]):
    """A resource tied to an org unit through ``unit_field`` ("" for OrgUnit itself):
    each action needs one permission on the instance's unit, through the grants."""

    unit_field: str = "org_unit"
    perms: Mapping[str, Perm] = {}

    @property
    def actions(self) -> frozenset[str]:  # type: ignore[override]
        return frozenset(self.perms)

    def perm(self, action: str) -> Perm:
        self._known(action)
        return self.perms[action]

    def unit_of(self, instance: M) -> Unit | None:
        found: Any = instance
        for part in filter(None, self.unit_field.split("__")):
            found = getattr(found, part)
        return found  # type: ignore[no-any-return]

    def user_has_permission(self, user: Actor, action: str) -> bool:
        return has_perm(user, self.perm(action))

    def user_has_permission_for_unit(self, user: Actor, action: str, unit: Unit | None, *,
                                     token: ApiToken | None = None) -> bool:
        return has_perm(user, self.perm(action), unit, token=token)

    def user_has_permission_for_instance(self, user: Actor, action: str, instance: M) -> bool:
        return has_perm(user, self.perm(action), self.unit_of(instance))

    def instances_user_has_permission_for(self, user: Actor, action: str) -> QuerySet[M]:
        return self.model._default_manager.filter(scope_q(user, self.perm(action), self.unit_field))

    def users_with_permission(self, action: str) -> QuerySet[User]:
        return _users_with(self.perm(action))

    def users_with_permission_for_instance(self, action: str, instance: M) -> QuerySet[User]:
        return _users_with(self.perm(action), self.unit_of(instance))


class UserPolicy(PermissionPolicy["User"]):
    """Accounts. ``user`` may change ``other`` (details, password, active flag) only with the
    users permission on every unit ``other`` holds a live grant on, so a provincial
    coordinator cannot take over a national account; a superuser's account only as a
    superuser."""

    model_label = "accounts.User"
    actions = frozenset({"view", "add", "change"})

    def user_has_permission(self, user: Actor, action: str) -> bool:
        self._known(action)
        return has_perm(user, Perm.MANAGE_USERS)

    def user_has_permission_for_instance(self, user: Actor, action: str, instance: User) -> bool:
        if not self.user_has_permission(user, action) or not _active(user):
            return False
        if user.is_superuser:
            return True
        if instance.is_superuser:
            return False
        grants = Grant.objects.active().filter(user=instance).select_related("org_unit")
        return all(has_perm(user, Perm.MANAGE_USERS, grant.org_unit) for grant in grants)

    def instances_user_has_permission_for(self, user: Actor, action: str) -> QuerySet[User]:
        users: QuerySet[User] = self.model._default_manager.all()
        if not self.user_has_permission(user, action) or not _active(user):
            return users.none()
        if user.is_superuser:
            return users
        outside = Grant.objects.active().exclude(scope_q(user, Perm.MANAGE_USERS)).values("user_id")
        return users.filter(is_superuser=False).exclude(pk__in=outside)

    def users_with_permission(self, action: str) -> QuerySet[User]:
        self._known(action)
        return _users_with(Perm.MANAGE_USERS)


# Roles a coordinator may not grant: auditors watch the coordinators, so only a superuser
# (or the operator, through the CLI) makes them.
NOT_GRANTABLE_BY_COORDINATORS = frozenset({Role.AUDITOR})


class GrantPolicy(PermissionPolicy[Grant]):
    """Role grants. Nobody grants roles to themselves or changes their own grants (whatever
    their own roles); a coordinator grants, changes and revokes grants only on units under
    its users permission, and grants every role but auditor; a superuser grants anything to
    others. The system (actor None: `nrs createuser`, `nrs grant`, the demo loader, tests)
    is the operator's bootstrap and is not asked."""

    model_label = "accounts.Grant"
    actions = frozenset({"view", "add", "change", "revoke"})

    def grantable_roles(self, user: Actor, unit: Unit | None) -> frozenset[str]:
        """The roles ``user`` may grant to someone else on ``unit``."""
        if not _active(user):
            return frozenset()
        if user.is_superuser:
            return frozenset(Role.values)
        if unit is None or not has_perm(user, Perm.MANAGE_USERS, unit):
            return frozenset()
        return frozenset(Role.values) - NOT_GRANTABLE_BY_COORDINATORS

    @staticmethod
    def is_self(actor: Actor, grantee: User) -> bool:
        return bool(actor is not None and getattr(actor, "pk", None) is not None and actor.pk == grantee.pk)

    def may_grant(self, actor: Actor, grantee: User, role: str, unit: Unit) -> bool:
        """May ``actor`` give ``grantee`` ``role`` on ``unit``? (None: the system may.)"""
        if actor is None:
            return True
        return not self.is_self(actor, grantee) and role in self.grantable_roles(actor, unit)

    def user_has_permission(self, user: Actor, action: str) -> bool:
        self._known(action)
        return has_perm(user, Perm.MANAGE_USERS)

    def user_has_permission_for_instance(self, user: Actor, action: str, instance: Grant) -> bool:
        self._known(action)
        if action == "view" or action == "revoke":
            return has_perm(user, Perm.MANAGE_USERS, instance.org_unit)
        return self.may_grant(user, instance.user, instance.role, instance.org_unit) and user is not None

    def instances_user_has_permission_for(self, user: Actor, action: str) -> QuerySet[Grant]:
        self._known(action)
        grants = Grant.objects.filter(scope_q(user, Perm.MANAGE_USERS))
        if action in ("add", "change") and _active(user):
            grants = grants.exclude(user=user)
            if not user.is_superuser:
                grants = grants.exclude(role__in=NOT_GRANTABLE_BY_COORDINATORS)
        return grants

    def users_with_permission(self, action: str) -> QuerySet[User]:
        self._known(action)
        return _users_with(Perm.MANAGE_USERS)


class AuditPolicy(PermissionPolicy["Event"]):
    """The audit log: events of units under a VIEW_AUDIT grant; events tied to no unit
    (sign-ins, registry loads, tokens) only with that grant on the root (the Government,
    path "/id/") or as a superuser."""

    model_label = "audit.Event"
    actions = frozenset({"view"})

    def user_has_permission(self, user: Actor, action: str) -> bool:
        self._known(action)
        return has_perm(user, Perm.VIEW_AUDIT)

    def user_has_permission_for_instance(self, user: Actor, action: str, instance: Event) -> bool:
        self._known(action)
        if instance.org_unit is None:
            return _national(user, Perm.VIEW_AUDIT)
        return has_perm(user, Perm.VIEW_AUDIT, instance.org_unit)

    def scope_q(self, user: Actor) -> Q:
        """The events ``user`` may read, as a filter on Event."""
        query = scope_q(user, Perm.VIEW_AUDIT)
        if _national(user, Perm.VIEW_AUDIT):
            query |= Q(org_unit__isnull=True)
        return query

    def instances_user_has_permission_for(self, user: Actor, action: str) -> QuerySet[Event]:
        self._known(action)
        return self.model._default_manager.filter(self.scope_q(user))

    def users_with_permission(self, action: str) -> QuerySet[User]:
        self._known(action)
        return _users_with(Perm.VIEW_AUDIT)


# Transitions that need someone other than who entered or submitted the report.
SEPARATED_ACTIONS = frozenset({"approve"})


class SubmissionPolicy(UnitScopedPolicy[models.Model]):
    """Reports (collection.Submission) and their workflow. Beside the unit's permission,
    approving needs someone who neither entered (saved values or attached a document in)
    nor submitted the report's current version, unless the regime's ``separate_duties`` is
    off. A machine account acting through an API token and holding the SYSTEM role on the
    unit is not held to it: a federated node relays an approval given at its source, and a
    statistics office's system publishes its own releases (system accounts sign in with
    tokens only, never through the web pages)."""

    model_label = "collection.Submission"
    perms = {"view": Perm.VIEW_UNAPPROVED, "enter": Perm.ENTER_DATA, "submit": Perm.SUBMIT,
             "approve": Perm.APPROVE, "return": Perm.APPROVE, "revise": Perm.ENTER_DATA}

    @staticmethod
    def separates_duties(submission: Report) -> bool:
        return bool(getattr(submission.regime, "separate_duties", True))

    @staticmethod
    def participants(submission: Report) -> set[int]:
        """Who entered values or documents in, or submitted, the current version."""
        version = {"submission_id": submission.pk, "number": submission.version}
        values = apps.get_model("collection", "DataValue").objects.filter(
            **{f"version__{k}": v for k, v in version.items()}).values_list("created_by_id", flat=True)
        documents = apps.get_model("collection", "Document").objects.filter(
            **{f"version__{k}": v for k, v in version.items()}).values_list("uploaded_by_id", flat=True)
        submits = apps.get_model("collection", "Transition").objects.filter(
            submission_id=submission.pk, version=submission.version, to_state="submitted",
        ).values_list("actor_id", flat=True)
        return {pk for query in (values.distinct(), documents.distinct(), submits.distinct())
                for pk in query if pk is not None}

    def duty_conflict(self, user: Actor, action: str, submission: Report, *,
                      token: ApiToken | None = None) -> bool:
        """Does separation of duties forbid ``user`` doing ``action`` on ``submission``?"""
        self._known(action)
        if action not in SEPARATED_ACTIONS or not _active(user) or not self.separates_duties(submission):
            return False
        if token is not None and has_perm_role(user, Role.SYSTEM, submission.org_unit):
            return False
        return user.pk in self.participants(submission)

    def user_has_permission_for_instance(self, user: Actor, action: str, instance: models.Model) -> bool:
        return (super().user_has_permission_for_instance(user, action, instance)
                and not self.duty_conflict(user, action, instance))  # type: ignore[arg-type]


def has_perm_role(user: Actor, role: str, unit: Unit) -> bool:
    """Does ``user`` hold ``role`` itself (not merely its permissions) on ``unit``?"""
    if not _active(user):
        return False
    return any(held == role and unit.path.startswith(path) for held, path in _grant_paths(user))


class OrgUnitPolicy(UnitScopedPolicy[models.Model]):
    """Org units (registry.OrgUnit): read by anyone with data access there, edited by
    catalogue stewards within their units; a unit's code and parent ("move") change only
    nationally, because access follows paths and rollups follow parents."""

    model_label = "registry.OrgUnit"
    unit_field = ""
    perms = {"view": Perm.VIEW_DATA, "add": Perm.MANAGE_CATALOGUE, "change": Perm.MANAGE_CATALOGUE,
             "move": Perm.MANAGE_CATALOGUE}

    def user_has_permission(self, user: Actor, action: str) -> bool:
        if action == "move":
            return _national(user, Perm.MANAGE_CATALOGUE)
        return super().user_has_permission(user, action)

    def user_has_permission_for_instance(self, user: Actor, action: str, instance: models.Model) -> bool:
        if action == "move":
            return _national(user, Perm.MANAGE_CATALOGUE)
        return super().user_has_permission_for_instance(user, action, instance)

    def instances_user_has_permission_for(self, user: Actor, action: str) -> QuerySet[models.Model]:
        if action == "move":
            found = self.model._default_manager.all()
            return found if _national(user, Perm.MANAGE_CATALOGUE) else found.none()
        return super().instances_user_has_permission_for(user, action)


class ExchangePolicy(UnitScopedPolicy[models.Model]):
    """Connectors, webhooks and partner mappings: configured by whoever may steward the
    catalogue for the unit (coordinators), within their grant's subtree; mappings are
    national metadata ("manage_mappings", on the root)."""

    model_label = "connectors.Connector"
    perms = {"manage": Perm.MANAGE_CATALOGUE, "manage_mappings": Perm.MANAGE_CATALOGUE}


USERS = UserPolicy()
GRANTS = GrantPolicy()
AUDIT = AuditPolicy()
SUBMISSIONS = SubmissionPolicy()
ORG_UNITS = OrgUnitPolicy()
EXCHANGE = ExchangePolicy()


# -- page-level questions -----------------------------------------------------------

def can_browse_registry(user: Actor) -> bool:
    """The registry (units, catalogue, regimes) is reference metadata: any active
    signed-in user may read it."""
    return _active(user)


def can_use_admin(user: Actor) -> bool:
    """The Django admin is for metadata stewards (coordinators) and auditors."""
    return has_perm(user, Perm.MANAGE_CATALOGUE) or has_perm(user, Perm.VIEW_AUDIT)


def can_manage_user(user: Actor, other: User | None = None) -> bool:
    """Alias of ``USERS`` for older callers: may ``user`` change ``other`` (anyone, if None)?"""
    if other is None:
        return USERS.user_has_permission(user, "change")
    return USERS.user_has_permission_for_instance(user, "change", other)


def audit_scope_q(user: Actor) -> Q:
    """Alias of ``AUDIT.scope_q`` for older callers: the audit events ``user`` may read."""
    return AUDIT.scope_q(user)


# Roles whose sessions need a second factor (TOTP or a backup code) when NRS_REQUIRE_2FA is
# on: whoever approves, steers, grants or reads the whole audit trail.
SECOND_FACTOR_ROLES = frozenset({Role.LEADER, Role.APPROVER, Role.COORDINATOR, Role.AUDITOR})


def needs_second_factor(user: Actor) -> bool:
    """Must this user's browser session be verified with a second factor?"""
    if not _active(user):
        return False
    return bool(user.is_superuser or roles(user) & SECOND_FACTOR_ROLES)
