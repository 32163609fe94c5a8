"""Admin screens for users and grants. Who may use them: access.py."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import AdminPasswordChangeForm
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


class PasswordForm(AdminPasswordChangeForm):
    """The admin's password form (it checks the password policy) hands the new password to
    UserAdmin.log_change, which saves it through actions.change_password with the actor."""

    def save(self, commit: bool = True) -> Any:
        new = self.cleaned_data["password1"] if self.cleaned_data["set_usable_password"] else None
        self.user._nrs_new_password = (new,)  # type: ignore[attr-defined]
        return self.user


@admin.register(User)
class UserAdmin(GuardedAdmin, BaseUserAdmin):
    manage_perm = access.Perm.MANAGE_USERS
    change_password_form = PasswordForm
    list_display = ["username", "full_name", "email", "is_active", "is_demo", "last_login"]
    fieldsets = (*(BaseUserAdmin.fieldsets or ()), ("NRS", {"fields": ["full_name", "is_demo"]}))
    inlines = [GrantInline]
    # Privileges come only from grants (access.py): nobody but a superuser sets these here.
    privileges = ("is_superuser", "is_staff", "groups", "user_permissions")

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return access.can_manage_user(request.user, obj)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        found = tuple(super().get_readonly_fields(request, obj))
        return found if request.user.is_superuser else found + self.privileges  # type: ignore[union-attr]

    def log_change(self, request: HttpRequest, obj: Any, message: Any) -> Any:
        pending = getattr(obj, "_nrs_new_password", None)
        if pending is not None:
            del obj._nrs_new_password
            actions.change_password(obj, pending[0], actor=request.user)
        return super().log_change(request, obj, message)


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
        access.require(request.user, access.Perm.MANAGE_USERS, obj.org_unit)  # only within one's units
        granted = actions.grant_role(obj.user, obj.role, obj.org_unit, actor=request.user)
        obj.pk = granted.pk
