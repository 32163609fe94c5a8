"""Hypothesis properties of the pure aggregation engine (nrs/analytics/rollup.py)
and of period arithmetic (nrs/lib/periods.py), over random org-unit trees,
random values and random lineages."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nrs.analytics.rollup import Cell, Engine, Node, Rule, Tree, quantize
from nrs.lib import periods
from nrs.lib.periods import Kind, Period, PeriodError

pytestmark = pytest.mark.engine_independent  # pure functions, no database
MONTH = "2026-03"
BEFORE = date(2000, 1, 1)
REORGANISED = date(2025, 7, 1)  # the 2025 reorganisation: new units from this day

# Values with at most two decimals and shares in hundredths keep every product
# within the engine's six decimal places, so the properties hold exactly.
values = st.decimals(min_value=Decimal("-1000000"), max_value=Decimal("1000000"), places=2,
                     allow_nan=False, allow_infinity=False)
weights = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("100000"), places=2,
                      allow_nan=False, allow_infinity=False)


@st.composite
def trees(draw: st.DrawFn, max_size: int = 40) -> Tree:
    """A random rooted tree: unit i's parent is one of the units before it."""
    size = draw(st.integers(2, max_size))
    parents: dict[int, int | None] = {0: None}
    depth = {0: 0}
    for unit in range(1, size):
        parents[unit] = draw(st.integers(0, unit - 1))
        depth[unit] = depth[parents[unit]] + 1  # type: ignore[index]
    return Tree({u: Node(u, parents[u], depth[u], BEFORE) for u in parents})


def children(tree: Tree) -> dict[int, list[int]]:
    found: dict[int, list[int]] = defaultdict(list)
    for node in tree.nodes.values():
        if node.parent is not None:
            found[node.parent].append(node.id)
    return found


def leaves(tree: Tree) -> list[int]:
    kids = children(tree)
    return sorted(u for u in tree.nodes if u not in kids)


def subtree_leaves(tree: Tree, unit: int) -> list[int]:
    kids = children(tree)
    if unit not in kids:
        return [unit]
    return [leaf for child in kids[unit] for leaf in subtree_leaves(tree, child)]


def run(rules: dict[str, Rule], tree: Tree, own: dict[tuple[str, int, str], Cell]) -> dict:  # type: ignore[type-arg]
    changed: dict[tuple[str, str], set[int]] = defaultdict(set)
    for code, unit, period in own:
        changed[(code, period)].add(unit)
    return Engine(rules, tree, {}).run(own, changed)


# -- (a) over org units -------------------------------------------------------------

@settings(max_examples=60, deadline=None)
@given(data=st.data(), tree=trees())
def test_sum_rule_parent_is_the_sum_of_its_children_at_every_level(data: st.DataObject,
                                                                   tree: Tree) -> None:
    own = {("X", leaf, MONTH): Cell(data.draw(values)) for leaf in leaves(tree)}
    out = run({"X": Rule("X", ou="sum")}, tree, own)
    for parent, kids in children(tree).items():
        assert out[("X", parent, MONTH)] is not None
        assert out[("X", parent, MONTH)].value == sum(
            (out[("X", kid, MONTH)].value for kid in kids), Decimal(0))
        # ...and the sum over the whole subtree's reported values, at every level
        below = subtree_leaves(tree, parent)
        assert out[("X", parent, MONTH)].value == sum((own[("X", u, MONTH)].value for u in below),
                                                      Decimal(0))
        assert out[("X", parent, MONTH)].n == len(below)
    grand = sum((cell.value for cell in own.values()), Decimal(0))
    assert out[("X", 0, MONTH)].value == grand


@settings(max_examples=60, deadline=None)
@given(data=st.data(), tree=trees())
def test_weighted_mean_is_sum_of_w_times_x_over_sum_of_w(data: st.DataObject, tree: Tree) -> None:
    rules = {"W": Rule("W", ou="sum"), "X": Rule("X", ou="wmean", weight="W")}
    own: dict[tuple[str, int, str], Cell] = {}
    for leaf in leaves(tree):
        own[("W", leaf, MONTH)] = Cell(data.draw(weights))
        own[("X", leaf, MONTH)] = Cell(data.draw(values))
    out = run(rules, tree, own)
    for parent, kids in children(tree).items():
        w = {kid: out[("W", kid, MONTH)].value for kid in kids}
        x = {kid: out[("X", kid, MONTH)].value for kid in kids}
        expected = quantize(sum((w[k] * x[k] for k in kids), Decimal(0)) / sum(w.values()))
        assert out[("X", parent, MONTH)].value == expected
        # the weights themselves add up
        assert out[("W", parent, MONTH)].value == sum(w.values())
    # A parent of leaves only: exactly the weighted mean of the reported values.
    kids_of = children(tree)
    for parent, kids in kids_of.items():
        if all(k not in kids_of for k in kids):
            num = sum((own[("W", k, MONTH)].value * own[("X", k, MONTH)].value for k in kids),
                      Decimal(0))
            den = sum((own[("W", k, MONTH)].value for k in kids), Decimal(0))
            assert out[("X", parent, MONTH)].value == quantize(num / den)


