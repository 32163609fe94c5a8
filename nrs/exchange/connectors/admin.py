"""Admin screens for pull connectors and webhook subscriptions: coordinators only, each
seeing and changing those of the units under their grant; every save goes through
nrs.exchange.connectors.actions (audited). Secrets are write-only: the form never shows
them back, a blank field keeps the stored one."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from nrs.accounts import access
from nrs.accounts.admin import GuardedAdmin
from nrs.exchange.connectors import actions, kinds
from nrs.exchange.connectors.models import Connector, Delivery, DeliveryAttempt, Subscription
from nrs.lib.errors import InputError

# Which form field shows an error whose ref starts with this.
_FIELD_OF = {"url": "url", "mapping": "mapping", "run_as": "run_as", "kind": "kind", "secret": "secret",
             "credentials": "secret"}


def _field_for(ref: str, fields: Any) -> str | None:
    name = _FIELD_OF.get(ref.split(".")[0])
    return name if name in fields else None


class ScopedAdmin(GuardedAdmin):
    """Rows of the units under the user's MANAGE grant; nobody else sees anything."""

    unit_field = "org_unit"

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return super().get_queryset(request).filter(access.scope_q(request.user, actions.MANAGE, self.unit_field))

    def _unit(self, obj: Any) -> Any:
        return obj.org_unit

    def has_module_permission(self, request: HttpRequest) -> bool:
        return actions.may_manage(request.user)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return actions.may_manage(request.user, self._unit(obj) if obj is not None else None)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return actions.may_manage(request.user)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.has_view_permission(request, obj)


class SecretForm(forms.ModelForm):
    """A write-only secret: a blank field keeps the stored one; never rendered back."""

    url = forms.URLField(label=_("URL"), max_length=500, assume_scheme="https")

    secret = forms.CharField(label=_("Password, token or secret"), required=False, strip=False,
                             widget=forms.PasswordInput(render_value=False),
                             help_text=_("Stored encrypted and never shown again. Leave blank to keep the stored one."))

    def new_secret(self) -> str | None:
        return self.cleaned_data.get("secret") or None

    def add_input_error(self, exc: InputError) -> None:
        self.add_error(_field_for(exc.ref, self.fields), f"{exc.vi} / {exc.en}")


class ConnectorForm(SecretForm):
    kind = forms.ChoiceField(label=_("kind"), choices=kinds.choices)
    clear_secret = forms.BooleanField(label=_("Remove the stored credentials"), required=False)

    class Meta:
        model = Connector
        fields = ["name", "kind", "url", "interval_minutes", "regime", "org_unit", "run_as", "mapping", "auth",
                  "username", "active"]

    def new_secret(self) -> str | None:
        if self.cleaned_data.get("clear_secret"):
            return ""
        return super().new_secret()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.errors:
            return data
        connector = self.instance
        for name in self.Meta.fields:
            if name in data:
                setattr(connector, name, data[name])
        try:
            actions.check_connector(connector)
        except InputError as exc:
            self.add_input_error(exc)
        return data


@admin.register(Connector)
class ConnectorAdmin(ScopedAdmin):
    form = ConnectorForm
    list_display = ["name", "kind", "org_unit", "regime", "interval_minutes", "active", "next_run_at", "run_log"]
    list_filter = ["kind", "active"]
    search_fields = ["name", "url"]
    raw_id_fields = ["org_unit", "run_as"]
    readonly_fields = ["has_credentials", "next_run_at", "attempt", "run_log"]
    fields = ["name", "kind", "url", "interval_minutes", "regime", "org_unit", "run_as", "mapping", "auth",
              "username", "secret", "clear_secret", "has_credentials", "active", "next_run_at", "attempt", "run_log"]

    @admin.display(description=_("credentials stored"), boolean=True)
    def has_credentials(self, obj: Connector) -> bool:
        return obj.has_secret

    @admin.display(description=_("run log"))
    def run_log(self, obj: Connector) -> str:
        if not obj.pk:
            return "–"
        return format_html('<a href="{}">{}</a>', reverse("connectors:detail", args=[obj.pk]), _("runs"))

    def save_model(self, request: HttpRequest, obj: Connector, form: Any, change: bool) -> None:
        access.require(request.user, actions.MANAGE, obj.org_unit)
        actions.save_connector(obj, actor=request.user, changed=list(form.changed_data), secret=form.new_secret())


class SubscriptionForm(SecretForm):
    class Meta:
        model = Subscription
        fields = ["name", "url", "org_unit", "on_approved", "on_revised", "active"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not self.instance.pk and not data.get("secret"):
            self.add_error("secret", _("A new subscription needs a signing secret."))
        return data


@admin.register(Subscription)
class SubscriptionAdmin(ScopedAdmin):
    form = SubscriptionForm
    list_display = ["name", "url", "org_unit", "on_approved", "on_revised", "active", "owner"]
    list_filter = ["active"]
    raw_id_fields = ["org_unit"]
    readonly_fields = ["owner", "created_at"]
    fields = ["name", "url", "org_unit", "on_approved", "on_revised", "secret", "active", "owner", "created_at"]

    def save_model(self, request: HttpRequest, obj: Subscription, form: Any, change: bool) -> None:
        access.require(request.user, actions.MANAGE, obj.org_unit)
        actions.save_subscription(obj, actor=request.user, changed=list(form.changed_data), secret=form.new_secret())


class AttemptInline(admin.TabularInline):
    model = DeliveryAttempt
    extra = 0
    can_delete = False
    fields = ("number", "sent_at", "status_code", "error")
    readonly_fields = fields

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return True  # inside a delivery's page, which DeliveryAdmin already scoped

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Delivery)
class DeliveryAdmin(ScopedAdmin):
    """The delivery log: read only."""

    unit_field = "subscription__org_unit"
    list_display = ["delivery_id", "subscription", "event", "status", "attempts", "last_status_code",
                    "next_try_at", "created_at"]
    list_filter = ["status", "event"]
    fields = ("subscription", "delivery_id", "event", "payload", "status", "attempts", "last_status_code",
              "last_error", "next_try_at", "created_at", "delivered_at")
    readonly_fields = fields
    inlines = [AttemptInline]

    def _unit(self, obj: Any) -> Any:
        return obj.subscription.org_unit

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
