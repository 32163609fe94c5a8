"""Leaders' dashboards: the national overview, an indicator, a province, the big
screen, and the live stream that refreshes them. Every page asks access.py
for the unit; every figure comes from the aggregate store (queries.Reader)."""

from __future__ import annotations

import asyncio
import functools
import hashlib
import json
import re
from collections.abc import AsyncIterator, Callable
from datetime import date, datetime, time
from decimal import Decimal
from statistics import median
from typing import Any, TypeVar

from asgiref.sync import sync_to_async
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.db import connections
from django.db.models import Q, Value
from django.db.models.functions import Length, Replace
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import get_language
from openpyxl import Workbook

from nrs.accounts import access
from nrs.accounts.access import Perm
from nrs.analytics import api, charts, coverage, disclosure, live, queries, refresh, rollup
from nrs.analytics.models import Basis, Cell, Refresh
from nrs.collection import queries as collection_queries
from nrs.lib import csvsafe
from nrs.lib.errors import InputError
from nrs.lib.periods import Kind, Period
from nrs.registry.models import REORGANISATION_2025, Area, Indicator, Level, OrgUnit

T = TypeVar("T")

VIEWS = {"M": Kind.MONTH, "Q": Kind.QUARTER, "Y": Kind.YEAR, "YTD": Kind.YTD}
HISTORY_YEARS = 6


# -- shared -------------------------------------------------------------------------

def _day(request: HttpRequest, name: str) -> date | None:
    """A date parameter (YYYY-MM-DD), strictly: anything else is a bilingual 400."""
    text = request.GET.get(name, "")
    if not text:
        return None
    try:
        found = parse_date(text) if _DAY.fullmatch(text) else None
    except ValueError:
        found = None
    if found is None:
        raise InputError(name, f"{name}: ngày không hợp lệ (YYYY-MM-DD)", f"{name}: invalid date (YYYY-MM-DD)")
    return found


_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_ID = re.compile(r"[0-9]{1,18}")


def _bad_input(exc: InputError) -> JsonResponse:
    return JsonResponse(exc.as_dict(), status=400, json_dumps_params={"ensure_ascii": False})


