"""The write path for registry changes made by people (admin, API, CLI).

Bulk loading from the data files goes through nrs.registry.loader instead.

Every save records a chained event whose data names each changed field with its old and
new value (``{"changes": {field: {"old": ..., "new": ...}}}``), JSON-safe: dates as ISO
strings, decimals as strings, a foreign key as the related row's code (or id), a
many-to-many field as the sorted list of codes. An org unit's code, parent and kind change only
with the catalogue permission on the national root, and such a change is also recorded as
ORGUNIT_MOVED with the old and new parent, path and code.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import models, transaction

from nrs.accounts import access
from nrs.audit.events import EventType
from nrs.audit.log import record
from nrs.audit.models import Event
from nrs.registry.models import (
    Indicator,
    Lineage,
    OrgUnit,
    OrgUnitKind,
    Regime,
    Target,
    forget_predecessor_paths,
)

_EVENT_OF: dict[type[models.Model], EventType] = {
    OrgUnit: EventType.ORGUNIT_CHANGED,
    Indicator: EventType.INDICATOR_CHANGED,
    Regime: EventType.REGIME_CHANGED,
}
# An org unit's fields that only a national steward changes (issue 18, finding 6): its code
# and parent, and its kind, which decides its level (rollups, "all provinces" regimes).
NATIONAL_FIELDS = ("code", "parent", "kind")


def national_root() -> OrgUnit | None:
    """The Government: the current root unit."""
    return (OrgUnit.objects.current().filter(parent__isnull=True, kind=OrgUnitKind.GOVERNMENT)
            .order_by("path").first())


def is_national_steward(actor: Any) -> bool:
    """May ``actor`` change units' codes and parents (the catalogue permission on the root)?"""
    root = national_root()
    return root is not None and access.has_perm(actor, access.Perm.MANAGE_CATALOGUE, root)


# -- old and new values --------------------------------------------------------------------

def _label(obj: Any) -> Any:
    code = getattr(obj, "code", None)
    return code if code else obj.pk


