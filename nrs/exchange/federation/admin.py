"""Admin screens: federated nodes (national coordinators; every change audited) and the
batches received from them (read-only provenance)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest

from nrs.accounts.admin import GuardedAdmin
from nrs.exchange.federation import actions, signing
from nrs.exchange.federation.models import FederatedVersion, Node, ReceivedBatch
from nrs.lib.errors import InputError
from nrs.registry.admin import MetadataAdmin


class NodeForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = Node
        fields = ["code", "name", "public_key", "units", "active"]

    def clean_public_key(self) -> str:
        try:
            return signing.public_text(signing.parse_public(self.cleaned_data["public_key"]))
        except InputError as exc:
            raise forms.ValidationError(f"{exc.vi} / {exc.en}") from None


@admin.register(Node)
class NodeAdmin(MetadataAdmin):
    """Registering a node is national: the catalogue permission on the root. The node's
    account is made (and granted its roles on the node's units) on save."""

    form = NodeForm
    list_display = ["code", "name", "active", "created_at"]
    search_fields = ["code", "name"]
    raw_id_fields = ["units"]
    readonly_fields = ["user", "created_at"]

    def save_model(self, request: HttpRequest, obj: Node, form: Any, change: bool) -> None:
        if not obj.user_id:
            obj.user = actions.ensure_node_account(obj.code, [], actor=request.user)
        obj.save()

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        # The node's own audited path (MetadataAdmin's goes through the registry's actions).
        admin.ModelAdmin.save_related(self, request, form, formsets, change)
        actions.record_change(form.instance, actor=request.user, changed=list(form.changed_data),
                              created=not change)


class VersionInline(admin.TabularInline):  # type: ignore[type-arg]
    model = FederatedVersion
    extra = 0
    can_delete = False
    fields = ["source_submission", "source_version", "source_approved_at", "submission", "version"]
    readonly_fields = ["source_submission", "source_version", "source_approved_at", "submission",
                       "version"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ReceivedBatch)
class ReceivedBatchAdmin(GuardedAdmin):
    """Provenance, never edited: each value imported traces to its batch through the
    federated version of its submission."""

    list_display = ["node", "sequence", "batch_id", "received_at", "submissions", "imported",
                    "skipped", "values"]
    list_filter = ["node"]
    readonly_fields = ["node", "batch_id", "sequence", "sha256", "signature", "received_at",
                       "submissions", "imported", "skipped", "values"]
    inlines = [VersionInline]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
