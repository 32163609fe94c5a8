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
    (or, for an org unit, on that unit). The object, its m2m fields and its inline rows
    are saved in save_related through actions.save_metadata (one event with old and new
    values for the object, one per inline row added, changed or deleted)."""

    def _scope(self, obj: Any) -> OrgUnit | None:
        if isinstance(obj, OrgUnit) and obj.pk:
            return obj
        return actions.national_root()

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return access.has_perm(request.user, self.manage_perm, self._scope(None))

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return access.has_perm(request.user, self.manage_perm, self._scope(obj))

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        """Saved with its related rows in save_related, through the action."""

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        def related() -> None:
            super(MetadataAdmin, self).save_related(request, form, formsets, change)

        actions.save_metadata(form.instance, actor=request.user, changed=list(form.changed_data),
                              related=related)

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        rows = formset.save(commit=False)
        for gone in formset.deleted_objects:
            actions.delete_metadata(gone, actor=request.user)
        for row in rows:
            actions.save_metadata(row, actor=request.user)
        formset.save_m2m()


class MetadataInline(admin.TabularInline):  # type: ignore[type-arg]
    """An inline of catalogue rows: the catalogue permission on the root, as its parent
    screen; saved (and deleted) through the actions by MetadataAdmin.save_formset."""

    extra = 0

    def _may(self, request: HttpRequest) -> bool:
        return access.has_perm(request.user, access.Perm.MANAGE_CATALOGUE, actions.national_root())

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return access.can_use_admin(request.user)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._may(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._may(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._may(request)


@admin.register(OrgUnit)
class OrgUnitAdmin(MetadataAdmin):
    list_display = ["code", "name_vi", "name_en", "kind", "valid_from", "valid_to"]
    list_filter = ["kind", "level"]
    search_fields = ["code", "name_vi", "name_en", "short_name"]
    raw_id_fields = ["parent"]
    readonly_fields = ["path", "level"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        """A unit's code, parent and kind are changed only nationally (the action refuses too)."""
        found = tuple(super().get_readonly_fields(request, obj))
        if obj is not None and not actions.is_national_steward(request.user):
            return found + actions.NATIONAL_FIELDS
        return found


@admin.register(Lineage)
class LineageAdmin(MetadataAdmin):
    list_display = ["predecessor", "successor", "effective", "share", "kind"]
    list_filter = ["kind", "effective"]
    raw_id_fields = ["predecessor", "successor"]
    search_fields = ["predecessor__name_vi", "successor__name_vi", "predecessor__code"]


class ResponsibilityInline(MetadataInline):
    model = Responsibility
    raw_id_fields = ["agency"]


@admin.register(Indicator)
class IndicatorAdmin(MetadataAdmin):
    list_display = ["code", "name_vi", "area", "unit", "frequency", "level", "headline"]
    list_filter = ["area", "frequency", "level", "headline"]
    search_fields = ["code", "name_vi", "name_en"]
    raw_id_fields = ["weight"]
    filter_horizontal = ["breakdowns"]
    inlines = [ResponsibilityInline]


class CodeInline(MetadataInline):
    model = Code


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
    list_display = ["code", "name_vi", "regime_type", "frequency", "reporter_scope",
                    "separate_duties"]
    list_filter = ["regime_type", "frequency", "reporter_scope", "separate_duties"]
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
