"""Reported and derived figures at several period kinds, the engine's
determinism, and comparisons by indicator kind (issue 17, parts 3 and 4).

Expected values are computed by hand in each test."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from nrs.analytics import refresh
from nrs.analytics.models import Cell as StoredCell
from nrs.analytics.rollup import Cell, Engine, Node, Rule, Tree
from tests.conftest import current, legacy
from tests.test_analytics import api, load, service  # noqa: F401  (service: a fixture)

D = Decimal
OLD = date(1900, 1, 1)
ROOT = Path(__file__).resolve().parent.parent
# 1 nation ─ 2 ministry (a central agency), 3 province ─ 6, 7 communes
TREE = Tree(nodes={1: Node(1, None, 1, OLD), 2: Node(2, 1, 2, OLD, agency=True), 3: Node(3, 1, 2, OLD),
                   6: Node(6, 3, 3, OLD), 7: Node(7, 3, 3, OLD)})
SALES = Rule("SALES")  # a level, summed over units and over time, reported monthly
Key = tuple[str, int, str]


def full(rules: dict[str, Rule], own: dict[Key, Decimal]) -> dict[Key, Cell | None]:
    cells = {key: Cell(value) for key, value in own.items()}
    changed: dict[tuple[str, str], set[int]] = {}
    for code, unit, period in cells:
        changed.setdefault((code, period), set()).add(unit)
    return Engine(rules, TREE, {}).run(cells, changed)


def stored(out: dict[Key, Cell | None]) -> dict[Key, Cell]:
    return {key: cell for key, cell in out.items() if cell is not None}


def value(out: dict[Key, Cell | None], key: Key) -> Decimal | None:
    cell = out.get(key)
    return None if cell is None else cell.value


def months(code: str, unit: int, year: int, values: list[int]) -> dict[Key, Decimal]:
    return {(code, unit, f"{year}-{m:02d}"): D(v) for m, v in enumerate(values, start=1)}


# -- reported and derived ---------------------------------------------------------------

def test_a_reported_year_stands_over_its_months() -> None:
    own = months("SALES", 6, 2025, [10] * 12) | {("SALES", 6, "2025"): D(999)}
    out = full({"SALES": SALES}, own)
    assert value(out, ("SALES", 6, "2025")) == D(999)  # not 12 × 10
    assert value(out, ("SALES", 6, "2025-Q1")) == D(30)  # no reported quarter: derived
    # Approving a month again (a correction) recomputes the year around it, not over it.
    changed = {("SALES", "2025-03"): {6}}
    again = Engine({"SALES": SALES}, TREE, stored(out)).run({("SALES", 6, "2025-03"): Cell(D(40))}, changed)
    assert ("SALES", 6, "2025") not in again  # neither deleted nor overwritten
    assert value(again, ("SALES", 6, "2025-Q1")) == D(60)


def test_a_reported_year_without_months_survives_a_month() -> None:
    """A commune reported its year, then one month: the year is not deleted."""
    year = {("SALES", 6, "2025"): Cell(D(500))}
    before = Engine({"SALES": SALES}, TREE, {}).run(year, {("SALES", "2025"): {6}})
    after = Engine({"SALES": SALES}, TREE, stored(before)).run(
        {("SALES", 6, "2025-01"): Cell(D(7))}, {("SALES", "2025-01"): {6}})
    assert ("SALES", 6, "2025") not in after


def test_cells_say_whether_they_were_reported() -> None:
    own = months("SALES", 6, 2025, [10] * 12) | {("SALES", 6, "2025"): D(999)}
    out = full({"SALES": SALES}, own)
    assert out[("SALES", 6, "2025")] == Cell(D(999))  # reported: derived is False
    assert not out[("SALES", 6, "2025")].derived  # type: ignore[union-attr]
    assert out[("SALES", 6, "2025-Q1")].derived  # type: ignore[union-attr]
    assert out[("SALES", 3, "2025-01")].derived  # type: ignore[union-attr]  # over units
    assert not out[("SALES", 6, "2025-01")].derived  # type: ignore[union-attr]


def test_eleven_months_are_not_a_year() -> None:
    out = full({"SALES": SALES}, months("SALES", 6, 2025, [10] * 11))
    assert value(out, ("SALES", 6, "2025")) is None
    assert value(out, ("SALES", 6, "2025-N1")) == D(90)
    assert value(out, ("SALES", 6, "2025-YTD11")) == D(110)


def test_a_reported_quarter_and_year_stand_and_the_rest_is_derived() -> None:
    own = months("SALES", 6, 2025, list(range(1, 13))) | {("SALES", 6, "2025-Q2"): D(100),
                                                           ("SALES", 6, "2025"): D(80)}
    out = full({"SALES": SALES}, own)
    assert value(out, ("SALES", 6, "2025-Q2")) == D(100)
    assert value(out, ("SALES", 6, "2025")) == D(80)
    assert value(out, ("SALES", 6, "2025-Q1")) == D(6)  # 1 + 2 + 3
    assert value(out, ("SALES", 6, "2025-S1")) == D(21)  # months 1..6, not the reported quarter


def test_a_parent_figure_stands_over_its_childrens_at_every_kind() -> None:
    own = (months("SALES", 6, 2025, [1] * 12) | months("SALES", 7, 2025, [2] * 12)
           | {("SALES", 3, "2025-05"): D(50), ("SALES", 3, "2025"): D(400)})
    out = full({"SALES": SALES}, own)
    assert value(out, ("SALES", 3, "2025-05")) == D(50)  # not 1 + 2
    assert value(out, ("SALES", 3, "2025-04")) == D(3)
    assert value(out, ("SALES", 3, "2025")) == D(400)  # not 12 × 3, nor its months' sum
    assert value(out, ("SALES", 3, "2025-Q2")) == D(3 + 50 + 3)


def test_an_agencys_reported_year_is_the_national_year() -> None:
    own = months("SALES", 2, 2025, [10] * 12) | {("SALES", 2, "2025"): D(125)}
    out = full({"SALES": SALES}, own)
    assert value(out, ("SALES", 1, "2025-01")) == D(10)
    assert value(out, ("SALES", 1, "2025")) == D(125)  # the agency's reported year


def test_children_reported_years_add_up_where_the_parent_has_no_months() -> None:
    own = {("SALES", 6, "2025"): D(70), ("SALES", 7, "2025"): D(30), ("SALES", 6, "2025-01"): D(5)}
    out = full({"SALES": SALES}, own)
    assert value(out, ("SALES", 3, "2025")) == D(100)  # no months of 3 for a year: over units
    assert value(out, ("SALES", 3, "2025-01")) == D(5)


@pytest.mark.parametrize("time", ["sum", "avg"])
def test_growth_rates_are_never_added_up_or_averaged_over_time(time: str) -> None:
    rules = {"G": Rule("G", ou="none", time=time, kind="growth")}
    out = full(rules, months("G", 6, 2025, [7] * 12))
    assert value(out, ("G", 6, "2025")) is None and value(out, ("G", 6, "2025-Q1")) is None


def test_a_reported_growth_rate_stands_at_every_kind() -> None:
    rules = {"G": Rule("G", ou="none", time="none", kind="growth", base="Q")}
    own = {("G", 2, f"2025-Q{q}"): D(q) for q in range(1, 5)} | {("G", 2, "2025"): D("7.09")}
    out = full(rules, own)
    assert value(out, ("G", 2, "2025")) == D("7.09") and value(out, ("G", 2, "2025-Q4")) == D(4)
    assert value(out, ("G", 1, "2025")) == D("7.09")  # the agency's figure is national


def test_an_index_is_averaged_never_summed() -> None:
    avg = {"I": Rule("I", ou="none", time="avg", kind="index")}
    out = full(avg, months("I", 2, 2025, [120, 121, 122] + [123] * 9))
    assert value(out, ("I", 2, "2025-Q1")) == D(121)
    assert value(out, ("I", 2, "2025-YTD02")) == D("120.5")
    assert value(out, ("I", 2, "2025")) == D(1470) / 12  # 122.5
    summed = {"I": Rule("I", ou="none", time="sum", kind="index")}
    assert value(full(summed, months("I", 2, 2025, [120] * 12)), ("I", 2, "2025")) is None


# -- determinism ------------------------------------------------------------------------------

SCRIPT = """
import json
from datetime import date
from decimal import Decimal as D
from nrs.analytics.rollup import Cell, Engine, Node, Rule, Tree
old = date(1900, 1, 1)
tree = Tree({1: Node(1, None, 1, old), 2: Node(2, 1, 2, old), 3: Node(3, 1, 2, old)})
rules = {"S": Rule("S"), "A": Rule("A", time="avg"), "L": Rule("L", time="last"),
         "Q": Rule("Q", base="Q")}