def _strict(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A bad query parameter (InputError) answers a bilingual 400, never a 500."""
    @functools.wraps(view)
    def run(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except InputError as exc:
            return _bad_input(exc)
    return run


def _unit(request: HttpRequest, code: str | None = None) -> OrgUnit:
    """The unit asked for (default: the widest the user may see), checked."""
    code = code or request.GET.get("unit", "")
    on = _day(request, "on")
    if code:
        units = OrgUnit.objects.valid_on(on) if on else OrgUnit.objects.current()
        unit = units.filter(code=code).first()
        if unit is None:
            raise Http404(code)
    else:
        unit = _widest(access.scope_q(request.user, Perm.VIEW_DATA, field=""))
        if unit is None:
            raise PermissionDenied(Perm.VIEW_DATA.value)
    access.require(request.user, Perm.VIEW_DATA, unit)
    return unit


WIDEST_TTL = 600  # seconds; bounds how long a reorganisation can leave an older default


def _widest(scope: Q) -> OrgUnit | None:
    """The widest current unit in ``scope`` (fewest "/" in its path, then by code).

    Finding it sorts every unit in the scope (3,400 for a national grant), so the
    answer is remembered per scope, which access.scope_q spells out from the user's
    live grants: a changed grant is a new key. The remembered unit is read back by
    its id within the same scope and must still be current, else it is found again."""
    key = "nrs:widest:" + hashlib.sha256(str(scope).encode()).hexdigest()
    pk = cache.get(key)
    units = OrgUnit.objects.current().filter(scope)
    unit = units.filter(pk=pk).first() if pk is not None else None
    if unit is None:
        depth = Length("path") - Length(Replace("path", Value("/"), Value("")))
        unit = units.annotate(d=depth).order_by("d", "code").first()
        if unit is not None:
            cache.set(key, unit.pk, WIDEST_TTL)
    return unit


def _reader(request: HttpRequest, unit: OrgUnit) -> queries.Reader:
    """Approved figures; the preview (with submitted reports) for those who may see
    them; or, with ``?known=2026-03-31``, the figures as known at the end of that day."""
    known = _day(request, "known")
    if known is not None:
        return queries.Reader(Basis.APPROVED, timezone.make_aware(datetime.combine(known, time.max)))
    preview = request.GET.get("basis") == "preview" and access.has_perm(request.user, Perm.VIEW_UNAPPROVED, unit)
    return queries.Reader(Basis.PREVIEW if preview else Basis.APPROVED)


def _common(request: HttpRequest, unit: OrgUnit, reader: queries.Reader, latest: Refresh | None) -> dict[str, Any]:
    """What every dashboard shows; ``latest`` is the newest refresh the viewer may hear
    of, read once per request by the view (``_visible``: decision 38)."""
    return {"unit": unit, "preview": reader.basis == Basis.PREVIEW, "known_on": reader.known_on,
            "can_preview": access.has_perm(request.user, Perm.VIEW_UNAPPROVED, unit),
            "refresh": latest, "refresh_id": latest.pk if latest else 0, "now": timezone.now(),
            "plot_config": charts.plot_config()}


def _since(years: int = 2) -> date:
    return date(timezone.localdate().year - years, 1, 1)


# -- national overview -----------------------------------------------------------------

def _card(indicator: Indicator, unit: OrgUnit, reader: queries.Reader,
          census: coverage.Census) -> dict[str, Any]:
    period, covered = _latest(indicator, unit, reader, census)
    if period is None:
        return {"indicator": indicator, "period": None}
    cell = reader.get(indicator.code, unit.pk, period.sdmx)
    extra = queries.compare(indicator, unit, period, cell, reader, ["yoy", "ytd", "plan"])
    if covered is not None and not covered.complete:
        extra["yoy"] = None  # a partial total against a complete one would read as a collapse
    history = [reader.get(indicator.code, unit.pk, period.shift(-i).sdmx) for i in range(12, -1, -1)]
    return {"indicator": indicator, "period": period, "cell": cell, **extra, "coverage": covered,
            "source": _named_source(indicator, period, covered),
            "spark": charts.sparkline([c.value if c else None for c in history])}


def _history(request: HttpRequest, indicator: Indicator, unit: OrgUnit, period: Period,
             known: datetime | None) -> list[dict[str, Any]]:
    """Every released version of the figure: the unit's own reports, or for the nation its
    source's (the statistics office's revisions), with release dates, reasons and who."""
    codes = [unit.code] + ([a.code for a in coverage.sources_of(indicator, period.end)]
                           if unit.level == Level.NATIONAL else [])
    found = collection_queries.history(scope=access.scope_q(request.user, Perm.VIEW_DATA),
                                       indicators=[indicator.code], units=codes, period=period.sdmx)
    return [h for h in found if known is None or datetime.fromisoformat(h["releasedAt"]) <= known]


def _partial(census: coverage.Census, indicator: Indicator, points: list[queries.Point]) -> dict[str, str]:
    """The last year's partial figures of the series, period -> "n/N" (for the chart)."""
    recent = [p.period for p in points if p.value is not None][-13:]
    return {sdmx: f"{c.reported}/{c.expected}" for sdmx, c in census.of(indicator, recent).items()
            if not c.complete}


def _flag(cards: list[dict[str, Any]]) -> None:
    """Each card whose figure is its source's own gets that value's flag: an estimate or a
    provisional figure says so."""
    keys = {id(c): (c["indicator"].pk, c["source"].pk, c["period"].sdmx) for c in cards
            if c.get("source") is not None and c.get("period") is not None}
    found = collection_queries.flags(list(keys.values()))
    for card in cards:
        card["flag"] = found.get(keys[id(card)], "") if id(card) in keys else ""