@settings(max_examples=40, deadline=None)
@given(data=st.data(), tree=trees(max_size=15))
def test_a_units_own_value_stands_over_its_childrens(data: st.DataObject, tree: Tree) -> None:
    own = {("X", leaf, MONTH): Cell(data.draw(values)) for leaf in leaves(tree)}
    own[("X", 0, MONTH)] = Cell(Decimal("12345.67"))  # the root reported its own figure
    out = run({"X": Rule("X", ou="sum")}, tree, own)
    assert out[("X", 0, MONTH)].value == Decimal("12345.67")


# -- (b) lineage -------------------------------------------------------------------------

@st.composite
def lineages(draw: st.DrawFn) -> tuple[Tree, dict[int, Decimal], set[int]]:
    """Old units 1..k under root 0 (until the reorganisation), new units after it.
    Each old unit is split into one or more new units by shares in hundredths
    that sum to exactly 1; some new units are exactly one whole old unit.
    Returns the tree, the old units' values, and the 'whole' new units."""
    old = list(range(1, draw(st.integers(1, 12)) + 1))
    nodes = {0: Node(0, None, 0, BEFORE)}
    nodes.update({u: Node(u, 0, 1, BEFORE) for u in old})
    preds: dict[int, list[tuple[int, Decimal]]] = defaultdict(list)
    succs: dict[int, list[int]] = defaultdict(list)
    next_id = 100
    whole: set[int] = set()
    merge_pool: list[int] = []  # new units that may receive parts of several old units
    for unit in old:
        if draw(st.booleans()):  # kept whole, under a new code
            nodes[next_id] = Node(next_id, 0, 1, REORGANISED)
            preds[next_id].append((unit, Decimal(1)))
            succs[unit].append(next_id)
            whole.add(next_id)
            next_id += 1
            continue
        parts = draw(st.integers(1, 4))
        cuts = sorted(draw(st.lists(st.integers(1, 99), min_size=parts - 1, max_size=parts - 1,
                                    unique=True)))
        shares = [Decimal(b - a) / 100 for a, b in zip([0, *cuts], [*cuts, 100], strict=True)]
        for share in shares:
            if merge_pool and draw(st.booleans()):
                target = draw(st.sampled_from(merge_pool))
            else:
                target = next_id
                nodes[target] = Node(target, 0, 1, REORGANISED)
                merge_pool.append(target)
                next_id += 1
            if any(p == unit for p, _s in preds[target]):  # one link per pair
                preds[target] = [(p, s + share if p == unit else s) for p, s in preds[target]]
            else:
                preds[target].append((unit, share))
                succs[unit].append(target)
    tree = Tree(nodes, dict(preds), dict(succs))
    amounts = {unit: draw(values) for unit in old}
    return tree, amounts, whole


@settings(max_examples=80, deadline=None)
@given(lineages())
def test_rebuilding_onto_new_units_preserves_the_grand_total(case: tuple) -> None:  # type: ignore[type-arg]
    tree, amounts, whole = case
    period = "2025-03"  # before the new units existed
    own = {("X", unit, period): Cell(value) for unit, value in amounts.items()}
    out = run({"X": Rule("X", ou="sum")}, tree, own)
    new_units = [u for u, node in tree.nodes.items() if node.valid_from == REORGANISED]
    rebuilt = {u: out[("X", u, period)] for u in new_units}
    assert all(cell is not None and cell.rebuilt for cell in rebuilt.values())
    grand = sum(amounts.values(), Decimal(0))
    assert sum((cell.value for cell in rebuilt.values()), Decimal(0)) == grand
    assert out[("X", 0, period)].value == grand
    for unit in whole:  # one whole old unit: exactly its value
        [(pred, share)] = tree.preds[unit]
        assert share == 1
        assert rebuilt[unit].value == amounts[pred]


