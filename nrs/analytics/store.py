"""Reading and writing what the engine needs: rules, the unit tree, reported
values (current, preview or as known on a date) and stored cells."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any

from django.db import connection
from django.db.models import F, Q

from nrs.analytics import models
from nrs.analytics.rollup import Cell, Key, Node, Rule, Tree, parse_sdmx
from nrs.collection import copyrows
from nrs.collection.models import DataValue, State
from nrs.registry.models import Indicator, Level, Lineage, OrgUnit

_TREE: dict[str, object] = {}


def rules() -> dict[str, Rule]:
    """Each indicator's aggregation rules; its own frequency is the base of its time rule."""
    found = {}
    for ind in Indicator.objects.select_related("weight").only(
            "code", "ou_aggregation", "time_aggregation", "formula", "weight__code", "kind", "frequency"):
        found[ind.code] = Rule(ind.code, ou=ind.ou_aggregation, time=ind.time_aggregation,
                               weight=ind.weight.code if ind.weight else "", formula=ind.formula,
                               kind=ind.kind, base=ind.frequency)
    return found


def tree() -> Tree:
    """The whole unit tree with its lineage, cached until the registry changes."""
    stamp = (OrgUnit.objects.count(), Lineage.objects.count(),
             OrgUnit.objects.order_by("-id").values_list("id", flat=True).first())
    if _TREE.get("stamp") == stamp:
        return _TREE["tree"]  # type: ignore[return-value]
    nodes = {pk: Node(pk, parent, path.count("/") - 1, valid_from, level == Level.AGENCY)
             for pk, parent, path, valid_from, level in OrgUnit.objects.values_list(
                 "id", "parent_id", "path", "valid_from", "level")}
    preds: dict[int, list[tuple[int, Decimal]]] = defaultdict(list)
    succs: dict[int, list[int]] = defaultdict(list)
    for pred, succ, share in Lineage.objects.values_list("predecessor_id", "successor_id", "share"):
        preds[succ].append((pred, share))
        succs[pred].append(succ)
    built = Tree(nodes, dict(preds), dict(succs))
    _TREE.update(stamp=stamp, tree=built)
    return built


def indicator_ids(codes: Iterable[str]) -> dict[str, int]:
    return dict(Indicator.objects.filter(code__in=set(codes)).values_list("code", "id"))


# -- reported values ------------------------------------------------------------------

def _basis_filter(basis: str, known_on: datetime | None) -> Q:
    if known_on is not None:
        return Q(version__approved_at__lte=known_on)
    approved = Q(version__approved_at__isnull=False)
    if basis == models.Basis.PREVIEW:
        return approved | Q(version__submission__state=State.SUBMITTED,
                            version__number=F("version__submission__version"))
    return approved


def own_values(*, basis: str = models.Basis.APPROVED, indicators: Iterable[str] | None = None,
               units: Iterable[int] | None = None, periods: Iterable[str] | None = None,
               known_on: datetime | None = None) -> dict[Key, Cell]:
    """The reported value of each key, newest vintage on the basis.

    A key's total is its value; where only a breakdown was reported, the
    breakdown's values add up to the total (one codelist, the first by name).
    """
    rows = DataValue.objects.filter(_basis_filter(basis, known_on))
    if indicators is not None:
        rows = rows.filter(indicator__code__in=list(indicators))
    if units is not None:
        rows = rows.filter(org_unit_id__in=list(units))
    if periods is not None:
        rows = rows.filter(period__in=list(periods))
    newest: dict[tuple[str, int, str, str], Decimal | None] = {}
    for code, unit, period, breakdown, value in rows.order_by("id").values_list(
            "indicator__code", "org_unit_id", "period", "breakdown", "value"):
        newest[(code, unit, period, breakdown)] = value
    return _totals(newest)


def _totals(newest: Mapping[tuple[str, int, str, str], Decimal | None]) -> dict[Key, Cell]:
    totals: dict[Key, Cell] = {}
    parts: dict[Key, dict[str, list[Decimal]]] = defaultdict(lambda: defaultdict(list))
    for (code, unit, period, breakdown), value in newest.items():
        if value is None:
            continue
        if not breakdown:
            totals[(code, unit, period)] = Cell(value)
        elif ";" not in breakdown:
            parts[(code, unit, period)][breakdown.split("=")[0]].append(value)
    for key, by_list in parts.items():
        if key not in totals:
            values = by_list[min(by_list)]
            totals[key] = Cell(sum(values, Decimal(0)), len(values))
    return totals


# -- stored cells -------------------------------------------------------------------

