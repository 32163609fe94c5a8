"""Plausible demo values for the provinces' monthly report, clearly labelled as demo.

Every value is synthetic (flag "estimate", comment "Dữ liệu demo / demo data"):
a per-province scale (a merged province is the sum of its predecessors), a
trend of about 6% a year, a Tết dip in February and a year-end peak, noise,
and the catalogue's rules respected (FDI exports below total exports, …).
Reports go through nrs.collection.bulk, so the same validation applies.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from nrs.collection.bulk import Report
from nrs.collection.models import State
from nrs.collection.validation import Row
from nrs.lib import periods
from nrs.registry.models import REORGANISATION_2025, Indicator, Lineage, OrgUnit, Regime

REGIME = "PROV_KTXH_M"
FIRST = periods.Period.month(2020, 1)
LAST_OLD = periods.Period.month(2025, 6)
HANOI = ZoneInfo("Asia/Ho_Chi_Minh")
BIG_CITIES = {"01": 6.0, "79": 7.0, "31": 2.5, "48": 1.8, "92": 1.5}
# part -> (whole, share), in dependency order (a whole is set before its parts).
PARTS = {"EXPORT_FDI": ("EXPORT_TOTAL", 0.68), "DOSSIER_ONLINE": ("DOSSIER_RECEIVED", 0.55),
         "DOSSIER_RESOLVED": ("DOSSIER_RECEIVED", 0.9),
         "DOSSIER_RESOLVED_ONTIME": ("DOSSIER_RESOLVED", 0.93),
         "POOR_HOUSEHOLDS": ("HOUSEHOLDS_TOTAL", 0.03)}
COMMENT = "Dữ liệu demo / demo data"


def _scale(code: str) -> float:
    rng = random.Random(f"scale-{code}")
    return BIG_CITIES.get(code, 1.0) * math.exp(rng.gauss(0, 0.45))


def provinces() -> list[tuple[OrgUnit, float]]:
    """Every province version with its size; a merged province sums its predecessors."""
    units = list(OrgUnit.objects.filter(level="province").order_by("code", "valid_from"))
    scales = {u.pk: _scale(u.code) for u in units if u.valid_from < REORGANISATION_2025}
    for link in Lineage.objects.filter(successor__level="province").select_related("predecessor"):
        scales[link.successor_id] = scales.get(link.successor_id, 0.0) + scales[link.predecessor_id]
    return [(u, scales[u.pk]) for u in units]


# A month's national total in 2025, which the provinces' synthetic values add up to (the
# calibration): the published annual totals of 2025 over 12 (national_series.csv: retail
# 7,008,900 bn VND, exports 475,060 and imports ~456,000 USD mn, FDI registered 38,420 and
# disbursed 27,620 USD mn, new enterprises ~36,400 in the first quarter), and, with no
# release stored, the order of magnitude of the statistics office's figures (fishery
# ~9.6 million tonnes a year, budget revenue ~2.6 million bn VND a year).
NATIONAL_MONTH_2025 = {
    "RETAIL_SALES": 7_008_900 / 12, "EXPORT_TOTAL": 475_060 / 12, "IMPORT_TOTAL": 456_000 / 12,
    "FDI_REGISTERED": 38_420 / 12, "FDI_DISBURSED": 27_620 / 12, "ENT_NEW": 36_400 / 3,
    "FISHERY_OUTPUT": 800.0, "BUDGET_REVENUE": 2_600_000 / 12,
}


def _calibrated(indicator: Indicator) -> float | None:
    """The per-scale base that makes the 34 provinces' 2025 months add up to the national total."""
    total = NATIONAL_MONTH_2025.get(indicator.code)
    if total is None:
        return None
    return total / (_scale_sum() * 1.06 ** 5.5)


_SCALES: list[float] = []


def _scale_sum() -> float:
    if not _SCALES:
        _SCALES.append(sum(scale for unit, scale in provinces() if unit.valid_to is None))
    return _SCALES[0]


def _base(indicator: Indicator) -> float:
    rng = random.Random(f"base-{indicator.code}")
    calibrated = _calibrated(indicator)
    if calibrated is not None:
        return calibrated
    unit = indicator.unit.code
    if unit == "PCT":
        return rng.uniform(4, 9) if "GROWTH" in indicator.code else rng.uniform(20, 70)
    if unit == "INDEX":
        return rng.uniform(101, 108)
    return 10 ** rng.uniform(2, 4.3)


def _value(indicator: Indicator, scale: float, period: periods.Period, rng: random.Random) -> float:
    base = _base(indicator)
    if indicator.unit.code in ("PCT", "INDEX"):
        return base + rng.gauss(0, base * 0.05)
    years = (period.year - 2020) + (period.index - 1) / 12
    season = {2: 0.85, 12: 1.15}.get(period.index, 1.0) if indicator.time_aggregation == "sum" else 1.0
    return base * scale * (1.06 ** years) * season * rng.uniform(0.93, 1.07)


def _format(indicator: Indicator, value: float) -> str:
    if indicator.value_type == "integer":
        return str(max(0, round(value)))
    return str(Decimal(str(value)).quantize(Decimal(1).scaleb(-indicator.decimals)))