@settings(max_examples=40, deadline=None)
@given(lineages())
def test_a_missing_predecessor_gives_no_partial_rebuilt_value(case: tuple) -> None:  # type: ignore[type-arg]
    tree, amounts, _whole = case
    period = "2025-03"
    missing = min(amounts)
    own = {("X", unit, period): Cell(value) for unit, value in amounts.items() if unit != missing}
    out = run({"X": Rule("X", ou="sum")}, tree, own)
    for successor in tree.succs.get(missing, []):
        assert out.get(("X", successor, period)) is None


# -- (c) periods -------------------------------------------------------------------------

COUNT = {Kind.MONTH: 12, Kind.QUARTER: 4, Kind.HALF: 2, Kind.NINE_MONTHS: 1, Kind.YEAR: 1,
         Kind.YTD: 12}


@st.composite
def any_period(draw: st.DrawFn) -> Period:
    kind = draw(st.sampled_from(list(Kind)))
    return Period(draw(st.integers(2000, 2100)), kind, draw(st.integers(1, COUNT[kind])))


@given(any_period())
def test_parse_of_every_rendering_is_the_period(period: Period) -> None:
    assert periods.parse(period.sdmx) == period
    assert periods.parse(str(period)) == period or str(period) != period.sdmx
    try:
        dhis2 = period.dhis2
    except PeriodError:
        return
    assert periods.parse(dhis2) == period


@given(any_period(), st.integers(-40, 40), st.integers(-40, 40))
def test_shift_is_additive_and_keeps_the_kind(period: Period, a: int, b: int) -> None:
    assert period.shift(a).shift(-a) == period
    assert period.shift(a).shift(b) == period.shift(a + b)
    assert period.shift(a).kind == period.kind
    if a > 0:
        assert period.shift(a).end > period.end  # YTD periods share a start
    if a < 0:
        assert period.shift(a).end < period.end


@given(any_period())
def test_same_period_last_year_keeps_the_kind_and_is_a_year_of_shifts(period: Period) -> None:
    last = period.same_period_last_year()
    assert last.kind == period.kind
    assert last == period.shift(-COUNT[period.kind])
    assert last.start.replace(year=last.start.year + 1) == period.start
    assert periods.parse(last.sdmx) == last


# -- (d) reported values at several period kinds: incremental == full ---------------------------

MIXED = ["2026-01", "2026-02", "2026-03", "2026-04", "2026-05", "2026-06", "2026-07", "2026-08",
         "2026-09", "2026-10", "2026-11", "2026-12", "2026-Q1", "2026-Q3", "2026-S1", "2026-YTD05", "2026"]


@st.composite
def mixed_reports(draw: st.DrawFn) -> tuple[Tree, dict[tuple[str, int, str], Cell], list[str]]:
    """A random tree whose units report months and, here and there, a quarter, a half,
    a year-to-date or the year itself; and an order of arrival of the periods."""
    tree = draw(trees(max_size=12))
    own: dict[tuple[str, int, str], Cell] = {}
    for code in ("SUM", "AVG", "LAST"):
        for unit in tree.nodes:
            for period in MIXED:
                longer = not period[5:6].isdigit() or len(period) == 4
                if draw(st.integers(0, 9)) < (2 if longer else 8):
                    own[(code, unit, period)] = Cell(draw(values))
    order = draw(st.permutations(MIXED))
    return tree, own, list(order)


MIXED_RULES = {"SUM": Rule("SUM"), "AVG": Rule("AVG", time="avg"), "LAST": Rule("LAST", time="last")}


@settings(max_examples=60, deadline=None)
@given(mixed_reports())
def test_refreshing_period_by_period_equals_the_full_computation(case: tuple) -> None:  # type: ignore[type-arg]
    """Reported months, quarters, halves, years-to-date and years, refreshed one period
    at a time in any order over the stored cells, give the full computation's cells;
    every reported value stands."""
    tree, own, arrival = case
    stored: dict[tuple[str, int, str], Cell] = {}
    for period in arrival:
        batch = {key: cell for key, cell in own.items() if key[2] == period}
        changed: dict[tuple[str, str], set[int]] = defaultdict(set)
        for code, unit, _p in batch:  # only the units that reported: the rest is around them
            changed[(code, period)].add(unit)
        for key, cell in Engine(MIXED_RULES, tree, dict(stored)).run(batch, changed).items():
            if cell is None:
                stored.pop(key, None)
            else:
                stored[key] = cell
    every = {key: cell for key, cell in run(MIXED_RULES, tree, own).items() if cell is not None}
    assert stored == every
    for key, cell in own.items():
        assert every[key] == cell and not every[key].derived