def _json_safe(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return str(value)


# Fields whose value never goes into the log (a TOTP key, a static token, a password hash):
# the event shows a short digest, enough to see that it changed.
_SECRET_PARTS = ("key", "token", "password", "secret")


def _masked(value: Any) -> Any:
    if value in (None, ""):
        return value
    return "sha256:" + hashlib.sha256(str(value).encode()).hexdigest()[:12]


def snapshot(obj: models.Model) -> dict[str, Any]:
    """Every field of a saved row, JSON-safe (foreign keys and m2m as codes; secrets as a
    digest)."""
    values: dict[str, Any] = {}
    for field in obj._meta.concrete_fields:
        if field.primary_key:
            continue
        if any(part in field.name for part in _SECRET_PARTS) and not field.is_relation:
            values[field.name] = _masked(field.value_from_object(obj))
        elif field.is_relation:
            related = getattr(obj, field.name)
            values[field.name] = None if related is None else _label(related)
        else:
            values[field.name] = _json_safe(field.value_from_object(obj))
    if obj.pk is not None:
        for m2m in obj._meta.many_to_many:
            values[m2m.name] = sorted((_label(o) for o in getattr(obj, m2m.name).all()), key=str)
    return values


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """{field: {"old", "new"}} for each field whose value differs."""
    names = [*after, *(name for name in before if name not in after)]
    return {name: {"old": before.get(name), "new": after.get(name)}
            for name in names if before.get(name) != after.get(name)}


def _stored(obj: models.Model) -> models.Model | None:
    if obj._state.adding or obj.pk is None:
        return None
    return type(obj)._default_manager.filter(pk=obj.pk).first()


# -- permission -----------------------------------------------------------------------------

def _require(actor: Any, obj: models.Model, stored: models.Model | None) -> None:
    """The catalogue permission (regimes: the regimes permission) on the root; for an org
    unit, on the unit, and on the root to create one or change its code or parent."""
    if isinstance(obj, OrgUnit):
        moved = stored is None or any(getattr(obj, f"{name}_id" if name == "parent" else name)
                                      != getattr(stored, f"{name}_id" if name == "parent" else name)
                                      for name in NATIONAL_FIELDS)
        if moved and not is_national_steward(actor):
            raise PermissionDenied("a unit's code, parent and kind are changed only nationally")
        unit = stored if isinstance(stored, OrgUnit) else national_root()
        access.require(actor, access.Perm.MANAGE_CATALOGUE, unit)
        return
    perm = access.Perm.MANAGE_REGIMES if isinstance(obj, Regime) else access.Perm.MANAGE_CATALOGUE
    access.require(actor, perm, national_root())


# -- writes ------------------------------------------------------------------------------------

@transaction.atomic
def save_metadata(obj: models.Model, *, actor: Any, changed: list[str] | None = None,
                  related: Callable[[], Any] | None = None) -> Event:
    """Save a metadata object edited by a steward, then ``related`` (the admin's m2m fields
    and inline rows, each saved through this module), with its audit event: every changed
    field's old and new value. ``changed`` (the form's field names) is kept for callers;
    the values are read from the database, before and after."""
    stored = _stored(obj)
    _require(actor, obj, stored)
    before = snapshot(stored) if stored is not None else {}
    descendants = (OrgUnit.objects.filter(path__startswith=stored.path).exclude(pk=stored.pk).count()
                   if isinstance(stored, OrgUnit) else 0)
    obj.save()
    if related is not None:
        related()
    if isinstance(obj, Lineage):  # who covers whose history (access.py) may have changed
        forget_predecessor_paths([obj.predecessor_id, obj.successor_id,
                                  *([stored.predecessor_id, stored.successor_id]
                                    if isinstance(stored, Lineage) else [])])
    after = snapshot(obj)
    changes = diff(before, after)
    unit = obj if isinstance(obj, OrgUnit) else None
    event = record(_EVENT_OF.get(type(obj), EventType.METADATA_CHANGED), actor=actor, obj=obj,
                   org_unit=unit, summary=f"{'created' if stored is None else 'changed'} {obj}",
                   data={"created": stored is None, "model": obj._meta.label_lower,
                         "changes": changes})
    if isinstance(obj, OrgUnit) and stored is not None and {"code", "parent", "path"} & set(changes):
        event = record(EventType.ORGUNIT_MOVED, actor=actor, obj=obj, org_unit=obj,
                       summary=f"{before['code']} -> {after['code']} under {after['parent']}",
                       data={"old": {k: before[k] for k in ("parent", "path", "code")},
                             "new": {k: after[k] for k in ("parent", "path", "code")},
                             "descendants": descendants})
    return event


@transaction.atomic
def delete_metadata(obj: models.Model, *, actor: Any) -> Event:
    """Delete a row of the catalogue (an inline row: a code of a codelist, an indicator's
    responsible agency), recording its old values."""
    stored = _stored(obj)
    if stored is None:
        raise ValueError("nothing to delete")
    _require(actor, stored, stored)
    before = snapshot(stored)
    label, pk = str(stored), stored.pk
    stored.delete()
    stored.pk = pk  # the event names the row that was
    return record(_EVENT_OF.get(type(stored), EventType.METADATA_CHANGED), actor=actor, obj=stored,
                  summary=f"deleted {label}",
                  data={"deleted": True, "model": stored._meta.label_lower,
                        "changes": diff(before, {})})


@transaction.atomic
def save_recorded(obj: models.Model, *, actor: Any, save: Callable[[], Any],
                  event_type: EventType = EventType.METADATA_CHANGED) -> Event:
    """Save a row of a screen NRS does not own (a third-party admin: groups, 2FA devices,
    sign-in records) through its own ``save``, with a chained event of old and new values.
    Who may is the screen's own question (Django's model permissions: superusers)."""
    stored = _stored(obj)
    before = snapshot(stored) if stored is not None else {}
    save()
    return record(event_type, actor=actor, obj=obj,
                  summary=f"{'created' if stored is None else 'changed'} {obj}"[:300],
                  data={"created": stored is None, "model": obj._meta.label_lower,
                        "changes": diff(before, snapshot(obj))})


@transaction.atomic
def delete_recorded(obj: models.Model, *, actor: Any,
                    event_type: EventType = EventType.METADATA_CHANGED) -> Event:
    """Delete a row of a screen NRS does not own, recording its old values."""
    before, label, pk = snapshot(obj), str(obj), obj.pk
    obj.delete()
    obj.pk = pk
    return record(event_type, actor=actor, obj=obj, summary=f"deleted {label}"[:300],
                  data={"deleted": True, "model": obj._meta.label_lower,
                        "changes": diff(before, {})})


@transaction.atomic
def set_target(indicator: Indicator, org_unit: OrgUnit, year: int, value: Decimal, *,
               actor: Any, reason: str = "") -> tuple[Target, bool]:
    """Record an annual target as a new version. Returns (target, changed);
    setting the current value again writes nothing."""
    current = (Target.objects.select_for_update()
               .filter(indicator=indicator, org_unit=org_unit, year=year)
               .order_by("-version").first())
    if current is not None and current.value == Decimal(value):
        return current, False
    target = Target.objects.create(
        indicator=indicator, org_unit=org_unit, year=year, value=value, reason=reason,
        version=(current.version + 1) if current else 1,
        created_by=actor if getattr(actor, "pk", None) else None)
    record(EventType.TARGET_SET, actor=actor, org_unit=org_unit, obj=target,
           summary=f"{indicator.code} {year} = {value}",
           data={"version": target.version, "reason": reason})
    return target, True


def current_target(indicator: Indicator, org_unit: OrgUnit, year: int) -> Target | None:
    return (Target.objects.filter(indicator=indicator, org_unit=org_unit, year=year)
            .order_by("-version").first())