def _named_source(indicator: Indicator, period: Period, covered: coverage.Coverage | None) -> OrgUnit | None:
    """The agency a card names as the figure's source: the one whose own figure stands, or,
    for a figure computed from national figures, the indicator's source or responsible agency."""
    if covered is None:
        return None
    if covered.source is None and covered.national:
        return next(iter(coverage.sources_of(indicator, period.end)), None)
    return covered.source


def _latest(indicator: Indicator, unit: OrgUnit, reader: queries.Reader,
            census: coverage.Census) -> tuple[Period | None, coverage.Coverage | None]:
    """The newest period of the indicator's own frequency whose figure is complete
    (coverage.py): a national total from the first few provinces of a month would read
    as a collapse. Where none of the last periods is, the newest, marked partial."""
    found = [parse for p in reader.series_index().get((indicator.code, unit.pk), {})
             if (parse := queries.parse_sdmx(p)).kind.value == indicator.frequency]
    return coverage.latest_complete(census, indicator, found)


def _headline(unit: OrgUnit, reader: queries.Reader, latest: Refresh | None) -> list[dict[str, Any]]:
    """A card for each headline indicator of ``unit`` (overview, big screen), cached."""
    key = _cards_key(unit, reader, latest)
    cards = cache.get(key) if key else None
    if cards is None:
        headline = list(Indicator.objects.filter(headline=True).select_related("unit").order_by("area", "code"))
        reader.prefetch([i.code for i in headline], [unit.pk], _since())
        census = coverage.Census(reader, unit)
        cards = [_card(i, unit, reader, census) for i in headline]
        _flag(cards)
        if key:
            cache.set(key, cards, CARDS_TTL)
    return cards


CARDS_TTL = 600  # seconds; any refresh of the store changes the key first


def _version(latest: Refresh | None) -> str:
    """The store's version: the newest refresh's id and time. The time guards against an
    id used again (a database restored or rebuilt under a shared cache)."""
    return f"{latest.pk}@{latest.at.timestamp()}{'' if latest.reason else ':quiet'}" if latest else "0"


def _cards_key(unit: OrgUnit, reader: queries.Reader, latest: Refresh | None) -> str | None:
    """The headline cards depend only on the unit, the basis, the store's newest
    refresh and the day (the latest complete period), so every viewer of a unit shares
    them until the next approval; "as known on" pages are not cached."""
    if reader.known_on is not None:
        return None
    return f"nrs:cards:{unit.pk}:{reader.basis}:{_version(latest)}:{timezone.localdate()}:{get_language()}"


BODY_TEMPLATE = "analytics/_overview_body.html"


def _body_key(unit: OrgUnit, reader: queries.Reader, latest: Refresh | None, can_preview: bool) -> str | None:
    """The overview's body is the cards' key plus what else it shows: whether the
    viewer may switch to the preview (a permission on the unit). It holds nothing of
    the viewer's own (name, CSRF token, menus: those are in the layout around it)."""
    cards = _cards_key(unit, reader, latest)
    return cards and f"nrs:overview:{int(can_preview)}:{cards}"


def _overview_body(request: HttpRequest, unit: OrgUnit, reader: queries.Reader, latest: Refresh | None) -> str:
    """The overview's main content, rendered once per unit, basis, permission to
    preview, refresh, day and language, and shared by every viewer of it."""
    can_preview = access.has_perm(request.user, Perm.VIEW_UNAPPROVED, unit)
    key = _body_key(unit, reader, latest, can_preview)
    body = cache.get(key) if key else None
    if body is None:
        body = str(render_to_string(BODY_TEMPLATE, _body_context(request, unit, reader, latest)))
        if key:
            cache.set(key, body, CARDS_TTL)
    return body


