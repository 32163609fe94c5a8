from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

from nrs.accounts import access
from nrs.accounts.models import Role
from nrs.collection import queries
from nrs.web.dispatch import on_asgi

DASHBOARD_ROLES = frozenset({"leader", "viewer", "auditor"})


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Each role lands on its work, work first for users with several roles: an approver
    with reports waiting on the approval inbox; a reporter on their reports; a coordinator
    on compliance; an approver with nothing waiting on the (empty) inbox unless they also
    read dashboards as a leader, viewer or auditor; anyone else who may read data on the
    overview; the rest on the registry."""
    user = request.user
    held = access.roles(user)
    inbox = reverse("collection:my_reports") + "?view=inbox"
    if Role.APPROVER in held and queries.waiting_count(user):
        return redirect(inbox)
    if Role.REPORTER in held:
        return redirect("collection:my_reports")
    if Role.COORDINATOR in held and access.has_perm(user, access.Perm.VIEW_COMPLIANCE):
        return redirect("collection:compliance")
    if Role.APPROVER in held and not held & DASHBOARD_ROLES:
        return redirect(inbox)
    if held and access.has_perm(user, access.Perm.VIEW_DATA):
        return redirect("analytics:overview")
    return redirect("registry:home")


@on_asgi  # it must answer while the read threads are busy
def health(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")