def values_for(indicators: list[Indicator], code: str, scale: float,
               period: periods.Period) -> list[Row]:
    rng = random.Random(f"{code}-{period}")
    raw = {ind.code: _value(ind, scale, period, rng) for ind in indicators}
    for part, (whole, share) in PARTS.items():
        if part in raw and whole in raw:
            raw[part] = raw[whole] * share * rng.uniform(0.95, 1.0)
    return [Row(ref=ind.code, indicator=ind.code, org_unit=code, value=_format(ind, raw[ind.code]),
                flag="estimate", comment=COMMENT) for ind in indicators]


def _status(code: str, period: periods.Period, deadline: date, today: date,
            latest: periods.Period) -> tuple[str, int] | None:
    """(state, days from the deadline it was sent), or None for no report."""
    rng = random.Random(f"status-{code}-{period}")
    if deadline >= today:
        return (State.SUBMITTED, -rng.randint(0, 3)) if rng.random() < 0.3 else None
    roll = rng.random()
    if period.shift(2) >= latest:  # the last periods: a visible mix
        for limit, outcome in ((0.7, (State.APPROVED, -rng.randint(0, 4))),
                               (0.8, (State.APPROVED, rng.randint(1, 6))),
                               (0.85, (State.RETURNED, -1)), (0.9, (State.SUBMITTED, -2))):
            if roll < limit:
                return outcome
        return None
    return (State.APPROVED, rng.randint(1, 5)) if roll < 0.1 else (State.APPROVED, -rng.randint(0, 5))


def reports(today: date, *, skip: frozenset[tuple[str, str]] = frozenset()) -> Iterator[Report]:
    """The demo reports, oldest first. ``skip`` holds (unit code, period) pairs
    left empty for a person to fill in."""
    regime = Regime.objects.get(code=REGIME)
    indicators = list(regime.indicators.filter(formula="").select_related("unit").order_by("code"))
    latest = periods.Period.containing(periods.Kind.MONTH, today)
    for unit, scale in provinces():
        first = max(FIRST, periods.Period.containing(periods.Kind.MONTH, unit.valid_from))
        last = LAST_OLD if unit.valid_to else latest
        period = first
        while period <= last:
            if (unit.code, period.sdmx) not in skip:
                report = _report(regime, unit, scale, period, indicators, today, latest)
                if report is not None:
                    yield report
            period = period.next()


def _report(regime: Regime, unit: OrgUnit, scale: float, period: periods.Period,
            indicators: list[Indicator], today: date, latest: periods.Period) -> Report | None:
    deadline = regime.schedule_for(period).deadline
    status = _status(unit.code, period, deadline, today, latest)
    if status is None:
        return None
    state, offset = status
    now = datetime.now(HANOI)
    sent = min(datetime.combine(deadline + timedelta(days=offset), time(10, 0), HANOI),
               now - timedelta(hours=2))
    approved = min(sent + timedelta(days=2), now - timedelta(hours=1)) if state == State.APPROVED else None
    return Report(regime=regime, unit=unit, period=period, state=state, submitted_at=sent,
                  approved_at=approved, rows=values_for(indicators, unit.code, scale, period),
                  comment="Thiếu thuyết minh số liệu xuất khẩu (demo)" if state == State.RETURNED else "")


POPULATION_REGIME = "PROV_KTXH_Y"
POPULATION_2025 = 101_300.0  # thousand persons, the order of the statistics office's estimate


def _average_province(units: list[tuple[OrgUnit, float]], day: date) -> float:
    """The population factor that makes the provinces of ``day`` (63 before the merger, 34
    after) add up to about 101.3 million in 2025, so no year jumps at the merger."""
    roots = sum(scale ** 0.5 for unit, scale in units if unit.is_valid_on(day))
    return POPULATION_2025 / (roots * 1.009 ** (2025 - FIRST.year))


def population_reports(today: date) -> Iterator[Report]:
    """Each province's average population (POP_AVG, thousand persons) for every
    complete year since 2020, in the annual report, so figures per person can be
    shown. Synthetic like the rest, and merged provinces sum their predecessors."""
    regime = Regime.objects.get(code=POPULATION_REGIME)
    units = provinces()
    averages = {year: _average_province(units, date(year, 12, 31)) for year in range(FIRST.year, today.year)}
    for unit, scale in units:
        for year in range(FIRST.year, today.year):
            period = periods.Period.annual(year)
            if not unit.is_valid_on(period.end):  # old provinces: until 2024; merged ones: from 2025
                continue
            value = averages[year] * scale ** 0.5 * 1.009 ** (year - FIRST.year)
            sent = datetime.combine(date(year + 1, 2, 10), time(10, 0), HANOI)
            yield Report(regime=regime, unit=unit, period=period, state=State.APPROVED, submitted_at=sent,
                         approved_at=sent + timedelta(days=2),
                         rows=[Row(ref="POP_AVG", indicator="POP_AVG", org_unit=unit.code,
                                   value=f"{value:.1f}", flag="estimate", comment=COMMENT)])