def _body_context(request: HttpRequest, unit: OrgUnit, reader: queries.Reader,
                  latest: Refresh | None) -> dict[str, Any]:
    every = _headline(unit, reader, latest)
    areas: list[dict[str, Any]] = []
    for area in Area:
        cards = sorted((c for c in every if c["indicator"].area == area.value), key=_fullness)
        if cards:
            areas.append({"area": area, "cards": cards})
    periods: list[Period] = [c["period"] for a in areas for c in a["cards"] if c["period"]]
    newest = max(periods, default=None, key=lambda p: p.end)
    return {**_common(request, unit, reader, latest), "areas": areas, "newest": newest}


def _fullness(card: dict[str, Any]) -> int:
    """Full cards first, then partial ones (not every expected unit has reported), then empty
    ones (issue 20: on a phone the first screen shows figures that stand); else as listed."""
    if card["period"] is None:
        return 2
    covered = card.get("coverage")
    return 1 if covered is not None and not covered.complete else 0


@login_required
@_strict
def overview(request: HttpRequest) -> HttpResponse:
    unit = _unit(request)
    reader = _reader(request, unit)
    body = _overview_body(request, unit, reader, _visible(request))
    return render(request, "analytics/overview.html", {"unit": unit, "body": body})


# -- indicator page ----------------------------------------------------------------------

def _kind(request: HttpRequest, indicator: Indicator) -> Kind:
    wanted = VIEWS.get(request.GET.get("view", ""), Kind(indicator.frequency))
    allowed = _views(indicator)
    return wanted if wanted.value in allowed else Kind(indicator.frequency)


def _views(indicator: Indicator) -> list[str]:
    base = indicator.frequency
    if indicator.time_aggregation == "none" and not indicator.formula:
        return [base]
    return {"M": ["M", "Q", "Y", "YTD"], "Q": ["Q", "Y", "YTD"], "S": ["S", "Y"]}.get(base, [base])


def _children(unit: OrgUnit, on: date | None = None) -> tuple[str, list[OrgUnit]]:
    """The units one level down: today's (history rebuilt), or those that existed ``on`` a date."""
    level = Level.PROVINCE if unit.level == Level.NATIONAL else Level.COMMUNE
    if not unit.is_current:
        on = on or unit.valid_to
    return level, queries.units_at(unit, level, on=on)


def _period(request: HttpRequest, points: list[queries.Point], indicator: Indicator,
            census: coverage.Census) -> tuple[Period | None, coverage.Coverage | None]:
    """The period asked for, else the newest whose figure is complete (coverage.py)."""
    chosen = request.GET.get("period", "")
    known = [p.period for p in points if p.value is not None]
    for period in known:
        if period.sdmx == chosen:
            return period, census.of(indicator, [period])[period.sdmx]
    return coverage.latest_complete(census, indicator, known)