own = {}
for code in ("S", "A", "L"):
    for m in range(1, 13):
        own[(code, 2, f"2025-{m:02d}")] = Cell(D(m))
        own[(code, 3, f"2025-{m:02d}")] = Cell(D(2 * m))
    own[(code, 2, "2025")] = Cell(D(1000))
    own[(code, 3, "2025-Q2")] = Cell(D(77))
    own[(code, 3, "2025-YTD05")] = Cell(D(55))
for q in range(1, 5):
    own[("Q", 2, f"2025-Q{q}")] = Cell(D(q))
own[("Q", 2, "2025")] = Cell(D(11))
changed = {}
for code, unit, period in own:
    changed.setdefault((code, period), set()).add(unit)
out = Engine(rules, tree, {}).run(own, changed)
print(json.dumps(sorted([k[0], k[1], k[2], None if c is None else str(c.value)] for k, c in out.items())))
"""


def test_the_full_computation_is_the_same_under_every_hash_seed() -> None:
    results = set()
    for seed in range(1, 9):
        env = {**os.environ, "PYTHONHASHSEED": str(seed)}
        done = subprocess.run([sys.executable, "-c", SCRIPT], env=env, cwd=ROOT, capture_output=True,
                              text=True, timeout=120)
        assert done.returncode == 0, f"PYTHONHASHSEED={seed}: {done.stderr[-2000:]}"
        results.add(done.stdout)
    assert len(results) == 1
    cells = {(c, u, p): v for c, u, p, v in json.loads(results.pop())}
    assert cells[("S", 2, "2025")] == "1000" and cells[("S", 1, "2025-Q2")] == str(3 * (4 + 5 + 6))
    assert cells[("S", 1, "2025")] == str(78 + 156)  # the nation's months, summed
    assert cells[("S", 3, "2025-YTD05")] == "55" and cells[("Q", 2, "2025-S1")] == "3"


# -- through the real write path ---------------------------------------------------------------

def _stored_cell(code: str, unit_code: str, period: str) -> StoredCell | None:
    return StoredCell.objects.filter(basis="A", indicator__code=code, org_unit=current(unit_code),
                                     period=period).first()


@pytest.mark.django_db
def test_approving_months_keeps_a_reported_year(service) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    hanoi = current("01")
    load(service, hanoi, "2025", {"RETAIL_SALES": "5000"}, regime="PROV_KTXH_Y")
    for month in range(1, 12):
        load(service, hanoi, f"2025-{month:02d}", {"RETAIL_SALES": "100"})
    year = _stored_cell("RETAIL_SALES", "01", "2025")
    assert year is not None and year.value == 5000 and not year.derived  # eleven months delete nothing
    load(service, hanoi, "2025-12", {"RETAIL_SALES": "100"})
    year = _stored_cell("RETAIL_SALES", "01", "2025")
    assert year is not None and year.value == 5000 and not year.derived  # nor do twelve replace it
    quarter = _stored_cell("RETAIL_SALES", "01", "2025-Q4")
    assert quarter is not None and quarter.value == 300 and quarter.derived
    stored = {(c.indicator.code, c.org_unit_id, c.period): (c.value, c.n, c.rebuilt, c.derived)
              for c in StoredCell.objects.filter(basis="A").select_related("indicator")}
    assert stored == {key: (c.value, c.n, c.rebuilt, c.derived) for key, c in refresh.compute().items()}


@pytest.mark.django_db
def test_the_statistics_offices_reported_year_stands(service) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    """TCTK reported January and February 2025, its successor CTK (from March) the
    other months; then CTK its own figure for the year, which stands over the months'."""
    for month in range(1, 13):
        office = legacy("TCTK") if month < 3 else current("CTK")
        load(service, office, f"2025-{month:02d}", {"RETAIL_SALES": "10"}, regime="CTK_TK_M")
    assert _value("RETAIL_SALES", "CTK", "2025") == 120  # two months rebuilt from TCTK's
    load(service, current("CTK"), "2025", {"RETAIL_SALES": "125"}, regime="CTK_TK_Y")
    assert _value("RETAIL_SALES", "CTK", "2025") == 125
    assert _value("RETAIL_SALES", "CTK", "2025-Q4") == 30


