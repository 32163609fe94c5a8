"""Admin screens for the registry metadata; every save goes through actions."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from nrs.accounts import access
from nrs.accounts.admin import GuardedAdmin
from nrs.registry import actions
from nrs.registry.models import (
    Code,
    Codelist,
    Indicator,
    Lineage,
    MeasureUnit,
    OrgUnit,
    Regime,
    Responsibility,
    Target,
)


class MetadataAdmin(GuardedAdmin):
    """The catalogue is national: writing it needs the permission on the root
    (or, for an org unit, on that unit)."""

    def _scope(self, obj: Any) -> OrgUnit | None:
        if isinstance(obj, OrgUnit) and obj.pk:
            return obj
        return OrgUnit.objects.filter(parent__isnull=True).first()

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return access.has_perm(request.user, self.manage_perm, self._scope(None))

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return access.has_perm(request.user, self.manage_perm, self._scope(obj))

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        actions.save_metadata(obj, actor=request.user, changed=list(form.changed_data))


@admin.register(OrgUnit)
class OrgUnitAdmin(MetadataAdmin):
    list_display = ["code", "name_vi", "name_en", "kind", "valid_from", "valid_to"]
    list_filter = ["kind", "level"]
    search_fields = ["code", "name_vi", "name_en", "short_name"]
    raw_id_fields = ["parent"]
    readonly_fields = ["path", "level"]


@admin.register(Lineage)
class LineageAdmin(MetadataAdmin):
    list_display = ["predecessor", "successor", "effective", "share", "kind"]
    list_filter = ["kind", "effective"]
    raw_id_fields = ["predecessor", "successor"]
    search_fields = ["predecessor__name_vi", "successor__name_vi", "predecessor__code"]


class ResponsibilityInline(admin.TabularInline):
    model = Responsibility
    extra = 0
    raw_id_fields = ["agency"]


@admin.register(Indicator)
class IndicatorAdmin(MetadataAdmin):
    list_display = ["code", "name_vi", "area", "unit", "frequency", "level", "headline"]
    list_filter = ["area", "frequency", "level", "headline"]
    search_fields = ["code", "name_vi", "name_en"]
    raw_id_fields = ["weight"]
    filter_horizontal = ["breakdowns"]
    inlines = [ResponsibilityInline]


class CodeInline(admin.TabularInline):
    model = Code
    extra = 0


@admin.register(Codelist)
class CodelistAdmin(MetadataAdmin):
    list_display = ["code", "name_vi", "name_en"]
    inlines = [CodeInline]


@admin.register(MeasureUnit)
class MeasureUnitAdmin(MetadataAdmin):
    list_display = ["code", "name_vi", "name_en"]


@admin.register(Regime)
class RegimeAdmin(MetadataAdmin):
    manage_perm = access.Perm.MANAGE_REGIMES
    list_display = ["code", "name_vi", "regime_type", "frequency", "reporter_scope"]
    list_filter = ["regime_type", "frequency", "reporter_scope"]
    search_fields = ["code", "name_vi", "name_en"]
    raw_id_fields = ["recipient", "reporters"]
    filter_horizontal = ["indicators"]


@admin.register(Target)
class TargetAdmin(GuardedAdmin):
    """Targets are versioned: 'add' records a new version, nothing is edited."""

    manage_perm = access.Perm.SET_TARGETS
    list_display = ["indicator", "org_unit", "year", "version", "value", "created_by",
                    "created_at"]
    list_filter = ["year"]
    raw_id_fields = ["indicator", "org_unit"]
    fields = ["indicator", "org_unit", "year", "value", "reason"]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return obj is None and super().has_change_permission(request, obj)

    def save_model(self, request: HttpRequest, obj: Target, form: Any, change: bool) -> None:
        access.require(request.user, access.Perm.SET_TARGETS, obj.org_unit)  # only within one's units
        target, _changed = actions.set_target(obj.indicator, obj.org_unit, obj.year, obj.value,
                                              actor=request.user, reason=obj.reason)
        obj.pk = target.pk
