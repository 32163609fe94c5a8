"""The aggregation rules, as pure functions over in-memory cells.

A cell is one figure: indicator × org unit × period. The engine here computes
every cell that depends on a set of reported ("own") values:

1. over org units: a unit's own value stands; otherwise its children combine
   by the indicator's rule (sum, weighted mean, or none). At the root, a
   central agency's value (a ministry's national figure) stands as national, and an
   agency under another (the statistics office under Finance) stands for it;
2. through the lineage: a unit that did not exist yet in a period is rebuilt
   from its predecessors (sums by share, rates weighted), and marked rebuilt;
3. over time: the indicator's base periods (its own frequency: months,
   quarters or halves) roll up into quarters, halves, nine months, the year and
   year-to-date, by the indicator's rule (sum, average, last, or none; growth
   rates are never added up nor averaged, indices and rates never added up).
   Own values of every period kind are inputs: a unit's reported year stands
   over the year of its months. A longer period without a reported value is
   derived from the unit's base periods when every one needed is there (eleven
   months are not a year); otherwise (a root: first) from the units below;
4. formulas: derived indicators are computed from the cells above, so a ratio
   of sums is right at every level and period.

Every cell says whether it was reported (``derived`` False: a unit's own
value) or derived; a refresh never replaces nor deletes a reported cell.

The same engine serves the incremental refresh on approval (``changed`` names
the few units whose values changed; ``known`` holds the stored cells around
them) and the full computation from raw values (``known`` empty, ``changed``
everything), which is also how "as known on D" is answered.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from functools import lru_cache
from typing import Any

from nrs.lib import formulas
from nrs.lib.periods import Kind, Period
from nrs.lib.periods import parse_sdmx as _parse_sdmx

PLACES = Decimal("0.000001")
Key = tuple[str, int, str]  # indicator code, org unit id, period (SDMX)


@dataclass(frozen=True, slots=True)
class Cell:
    value: Decimal
    n: int = 1  # how many reported values it was computed from
    rebuilt: bool = False  # computed through the lineage, before the unit existed
    derived: bool = False  # computed by the engine; False: the unit's own reported value


@dataclass(frozen=True, slots=True)
class Rule:
    code: str
    ou: str = "sum"  # sum | wmean | none
    time: str = "sum"  # sum | avg | last | none
    weight: str = ""  # weighting indicator for wmean
    formula: str = ""
    kind: str = "level"  # level | rate | index | growth (IndicatorKind)
    base: str = "M"  # the period kind longer periods are computed from (its frequency)

    @property
    def inputs(self) -> frozenset[str]:
        """The indicators this one is computed from."""
        return _inputs(self.formula, self.weight)

    @property
    def over_time(self) -> str:
        """The time rule applied: only levels add up over time, and a growth
        rate is not averaged either, whatever the catalogue says."""
        if self.time == "sum" and self.kind != "level":
            return "none"
        if self.time == "avg" and self.kind == "growth":
            return "none"
        return self.time

    @property
    def base_kind(self) -> Kind | None:
        """The base periods of the time rule; None: nothing is derived over time."""
        return Kind(self.base) if self.base in _SPAN else None


_SPAN = {"M": 1, "Q": 3, "S": 6}  # months in a base period


@lru_cache(maxsize=1024)
def _inputs(formula: str, weight: str) -> frozenset[str]:
    found = formulas.references(formula) if formula else set()
    return frozenset(found | ({weight} if weight else set()))


@dataclass(frozen=True, slots=True)
class Node:
    id: int
    parent: int | None
    depth: int
    valid_from: date
    agency: bool = False  # a central agency: its figures are national


@dataclass
class Tree:
    nodes: dict[int, Node]
    preds: dict[int, list[tuple[int, Decimal]]] = field(default_factory=dict)  # successor -> links
    succs: dict[int, list[int]] = field(default_factory=dict)  # predecessor -> successors
    _kids: dict[int, list[int]] | None = field(default=None, repr=False, compare=False)

    def kids(self, units: Iterable[int]) -> set[int]:
        """The children of ``units`` (an index built on first use)."""
        return {kid for unit in units for kid in self.children(unit)}

    def children(self, unit: int) -> list[int]:
        if self._kids is None:
            index: dict[int, list[int]] = defaultdict(list)
            for node in self.nodes.values():
                if node.parent is not None:
                    index[node.parent].append(node.id)
            self._kids = {parent: sorted(kids) for parent, kids in index.items()}
        return self._kids.get(unit, [])

    def bottom_up(self, units: Iterable[int]) -> list[int]:
        """``units`` children before parents, predecessors before successors."""
        nodes, oldest = self.nodes, date.min

        def key(unit: int) -> tuple[int, date, int]:
            node = nodes.get(unit)
            return (0, oldest, unit) if node is None else (-node.depth, node.valid_from, unit)
        return sorted(units, key=key)

    def ancestors(self, unit: int) -> list[int]:
        found = []
        parent = self.nodes[unit].parent
        while parent is not None:
            found.append(parent)
            parent = self.nodes[parent].parent
        return found

    def chain(self, units: Iterable[int]) -> list[int]:
        """``units`` and all their ancestors, deepest first."""
        every = set()
        for unit in units:
            if unit in self.nodes:
                every.add(unit)
                every.update(self.ancestors(unit))
        return sorted(every, key=lambda u: (-self.nodes[u].depth, u))


@lru_cache(maxsize=65536)
def parse_sdmx(text: str) -> Period:
    """Period ids repeat millions of times in a rebuild: parse each once."""
    return _parse_sdmx(text)


def quantize(value: Decimal) -> Decimal:
    return value.quantize(PLACES)


# -- over org units ---------------------------------------------------------------

@lru_cache(maxsize=4096)
def _weight_periods(period: Period) -> tuple[str, str, str]:
    """Where a weight is looked for: the period itself, its year, the year before."""
    return period.sdmx, str(period.year), str(period.year - 1)


def combine_units(rule: Rule, parts: list[tuple[Cell, Decimal | None]]) -> Cell | None:
    """Children's cells (with their weights, for a weighted mean) into the parent's."""
    if not parts or rule.ou not in ("sum", "wmean"):
        return None
    n = sum(cell.n for cell, _w in parts)
    if rule.ou == "sum":
        return Cell(sum((cell.value for cell, _w in parts), Decimal(0)), n, derived=True)
    if any(weight is None for _c, weight in parts):
        return None  # a rate is weighted only where every weight exists
    total = sum((w for _c, w in parts if w is not None), Decimal(0))
    if total == 0:
        return None
    weighted = sum((cell.value * w for cell, w in parts if w is not None), Decimal(0))
    return Cell(quantize(weighted / total), n, derived=True)


def rebuild(rule: Rule, parts: list[tuple[Cell | None, Decimal, Decimal | None]]) -> Cell | None:
    """A successor's cell from its predecessors' (cell, share, weight), before it existed.

    Incomplete predecessors give no value: a rebuilt figure is never a partial sum.
    """
    if not parts or any(cell is None for cell, _s, _w in parts):
        return None
    cells = [(cell, share, weight) for cell, share, weight in parts if cell is not None]
    n = sum(cell.n for cell, _s, _w in cells)
    if rule.ou == "sum":
        return Cell(quantize(sum((c.value * s for c, s, _w in cells), Decimal(0))), n, rebuilt=True, derived=True)
    if rule.ou == "wmean":
        if any(w is None for _c, _s, w in cells):
            return None
        total = sum((s * w for _c, s, w in cells if w is not None), Decimal(0))
        if total == 0:
            return None
        weighted = sum((c.value * s * w for c, s, w in cells if w is not None), Decimal(0))
        return Cell(quantize(weighted / total), n, rebuilt=True, derived=True)
    if len(cells) == 1 and cells[0][1] == 1:  # a renamed unit: the same figure
        return Cell(cells[0][0].value, n, rebuilt=True, derived=True)
    return None


# -- over time ----------------------------------------------------------------------

@lru_cache(maxsize=4096)
def time_targets(period: Period) -> list[Period]:
    """The longer periods whose value depends on ``period``."""
    year, index = period.year, period.index
    match period.kind:
        case Kind.MONTH:
            found = [Period.quarter(year, (index - 1) // 3 + 1), Period.half(year, (index - 1) // 6 + 1)]
            found += [Period.nine_months(year)] if index <= 9 else []
            return found + [Period.annual(year)] + [Period.ytd(year, m) for m in range(index, 13)]
        case Kind.QUARTER:
            found = [Period.half(year, (index - 1) // 2 + 1)]
            found += [Period.nine_months(year)] if index <= 3 else []
            return found + [Period.annual(year)] + [Period.ytd(year, 3 * q) for q in range(index, 5)]
        case Kind.HALF:
            return [Period.annual(year)] + [Period.ytd(year, 6 * h) for h in range(index, 3)]
    return []


def longer_periods(periods: Iterable[str], base: Kind) -> list[Period]:
    """The periods made of ``base`` periods that ``periods`` make up or are, in order."""
    found = set()
    for text in periods:
        period = parse_sdmx(text)
        found.update(time_targets(period))
        found.add(period)
    span = _SPAN[base.value]
    return sorted(p for p in found if p.kind != base and p.last_month - p.first_month + 1 >= span)


@lru_cache(maxsize=4096)
def time_parts(target: Period, base: Kind) -> list[Period]:
    """The periods of kind ``base`` that make up ``target``, in order."""
    count = {Kind.MONTH: 12, Kind.QUARTER: 4, Kind.HALF: 2}[base]
    every = [Period(target.year, base, i) for i in range(1, count + 1)]
    found = [p for p in every if target.first_month <= p.first_month and p.last_month <= target.last_month]
    if not found or found[-1].last_month != target.last_month:
        return []
    return found


def combine_periods(rule: Rule, parts: list[Cell | None]) -> Cell | None:
    """Sub-periods' cells into the longer period's. Sums and averages need
    every sub-period; "last" takes the closing one."""
    how = rule.over_time
    if not parts or how not in ("sum", "avg", "last"):
        return None
    if how == "last":
        return _derived(parts[-1])
    if any(cell is None for cell in parts):
        return None
    cells = [cell for cell in parts if cell is not None]
    total = sum((cell.value for cell in cells), Decimal(0))
    value = total if how == "sum" else quantize(total / len(cells))
    return Cell(value, sum(cell.n for cell in cells), any(cell.rebuilt for cell in cells), derived=True)


def _derived(cell: Cell | None) -> Cell | None:
    """``cell``'s figure standing for another cell: derived there."""
    return cell if cell is None or cell.derived else replace(cell, derived=True)


