"""The aggregation rules on a small tree, without a database."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from nrs.analytics.rollup import Cell, Engine, Node, Rule, Tree, combine_periods, time_parts
from nrs.lib.periods import Kind, Period

D = Decimal
OLD, NEW = date(1900, 1, 1), date(2025, 7, 1)
# 1 nation ─ 2 ministry, 3 old province A, 4 old province B (until 2025-06), 5 new province (A+B)
#                        3 ─ 6, 7 communes
TREE = Tree(
    nodes={1: Node(1, None, 1, OLD), 2: Node(2, 1, 2, OLD, agency=True), 3: Node(3, 1, 2, OLD),
           4: Node(4, 1, 2, OLD), 5: Node(5, 1, 2, NEW), 6: Node(6, 3, 3, OLD), 7: Node(7, 3, 3, OLD)},
    preds={5: [(3, D(1)), (4, D(1))]}, succs={3: [5], 4: [5]})
RULES = {"SUM": Rule("SUM"), "POP": Rule("POP", time="avg"), "RATE": Rule("RATE", ou="wmean", weight="POP",
                                                                          time="avg"),
         "STOCK": Rule("STOCK", time="last"), "SHARE": Rule("SHARE", ou="none", time="none",
                                                            formula="SUM / POP * 100")}


def run(own: dict[tuple[str, int, str], Decimal]) -> dict[tuple[str, int, str], Cell | None]:
    cells = {k: Cell(v) for k, v in own.items()}
    changed: dict[tuple[str, str], set[int]] = {}
    for code, unit, period in cells:
        changed.setdefault((code, period), set()).add(unit)
    return Engine(RULES, TREE, {}).run(cells, changed)


def value(out: dict, key: tuple[str, int, str]) -> Decimal | None:  # type: ignore[type-arg]
    cell = out.get(key)
    return None if cell is None else cell.value


def test_weighted_mean_and_rebuilt_rates() -> None:
    out = run({("POP", 3, "2024"): D(100), ("POP", 4, "2024"): D(300),
               ("RATE", 3, "2024"): D(10), ("RATE", 4, "2024"): D(2)})
    assert value(out, ("RATE", 1, "2024")) == D(4)  # (10×100 + 2×300) / 400
    rebuilt = out[("RATE", 5, "2024")]
    assert rebuilt is not None and rebuilt.value == D(4) and rebuilt.rebuilt
    # Without every weight, no rate: never a silently unweighted mean.
    out = run({("POP", 3, "2024"): D(100), ("RATE", 3, "2024"): D(10), ("RATE", 4, "2024"): D(2)})
    assert value(out, ("RATE", 1, "2024")) is None


def test_a_ministry_figure_is_the_national_figure() -> None:
    out = run({("SUM", 2, "2026-01"): D(500), ("SUM", 6, "2026-01"): D(7)})
    assert value(out, ("SUM", 1, "2026-01")) == D(500)
    assert value(out, ("SUM", 3, "2026-01")) == D(7)


def test_time_rules() -> None:
    own = {("STOCK", 3, f"2025-{m:02d}"): D(m) for m in range(1, 13)}
    own |= {("POP", 3, f"2025-{m:02d}"): D(10 * m) for m in range(1, 13)}
    out = run(own)
    assert value(out, ("STOCK", 3, "2025")) == D(12) and value(out, ("STOCK", 3, "2025-Q2")) == D(6)
    assert value(out, ("POP", 3, "2025-Q1")) == D(20)
    assert value(out, ("POP", 3, "2025-YTD02")) == D(15)
    assert time_parts(Period.ytd(2025, 5), Kind.QUARTER) == []  # no YTD05 from quarters
    assert combine_periods(RULES["SUM"], [Cell(D(1)), None]) is None


def test_formulas_use_the_aggregates() -> None:
    out = run({("SUM", 6, "2024"): D(30), ("SUM", 7, "2024"): D(20), ("POP", 6, "2024"): D(100),
               ("POP", 7, "2024"): D(400)})
    assert value(out, ("SHARE", 3, "2024")) == D(10)  # 50 / 500, not the mean of 30 % and 5 %


@given(st.lists(st.integers(min_value=-10**9, max_value=10**9), min_size=2, max_size=2),
       st.integers(min_value=0, max_value=10**9))
def test_a_parent_is_the_sum_of_its_children(communes: list[int], other: int) -> None:
    out = run({("SUM", 6, "2026-03"): D(communes[0]), ("SUM", 7, "2026-03"): D(communes[1]),
               ("SUM", 4, "2024-03"): D(other)})
    assert value(out, ("SUM", 3, "2026-03")) == sum(communes)
    assert value(out, ("SUM", 1, "2026-03")) == sum(communes)
    assert value(out, ("SUM", 5, "2024-03")) is None  # A did not report in 2024-03: no partial rebuild
