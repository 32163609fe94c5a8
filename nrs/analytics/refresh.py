"""Keeping the aggregate store current: the one write path for cells.

- refresh_submission(): on approval (and, for the preview, on every workflow
  step), recompute only what the report's values touch: its units and their
  ancestors, successors rebuilt from them, the longer periods and formulas.
- rebuild(): recompute indicators from scratch (after a bulk import, or with
  ``nrs analytics rebuild``).
- compute(): the same engine over raw values, in memory, for "as known on D".

Each runs inside the caller's transaction and appends a Refresh row that live
dashboards watch.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from nrs.analytics import store
from nrs.analytics.models import Basis, Refresh
from nrs.analytics.rollup import Cell, Engine, Key, Tree, dependents, parse_sdmx, time_targets
from nrs.collection.models import DataValue, State, Submission
from nrs.lib.periods import Period


def _closure(rules: dict, codes: Iterable[str]) -> set[str]:  # type: ignore[type-arg]
    """``codes`` with everything they are computed from (weights, formula inputs)."""
    found: set[str] = set()
    todo = [c for c in codes if c in rules]
    while todo:
        code = todo.pop()
        if code not in found:
            found.add(code)
            todo += [c for c in rules[code].inputs if c in rules]
    return found


def _changed(own: dict[Key, Cell], units_by_key: dict[tuple[str, str], set[int]]) -> dict[tuple[str, str], set[int]]:
    changed = defaultdict(set, {k: set(v) for k, v in units_by_key.items()})
    for code, unit, period in own:
        changed[(code, period)].add(unit)
    return dict(changed)


def touched_by(submission: Submission) -> dict[str, tuple[set[str], set[int]]]:
    """The period, indicators and units ``submission``'s values touch ({} when it has none)."""
    keys = set(DataValue.objects.filter(version__submission=submission)
               .values_list("indicator__code", "org_unit_id", "period"))
    if not keys:
        return {}
    return {submission.period: ({code for code, _u, _p in keys}, {unit for _c, unit, _p in keys})}


def refresh_submission(submission: Submission, basis: str = Basis.APPROVED, *, reason: str = "") -> int:
    """Recompute the cells that ``submission``'s values touch, on ``basis``."""
    touched = touched_by(submission)
    if not touched:
        return 0
    return refresh_touched(touched, basis, reason=reason or f"{submission}")


def refresh_touched(touched: Mapping[str, tuple[set[str], set[int]]], basis: str = Basis.APPROVED, *,
                    reason: str) -> int:
    """Recompute the cells that new values touch: ``touched`` maps a period
    (SDMX) to the indicators and units whose values it received. Periods are
    refreshed oldest first; consecutive periods of one kind in one year (a
    quarter's or a year's months) in the same engine runs, so the longer
    periods of the year see all of them and are computed once."""
    rules, tree = store.rules(), store.tree()
    written, done, codes_all = 0, [], set()
    for batch in _batches(touched):
        scope: dict[Period, tuple[set[str], set[int]]] = {}
        for period in batch:
            codes_in, units = touched[period.sdmx]
            codes = dependents(rules, {c for c in codes_in if c in rules})
            if codes:
                scope[period] = (codes, set(units))
        if not scope:
            continue
        codes = set().union(*(codes for codes, _u in scope.values()))
        # A few provinces (or ministries) at a time, each group over what the previous
        # wrote, as for consecutive approvals: memory stays bounded at national scale.
        for group in by_branch(tree, set().union(*(units for _c, units in scope.values())), _group_size(len(scope))):
            part = {period: (c, units & group) for period, (c, units) in scope.items() if units & group}
            cells = _batch_cells(rules, tree, basis, part) if part else {}
            written += store.write(basis, cells, at=timezone.now(), indicators=codes)
        done += list(scope)
        codes_all |= codes
    if done:
        Refresh.objects.create(reason=reason[:200], cells=written, indicators=sorted(codes_all),
                               periods=sorted({p.sdmx for p in done})[:50])
    return written


def _batches(touched: Iterable[str]) -> list[list[Period]]:
    """The periods oldest first, consecutive ones of the same year and kind together."""
    ordered = sorted((parse_sdmx(p) for p in touched), key=lambda p: (p.start, p.end))
    batches: list[list[Period]] = []
    for period in ordered:
        if batches and (batches[-1][0].year, batches[-1][0].kind) == (period.year, period.kind):
            batches[-1].append(period)
        else:
            batches.append([period])
    return batches


GROUP_UNITS = 2_000  # units per engine run for one period: about 150 MB of cells at most