_MISSING: Any = object()  # a sentinel: a key absent from a mapping (None is a value there)

# A run: the longest period's parts (indices into the sub-periods read) and, by
# how many of them a target takes, the targets that are a prefix of them.
TimeRun = tuple[list[int], dict[int, list[str]]]


def _time_runs(plan: list[tuple[str, list[str]]], index: Mapping[str, int]) -> list[TimeRun]:
    """Group the targets whose parts start alike, so that a year-to-date, a
    quarter, a half, nine months and the year are added up in one pass."""
    by_first: dict[str, list[tuple[str, list[str]]]] = defaultdict(list)
    runs: list[TimeRun] = []
    for target, parts in plan:
        if parts:
            by_first[parts[0]].append((target, parts))
        else:
            runs.append(([], {0: [target]}))  # no parts: no value
    for group in by_first.values():
        longest = max((parts for _t, parts in group), key=len)
        emit: dict[int, list[str]] = defaultdict(list)
        for target, parts in group:
            if parts != longest[:len(parts)]:  # not a prefix: a run of its own
                runs.append(([index[p] for p in parts], {len(parts): [target]}))
            else:
                emit[len(parts)].append(target)
        runs.append(([index[p] for p in longest], dict(emit)))
    return runs


def _combine_runs(how: str, runs: list[TimeRun], have: list[Cell | None]) -> list[tuple[str, Cell | None]]:
    """``combine_periods`` for every target of ``runs``, with running totals:
    the same additions in the same order, each done once."""
    found: list[tuple[str, Cell | None]] = []
    for parts, emit in runs:
        if not parts:
            found += [(target, None) for target in emit[0]]
        elif how == "last":  # the closing sub-period's cell
            found += [(target, _derived(have[parts[taken - 1]])) for taken, targets in emit.items()
                      for target in targets]
        else:
            found += _running(how == "avg", parts, emit, have)
    return found


