"""Admin screens for users and grants. Who may use them: access.py (its USERS and GRANTS
policies). Every change goes through accounts/actions.py and is a chained audit event."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import AdminPasswordChangeForm
from django.db.models import QuerySet
from django.forms import BaseInlineFormSet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

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
    """A user's grants; only the expiry is edited here (through actions.set_grant_expiry,
    in UserAdmin.save_formset). New grants and revocations: the grants screen."""

    model = Grant
    fk_name = "user"
    extra = 0
    raw_id_fields = ["org_unit"]
    fields = ["role", "org_unit", "granted_by", "granted_at", "expires_at", "revoked_at"]
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
    # Bookkeeping of the sign-in, not an account setting.
    always_readonly = ("last_login", "date_joined")

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is None:
            return access.USERS.user_has_permission(request.user, "change")
        return access.USERS.user_has_permission_for_instance(request.user, "change", obj)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        found = tuple(super().get_readonly_fields(request, obj)) + self.always_readonly
        return found if request.user.is_superuser else found + self.privileges  # type: ignore[union-attr]

    def save_model(self, request: HttpRequest, obj: User, form: Any, change: bool) -> None:
        """A change goes through actions.change_user (USER_CHANGED with old and new values);
        a new account is recorded as USER_CREATED."""
        if not change:
            actions.save_new_user(obj, actor=request.user)
            return
        fields = [name for name in form.changed_data if name in actions.USER_FIELDS]
        actions.change_user(obj, {name: getattr(obj, name) for name in fields}, actor=request.user)

    def save_formset(self, request: HttpRequest, form: Any, formset: BaseInlineFormSet, change: bool) -> None:
        if formset.model is not Grant:
            super().save_formset(request, form, formset, change)
            return
        for grant_form in formset.forms:
            grant = grant_form.instance
            if grant.pk is None or "expires_at" not in grant_form.changed_data:
                continue
            access.GRANTS.check(request.user, "change", grant)
            actions.set_grant_expiry(grant, grant_form.cleaned_data["expires_at"], actor=request.user)

    def log_change(self, request: HttpRequest, obj: Any, message: Any) -> Any:
        pending = getattr(obj, "_nrs_new_password", None)
        if pending is not None:
            del obj._nrs_new_password
            actions.change_password(obj, pending[0], actor=request.user)
        return super().log_change(request, obj, message)


class GrantForm(forms.ModelForm):
    """A new grant (user, role, unit, optional expiry) or an existing one's expiry, checked
    against access.GRANTS for the signed-in user: nobody grants to themselves; a coordinator
    grants only the roles it may, within its units."""

    actor: Any = None

    class Meta:
        model = Grant
        fields = ["user", "role", "org_unit", "expires_at"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.instance.pk is not None:
            if not access.GRANTS.user_has_permission_for_instance(self.actor, "change", self.instance):
                raise forms.ValidationError(_("You may not change this grant."))
            return data
        user, role, unit = data.get("user"), data.get("role"), data.get("org_unit")
        if user is None or not role or unit is None:
            return data
        if access.GRANTS.is_self(self.actor, user):
            raise forms.ValidationError(_("Nobody grants roles to themselves."))
        if not access.GRANTS.may_grant(self.actor, user, role, unit):
            raise forms.ValidationError(_("You may not grant this role on this org unit."))
        return data


@admin.register(Grant)
class GrantAdmin(GuardedAdmin):
    manage_perm = access.Perm.MANAGE_USERS
    form = GrantForm
    list_display = ["user", "role", "org_unit", "granted_at", "expires_at", "revoked_at"]
    list_filter = ["role"]
    raw_id_fields = ["user", "org_unit"]
    fields = ["user", "role", "org_unit", "expires_at"]
    actions = ["revoke_grants"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return ()
        return ("user", "role", "org_unit", "granted_by", "granted_at", "revoked_at")

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return self.fields
        return ["user", "role", "org_unit", "granted_by", "granted_at", "expires_at", "revoked_at"]

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        form = super().get_form(request, obj, change=change, **kwargs)
        return type("BoundGrantForm", (form,), {"actor": request.user})

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is None:
            return access.GRANTS.user_has_permission(request.user, "change")
        return obj.revoked_at is None and access.GRANTS.user_has_permission_for_instance(
            request.user, "change", obj)

    def save_model(self, request: HttpRequest, obj: Grant, form: Any, change: bool) -> None:
        if change:
            actions.set_grant_expiry(obj, form.cleaned_data["expires_at"], actor=request.user)
            return
        access.require(request.user, access.Perm.MANAGE_USERS, obj.org_unit)  # only within one's units
        granted = actions.grant_role(obj.user, obj.role, obj.org_unit, actor=request.user,
                                     expires_at=obj.expires_at)
        obj.pk = granted.pk

    @admin.action(description=gettext_lazy("Revoke selected grants"), permissions=["change"])
    def revoke_grants(self, request: HttpRequest, queryset: QuerySet[Grant]) -> None:
        revoked = refused = 0
        for grant in queryset.select_related("user", "org_unit"):
            if not access.GRANTS.user_has_permission_for_instance(request.user, "revoke", grant):
                refused += 1
                continue
            revoked += int(actions.revoke_grant(grant, actor=request.user))
        self.message_user(request, _("%(count)d grant(s) revoked.") % {"count": revoked})
        if refused:
            self.message_user(request, _("%(count)d grant(s) outside your units were left as they are.")
                              % {"count": refused}, level=messages.WARNING)