@login_required
@_strict
def indicator(request: HttpRequest, code: str) -> HttpResponse:
    found = get_object_or_404(Indicator.objects.select_related("unit", "weight"), code=code)
    unit = _unit(request)
    reader = _reader(request, unit)
    kind = _kind(request, found)
    points = queries.series(found, unit, kind.value, reader, start=Period.annual(_since(HISTORY_YEARS).year),
                            compare_with=["yoy"])
    census = coverage.Census(reader, unit)
    period, covered = _period(request, points, found, census)
    as_was = bool(request.GET.get("aswas")) and period is not None and period.start < REORGANISATION_2025
    level, units = _children(unit, period.end if as_was and period else None)
    ranking = queries.slice_(found, units, period, reader, ["yoy", "share"]) if period else []
    if covered is not None and not covered.complete:
        for point in ranking:  # a province is never "100 % of the nation" because others are missing
            point.extra["sharePct"] = None
    ranked = sorted((p for p in ranking if p.value is not None), key=lambda p: p.value or 0, reverse=True)
    latest = _visible(request)
    named = _named_source(found, period, covered) if period else None
    day = charts.as_of(reader.known_on, latest.at if latest else None)  # the charts' caption (and PNG)
    context = {
        **_common(request, unit, reader, latest), "indicator": found, "kind": kind.value,
        "views": _views(found), "points": points, "period": period, "ranking": ranked, "level": level,
        "coverage": covered, "source": named,
        "history": _history(request, found, unit, period, reader.known_on) if period else [],
        "periods": [p.period.sdmx for p in reversed(points) if p.value is not None][:36],
        "rebuilt": any(p.cell and p.cell.rebuilt for p in points),
        "series_fig": charts.series_figure(
            points, found.name, found.unit.name, _partial(census, found, points), decimals=found.decimals,
            place=unit.name, as_of=day,
            source=charts.source_line(named, provinces=bool(covered and covered.expected > 1), unit=unit)),
        "as_was": as_was, "before_merger": bool(period and period.start < REORGANISATION_2025),
        "map_fig": (charts.map_figure(ranking, found.unit.name, decimals=found.decimals, as_of=day,
                                      title=f"{found.name} · {charts.period_label(period or '', get_language())}",
                                      source=charts.source_line(provinces=True))
                    if level == Level.PROVINCE and ranking and not as_was and unit.is_current else None),
    }
    return render(request, "analytics/indicator.html", context)


