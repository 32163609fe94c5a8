from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from nrs.accounts import access
from nrs.web.dispatch import on_asgi

DASHBOARD_ROLES = frozenset({"leader", "coordinator", "viewer", "auditor"})


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Leaders, coordinators and viewers land on the dashboard; the others on the registry."""
    if access.roles(request.user) & DASHBOARD_ROLES and access.has_perm(request.user, access.Perm.VIEW_DATA):
        return redirect("analytics:overview")
    return redirect("registry:home")


@on_asgi  # it must answer while the read threads are busy
def health(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")
