"""The write path for registry changes made by people (admin, API, CLI).

Bulk loading from the data files goes through nrs.registry.loader instead.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import models, transaction

from nrs.audit.events import EventType
from nrs.audit.log import record
from nrs.registry.models import Indicator, OrgUnit, Regime, Target

_EVENT_OF: dict[type[models.Model], EventType] = {
    OrgUnit: EventType.ORGUNIT_CHANGED,
    Indicator: EventType.INDICATOR_CHANGED,
    Regime: EventType.REGIME_CHANGED,
}


@transaction.atomic
def save_metadata(obj: models.Model, *, actor: Any, changed: list[str] | None = None) -> None:
    """Save a metadata object edited by a steward, with its audit event."""
    adding = obj._state.adding
    obj.save()
    record(_EVENT_OF.get(type(obj), EventType.METADATA_CHANGED), actor=actor, obj=obj,
           summary=f"{'created' if adding else 'changed'} {obj}",
           data={"fields": changed or [], "created": adding})


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
