"""An SDMX REST data query: which flow, which key, which periods, how much of each series;
and the approved values it selects, within the caller's scope.

Every bad part raises ``InputError`` naming it (``key part 2 (INDICATOR)``, ``startPeriod``…)
in Vietnamese and English; an unknown flow raises ``NotFound``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import Q, QuerySet
from django.db.models.functions import Greatest
from django.utils.translation import gettext_noop as _

from nrs.collection import queries
from nrs.collection.models import DataValue
from nrs.exchange.sdmx.messages import ALL_DIMENSIONS
from nrs.exchange.sdmx.national import NationalAreas
from nrs.exchange.sdmx.structures import AGENCY_ID, FREQ_OF_KIND, TIME, VERSION, Structures
from nrs.i18n import bilingual
from nrs.lib import moments, periods
from nrs.lib.errors import InputError

WILDCARDS = ("", "all", "*")
# SDMX 2.1 REST ``detail``: what of each series to return.
FULL, DATA_ONLY, SERIES_KEYS_ONLY, NO_DATA = "full", "dataonly", "serieskeysonly", "nodata"
DETAILS = (FULL, DATA_ONLY, SERIES_KEYS_ONLY, NO_DATA)


class NotFound(InputError):
    """An unknown flow or structure: 404, with the same bilingual text."""


@dataclass(frozen=True)
class DataQuery:
    flow: str
    wanted: list[frozenset[str] | None]  # per dimension (TIME_PERIOD excluded); None: any
    start: date | None = None  # startPeriod's first day: periods ending on or after it
    end: date | None = None  # endPeriod's last day: periods starting on or before it
    known_on: datetime | None = None
    dim_at_obs: str = TIME
    updated_after: datetime | None = None
    detail: str = FULL
    first_n: int | None = None  # firstNObservations: per series, the earliest N
    last_n: int | None = None  # lastNObservations: per series, the latest N

    @property
    def with_observations(self) -> bool:
        return self.detail in (FULL, DATA_ONLY)

    @property
    def with_attributes(self) -> bool:
        return self.detail in (FULL, NO_DATA)


def _is(text: str, *keywords: str) -> bool:
    return text.lower() in keywords


def parse_flow(ref: str, structures: Structures) -> str:
    """``DF_X``, ``VN_VPCP,DF_X`` or ``VN_VPCP,DF_X,1.0`` (SDMX 2.1 flowRef; ``all`` for the
    agency, ``latest`` for the version)."""
    parts = ref.split(",")
    flow = parts[1] if len(parts) > 1 else parts[0]
    agency = parts[0] if len(parts) > 1 else AGENCY_ID
    version = parts[2] if len(parts) > 2 else VERSION
    if (len(parts) > 3 or not (agency == AGENCY_ID or _is(agency, "all", "*"))
            or not (version == VERSION or _is(version, "latest", "*", "~"))
            or flow not in structures.dataflows):
        known = ", ".join(structures.dataflows)
        raise NotFound("flow", *bilingual(_("no dataflow '%(ref)s'; the dataflows are: %(known)s"),
                                          ref=ref, known=known))
    return flow


def parse_provider(ref: str) -> None:
    """providerRef: NRS names no data providers, so only ``all`` (or nothing) selects data."""
    if ref and not _is(ref, "all", "*"):
        raise NotFound("providerRef", *bilingual(_("no data provider '%(ref)s': NRS defines none; "
                                                   "use all"), ref=ref))


def parse_key(key: str, structures: Structures) -> list[frozenset[str] | None]:
    """The SDMX key: one part per dimension, separated by dots; codes joined by ``+``; an
    empty part (or the whole key ``all``) for any code. NRS also takes the first three parts
    alone (FREQ.INDICATOR.REF_AREA): the breakdown dimensions are then any."""
    dims = structures.dimension_ids
    if key.strip() in WILDCARDS:
        return [None] * len(dims)
    parts = key.split(".")
    if len(parts) == 3:
        parts += [""] * (len(dims) - 3)
    if len(parts) != len(dims):
        raise InputError("key", *bilingual(_("key '%(key)s' has %(parts)s parts; expected 3 or "
                                             "%(dims)s (%(dimensions)s)"),
                                           key=key, parts=len(parts), dims=len(dims), dimensions='.'.join(dims)))
    wanted: list[frozenset[str] | None] = []
    for position, (dim, part) in enumerate(zip(dims, parts, strict=True), start=1):
        if not part:
            wanted.append(None)
            continue
        codes = frozenset(part.split("+"))
        codelist = structures.codelist_of(dim)
        unknown = sorted(c for c in codes if c not in codelist.items)
        if unknown:
            raise InputError(f"key part {position} ({dim})",
                             *bilingual(_("code '%(codes)s' is not in %(id)s (key part "
                                          "%(position)s, %(dim)s)"),
                                        codes='+'.join(unknown), id=codelist.id, position=position, dim=dim))
        wanted.append(codes)
    return wanted


# The SDMX 2.1 time periods a startPeriod/endPeriod may be (common:StandardTimePeriodType):
# a date-time or date, a Gregorian year, year-month or ISO week, or a reporting period
# (reporting year start 1 January: YYYY-A1, -S1…2, -T1…3, -Q1…4, -M01…12, -W01…53, -D001…366).
_DATE = re.compile(r"^(\d{4}-\d{2}-\d{2})(?:T[\d:.]+(?:Z|[+-]\d{2}:?\d{2})?)?$")
_REPORTING = re.compile(r"^(?P<y>\d{4})-(?P<kind>[ASTQMWD])(?P<n>\d{1,3})$")
_GREGORIAN_WEEK = re.compile(r"^(?P<y>\d{4})-W(?P<n>\d{2})$")
_MONTHS_OF = {"A": 12, "S": 6, "T": 4, "Q": 3, "M": 1}
_PER_YEAR = {"A": 1, "S": 2, "T": 3, "Q": 4, "M": 12, "W": 53, "D": 366}


def time_range(text: str) -> tuple[date, date]:
    """The first and last day of an SDMX time period (ValueError if it is none)."""
    if match := _DATE.match(text):
        day = date.fromisoformat(match.group(1))
        return day, day
    if match := _GREGORIAN_WEEK.match(text) or _REPORTING.match(text):
        groups = match.groupdict()
        year, kind, n = int(groups["y"]), groups.get("kind") or "W", int(groups["n"])
        if not 1 <= n <= _PER_YEAR[kind]:
            raise ValueError(text)
        if kind == "W":  # ISO 8601 weeks: with a reporting year start of 1 January, the same
            first = date.fromisocalendar(year, n, 1)
            return first, first + timedelta(days=6)
        if kind == "D":
            first = date(year, 1, 1) + timedelta(days=n - 1)
            if first.year != year:
                raise ValueError(text)
            return first, first
        months = _MONTHS_OF[kind]
        start = periods.Period.month(year, (n - 1) * months + 1)
        return start.start, periods.Period.month(year, n * months).end
    try:
        found = periods.parse_sdmx(text)
    except periods.PeriodError:
        raise ValueError(text) from None
    return found.start, found.end


def parse_period(name: str, text: str) -> tuple[date, date] | None:
    if not text:
        return None
    try:
        return time_range(text.strip())
    except ValueError:
        raise InputError(name, *bilingual(_("%(name)s '%(text)s' is not an SDMX time period (2026, "
                                            "2026-S1, 2026-Q1, 2026-01, 2026-W05, 2026-09-01, "
                                            "2026-09-01T00:00:00)"),
                                          name=name, text=text)) from None


def parse_moment(name: str, text: str) -> datetime | None:
    """An ISO date-time (``knownOn``, ``updatedAfter``); without an offset, in NRS's time zone;
    a bare date is the end of that day (nrs.lib.moments)."""
    return moments.known_on(name, text)


def parse_count(name: str, text: str) -> int | None:
    """``firstNObservations``, ``lastNObservations``: a positive integer."""
    if not text:
        return None
    if not text.isdigit() or int(text) < 1:
        raise InputError(name, *bilingual(_("%(name)s must be a positive integer (1, 2, 3…)"),
                                          name=name))
    return int(text)


def parse_dim_at_obs(text: str) -> str:
    dim_at_obs = text or TIME
    if dim_at_obs not in (TIME, ALL_DIMENSIONS):
        raise InputError("dimensionAtObservation",
                         *bilingual(_("dimensionAtObservation must be %(time)s or "
                                      "%(all_dimensions)s"),
                                    time=TIME, all_dimensions=ALL_DIMENSIONS))
    return dim_at_obs


def parse_detail(text: str, dim_at_obs: str) -> str:
    """``detail``: full (default), dataonly, serieskeysonly or nodata. The last two answer
    series without observations, so they need series (dimensionAtObservation=TIME_PERIOD)."""
    detail = text or FULL
    if detail not in DETAILS:
        raise InputError("detail", *bilingual(_("detail must be one of %(values)s"),
                                              values=', '.join(DETAILS)))
    if detail in (SERIES_KEYS_ONLY, NO_DATA) and dim_at_obs != TIME:
        raise InputError("detail", *bilingual(_("detail=%(detail)s answers series: it needs "
                                                "dimensionAtObservation=%(time)s"),
                                              detail=detail, time=TIME))
    return detail


def parse(flow: str, key: str, params: Any, structures: Structures) -> DataQuery:
    """The whole query from the URL's flow and key and its query parameters."""
    found = parse_flow(flow, structures)
    wanted = parse_key(key, structures)
    start_range = parse_period("startPeriod", params.get("startPeriod", ""))
    end_range = parse_period("endPeriod", params.get("endPeriod", ""))
    start, end = start_range[0] if start_range else None, end_range[1] if end_range else None
    if start and end and start > end:
        raise InputError("startPeriod", "startPeriod sau endPeriod", "startPeriod is after endPeriod")
    dim_at_obs = parse_dim_at_obs(params.get("dimensionAtObservation", ""))
    return DataQuery(found, wanted, start, end, parse_moment("knownOn", params.get("knownOn", "")), dim_at_obs,
                     updated_after=parse_moment("updatedAfter", params.get("updatedAfter", "")),
                     detail=parse_detail(params.get("detail", ""), dim_at_obs),
                     first_n=parse_count("firstNObservations", params.get("firstNObservations", "")),
                     last_n=parse_count("lastNObservations", params.get("lastNObservations", "")))


