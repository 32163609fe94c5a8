"""Reading figures for dashboards and the analytics API.

Every figure comes from the aggregate store (current approved cells, or the
preview over them). "As known on D" recomputes the same cells from the
vintages approved by D, with the same engine. Comparisons (against last year,
the previous period, the plan, the parent unit, the population) are computed
here from cells, never from raw values.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db.models import Q

from nrs.analytics import refresh
from nrs.analytics.models import Basis
from nrs.analytics.models import Cell as CellRow
from nrs.analytics.rollup import Cell, Key, parse_sdmx, quantize
from nrs.lib.periods import Kind, Period
from nrs.registry.models import REORGANISATION_2025, Indicator, Level, OrgUnit, Target

POPULATION = "POP_AVG"  # thousand persons
POINT_KINDS = frozenset({"rate", "growth"})  # IndicatorKind values compared in percentage points
COMPARISONS = ("yoy", "prev", "ytd", "share", "percapita", "plan")


class Reader:
    """Cells on one basis, now or as known on a date (memoised per request)."""

    def __init__(self, basis: str = Basis.APPROVED, known_on: datetime | None = None) -> None:
        self.basis = basis
        self.known_on = known_on
        self._computed: dict[Key, Cell] | None = None
        self._codes: set[str] = set()
        self.cache: dict[Key, Cell | None] = {}
        self.covered: list[tuple[set[str], set[int], date]] = []  # prefetched: a miss there is None
        self.targets: dict[tuple[int, int], dict[int, Decimal]] = {}
        self._index: dict[tuple[str, int], dict[str, Cell]] = {}

    @property
    def source(self) -> str:
        return "vintages" if self.known_on else "aggregates"

    def cells(self, codes: Iterable[str], units: Iterable[int], *, kind: str | None = None,
              periods: Iterable[str] | None = None, start: date | None = None,
              end: date | None = None) -> dict[Key, Cell]:
        codes, units = set(codes), set(units)
        periods = set(periods) if periods is not None else None
        if self.known_on is not None:
            found = self._from_vintages(codes, units, kind, periods, start, end)
        else:
            found = self._from_store(codes, units, kind, periods, start, end)
        for (code, unit, period), cell in found.items():
            if (code, unit, period) not in self.cache:
                self._index.setdefault((code, unit), {})[period] = cell
        self.cache.update(found)
        return found

    def prefetch(self, codes: Iterable[str], units: Iterable[int], since: date) -> dict[Key, Cell]:
        """Every cell of ``codes`` × ``units`` from ``since`` on, in one query."""
        codes, units = set(codes), set(units)
        found = self.cells(codes, units, start=since)
        self.covered.append((codes, units, since))
        return found

    def prefetched(self, code: str, unit: int, kind: str, start: date | None,
                   end: date | None) -> dict[Key, Cell] | None:
        """``code`` × ``unit`` cells of ``kind`` in [start, end] from what prefetch
        read, or None when prefetch did not cover them (one query per page, not per unit)."""
        since = start or date(1900, 1, 1)
        if not any(code in c and unit in u and since >= s for c, u, s in self.covered):
            return None
        return {(code, unit, period): cell for period, cell in self._index.get((code, unit), {}).items()
                if (parsed := parse_sdmx(period)).kind.value == kind and parsed.start >= since
                and (end is None or parsed.start <= end)}

    def series_index(self) -> dict[tuple[str, int], dict[str, Cell]]:
        """The cells read so far, by indicator and unit."""
        return self._index

    def get(self, code: str, unit: int, period: str) -> Cell | None:
        key = (code, unit, period)
        if key not in self.cache and any(code in c and unit in u and parse_sdmx(period).start >= s
                                         for c, u, s in self.covered):
            return None
        if key not in self.cache:
            self.cache[key] = self.cells([code], [unit], periods=[period]).get(key)
        return self.cache[key]

    def _from_store(self, codes: set[str], units: set[int], kind: str | None, periods: set[str] | None,
                    start: date | None, end: date | None) -> dict[Key, Cell]:
        bases = [Basis.APPROVED] + ([Basis.PREVIEW] if self.basis == Basis.PREVIEW else [])
        names = dict(Indicator.objects.filter(code__in=codes).values_list("pk", "code"))
        rows = CellRow.objects.filter(basis__in=bases, indicator_id__in=list(names), org_unit_id__in=units)
        if kind:
            rows = rows.filter(kind=kind)
        if periods is not None:
            rows = rows.filter(period__in=periods)
        if start:
            rows = rows.filter(period_start__gte=start)
        if end:
            rows = rows.filter(period_start__lte=end)
        found: dict[Key, Cell] = {}
        for _b, pk, unit, period, value, n, rebuilt, derived in rows.order_by("basis").values_list(
                "basis", "indicator_id", "org_unit_id", "period", "value", "n", "rebuilt", "derived"):
            found[(names[pk], unit, period)] = Cell(value, n, rebuilt, derived)
        return found

    def _from_vintages(self, codes: set[str], units: set[int], kind: str | None, periods: set[str] | None,
                       start: date | None, end: date | None) -> dict[Key, Cell]:
        if self._computed is None or not codes <= self._codes:
            self._codes |= codes
            self._computed = refresh.compute(indicators=self._codes, known_on=self.known_on)
        found = {}
        for (code, unit, period), cell in self._computed.items():
            if code not in codes or unit not in units or (periods is not None and period not in periods):
                continue
            parsed = parse_sdmx(period)
            if (kind and parsed.kind.value != kind) or (start and parsed.start < start) or (
                    end and parsed.start > end):
                continue
            found[(code, unit, period)] = cell
        return found


# -- comparisons ------------------------------------------------------------------------

def is_rate(indicator: Indicator) -> bool:
    """Rates and growth rates change in percentage points; levels and indices in per cent."""
    return indicator.kind in POINT_KINDS


def change_unit(indicator: Indicator) -> str:
    """How a change of ``indicator`` is expressed: "pp" (points) or "pct" (per cent)."""
    return "pp" if is_rate(indicator) else "pct"


def is_additive(indicator: Indicator) -> bool:
    """A level that sums over units: only its figures are shares of a whole or per person."""
    return indicator.kind == "level" and indicator.ou_aggregation == "sum"


def comparisons(indicator: Indicator) -> dict[str, str | None]:
    """Which arithmetic each comparison applies to ``indicator`` (the API's meta)."""
    unit = change_unit(indicator)
    return {"yoy": unit, "prev": unit, "plan": unit, "ytd": "value",
            "share": "pct" if is_additive(indicator) else None,
            "percapita": "value" if is_additive(indicator) else None}


def change(indicator: Indicator, now: Cell | None, then: Cell | None) -> Decimal | None:
    """Change from ``then`` to ``now``: in points for rates and growth rates, in per
    cent for levels and indices (120.00 to 123.50 is +2.916667 %)."""
    if now is None or then is None:
        return None
    if is_rate(indicator):
        return quantize(now.value - then.value)
    if then.value == 0:
        return None
    return quantize((now.value / then.value - 1) * 100)


def ytd_period(period: Period) -> Period | None:
    if period.kind in (Kind.MONTH, Kind.QUARTER, Kind.HALF, Kind.NINE_MONTHS, Kind.YEAR):
        return Period.ytd(period.year, period.last_month)
    return period if period.kind is Kind.YTD else None


def plan(indicator: Indicator, unit: OrgUnit, year: int, reader: Reader | None = None) -> Decimal | None:
    """The current annual target (memoised on the reader: one query per indicator and unit)."""
    cache = reader.targets if reader is not None else {}
    if (indicator.pk, unit.pk) not in cache:
        found: dict[int, Decimal] = {}
        for target_year, value in (Target.objects.filter(indicator=indicator, org_unit=unit)
                                   .order_by("year", "version").values_list("year", "value")):
            found[target_year] = value  # the highest version wins
        cache[(indicator.pk, unit.pk)] = found
    return cache[(indicator.pk, unit.pk)].get(year)


def plan_progress(indicator: Indicator, unit: OrgUnit, period: Period, reader: Reader) -> dict[str, Any]:
    """Against the annual plan: levels and indices as % of it (the year-to-date
    total for levels that add up over time, else the period's value); rates and
    growth rates as the difference from it in points (``planGap``)."""
    target = plan(indicator, unit, period.year, reader)
    if is_rate(indicator):
        cell = reader.get(indicator.code, unit.pk, period.sdmx) if target is not None else None
        gap = None if cell is None or target is None else quantize(cell.value - target)
        return {"plan": target, "planPct": None, "planGap": gap, "planUnit": "pp"}
    if target is None or target == 0:
        return {"plan": target, "planPct": None, "planUnit": "pct"}
    summed = indicator.kind == "level" and indicator.time_aggregation == "sum"
    basis = ytd_period(period) if summed else period
    cell = reader.get(indicator.code, unit.pk, basis.sdmx) if basis else None
    pct = None if cell is None else quantize(cell.value / target * 100)
    return {"plan": target, "planPct": pct, "planUnit": "pct"}


def compare(indicator: Indicator, unit: OrgUnit, period: Period, cell: Cell | None, reader: Reader,
            wanted: Iterable[str]) -> dict[str, Any]:
    """The comparisons asked for, for one figure."""
    out: dict[str, Any] = {}
    code = indicator.code
    for name in wanted:
        if name == "yoy":
            last = reader.get(code, unit.pk, period.same_period_last_year().sdmx)
            out |= {"lastYear": _num(last), "yoy": change(indicator, cell, last),
                    "yoyUnit": "pp" if is_rate(indicator) else "%"}
        elif name == "prev":
            before = reader.get(code, unit.pk, period.previous().sdmx)
            out |= {"previous": _num(before), "prevChange": change(indicator, cell, before),
                    "prevUnit": "pp" if is_rate(indicator) else "%"}
        elif name == "ytd":
            ytd = ytd_period(period)
            out["ytd"] = _num(reader.get(code, unit.pk, ytd.sdmx)) if ytd else None
        elif name == "share":
            parent = unit.parent_id
            whole = reader.get(code, parent, period.sdmx) if parent else None
            out["sharePct"] = (quantize(cell.value / whole.value * 100)
                               if cell and whole and whole.value and is_additive(indicator) else None)
        elif name == "percapita":
            pop = (reader.get(POPULATION, unit.pk, str(period.year))
                   or reader.get(POPULATION, unit.pk, str(period.year - 1)))
            out["perCapita"] = (quantize(cell.value / (pop.value * 1000))
                                if cell and pop and pop.value and is_additive(indicator) else None)
        elif name == "plan":
            out |= plan_progress(indicator, unit, period, reader)
    return out


def _num(cell: Cell | None) -> Decimal | None:
    return None if cell is None else cell.value


# -- the questions dashboards ask --------------------------------------------------------

@dataclass
class Point:
    indicator: Indicator
    unit: OrgUnit
    period: Period
    cell: Cell | None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def value(self) -> Decimal | None:
        return None if self.cell is None else self.cell.value


def units_at(unit: OrgUnit, level: str | None, *, on: date | None = None, scope: Q | None = None) -> list[OrgUnit]:
    """``unit`` itself, or its descendants at ``level``: current ones (their history
    rebuilt through the lineage), or those that existed ``on`` a date."""
    if not level:
        return [unit]
    found = OrgUnit.objects.subtree(unit).filter(level=level).exclude(pk=unit.pk)
    found = found.valid_on(on) if on else found.current()
    if scope is not None:
        found = found.filter(scope)
    return list(found.order_by("code"))


def series(indicator: Indicator, unit: OrgUnit, kind: str, reader: Reader, *, start: Period | None = None,
           end: Period | None = None, compare_with: Iterable[str] = ()) -> list[Point]:
    """One unit's figures for every period of ``kind`` in the range, oldest first."""
    first, last = (start.start if start else None), (end.start if end else None)
    cells = reader.prefetched(indicator.code, unit.pk, kind, first, last)
    if cells is None:
        cells = reader.cells([indicator.code], [unit.pk], kind=kind, start=first, end=last)
    points = []
    for (_c, _u, period), cell in sorted(cells.items(), key=lambda item: parse_sdmx(item[0][2]).start):
        parsed = parse_sdmx(period)
        points.append(Point(indicator, unit, parsed, cell,
                            compare(indicator, unit, parsed, cell, reader, compare_with)))
    return points


def slice_(indicator: Indicator, units: list[OrgUnit], period: Period, reader: Reader,
           compare_with: Iterable[str] = ()) -> list[Point]:
    """Several units' figures for one period (a map, a ranking)."""
    cells = reader.cells([indicator.code], [u.pk for u in units], periods=[period.sdmx])
    return [Point(indicator, u, period, cells.get((indicator.code, u.pk, period.sdmx)),
                  compare(indicator, u, period, cells.get((indicator.code, u.pk, period.sdmx)), reader,
                          compare_with)) for u in units]


def latest_period(indicator: Indicator, unit: OrgUnit, reader: Reader, kind: str | None = None) -> Period | None:
    """The newest period of the indicator's own frequency with a figure for ``unit``."""
    kind = kind or indicator.frequency
    if reader.known_on is None:
        bases = [Basis.APPROVED] + ([Basis.PREVIEW] if reader.basis == Basis.PREVIEW else [])
        period = (CellRow.objects.filter(basis__in=bases, indicator=indicator, org_unit=unit, kind=kind)
                  .order_by("-period_start").values_list("period", flat=True).first())
        return parse_sdmx(period) if period else None
    cells = reader.cells([indicator.code], [unit.pk], kind=kind)
    return max((parse_sdmx(p) for _c, _u, p in cells), default=None, key=lambda p: p.start)


def merged_provinces() -> set[int]:
    """Current provinces formed in the 2025 reorganisation (their history is rebuilt)."""
    return set(OrgUnit.objects.filter(level=Level.PROVINCE, valid_from=REORGANISATION_2025)
               .values_list("pk", flat=True))


def freshness() -> dict[str, Any]:
    latest = refresh.latest()
    return {"refreshId": latest.pk if latest else 0,
            "refreshedAt": latest.at.isoformat() if latest else None,
            "reason": latest.reason if latest else ""}
