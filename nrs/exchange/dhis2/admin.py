"""Admin screens for the partner systems and their mapping tables. Coordinators with the
catalogue permission on the root edit them (they are national metadata, like the
catalogue); every save goes through actions.save_mapping, which audits it. Rows are
switched off (``active``), never deleted, so the audit trail keeps what they said."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from nrs.accounts.admin import GuardedAdmin
from nrs.exchange.dhis2 import actions
from nrs.exchange.dhis2.models import DataElementMap, DataSetMap, OrgUnitMap, PartnerSystem


class MappingAdmin(GuardedAdmin):
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return actions.may_manage(request.user)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return actions.may_manage(request.user)

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        actions.save_mapping(obj, actor=request.user, changed=list(form.changed_data))


@admin.register(PartnerSystem)
class PartnerSystemAdmin(MappingAdmin):
    list_display = ["code", "name", "default_regime", "codes_fallback", "partial_import", "active"]
    list_filter = ["active", "codes_fallback", "partial_import"]
    search_fields = ["code", "name"]
    raw_id_fields = ["default_regime"]


@admin.register(DataSetMap)
class DataSetMapAdmin(MappingAdmin):
    list_display = ["system", "remote_id", "regime", "active"]
    list_filter = ["system", "active"]
    search_fields = ["remote_id", "regime__code"]
    raw_id_fields = ["regime"]


@admin.register(DataElementMap)
class DataElementMapAdmin(MappingAdmin):
    list_display = ["system", "data_element", "combo", "indicator", "breakdown", "active"]
    list_filter = ["system", "active"]
    search_fields = ["data_element", "combo", "indicator__code"]
    raw_id_fields = ["indicator"]


@admin.register(OrgUnitMap)
class OrgUnitMapAdmin(MappingAdmin):
    list_display = ["system", "remote_id", "org_unit", "active"]
    list_filter = ["system", "active"]
    search_fields = ["remote_id", "org_unit__code", "org_unit__name_vi"]
    raw_id_fields = ["org_unit"]
