"""The connectors' run log for coordinators: /connectors/ lists the connectors of the units
under their grant with the last run of each; /connectors/<id>/ shows one connector's runs,
newest first, with status, counts and the bilingual message naming the row or field."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import OuterRef, Subquery
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from nrs.accounts import access
from nrs.exchange.connectors import actions
from nrs.exchange.connectors.models import Connector, ConnectorRun

PAGE_SIZE = 50


def _visible(request: HttpRequest) -> object:
    access.require(request.user, actions.MANAGE)  # PermissionDenied: 403 for everyone else
    return Connector.objects.filter(access.scope_q(request.user, actions.MANAGE)).select_related(
        "regime", "org_unit")


@login_required
def connector_list(request: HttpRequest) -> HttpResponse:
    last = ConnectorRun.objects.filter(connector=OuterRef("pk")).order_by("-started_at", "-pk")
    rows = _visible(request).annotate(  # type: ignore[attr-defined]
        last_status=Subquery(last.values("status")[:1]), last_at=Subquery(last.values("started_at")[:1]),
        last_message=Subquery(last.values("message_en")[:1])).order_by("name")
    return render(request, "connectors/list.html", {"rows": rows})


@login_required
def connector_detail(request: HttpRequest, pk: int) -> HttpResponse:
    connector: Connector = get_object_or_404(_visible(request), pk=pk)  # type: ignore[arg-type]
    runs = Paginator(connector.runs.order_by("-started_at", "-pk"), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "connectors/detail.html", {"c": connector, "runs": runs})
