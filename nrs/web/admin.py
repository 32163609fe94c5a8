from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from nrs.accounts import access
from nrs.audit.models import Event


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    """Read-only: auditors look, nobody edits. (Lives in web: admin screens ask access.py.)"""

    list_display = ["occurred_at", "event_type", "actor", "org_unit", "summary"]
    list_filter = ["event_type"]
    search_fields = ["summary", "object_id"]
    list_select_related = ["actor", "org_unit"]

    def get_queryset(self, request: HttpRequest) -> Any:
        """The events of the auditor's units only, as in the /audit/ viewer."""
        return super().get_queryset(request).filter(access.audit_scope_q(request.user))

    def has_module_permission(self, request: HttpRequest) -> bool:
        return access.has_perm(request.user, access.Perm.VIEW_AUDIT)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return access.has_perm(request.user, access.Perm.VIEW_AUDIT)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
