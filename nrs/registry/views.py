"""The registry browser: org-unit tree with lineage, indicator catalogue, regimes."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone

from nrs.accounts import access
from nrs.lib import periods
from nrs.registry.models import (
    Area,
    Indicator,
    Level,
    Lineage,
    OrgUnit,
    OrgUnitKind,
    Regime,
)

View = Callable[..., HttpResponse]


def registry_view(view: View) -> View:
    @login_required
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not access.can_browse_registry(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapped


def _on_date(request: HttpRequest) -> date:
    """The date the tree is shown for (?on=YYYY-MM-DD), default today."""
    raw = request.GET.get("on", "")
    try:
        return date.fromisoformat(raw) if raw else timezone.localdate()
    except ValueError:
        return timezone.localdate()


@registry_view
def home(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    units = OrgUnit.objects.valid_on(today)
    legacy_day = date(2025, 6, 30)
    legacy = OrgUnit.objects.valid_on(legacy_day)
    stats = {
        "provinces": units.filter(level=Level.PROVINCE).count(),
        "communes": units.filter(level=Level.COMMUNE).count(),
        "ministries": units.filter(kind=OrgUnitKind.MINISTRY).count(),
        "ministerial": units.filter(kind=OrgUnitKind.MINISTERIAL_AGENCY).count(),
        "legacy_provinces": legacy.filter(level=Level.PROVINCE).count(),
        "legacy_districts": legacy.filter(level=Level.DISTRICT).count(),
        "legacy_communes": legacy.filter(level=Level.COMMUNE).count(),
        "indicators": Indicator.objects.count(),
        "regimes": Regime.objects.count(),
        "lineage": Lineage.objects.count(),
    }
    return render(request, "registry/home.html", {"stats": stats, "today": today})


@registry_view
def unit_tree(request: HttpRequest) -> HttpResponse:
    on = _on_date(request)
    roots = OrgUnit.objects.filter(parent__isnull=True)
    return render(request, "registry/unit_tree.html", {
        "on": on, "roots": _with_child_counts(roots, on),
        "reorg": date(2025, 7, 1), "before": date(2025, 6, 30)})


def _with_child_counts(units: Any, on: date) -> Any:
    live = Q(children__valid_from__lte=on) & (Q(children__valid_to__isnull=True)
                                              | Q(children__valid_to__gte=on))
    return units.valid_on(on).annotate(child_count=Count("children", filter=live)).order_by(
        "kind", "code")


@registry_view
def unit_children(request: HttpRequest, pk: int) -> HttpResponse:
    unit = get_object_or_404(OrgUnit, pk=pk)
    on = _on_date(request)
    children = _with_child_counts(unit.children.all(), on)
    return render(request, "registry/_unit_children.html",
                  {"unit": unit, "children": children, "on": on})


@registry_view
def unit_detail(request: HttpRequest, pk: int) -> HttpResponse:
    unit = get_object_or_404(OrgUnit, pk=pk)
    ancestors = OrgUnit.objects.filter(pk__in=unit.ancestor_ids()[:-1]).order_by("path")
    return render(request, "registry/unit_detail.html", {
        "unit": unit, "ancestors": ancestors,
        "predecessors": unit.predecessor_links.select_related("predecessor__parent"),
        "successors": unit.successor_links.select_related("successor__parent"),
        "children_now": unit.children.current().count(),
        "children_all": unit.children.count(),
    })


@registry_view
def unit_search(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()
    results = OrgUnit.objects.none()
    if len(query) >= 2:
        results = OrgUnit.objects.filter(
            Q(code=query) | Q(name_vi__icontains=query) | Q(name_en__icontains=query)
            | Q(short_name__icontains=query)).select_related("parent").order_by(
            "-valid_from", "path")[:50]
    return render(request, "registry/_unit_search.html", {"results": results, "q": query})


@registry_view
def indicator_list(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()
    area = request.GET.get("area", "")
    indicators = Indicator.objects.select_related("unit").order_by("area", "code")
    if query:
        indicators = indicators.filter(Q(code__icontains=query) | Q(name_vi__icontains=query)
                                       | Q(name_en__icontains=query))
    if area.isdigit():
        indicators = indicators.filter(area=int(area))
    page = Paginator(indicators, 50).get_page(request.GET.get("page"))
    template = ("registry/_indicator_rows.html" if request.htmx  # type: ignore[attr-defined]
                else "registry/indicator_list.html")
    return render(request, template, {"page": page, "q": query, "area": area,
                                      "areas": Area.choices, "total": indicators.count()})


@registry_view
def indicator_detail(request: HttpRequest, code: str) -> HttpResponse:
    indicator = get_object_or_404(Indicator.objects.select_related("unit", "weight"), code=code)
    return render(request, "registry/indicator_detail.html", {
        "indicator": indicator,
        "responsibilities": indicator.responsibilities.select_related("agency"),
        "breakdowns": indicator.breakdowns.prefetch_related("codes"),
        "regimes": indicator.regimes.all(),
    })


@registry_view
def regime_list(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    regimes = list(Regime.objects.select_related("recipient").annotate(
        form_size=Count("indicators")))
    rows = [(regime, regime.next_schedule(today)) for regime in regimes]
    return render(request, "registry/regime_list.html", {"rows": rows, "today": today})


@registry_view
def regime_detail(request: HttpRequest, code: str) -> HttpResponse:
    regime = get_object_or_404(Regime.objects.select_related("recipient"), code=code)
    today = timezone.localdate()
    upcoming: list[periods.Schedule] = []
    following = regime.next_schedule(today)
    while following is not None and len(upcoming) < 6:
        upcoming.append(following)
        following = regime.schedule_for(following.period.next())
    reporters = regime.reporting_units(today)
    return render(request, "registry/regime_detail.html", {
        "regime": regime, "upcoming": upcoming, "reporter_count": reporters.count(),
        "reporters": reporters.order_by("code")[:100],
        "indicators": regime.indicators.select_related("unit").order_by("area", "code"),
    })