def _value(code: str, unit_code: str, period: str) -> Decimal | None:
    found = _stored_cell(code, unit_code, period)
    return None if found is None else found.value


# -- comparisons by indicator kind --------------------------------------------------------------

@pytest.mark.django_db
def test_an_index_changes_in_per_cent_and_is_averaged(service, leader) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    """CPI_INDEX (an index, 2019 = 100) from 120.00 to 123.50 is +2.916667 %, not +3.5 points."""
    months_2025 = {1: "119", 2: "119.5", 3: "120"} | {m: "121" for m in range(4, 13)}
    for month, figure in months_2025.items():
        office = legacy("TCTK") if month < 3 else current("CTK")
        load(service, office, f"2025-{month:02d}", {"CPI_INDEX": figure}, regime="CTK_TK_M")
    load(service, current("CTK"), "2026-02", {"CPI_INDEX": "123"}, regime="CTK_TK_M")
    load(service, current("CTK"), "2026-03", {"CPI_INDEX": "123.50"}, regime="CTK_TK_M")
    answer = api(leader, indicator="CPI_INDEX", orgUnit="CTK", start="2026-03", end="2026-03",
                 compare="yoy,prev,share")
    [row] = answer["rows"]
    assert (row["yoy"], row["yoyUnit"]) == ("2.916667", "%")  # 123.50 / 120.00 − 1
    assert (row["prevChange"], row["prevUnit"]) == ("0.406504", "%")  # 123.50 / 123 − 1
    assert row["sharePct"] is None  # an index is no share of a whole
    assert answer["meta"]["rules"]["CPI_INDEX"]["kind"] == "index"
    assert answer["meta"]["rules"]["CPI_INDEX"]["comparison"]["yoy"] == "pct"
    assert _value("CPI_INDEX", "CTK", "2025") == D("120.625")  # (119 + 119.5 + 120 + 9 × 121) / 12
    assert _value("CPI_INDEX", "CTK", "2025-YTD03") == D("119.5")


