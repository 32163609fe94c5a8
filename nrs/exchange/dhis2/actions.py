"""The write path for the mapping tables: every change is audited (MAPPING_CHANGED) in the
same transaction, whoever makes it (the admin, a script, a test)."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from nrs.accounts import access
from nrs.accounts.access import Perm
from nrs.audit.events import EventType
from nrs.audit.log import record
from nrs.exchange.dhis2.models import DataElementMap, DataSetMap, OrgUnitMap, PartnerSystem
from nrs.registry.models import OrgUnit

Mapping = PartnerSystem | DataSetMap | DataElementMap | OrgUnitMap


def mapping_scope() -> OrgUnit | None:
    """Mappings are national metadata, like the catalogue: managed on the root."""
    return OrgUnit.objects.filter(parent__isnull=True).order_by("pk").first()


def may_manage(actor: Any) -> bool:
    """Thin wrapper of access.EXCHANGE (mappings are managed nationally, on the root)."""
    return access.EXCHANGE.user_has_permission_for_unit(actor, "manage_mappings", mapping_scope())


@transaction.atomic
def save_mapping(obj: Mapping, *, actor: Any, changed: list[str] | None = None) -> Mapping:
    """Check and save a partner system or one mapping row, with its audit event: what it
    says now, and which fields changed."""
    access.require(actor, Perm.MANAGE_CATALOGUE, mapping_scope())
    obj.full_clean()
    adding = obj._state.adding
    obj.save()
    record(EventType.MAPPING_CHANGED, actor=actor, obj=obj,
           summary=f"{'created' if adding else 'changed'} {obj}",
           data={"model": obj._meta.model_name, "created": adding, "fields": changed or [],
                 "now": obj.describe()})
    return obj