def _running(average: bool, parts: list[int], emit: dict[int, list[str]],
             have: list[Cell | None]) -> list[tuple[str, Cell | None]]:
    """Sums (or averages) of every prefix of ``parts`` that ``emit`` names; a
    prefix with a missing sub-period has no value, nor has any longer one."""
    found: list[tuple[str, Cell | None]] = []
    total, n, rebuilt, taken = Decimal(0), 0, False, 0
    for i in parts:
        cell = have[i]
        if cell is None:
            break
        taken += 1
        total += cell.value
        n += cell.n
        rebuilt = rebuilt or cell.rebuilt
        if taken in emit:
            result = Cell(quantize(total / taken) if average else total, n, rebuilt, derived=True)
            found += [(target, result) for target in emit[taken]]
    for count, targets in emit.items():
        if count > taken:
            found += [(target, None) for target in targets]
    return found


# -- formulas ----------------------------------------------------------------------

def derive(rule: Rule, inputs: Mapping[str, Cell]) -> Cell | None:
    result = formulas.evaluate(rule.formula, {code: float(cell.value) for code, cell in inputs.items()})
    if result is None:
        return None
    return Cell(quantize(Decimal(repr(result))), sum(c.n for c in inputs.values()),
                any(c.rebuilt for c in inputs.values()), derived=True)


