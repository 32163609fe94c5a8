"""/public/: the public data explorer (issue 19, part 3). No sign-in, read-only, Vietnamese and
English; 404 unless public dissemination is on (NRS_PUBLIC). Everything it shows or downloads is
read through figures.py, that is through scope.public_q: released, approved, at or above the
publication's lowest area level, never under embargo. Anonymous callers are rate limited per
address (NRS_PUBLIC_RATE)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import get_language, gettext_noop
from django.views.decorators.http import require_safe
from django.views.decorators.vary import vary_on_headers

from nrs.accounts import ratelimit
from nrs.analytics import charts
from nrs.analytics.queries import Point
from nrs.analytics.rollup import Cell
from nrs.collection.files import xlsx_response
from nrs.exchange.public import figures, scope
from nrs.exchange.public.models import Publication, Stage
from nrs.exchange.sdmx import structures
from nrs.i18n import bilingual
from nrs.lib import periods
from nrs.registry.models import Level, OrgUnit

View = Callable[..., HttpResponse]
NOT_A_PERIOD = gettext_noop("period '%(period)s' is not an SDMX period code (e.g. 2026-Q3)")


def public_view(view: View) -> View:
    """404 unless NRS_PUBLIC; GET and HEAD only; an anonymous caller counted against its address' rate."""
    @wraps(view)
    @require_safe
    @vary_on_headers("Cookie", "Accept-Language")
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not scope.enabled():
            raise Http404("public dissemination is off")
        if not request.user.is_authenticated:
            wait = scope.throttle(request)
            if wait is not None:
                return ratelimit.page_response(request, wait)
        return view(request, *args, **kwargs)
    return wrapped


def _bad(ref: str, vi: str, en: str) -> HttpResponse:
    return HttpResponseBadRequest(f"{ref}: {vi} / {en}", content_type="text/plain; charset=utf-8")


def _publication(code: str) -> Publication:
    found = figures.publication(code)
    if found is None:
        raise Http404("no such public indicator")
    return found


def _point(publication: Publication, unit: OrgUnit, period: periods.Period, figure: figures.Figure | None) -> Point:
    """A Point as the analytics charts draw it: the released figure in an unsaved Cell."""
    cell = None if figure is None or figure.value is None else Cell(figure.value, n=1)
    return Point(publication.indicator, unit, period, cell)


def _sdmx_csv(publication: Publication, area: str = "") -> str:
    """The SDMX data view's address of the indicator's released figures as SDMX-CSV."""
    indicator = publication.indicator
    return f"/sdmx/data/{structures.flow_id(indicator.area)}/{indicator.frequency}.{indicator.code}.{area}?format=csv"


@public_view
def index(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    rows = []
    for publication in figures.publications():
        series = figures.national_series(publication.indicator, now, newest_only=True)
        upcoming = [r for r in figures.calendar(publication.indicator) if r.release_at > now]
        rows.append({"publication": publication, "indicator": publication.indicator,
                     "latest": series[-1] if series else None, "next": upcoming[0] if upcoming else None})
    return render(request, "public/index.html", {"rows": rows, "now": now})


@public_view
def indicator(request: HttpRequest, code: str) -> HttpResponse:
    now = timezone.now()
    publication = _publication(code)
    found = publication.indicator
    series = figures.national_series(found, now)
    released = [p for p in figures.released_periods(found, now)
                if periods.parse_sdmx(p).kind.value == found.frequency]
    chosen = request.GET.get("period", "")
    if chosen:
        try:
            chosen = periods.parse_sdmx(chosen).sdmx
        except ValueError:
            return _bad("period", *bilingual(NOT_A_PERIOD, period=chosen[:40]))
        if chosen not in released:
            raise Http404("no released figures for this period")
    period = chosen or (released[0] if released else "")
    provincial = publication.min_level != Level.NATIONAL
    ranking = figures.province_figures(found, period, now) if period and provincial else []
    lang = get_language()
    day = now.astimezone(timezone.get_current_timezone()).strftime("%d/%m/%Y")
    points = [_point(publication, f.unit, f.period, f) for f in series]
    series_fig = (charts.series_figure(points, found.name, found.unit.name, decimals=found.decimals,
                                       place=_national_name(), source=charts.source_line(), as_of=day)
                  if points else None)
    map_fig = None
    if ranking:
        by_code = {f.unit.code: f for f in ranking}
        provinces = list(OrgUnit.objects.current().filter(level=Level.PROVINCE).order_by("code"))
        if any(p.code in by_code for p in provinces):
            parsed = periods.parse_sdmx(period)
            map_points = [_point(publication, p, parsed, by_code.get(p.code)) for p in provinces]
            map_fig = charts.map_figure(map_points, found.unit.name, decimals=found.decimals, as_of=day,
                                        title=f"{found.name} · {periods.label(parsed, lang)}",
                                        source=charts.source_line(provinces=True))
    context = {
        "publication": publication, "indicator": found, "series": list(reversed(series)), "period": period,
        "periods": released, "ranking": sorted(ranking, key=lambda f: (f.value is None, -(f.value or 0))),
        "provincial": provincial, "calendar": figures.calendar(found), "now": now,
        "series_fig": series_fig, "map_fig": map_fig, "plot_config": charts.plot_config(),
        "sdmx_csv": _sdmx_csv(publication), "stages": dict(Stage.choices),
    }
    return render(request, "public/indicator.html", context)


def _national_name() -> str:
    root = OrgUnit.objects.filter(level=Level.NATIONAL, parent__isnull=True).order_by("-valid_from").first()
    return root.name if root else ""


@public_view
def history(request: HttpRequest, code: str) -> HttpResponse:
    """One figure's releases: estimate → preliminary → official, each with its date and value."""
    now = timezone.now()
    publication = _publication(code)
    unit_code, period = request.GET.get("unit", ""), request.GET.get("period", "")
    try:
        period = periods.parse_sdmx(period).sdmx
    except ValueError:
        return _bad("period", *bilingual(NOT_A_PERIOD, period=period[:40]))
    unit = OrgUnit.objects.filter(code=unit_code).order_by("-valid_from").first()
    if unit is None:
        raise Http404("no such unit")
    steps = figures.history(publication.indicator, unit, period, now)
    if not steps:
        raise Http404("no released figure")
    return render(request, "public/history.html", {
        "publication": publication, "indicator": publication.indicator, "unit": unit,
        "national": unit.level in (Level.NATIONAL, Level.AGENCY), "period": period, "steps": steps,
        "stages": dict(Stage.choices)})


@public_view
def download(request: HttpRequest, code: str) -> HttpResponse:
    """Every released figure of the indicator (national series, provinces by period) as XLSX."""
    now = timezone.now()
    publication = _publication(code)
    found = publication.indicator
    header = ["indicator", "period", "period_label", "area", "area_name", "value", "flag", "unit_of_measure"]
    lang = get_language()
    rows: list[list[Any]] = [header]
    national = _national_name()
    root = OrgUnit.objects.filter(level=Level.NATIONAL, parent__isnull=True).order_by("-valid_from").first()
    for f in figures.national_series(found, now):
        rows.append([found.code, f.period.sdmx, periods.label(f.period, lang), root.code if root else "", national,
                     f.value, f.flag, found.unit.name])
    if publication.min_level != Level.NATIONAL:
        for period in figures.released_periods(found, now):
            for f in figures.province_figures(found, period, now):
                rows.append([found.code, f.period.sdmx, periods.label(f.period, lang), f.unit.code, f.unit.name,
                             f.value, f.flag, found.unit.name])
    return xlsx_response(rows, f"nrs-public-{found.code}.xlsx")
