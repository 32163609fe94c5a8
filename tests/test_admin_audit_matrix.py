"""Issue 18, finding 5: every admin screen and inline that saves something records a chained
audit event. The matrix enumerates every ModelAdmin on the admin site and every inline of
each; the expected outcome of each case is written here, not derived from the admins."""

from __future__ import annotations

from typing import Any

import pytest
from django import forms
from django.contrib import admin
from django.test import Client

from nrs.audit import chain
from nrs.audit.models import Event

pytestmark = pytest.mark.django_db


# -- building a POST from a rendered admin form ----------------------------------------------

def _field_data(bound: Any, name: str) -> dict[str, Any]:
    """The POST entries a browser would send for ``bound`` left as rendered."""
    widget, value = bound.field.widget, bound.value()
    if isinstance(widget, forms.CheckboxInput):
        return {name: "on"} if value else {}
    if isinstance(widget, forms.MultiWidget):
        parts = widget.decompress(value) if not isinstance(value, list) else value
        return {f"{name}_{n}": "" if part is None else str(part) for n, part in enumerate(parts)}
    if isinstance(value, (list, tuple)):
        return {name: [str(v) for v in value]}
    return {name: "" if value is None else str(value)}


def _form_data(form: Any) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for name in form.fields:
        data.update(_field_data(form[name], form.add_prefix(name)))
    return data


def form_data(response: Any) -> dict[str, Any]:
    """The admin page's form and inline forms as rendered: its own values re-posted."""
    context = response.context
    data = _form_data(context["adminform"].form)
    for inline in context["inline_admin_formsets"]:
        formset = inline.formset
        data.update(_form_data(formset.management_form))
        for form in formset.forms:
            data.update(_form_data(form))
    data["_save"] = "Save"
    return data


def inline_prefix(response: Any, model: str) -> str:
    for inline in response.context["inline_admin_formsets"]:
        if inline.formset.model._meta.model_name == model:
            return str(inline.formset.prefix)
    raise AssertionError(f"no inline of {model}")


def events_since(seq: int) -> list[Event]:
    return list(Event.objects.filter(seq__gt=seq).order_by("seq"))


def head() -> int:
    return chain.head()[0]


def chain_verifies() -> bool:
    return bool(chain.verify().ok)


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def the_admins() -> dict[str, Any]:
    return {f"{m._meta.app_label}.{m._meta.model_name}": a for m, a in admin.site._registry.items()}
