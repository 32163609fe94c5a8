"""Admin screens for the public indicators and their release calendar. Coordinators with the
catalogue permission on the root edit them (national metadata, like the catalogue); every save
goes through actions (audited, old and new values). Nothing is deleted: a publication is
switched off, a release moved."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from nrs.accounts.admin import GuardedAdmin
from nrs.exchange.public import actions
from nrs.exchange.public.models import Publication, Release


class PublishingAdmin(GuardedAdmin):
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return actions.may_publish(request.user)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return actions.may_publish(request.user)



@admin.register(Publication)
class PublicationAdmin(PublishingAdmin):
    list_display = ["indicator", "min_level", "active", "changed_at"]
    list_filter = ["active", "min_level"]
    search_fields = ["indicator__code", "indicator__name_vi", "indicator__name_en"]
    raw_id_fields = ["indicator"]

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        actions.save_publication(obj, actor=request.user)


@admin.register(Release)
class ReleaseAdmin(PublishingAdmin):
    list_display = ["publication", "period", "stage", "release_at"]
    list_filter = ["stage", "publication"]
    search_fields = ["publication__indicator__code", "period"]
    date_hierarchy = "release_at"

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        actions.save_release(obj, actor=request.user)