@pytest.mark.django_db
def test_a_growth_rate_changes_in_points_also_against_the_plan(service, coordinator,  # type: ignore[no-untyped-def]  # noqa: F811
                                                               leader) -> None:
    from nrs.registry import actions as registry_actions
    from nrs.registry.models import Indicator

    hanoi = current("01")
    load(service, hanoi, "2025-03", {"IIP_GROWTH": "7.5", "RETAIL_SALES": "100"})
    load(service, hanoi, "2026-03", {"IIP_GROWTH": "8.0", "RETAIL_SALES": "110"})
    registry_actions.set_target(Indicator.objects.get(code="IIP_GROWTH"), hanoi, 2026, D("8.5"),
                                actor=coordinator)
    answer = api(leader, indicator="IIP_GROWTH,RETAIL_SALES", orgUnit="01", start="2026-03", end="2026-03",
                 compare="yoy,plan,share")
    rows = {r["indicator"]: r for r in answer["rows"]}
    growth, sales = rows["IIP_GROWTH"], rows["RETAIL_SALES"]
    assert (growth["yoy"], growth["yoyUnit"]) == ("0.5", "pp")
    assert (growth["planGap"], growth["planUnit"], growth["planPct"]) == ("-0.5", "pp", None)
    assert growth["sharePct"] is None
    assert (sales["yoy"], sales["yoyUnit"]) == ("10", "%")
    assert sales["sharePct"] == "100"  # Hà Nội is the whole nation here
    comparison = answer["meta"]["rules"]
    assert comparison["IIP_GROWTH"]["comparison"] == {"yoy": "pp", "prev": "pp", "plan": "pp", "ytd": "value",
                                                      "share": None, "percapita": None}
    assert comparison["RETAIL_SALES"]["comparison"]["yoy"] == "pct"
    assert comparison["RETAIL_SALES"]["comparison"]["share"] == "pct"