def stored(basis: str, *, indicators: Iterable[str], units: Iterable[int],
           periods: Iterable[str] | None = None, years: Iterable[int] | None = None) -> dict[Key, Cell]:
    """Stored cells; a preview reads its own cells over the approved ones."""
    bases = [models.Basis.APPROVED] + ([models.Basis.PREVIEW] if basis == models.Basis.PREVIEW else [])
    ids = indicator_ids(indicators)  # by id, so the (basis, indicator, …) indexes serve the query
    codes = {pk: code for code, pk in ids.items()}
    rows = models.Cell.objects.filter(basis__in=bases, indicator_id__in=list(codes), org_unit_id__in=list(units))
    if periods is not None:
        rows = rows.filter(period__in=list(periods))
    if years is not None:
        years = list(years)  # a date range, not __year (which no index serves)
        rows = rows.filter(period_start__gte=date(min(years), 1, 1), period_start__lte=date(max(years), 12, 31))
    found: dict[Key, Cell] = {}
    # Approved first, so a preview cell replaces its approved one.
    for _b, pk, unit, period, value, n, rebuilt, derived in rows.order_by("basis").values_list(
            "basis", "indicator_id", "org_unit_id", "period", "value", "n", "rebuilt", "derived"):
        found[(codes[pk], unit, period)] = Cell(value, n, rebuilt, derived)
    return found


def write(basis: str, cells: Mapping[Key, Cell | None], *, at: datetime, replace_all: bool = False,
          indicators: Iterable[str] = ()) -> int:
    """Replace ``cells`` (None deletes). ``replace_all`` first clears the basis
    for ``indicators``. Returns the number of cells written."""
    ids = indicator_ids({key[0] for key in cells} | set(indicators))
    if replace_all:
        models.Cell.objects.filter(basis=basis, indicator_id__in=ids.values()).delete()
    else:
        # One DELETE per period and set of units (the same chain for every indicator).
        by_period: dict[str, dict[str, set[int]]] = defaultdict(lambda: defaultdict(set))
        for code, unit, period in cells:
            by_period[period][code].add(unit)
        for period, units_by_code in by_period.items():
            groups: dict[frozenset[int], list[int]] = defaultdict(list)
            for code, units in units_by_code.items():
                groups[frozenset(units)].append(ids[code])
            for group, pks in groups.items():
                models.Cell.objects.filter(basis=basis, period=period, indicator_id__in=pks,
                                           org_unit_id__in=group).delete()
    fresh = {key: cell for key, cell in cells.items() if cell is not None}
    if connection.vendor == "postgresql":
        return _copy_text(basis, ids, fresh, at)
    return _insert(_row(basis, ids, key, cell, at) for key, cell in fresh.items())


COLUMNS = ("basis", "indicator_id", "org_unit_id", "period", "kind", "period_start", "value", "n", "rebuilt",
           "derived", "refreshed_at")


def _row(basis: str, ids: dict[str, int], key: Key, cell: Cell, at: datetime) -> tuple[Any, ...]:
    code, unit, period = key
    kind, start = _period_columns(period)
    return (basis, ids[code], unit, period, kind, start, cell.value, cell.n, cell.rebuilt, cell.derived, at)


@lru_cache(maxsize=65536)
def _period_columns(period: str) -> tuple[str, date]:
    """A period's kind and first day, as stored beside its SDMX id."""
    parsed = parse_sdmx(period)
    return parsed.kind.value, parsed.start


def _insert(rows: Iterable[tuple[Any, ...]]) -> int:
    """Insert cells as plain rows (a full rebuild writes a million cells; model
    instances would cost minutes)."""
    return copyrows.insert_rows(models.Cell, COLUMNS, rows)


COPY_BATCH = 20_000  # rows per write to the COPY stream


def _copy_text(basis: str, ids: dict[str, int], cells: Mapping[Key, Cell], at: datetime) -> int:
    """Insert cells with COPY on PostgreSQL, the rows formatted here as COPY text.

    Every column is a number, a date, a time or a short code (never a tab, a
    newline or a backslash), so no value needs escaping. psycopg's per-value
    adaptation (``write_row``) took about as long as the database's own insert
    (2 s for a 333,000-cell refresh); the formatting here, a fraction of it.
    """
    table = connection.ops.quote_name(models.Cell._meta.db_table)
    names = ", ".join(connection.ops.quote_name(c) for c in COLUMNS)
    stamp = at.isoformat()
    lines: list[str] = []
    with connection.cursor() as cursor, cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
        for (code, unit, period), cell in cells.items():
            kind, start = _period_columns(period)
            lines.append(f"{basis}\t{ids[code]}\t{unit}\t{period}\t{kind}\t{start}\t{_numeric(cell.value)}"
                         f"\t{cell.n}\t{'t' if cell.rebuilt else 'f'}\t{'t' if cell.derived else 'f'}"
                         f"\t{stamp}\n")
            if len(lines) >= COPY_BATCH:
                copy.write("".join(lines))
                lines = []
        if lines:
            copy.write("".join(lines))
    return len(cells)


def _numeric(value: Decimal) -> str:
    """A decimal as PostgreSQL reads it (as psycopg writes one: NaN by name)."""
    return "NaN" if value.is_nan() else str(value)
