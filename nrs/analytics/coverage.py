"""Coverage: how many of the units expected to report a figure did ("n of N").

A national figure of a provincial indicator is computed over the provinces: it is
complete when at least the completeness threshold (NRS_COMPLETENESS, 90 % by
default) of the provinces that existed in the period reported it: 63 before
2025-07-01, 34 after. Where the indicator's national source (the statistics office,
or the responsible ministry) reported the national figure itself, that figure stands
and is complete. A unit's own figure is complete when it is there.

Pages default to the newest complete period, and mark partial figures, so that a
national total from the first few provinces never reads as a collapse.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.utils import timezone

from nrs.analytics.queries import Reader, units_at
from nrs.lib.periods import Period
from nrs.registry.models import REORGANISATION_2025, Indicator, Level, OrgUnit, Responsibility


@dataclass(frozen=True)
class Coverage:
    reported: int
    expected: int
    source: OrgUnit | None = None  # the agency whose own national figure stands
    national: bool = False  # a national figure reported (or computed from figures reported) nationally

    @property
    def ratio(self) -> Decimal | None:
        return None if not self.expected else Decimal(self.reported) / Decimal(self.expected)

    @property
    def complete(self) -> bool:
        if self.source is not None or self.national:
            return True
        return bool(self.expected) and self.reported >= threshold() * self.expected

    @property
    def label(self) -> str:
        """"34/34"; the source's short name where its own figure stands."""
        if self.source is not None:
            return self.source.name
        return f"{self.reported}/{self.expected}"


def threshold() -> float:
    return float(getattr(settings, "NRS_COMPLETENESS", 0.9))


def _over_units(indicator: Indicator, unit: OrgUnit) -> bool:
    """Is ``unit``'s figure computed over provinces (the national total of a provincial
    indicator)? Other figures are their unit's own."""
    return unit.level == Level.NATIONAL and indicator.level != Level.NATIONAL


def sources_of(indicator: Indicator, on: date) -> list[OrgUnit]:
    """The agencies whose figure is the national figure on a day: the national source,
    else the responsible agency (one query, cached on the indicator object)."""
    cached: list[Responsibility] | None = getattr(indicator, "_nrs_sources", None)
    if cached is None:
        cached = list(Responsibility.objects.filter(indicator=indicator).select_related("agency")
                      .order_by("-role", "valid_from"))  # "source" before "responsible"
        indicator._nrs_sources = cached  # type: ignore[attr-defined]
    return [r.agency for r in cached
            if r.valid_from <= on and (r.valid_to is None or on <= r.valid_to)]


class Census:
    """Coverage of many figures of one unit, with one read of the cells per indicator
    and kind of unit set (provinces before and after the reorganisation)."""

    def __init__(self, reader: Reader, unit: OrgUnit) -> None:
        self.reader, self.unit = reader, unit
        self._provinces: dict[date, list[OrgUnit]] = {}

    def provinces_on(self, day: date) -> list[OrgUnit]:
        key = min(day, timezone.localdate())
        found = next((units for on, units in self._provinces.items() if _same_set(on, key)), None)
        if found is None:
            found = units_at(self.unit, Level.PROVINCE, on=key)
            self._provinces[key] = found
        return found

    def of(self, indicator: Indicator, periods: Iterable[Period]) -> dict[str, Coverage]:
        """Coverage of ``unit``'s figure for each period (by SDMX id)."""
        periods = list(periods)
        if not periods:
            return {}
        if self.unit.level != Level.NATIONAL:
            cells = self.reader.cells([indicator.code], [self.unit.pk], periods=[p.sdmx for p in periods])
            return {p.sdmx: Coverage(int((indicator.code, self.unit.pk, p.sdmx) in cells), 1) for p in periods}
        out: dict[str, Coverage] = {}
        for group in _by_unit_set(periods):
            provinces = self.provinces_on(group[0].end) if _over_units(indicator, self.unit) else []
            agencies = {a.pk: a for p in group for a in sources_of(indicator, p.end)}
            cells = self.reader.cells([indicator.code], [self.unit.pk, *(u.pk for u in provinces), *agencies],
                                      periods=[p.sdmx for p in group])
            for period in group:
                out[period.sdmx] = _national(indicator, self.unit, period, provinces, cells)
        return out


def _national(indicator: Indicator, root: OrgUnit, period: Period, provinces: list[OrgUnit],
              cells: Mapping[tuple[str, int, str], object]) -> Coverage:
    """The national figure's coverage: its source's own figure; else n of the provinces;
    else, with no province behind it, a figure reported (or computed from figures reported)
    at the national level."""
    code, sdmx = indicator.code, period.sdmx
    source = next((a for a in sources_of(indicator, period.end) if (code, a.pk, sdmx) in cells), None)
    reported = sum((code, u.pk, sdmx) in cells for u in provinces)
    if source is None and not reported and (code, root.pk, sdmx) in cells:
        return Coverage(1, 1, national=True)
    return Coverage(reported, len(provinces), source)


def _same_set(a: date, b: date) -> bool:
    """Two days with the same provinces (both before or both after the reorganisation)."""
    return (a < REORGANISATION_2025) == (b < REORGANISATION_2025)


def _by_unit_set(periods: list[Period]) -> list[list[Period]]:
    groups: list[list[Period]] = []
    for period in sorted(periods, key=lambda p: p.end):
        if groups and _same_set(groups[-1][0].end, period.end):
            groups[-1].append(period)
        else:
            groups.append([period])
    return groups


def latest_complete(census: Census, indicator: Indicator, candidates: Iterable[Period],
                    look_back: int = 13) -> tuple[Period | None, Coverage | None]:
    """The newest of ``candidates`` (periods with a figure) whose figure is complete,
    looking back at most ``look_back`` periods; else the newest, marked partial."""
    newest = sorted(candidates, key=lambda p: p.start, reverse=True)[:look_back]
    if not newest:
        return None, None
    found = census.of(indicator, newest)
    for period in newest:
        if found[period.sdmx].complete:
            return period, found[period.sdmx]
    return newest[0], found[newest[0].sdmx]
