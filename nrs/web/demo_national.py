"""The national statistical series for `nrs demo`: the figures the statistics office
published (nrs/web/data/national_series.csv, sources in NATIONAL_SERIES.md), reported
through its own regimes (CTK_TK_*, TCTK before 2025-03) as it released them, with the
real release dates; and, after the last release the data file holds, labelled estimates.

Only series the provinces' synthetic monthly reports do not carry are loaded this way
(national indicators, IIP growth, labour, the inputs of derived indicators): for the
provinces' sums (retail sales, exports, …) the synthetic values are calibrated to the
published national figures instead (demo_values.NATIONAL_MONTH_2025).
"""

from __future__ import annotations

import csv
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path

from nrs.collection.bulk import Report
from nrs.collection.models import State
from nrs.collection.validation import Row
from nrs.lib import periods
from nrs.registry.models import Indicator, OrgUnit, Regime
from nrs.web.demo_values import HANOI
from nrs.web.demo_values import REGIME as PROVINCES

SERIES = Path(__file__).parent / "data" / "national_series.csv"
FLAGS = {"preliminary": "provisional", "revised": "revised", "estimate": "estimate", "published": ""}
ESTIMATE = ("Ước tính (demo): giữ nguyên số công bố gần nhất kỳ {period} / "
            "estimate (demo): the last published figure, of {period}, carried forward")


@dataclass(frozen=True)
class Release:
    indicator: str
    period: periods.Period
    value: str
    status: str
    released: date
    source: str


def published(today: date) -> list[Release]:
    """The newest release of each indicator and period known by ``today``."""
    newest: dict[tuple[str, str], Release] = {}
    with SERIES.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            released = date.fromisoformat(row["release_date"])
            if released > today:
                continue
            release = Release(row["indicator"], periods.parse_sdmx(row["period"]), row["value"],
                              row["status"], released, row["source"])
            key = (release.indicator, release.period.sdmx)
            if key not in newest or newest[key].released <= released:
                newest[key] = release
    return sorted(newest.values(), key=lambda r: (r.period.start, r.indicator))


def national_indicators() -> dict[str, Indicator]:
    """The series the demo loads as national figures: every reported indicator but those the
    provinces' synthetic reports carry (their national figure is the provinces' total)."""
    provincial = set(Regime.objects.get(code=PROVINCES).indicators.exclude(ou_aggregation="none")
                     .values_list("code", flat=True))  # with no rule over units, only a national report
    found = Indicator.objects.filter(formula="").exclude(code__in=provincial | {"POP_AVG"})
    return {i.code: i for i in found.select_related("unit")}


def _filing(indicator: Indicator, period: periods.Period, regimes: dict[str, Regime],
            units: dict[str, OrgUnit]) -> tuple[Regime, OrgUnit] | None:
    """Where a release is reported: the statistics office's regime of its frequency (TCTK
    before 2025-03, CTK since), else its ministry's sector report of that frequency."""
    freq = period.kind.value
    source = indicator.agency_on(period.end, "source")
    if source is not None:
        code, regime_code = source.code, f"CTK_TK_{freq}"
    else:
        agency = indicator.agency_on(date.today())
        if agency is None:
            return None
        code, regime_code = agency.code, f"{agency.code}_NGANH_{freq}"
    regime, unit = regimes.get(regime_code), units.get(code)
    if regime is None or unit is None or not unit.is_valid_on(period.end):
        return None
    if indicator.code not in regime.form:  # type: ignore[attr-defined]
        return None
    return regime, unit


def reports(today: date) -> Iterator[Report]:
    """One approved report per regime, unit and period, released on its real date; then
    the labelled estimates up to the last complete period of each headline series."""
    wanted = national_indicators()
    regimes = {r.code: r for r in Regime.objects.filter(frequency__gt="").prefetch_related("indicators")}
    for regime in regimes.values():
        regime.form = {i.code for i in regime.indicators.all()}  # type: ignore[attr-defined]
    units = {u.code: u for u in OrgUnit.objects.filter(level="agency")}
    releases = [r for r in published(today) if r.indicator in wanted]
    releases += list(_estimates(releases, wanted, today))
    grouped: dict[tuple[str, str, str], list[Release]] = defaultdict(list)
    for release in releases:
        filed = _filing(wanted[release.indicator], release.period, regimes, units)
        if filed is not None:
            grouped[(filed[0].code, filed[1].code, release.period.sdmx)].append(release)
    for (regime_code, unit_code, _period), items in sorted(grouped.items(),
                                                           key=lambda kv: (kv[1][0].period.start, kv[0])):
        yield _report(regimes[regime_code], units[unit_code], items)


def _report(regime: Regime, unit: OrgUnit, items: list[Release]) -> Report:
    released = max(r.released for r in items)
    at = datetime.combine(released, time(9, 0), HANOI)
    return Report(regime=regime, unit=unit, period=items[0].period, state=State.APPROVED,
                  submitted_at=at, approved_at=at, backfill=True,
                  rows=[Row(ref=r.indicator, indicator=r.indicator, org_unit=unit.code, value=r.value,
                            flag=FLAGS.get(r.status, "estimate"), comment=r.source[:300]) for r in items])


def _estimates(releases: list[Release], wanted: dict[str, Indicator], today: date) -> Iterator[Release]:
    """After a headline series' last release, its last figure carried forward to the last
    complete period, labelled as an estimate (the stored releases end before today)."""
    last: dict[str, Release] = {}
    for release in sorted(releases, key=lambda r: (r.period.kind.value == wanted[r.indicator].frequency,
                                                   r.period.end)):
        last[release.indicator] = release  # the newest of its own frequency, else of any
    for code, release in last.items():
        if not wanted[code].headline:
            continue
        own = periods.Kind(wanted[code].frequency)
        period = periods.Period.containing(own, release.period.end)
        period = period.next() if period.end <= release.period.end else period
        while period.end + timedelta(days=6) < today:
            yield Release(code, period, release.value, "estimate", period.end + timedelta(days=6),
                          ESTIMATE.format(period=release.period.sdmx))
            period = period.next()