# -- the engine --------------------------------------------------------------------

def order(rules: Mapping[str, Rule]) -> list[str]:
    """Indicators in dependency order: weights and formula inputs first."""
    done: list[str] = []
    seen: set[str] = set()

    def visit(code: str) -> None:
        if code in seen:
            return
        seen.add(code)
        for needed in sorted(rules[code].inputs):
            if needed in rules:
                visit(needed)
        done.append(code)

    for code in sorted(rules):
        visit(code)
    return done


def dependents(rules: Mapping[str, Rule], codes: Iterable[str]) -> set[str]:
    """``codes`` and every indicator computed from them, transitively."""
    found = set(codes)
    grew = True
    while grew:
        more = {code for code, rule in rules.items() if code not in found and rule.inputs & found}
        found |= more
        grew = bool(more)
    return found


class Engine:
    """Computes cells from own values, on top of ``known`` (stored) cells."""

    def __init__(self, rules: Mapping[str, Rule], tree: Tree, known: Mapping[Key, Cell]) -> None:
        self.rules = rules
        self.tree = tree
        self.known = known
        self.out: dict[Key, Cell | None] = {}
        self.by_slice: dict[tuple[str, str], list[tuple[int, Cell]]] = defaultdict(list)
        self.by_series: dict[tuple[str, int], dict[str, Cell]] = defaultdict(dict)
        for (code, unit, period), cell in known.items():
            self.by_slice[(code, period)].append((unit, cell))
            self.by_series[(code, unit)][period] = cell
        # The periods each indicator has cells of in ``out``: no other period
        # needs a look there (``get`` for a whole series, without its lookups).
        self.written: dict[str, set[str]] = defaultdict(set)

    def get(self, key: Key) -> Cell | None:
        cell = self.out.get(key, _MISSING)
        return self.known.get(key) if cell is _MISSING else cell

    def run(self, own: Mapping[Key, Cell], changed: Mapping[tuple[str, str], set[int]]) -> dict[Key, Cell | None]:
        """``changed``: (indicator, period) -> the units whose own value changed
        (or may have). Returns every cell that had to be recomputed; None means
        the cell no longer has a value."""
        touched: dict[tuple[str, int], set[int]] = defaultdict(set)  # (code, year) -> units
        base_periods: dict[tuple[str, int], set[str]] = defaultdict(set)
        for code in order(self.rules):
            rule = self.rules[code]
            if rule.formula:
                continue
            for (changed_code, period), units in sorted(changed.items()):
                if changed_code != code:
                    continue
                done = self._over_units(rule, parse_sdmx(period), own, units)
                year = parse_sdmx(period).year
                touched[(code, year)] |= done
                base_periods[(code, year)].add(period)
            for (touched_code, year), units in list(touched.items()):
                if touched_code == code:
                    self._over_time(rule, units, base_periods[(code, year)])
        self._formulas(touched, base_periods)
        return self.out

    def _weight(self, rule: Rule, unit: int, period: Period) -> Decimal | None:
        for candidate in _weight_periods(period):
            cell = self.get((rule.weight, unit, candidate))
            if cell is not None:
                return cell.value
        return None

    def _over_units(self, rule: Rule, period: Period, own: Mapping[Key, Cell], units: set[int]) -> set[int]:
        """Recompute ``units`` and their ancestors for one period; then the
        successors rebuilt from them. Returns the units recomputed."""
        code, sdmx, nodes = rule.code, period.sdmx, self.tree.nodes
        chain = self.tree.chain(units)
        in_chain = set(chain)
        kids: dict[int, dict[int, Cell]] = defaultdict(dict)
        for unit, stored in self.by_slice.get((code, sdmx), ()):
            if not stored.rebuilt and unit in nodes:
                parent = nodes[unit].parent
                if parent in in_chain and unit not in in_chain:
                    kids[parent][unit] = stored
        self.written[code].add(sdmx)
        for unit in chain:
            cell: Cell | None = own.get((code, unit, sdmx))
            if cell is None:
                cell = self._from_children(rule, unit, kids.get(unit, {}), period)
            self.out[(code, unit, sdmx)] = cell
            parent = nodes[unit].parent
            if parent is not None and cell is not None:
                kids[parent][unit] = cell
        rebuilt = self._rebuild(rule, period, chain)
        return in_chain | rebuilt

    def _from_children(self, rule: Rule, unit: int, kids: dict[int, Cell], period: Period) -> Cell | None:
        nodes = self.tree.nodes
        if nodes[unit].parent is None or nodes[unit].agency:
            agencies = sorted(u for u in kids if nodes[u].agency)
            if agencies:  # a ministry's (or its statistics office's) national figure is national
                return _derived(kids[agencies[0]])
        parts = [(cell, self._weight(rule, child, period) if rule.ou == "wmean" else None)
                 for child, cell in sorted(kids.items()) if not nodes[child].agency]
        return combine_units(rule, parts)

    def _rebuild(self, rule: Rule, period: Period, units: list[int]) -> set[int]:
        end, succs, nodes = period.end, self.tree.succs, self.tree.nodes
        successors = {s for u in units if u in succs for s in succs[u] if end < nodes[s].valid_from}
        self.written[rule.code].add(period.sdmx)
        for successor in sorted(successors):
            self.out[(rule.code, successor, period.sdmx)] = self._rebuilt(rule, successor, period)
        return successors

    def _rebuilt(self, rule: Rule, successor: int, period: Period) -> Cell | None:
        parts = [(self._own_cell(rule.code, pred, period.sdmx), share,
                  self._weight(rule, pred, period) if rule.ou == "wmean" else None)
                 for pred, share in self.tree.preds[successor]]
        return rebuild(rule, parts)

    def _own_cell(self, code: str, unit: int, sdmx: str) -> Cell | None:
        cell = self.get((code, unit, sdmx))
        return None if cell is None or cell.rebuilt else cell

    def _over_time(self, rule: Rule, units: set[int], periods: set[str]) -> None:
        """The longer periods that depend on ``periods`` (or are among them), for
        ``units``: a reported figure stands; otherwise the unit's base periods by
        the rule, where they are all there; otherwise the units below."""
        base = rule.base_kind
        if rule.over_time not in ("sum", "avg", "last") or base is None:
            return
        targets = longer_periods(periods, base)
        plan = [(t.sdmx, [p.sdmx for p in time_parts(t, base)]) for t in targets]
        needed = sorted({p for _t, parts in plan for p in parts})
        runs = _time_runs(plan, {p: i for i, p in enumerate(needed)})
        code, out, series_get, missing = rule.code, self.out, self.by_series.get, _MISSING
        fresh = [(i, p) for i, p in enumerate(needed) if p in self.written[code]]
        self.written[code].update(t for t, _parts in plan)
        out_get, nothing = out.get, [None] * len(needed)
        for unit in self.tree.bottom_up(units):
            # Each sub-period read once: the stored series, under what this run computed.
            series = series_get((code, unit))
            have: list[Cell | None] = [series.get(p) for p in needed] if series else list(nothing)
            for i, period in fresh:
                cell = out_get((code, unit, period), missing)
                if cell is not missing:
                    have[i] = cell
            for target, cell in _combine_runs(rule.over_time, runs, have):
                self._put_longer(rule, unit, target, cell)

    def _put_longer(self, rule: Rule, unit: int, target: str, by_time: Cell | None) -> None:
        """A longer period's cell, unless the unit reported its own: at the root,
        an agency's figure first; then ``by_time``; then the units below."""
        key = (rule.code, unit, target)
        now = self.get(key)
        if now is not None and not now.derived:
            return  # a reported value is neither replaced nor deleted
        node = self.tree.nodes.get(unit)
        if node is not None and node.parent is None:
            by_time = self._agency(rule, unit, target) or by_time
        self.out[key] = by_time if by_time is not None else self._below(rule, unit, parse_sdmx(target))

    def _agency(self, rule: Rule, root: int, sdmx: str) -> Cell | None:
        for kid in self.tree.children(root):
            if self.tree.nodes[kid].agency and (cell := self.get((rule.code, kid, sdmx))) is not None:
                return _derived(cell)
        return None

    def _below(self, rule: Rule, unit: int, period: Period) -> Cell | None:
        """A unit's cell from the units below (or, before it existed, from its
        predecessors), as over org units."""
        node = self.tree.nodes.get(unit)
        if node is None:
            return None
        if period.end < node.valid_from and unit in self.tree.preds:
            return self._rebuilt(rule, unit, period)
        kids = {}
        for kid in self.tree.children(unit):
            cell = self.get((rule.code, kid, period.sdmx))
            if cell is not None and not cell.rebuilt:
                kids[kid] = cell
        return self._from_children(rule, unit, kids, period) if kids else None

    def _formulas(self, touched: dict[tuple[str, int], set[int]],
                  base_periods: dict[tuple[str, int], set[str]]) -> None:
        for code in order(self.rules):
            rule = self.rules[code]
            if rule.formula:
                self._formula(rule, touched, base_periods)

    def _formula(self, rule: Rule, touched: dict[tuple[str, int], set[int]],
                 base_periods: dict[tuple[str, int], set[str]]) -> None:
        """A derived indicator wherever one of its inputs was recomputed: at the
        inputs' periods and the longer periods that depend on them."""
        inputs = tuple(sorted(formulas.references(rule.formula)))
        units_by_period: dict[str, set[int]] = defaultdict(set)
        for (t_code, year), units in touched.items():
            if t_code not in inputs:
                continue
            periods = set(base_periods[(t_code, year)])
            periods |= {t.sdmx for p in list(periods) for t in time_targets(parse_sdmx(p))}
            for period in periods:
                units_by_period[period] |= units
        code, out, known_get, missing = rule.code, self.out, self.known.get, _MISSING
        out_get = out.get
        self.written[code].update(units_by_period)
        for period, units in sorted(units_by_period.items()):
            for unit in sorted(units):
                complete: dict[str, Cell] = {}
                for name in inputs:
                    key = (name, unit, period)
                    cell = out_get(key, missing)
                    if cell is missing:
                        cell = known_get(key)
                    if cell is None:
                        break
                    complete[name] = cell
                out[(code, unit, period)] = derive(rule, complete) if len(complete) == len(inputs) else None
            year = parse_sdmx(period).year
            touched[(code, year)] |= units
            base_periods[(code, year)].add(period)
