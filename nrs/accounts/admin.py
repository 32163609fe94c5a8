"""Admin screens for users and grants. Who may use them: access.py."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.http import HttpRequest

from nrs.accounts import access, actions
from nrs.accounts.models import Grant, User


class GuardedAdmin(admin.ModelAdmin):
    """Every admin screen asks access.py; ``manage_perm`` guards writes."""

    manage_perm: access.Perm = access.Perm.MANAGE_CATALOGUE

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return access.can_use_admin(request.user)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return access.can_use_admin(request.user)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return access.has_perm(request.user, self.manage_perm)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return access.has_perm(request.user, self.manage_perm)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # registry rows are ended (valid_to), never deleted


class GrantInline(admin.TabularInline):
    model = Grant
    fk_name = "user"
    extra = 0
    raw_id_fields = ["org_unit"]
    readonly_fields = ["role", "org_unit", "granted_by", "granted_at", "revoked_at"]
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(User)
class UserAdmin(GuardedAdmin, BaseUserAdmin):
    manage_perm = access.Perm.MANAGE_USERS
    list_display = ["username", "full_name", "email", "is_active", "is_demo", "last_login"]
    fieldsets = (*(BaseUserAdmin.fieldsets or ()), ("NRS", {"fields": ["full_name", "is_demo"]}))
    inlines = [GrantInline]


@admin.register(Grant)
class GrantAdmin(GuardedAdmin):
    manage_perm = access.Perm.MANAGE_USERS
    list_display = ["user", "role", "org_unit", "granted_at", "revoked_at"]
    list_filter = ["role"]
    raw_id_fields = ["user", "org_unit"]
    fields = ["user", "role", "org_unit"]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return obj is None and super().has_change_permission(request, obj)

    def save_model(self, request: HttpRequest, obj: Grant, form: Any, change: bool) -> None:
        granted = actions.grant_role(obj.user, obj.role, obj.org_unit, actor=request.user)
        obj.pk = granted.pk
