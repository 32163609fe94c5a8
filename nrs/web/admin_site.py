"""The NRS admin site. Screens of third-party apps (Django's groups, django-otp's devices,
django-axes' sign-in records) are registered wrapped so that each save or deletion made
through them is a chained audit event with old and new values (issue 18, finding 5)."""

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from nrs.accounts import access


def _event_type(obj: Any) -> Any:
    from nrs.audit.events import EventType

    # A change to a second-factor device is, for the log, a reset of that user's 2FA.
    if obj._meta.app_label.startswith("otp_"):
        return EventType.TWO_FACTOR_RESET
    return EventType.METADATA_CHANGED


class AuditedThirdPartyAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Mixed in before a third-party ModelAdmin: saves and deletions go through
    nrs.registry.actions.save_recorded / delete_recorded."""

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        from nrs.registry import actions

        actions.save_recorded(obj, actor=request.user, event_type=_event_type(obj),
                              save=lambda: super(AuditedThirdPartyAdmin, self).save_model(
                                  request, obj, form, change))

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        from nrs.registry import actions

        rows = formset.save(commit=False)
        for gone in formset.deleted_objects:
            actions.delete_recorded(gone, actor=request.user, event_type=_event_type(gone))
        for row in rows:
            actions.save_recorded(row, actor=request.user, event_type=_event_type(row), save=row.save)
        formset.save_m2m()

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        from nrs.registry import actions

        actions.delete_recorded(obj, actor=request.user, event_type=_event_type(obj))

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        for obj in queryset:
            self.delete_model(request, obj)


class NRSAdminSite(admin.AdminSite):
    site_header = _("NRS administration")
    site_title = _("NRS")
    index_title = _("Registry metadata")

    def has_permission(self, request: HttpRequest) -> bool:
        return access.can_use_admin(request.user)

    def register(self, model_or_iterable: Any, admin_class: Any = None, **options: Any) -> None:
        """NRS's own screens audit through their actions; a third-party screen is wrapped."""
        admin_class = admin_class or admin.ModelAdmin
        if not admin_class.__module__.startswith("nrs."):
            admin_class = type(admin_class.__name__, (AuditedThirdPartyAdmin, admin_class),
                               {"__module__": __name__})
        super().register(model_or_iterable, admin_class, **options)