@login_required
@_strict
def download(request: HttpRequest, code: str, fmt: str) -> HttpResponse:
    """The indicator page's figures: the unit's series and its units' ranking, CSV or XLSX."""
    found = get_object_or_404(Indicator, code=code)
    unit = _unit(request)
    reader = _reader(request, unit)
    level, _units = _children(unit)
    question = api.parse_question(indicator=found.code, orgUnit=unit.code, level="", kind=_kind(request, found).value,
                                  start="", end="", compare="yoy,prev,ytd,share,plan",
                                  basis="preview" if reader.basis == Basis.PREVIEW else "approved",
                                  knownOn="", asWas=False)
    rows = api.answer(question, request.user)["rows"]
    question.level = level
    rows += api.answer(question, request.user)["rows"]
    result = {"rows": rows}
    name = f"nrs-{found.code}-{unit.code}"
    if fmt == "csv":
        # A UTF-8 byte order mark first, so that Excel on Windows reads the diacritics.
        response = HttpResponse("\ufeff" + api.to_csv(result), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
        return response
    return _xlsx([api.flat(row) for row in result["rows"]], name)

_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


def _xlsx(rows: list[dict[str, Any]], name: str) -> HttpResponse:
    book = Workbook()
    sheet = book.active
    sheet.title = "NRS"
    columns = list(dict.fromkeys(k for row in rows for k in row)) or ["indicator"]
    sheet.append(columns)
    for row in rows:
        sheet.append([_xlsx_cell(row.get(c), numeric=not c.endswith(_TEXT_COLUMNS)) for c in columns])
    response = HttpResponse(content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f'attachment; filename="{name}.xlsx"'
    book.save(response)
    return response


# Codes and names stay text even when they look like numbers (unit "01", period "2026").
_TEXT_COLUMNS = ("indicator", "Unit", "Name", "period")


def _xlsx_cell(value: Any, *, numeric: bool = True) -> Any:
    """Numbers as numbers; text guarded so a spreadsheet never runs it as a formula."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int | float):
        return value
    if numeric and isinstance(value, str) and _NUMBER.fullmatch(value):
        value = Decimal(value)
    if isinstance(value, Decimal) and value.is_finite():
        return int(value) if value == value.to_integral_value() else float(value)
    return csvsafe.cell(value)


# -- province profile ------------------------------------------------------------------------

def _peers(unit: OrgUnit, provinces: list[OrgUnit], count: int = 4) -> list[OrgUnit]:
    """Provinces of similar size (area), for comparison."""
    others = [p for p in provinces if p.pk != unit.pk and p.area_km2]
    if not unit.area_km2:
        return others[:count]
    return sorted(others, key=lambda p: abs((p.area_km2 or 0) - (unit.area_km2 or 0)))[:count]


@login_required
@_strict
def province(request: HttpRequest, code: str) -> HttpResponse:
    unit = _unit(request, code)
    if unit.level != Level.PROVINCE:
        raise Http404(code)
    reader = _reader(request, unit)
    nation = OrgUnit.objects.current().get(parent__isnull=True)
    provinces = queries.units_at(nation, Level.PROVINCE)
    peers = _peers(unit, provinces)
    # Decision 38: the national figure, the share of it and the peers' median only to those
    # who may read every unit they are computed from.
    shown = disclosure.Disclosure(request.user, Perm.VIEW_UNAPPROVED if reader.basis == Basis.PREVIEW
                                  else Perm.VIEW_DATA)
    national = shown.reads(nation)
    compared = shown.reads_all(peers)
    indicators = list(Indicator.objects.filter(pk__in=Cell.objects.filter(org_unit=unit).values("indicator"))
                      .select_related("unit").order_by("area", "code"))
    others = ([nation.pk] if national else []) + ([p.pk for p in peers] if compared else [])
    reader.prefetch([i.code for i in indicators], [unit.pk, *others], _since(1))
    rows = []
    census = coverage.Census(reader, unit)
    national_census = coverage.Census(reader, nation) if national else None
    for ind in indicators:
        period, _own = _latest(ind, unit, reader, census)
        if period is None:
            continue
        cell = reader.get(ind.code, unit.pk, period.sdmx)
        rows.append({"indicator": ind, "period": period, "cell": cell,
                     **_profile_extra(ind, unit, period, cell, reader, national_census, nation,
                                      peers if compared else [])})
    return render(request, "analytics/province.html",
                  {**_common(request, unit, reader, _visible(request)), "rows": rows, "peers": peers,
                   "nation": nation, "shows_nation": national, "shows_peers": compared})


def _profile_extra(ind: Indicator, unit: OrgUnit, period: Period, cell: rollup.Cell | None,
                   reader: queries.Reader, national: coverage.Census | None, nation: OrgUnit,
                   peers: list[OrgUnit]) -> dict[str, Any]:
    """A profile row's comparisons: last year always; the nation (its figure, coverage and
    the province's share of it) given its census, else none; the peers' median given peers."""
    extra: dict[str, Any] = {"nation": None, "nation_coverage": None, "sharePct": None, "peers": None}
    extra.update(queries.compare(ind, unit, period, cell, reader,
                                 ["yoy", "share"] if national is not None else ["yoy"]))
    if national is not None:
        whole = national.of(ind, [period])[period.sdmx]
        figure = reader.get(ind.code, nation.pk, period.sdmx)
        extra.update({"nation": figure.value if figure else None, "nation_coverage": whole})
        if not whole.complete:
            extra["sharePct"] = None  # not a share of a partial national total
    values = [c.value for p in peers if (c := reader.get(ind.code, p.pk, period.sdmx)) is not None]
    extra["peers"] = median(values) if values else None
    return extra


# -- big screen --------------------------------------------------------------------------------

@login_required
@_strict
def screen(request: HttpRequest) -> HttpResponse:
    unit = _unit(request)
    reader = _reader(request, unit)
    latest = _visible(request)
    cards = [c for c in _headline(unit, reader, latest) if c["period"]]
    return render(request, "analytics/screen.html", {**_common(request, unit, reader, latest), "cards": cards})


# -- live updates ---------------------------------------------------------------------------------

def _newest_refresh(user: Any) -> dict[str, Any]:
    """The newest refresh this user may hear of: every one for a reader of the whole
    country, else the newest that wrote a figure the user may read (decision 38)."""
    latest = refresh.latest()
    found = latest if user is None else disclosure.visible_refresh(user, latest)
    return {"id": found.pk if found else 0, "at": found.at.isoformat() if found else None,
            "reason": found.reason if found else ""}


def _visible(request: HttpRequest) -> Refresh | None:
    """The refresh a page shows ("figures as of", the live block's id): this user's."""
    return disclosure.visible_refresh(request.user, refresh.latest())


def _released(read: Callable[..., T]) -> Callable[..., T]:
    """``read``, then this thread's database connections are given back (to the pool, on
    PostgreSQL). A stream lasts minutes: holding a connection between its reads would take
    one of a process's few pooled connections per open dashboard (decision 36)."""
    def run(*args: Any) -> T:
        try:
            return read(*args)
        finally:
            for conn in connections.all(initialized_only=True):
                if not conn.in_atomic_block:  # a test's transaction is left alone
                    conn.close()
    return run


@login_required
def freshness(request: HttpRequest) -> JsonResponse:
    """The polling fallback: the newest refresh of the aggregate store that this user may
    hear of (nrs.analytics.disclosure)."""
    if not access.has_perm(request.user, Perm.VIEW_DATA):
        raise PermissionDenied(Perm.VIEW_DATA.value)
    return JsonResponse(_newest_refresh(request.user))


POLL_SECONDS = 0.25  # without Redis: how often the stream reads the newest refresh
KEEP_ALIVE_SECONDS = 15
STREAM_SECONDS = 300  # then the browser reconnects (EventSource does so by itself)


async def events(request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
    """Server-Sent Events: `refresh` whenever the aggregate store changes.

    Served live by the ASGI server (`nrs serve`); under WSGI it is buffered,
    and the pages fall back to polling /dashboard/freshness/.
    """
    user = await request.auser()
    allowed = await sync_to_async(_released(access.has_perm))(user, Perm.VIEW_DATA)
    if not allowed:
        return HttpResponse(status=403)
    text = request.GET.get("since", "") or "0"
    if not _ID.fullmatch(text):
        return _bad_input(InputError("since", "since: phải là số thứ tự của lần cập nhật (số nguyên không âm)",
                                     "since: must be a refresh id (a non-negative integer)"))
    once = request.GET.get("once") == "1"
    response = StreamingHttpResponse(_stream(int(text), once, user), content_type="text/event-stream")
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"
    return response


async def _stream(since: int, once: bool, user: Any = None) -> AsyncIterator[str]:
    """The refreshes ``user`` may hear of (decision 38; None: every one, for a caller with
    no user to speak for). With Redis (nrs.analytics.live), wake on each announced refresh
    and read the database at least every NRS_LIVE_FALLBACK_SECONDS; without it, read it
    every POLL_SECONDS. The newest `Refresh` in the database (that the user may hear of) is
    what is sent, never the message itself."""
    yield "retry: 2000\n\n"
    loop = asyncio.get_running_loop()
    every = settings.NRS_LIVE_FALLBACK_SECONDS if live.enabled() else POLL_SECONDS
    async with live.listener() as wait:  # subscribed before the first read: nothing is missed
        started = spoke = loop.time()
        last, due = since, started
        while (now := loop.time()) - started < STREAM_SECONDS:
            if now >= due:
                newest = await sync_to_async(_released(_newest_refresh))(user)
                due = loop.time() + every
                if newest["id"] != last:
                    last = newest["id"]
                    spoke = loop.time()
                    yield f"event: refresh\ndata: {json.dumps(newest)}\n\n"
                    if once:
                        return
            if loop.time() - spoke >= KEEP_ALIVE_SECONDS:
                spoke = loop.time()
                yield ": keep-alive\n\n"
            timeout = min(due, spoke + KEEP_ALIVE_SECONDS, started + STREAM_SECONDS) - loop.time()
            if await wait(max(timeout, 0.0)):
                due = loop.time()  # announced: read the database now
