"""The bulk refresh's faster paths give the same cells: the longer periods
added up with running totals, and several months of one year refreshed in one
engine run per group of provinces."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.db import transaction

from nrs.analytics import refresh
from nrs.analytics.models import Cell as StoredCell
from nrs.analytics.rollup import Cell, Engine, Rule, Tree, combine_periods, parse_sdmx, time_parts, time_targets
from nrs.collection import bulk
from nrs.lib.periods import Kind, Period
from nrs.registry.models import Lineage, OrgUnit, Regime
from nrs.web import demo_values
from tests.conftest import current, legacy
from tests.test_analytics import service  # noqa: F401  (a fixture)

REGIME = "PROV_KTXH_M"
T0 = datetime(2026, 1, 1, tzinfo=UTC)
TODAY = date(2026, 11, 20)


def _random_cell(rng: random.Random) -> Cell | None:
    if rng.random() < 0.15:
        return None
    return Cell(Decimal(rng.randint(-5_000, 500_000)) / 1000, rng.randint(1, 4), rng.random() < 0.2)


@pytest.mark.parametrize("how", ["sum", "avg", "last", "none"])
@pytest.mark.parametrize("base", [Kind.MONTH, Kind.QUARTER, Kind.HALF])
def test_running_totals_equal_combine_periods(how: str, base: Kind) -> None:
    """Every longer period, for any changed sub-periods and gaps, is what
    combine_periods gives over its parts."""
    rng = random.Random(f"{how}{base}")
    rule = Rule("X", time=how, base=base.value)
    count = {Kind.MONTH: 12, Kind.QUARTER: 4, Kind.HALF: 2}[base]
    every = [Period(2024, base, i) for i in range(1, count + 1)]
    for _trial in range(150):
        have = {p.sdmx: _random_cell(rng) for p in every}
        known = {("X", unit, sdmx): cell for unit in (1, 2) for sdmx, cell in have.items() if cell is not None}
        engine = Engine({"X": rule}, Tree({}), known)
        changed = {p.sdmx for p in rng.sample(every, rng.randint(1, min(3, count)))}
        engine._over_time(rule, {1, 2}, changed)
        targets = {t for p in changed for t in time_targets(parse_sdmx(p))}
        expected = {("X", unit, t.sdmx): combine_periods(rule, [have[p.sdmx] for p in time_parts(t, base)])
                    for unit in (1, 2) for t in targets} if how != "none" else {}
        assert engine.out == expected


def test_periods_are_batched_by_year_and_kind_in_order() -> None:
    batches = refresh._batches(["2025-03", "2025-Q1", "2024-12", "2025-01", "2025-02", "2026-01"])
    assert [[p.sdmx for p in batch] for batch in batches] == [
        ["2024-12"], ["2025-01"], ["2025-Q1"], ["2025-02", "2025-03"], ["2026-01"]]
    assert refresh._group_size(1) == refresh.GROUP_UNITS
    assert refresh._group_size(12) < refresh._group_size(3) < refresh._group_size(1)


def _cells() -> dict[tuple[str, int, str], tuple[Decimal, int, bool]]:
    return {(c.indicator.code, c.org_unit_id, c.period): (c.value, c.n, c.rebuilt)
            for c in StoredCell.objects.filter(basis="A").select_related("indicator")}


@pytest.mark.django_db
def test_months_of_a_year_together_equal_month_by_month(  # type: ignore[no-untyped-def]
        service, monkeypatch) -> None:  # noqa: F811
    """Five months across the July 2025 merger, in one bulk import: refreshed
    together, month by month, or recomputed from scratch, the cells are the same."""
    regime = Regime.objects.get(code=REGIME)
    indicators = list(regime.indicators.filter(formula="").select_related("unit").order_by("code"))
    merged = Lineage.objects.filter(predecessor=legacy("35")).select_related("successor").first()
    assert merged is not None
    links = Lineage.objects.filter(successor=merged.successor).select_related("predecessor")
    old = [link.predecessor for link in links]
    hanoi = current("01")

    def reports(pairs: list[tuple[OrgUnit, Period]]) -> list[bulk.Report]:
        return [bulk.Report(regime=regime, unit=unit, period=period, submitted_at=T0, approved_at=T0,
                            rows=demo_values.values_for(indicators, unit.code, 1.0, period))
                for unit, period in pairs]

    # A stored year to refresh over: January to March, refreshed on import.
    first = [(unit, Period.month(2025, m)) for m in (1, 2, 3) for unit in [*old, hanoi]]
    assert not bulk.import_reports(reports(first), actor=service, today=TODAY).issues
    # April to August in one import, its refresh held back.
    later = [(unit, Period.month(2025, m)) for m in (4, 5, 6, 7, 8)
             for unit in ([*old, hanoi] if m < 7 else [merged.successor, hanoi])]
    refresh_touched = refresh.refresh_touched
    monkeypatch.setattr(refresh, "refresh_touched", lambda *args, **kwargs: 0)
    result = bulk.import_reports(reports(later), actor=service, today=TODAY)
    monkeypatch.undo()
    assert not result.issues and len(result.touched) == 5

    with transaction.atomic():
        refresh_touched(result.touched, reason="together")
        together = _cells()
        transaction.set_rollback(True)
    for period in sorted(result.touched, key=lambda p: parse_sdmx(p).start):
        refresh_touched({period: result.touched[period]}, reason=f"one month: {period}")
    one_by_one = _cells()

    assert together == one_by_one
    assert together == {key: (c.value, c.n, c.rebuilt) for key, c in refresh.compute().items()}
    assert any(rebuilt for _v, _n, rebuilt in together.values())  # the merger's history is rebuilt
    assert len(together) > 500