def _group_size(periods: int) -> int:
    """Units per engine run for ``periods`` periods of a year. A run holds the
    stored year of its units, each period's new cells and the year's longer
    periods; more periods take fewer units (a year's twelve months, about 840),
    so a run stays within about the memory of a one-period run."""
    return max(1, GROUP_UNITS * 8 // (periods + 7))


def by_branch(tree: Tree, units: set[int], size: int = GROUP_UNITS) -> list[set[int]]:
    """``units`` in groups of whole top-level branches (provinces, agencies), each of
    about ``size`` units at most, unless one branch alone is larger."""
    branches: dict[int, set[int]] = defaultdict(set)
    for unit in units:
        line = [unit, *tree.ancestors(unit)] if unit in tree.nodes else [unit]
        branches[line[-2] if len(line) > 1 else unit].add(unit)
    groups: list[set[int]] = [set()]
    for key in sorted(branches):
        if groups[-1] and len(groups[-1]) + len(branches[key]) > size:
            groups.append(set())
        groups[-1] |= branches[key]
    return [group for group in groups if group]


def _batch_cells(rules: dict, tree: Tree, basis: str,  # type: ignore[type-arg]
                 scope: Mapping[Period, tuple[set[str], set[int]]]) -> dict[Key, Cell | None]:
    """The cells of new values in some periods of one year (``scope``: period ->
    indicators and units), computed over the stored cells around them."""
    changed = {(code, period.sdmx): set(units)
               for period, (codes, units) in scope.items() for code in codes if not rules[code].formula}
    codes = set().union(*(codes for codes, _u in scope.values()))
    chain = tree.chain(set().union(*(units for _c, units in scope.values())))
    successors = {s for u in chain for s in tree.succs.get(u, ())}
    in_chain = set(chain)
    around = (tree.kids(in_chain)
              | {pred for s in successors for pred, _share in tree.preds.get(s, ())})
    needed = _closure(rules, codes)
    weights = {rules[c].weight for c in needed if rules[c].weight}
    sdmx = sorted(period.sdmx for period in scope)
    years = sorted({period.year for period in scope})
    # Around the chain: the siblings in these periods and the longer ones they make up
    # (a parent's year from its children's, where its own months are incomplete), and
    # their weights' annual figures ...
    longer = sorted({t.sdmx for period in scope for t in time_targets(period)} | set(sdmx))
    known = store.stored(basis, indicators=needed, units=around, periods=longer)
    if weights:
        known.update(store.stored(basis, indicators=weights, units=around | in_chain,
                                  periods=sorted({str(y) for year in years for y in (year, year - 1)})))
    # ... and on it: this year's periods, for the longer periods and the formulas.
    known.update(store.stored(basis, indicators=needed, units=in_chain | successors, years=years))
    own = store.own_values(basis=basis, indicators=[c for c in codes if not rules[c].formula],
                           units=chain, periods=sdmx)
    cells = Engine(rules, tree, known).run(own, changed)
    # Every cell the engine can write lies in ``known``'s reach (the chain and
    # the successors, this year): a cell that was not stored and still has no
    # value needs no DELETE.
    return {key: cell for key, cell in cells.items() if cell is not None or key in known}


def _save(basis: str, cells: dict[Key, Cell | None], reason: str, codes: Iterable[str],
          periods: list[Period], replace_all: bool = False) -> int:
    written = store.write(basis, cells, at=timezone.now(), replace_all=replace_all, indicators=codes)
    Refresh.objects.create(reason=reason[:200], cells=written, indicators=sorted(codes),
                           periods=sorted({p.sdmx for p in periods})[:50])
    return written


def compute(*, indicators: Iterable[str] | None = None, basis: str = Basis.APPROVED,
            known_on: datetime | None = None) -> dict[Key, Cell]:
    """Every cell of ``indicators`` (and what they are computed from), from the
    reported values, in memory."""
    rules, tree = store.rules(), store.tree()
    codes = _closure(rules, indicators) if indicators is not None else set(rules)
    own = store.own_values(basis=basis, indicators=[c for c in codes if not rules[c].formula],
                           known_on=known_on)
    scoped = {code: rules[code] for code in codes}
    cells = Engine(scoped, tree, {}).run(own, _changed(own, {}))
    return {key: cell for key, cell in cells.items() if cell is not None}


def rebuild(indicators: Iterable[str] | None = None, *, reason: str = "rebuild") -> int:
    """Recompute ``indicators`` (and those computed from them) from scratch,
    then the preview of every report awaiting approval."""
    rules = store.rules()
    codes = set(rules) if indicators is None else _closure(rules, dependents(rules, indicators))
    with transaction.atomic():
        cells = compute(indicators=codes)
        written = _save(Basis.APPROVED, dict(cells), reason, codes, [], replace_all=True)
        store.write(Basis.PREVIEW, {}, at=timezone.now(), replace_all=True, indicators=codes)
        for submission in Submission.objects.filter(state=State.SUBMITTED).select_related("regime", "org_unit"):
            refresh_submission(submission, Basis.PREVIEW)
    return written


def latest() -> Refresh | None:
    return Refresh.objects.order_by("-id").first()