def rows(query: DataQuery, structures: Structures, scope: Q,
         national: NationalAreas | None = None) -> QuerySet[DataValue]:
    """The newest approved vintage (or the one known on ``known_on``) of each value of the
    flow's indicators, for the org units of CL_AREA (ended ones too), within ``scope``. A
    period is selected when it overlaps [startPeriod's first day, endPeriod's last day] (SDMX
    2.1 REST: the data that falls between the calendar dates): it ends on or after the
    first and starts on or before the last. With
    ``updated_after``, only vintages that became exportable after it (``exportable_since``).
    Asked for the national area, the agencies' values too (``national``: they may stand for
    the national figure; messages.observations decides which)."""
    indicators, units = query.wanted[1], query.wanted[2]
    if units:
        pks = structures.area_units(units)
        scope &= Q(org_unit_id__in=national.widen(pks) if national else pks)
    found = queries.values(scope=scope, indicators=sorted(indicators) if indicators else None,
                           known_on=query.known_on)
    found = found.filter(indicator__area=structures.flow_areas[query.flow]).select_related("indicator__unit")
    if query.start is not None:
        found = found.filter(ends_on_or_after(query.start))
    if query.end is not None:
        found = found.filter(period_start__lte=query.end)
    if query.updated_after is not None:
        found = found.alias(exportable=exportable_since()).filter(exportable__gt=query.updated_after)
    return found


def ends_on_or_after(day: date) -> Q:
    """Periods that end on or after ``day``: those that start on or after it, and those that
    contain it (one per kind; stored period ids are ``Period.sdmx``)."""
    containing = [found.sdmx for kind in FREQ_OF_KIND
                  if (found := periods.Period.containing(kind, day)).start <= day <= found.end]
    return Q(period_start__gte=day) | Q(period__in=containing)


def exportable_since() -> Greatest:
    """When a vintage became exportable here: the later of when the value was stored and
    when its version was approved. Through the workflow that is the approval; for history
    loaded in bulk (stamped with its original approval) or a federated batch, the load."""
    return Greatest("created_at", "version__approved_at")
