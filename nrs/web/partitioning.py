"""Scale-out: the value tables partitioned by year on PostgreSQL (`nrs partition`).

``collection_datavalue`` (every vintage of every reported value) and
``analytics_cell`` (the aggregate store) grow with the years. Range
partitions on ``period_start``, one per year, keep each year's rows and
indexes apart: a dashboard query for a year touches one partition, an old
year can be detached to cheaper storage, and VACUUM works year by year.

The conversion runs in one transaction: the table is renamed, a partitioned
table with the same columns, defaults and identity takes its name, with its
indexes, foreign keys and constraints recreated (a primary key or unique
constraint must include ``period_start`` on a partitioned table, so it is
added to them: ``period`` determines ``period_start``, so uniqueness is
unchanged), the rows are copied, the old table is dropped. Run again, it
only adds partitions for new years. Django sees the same columns and names.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

TABLES = ("collection_datavalue", "analytics_cell")
KEY = "period_start"


@dataclass
class Done:
    table: str
    converted: bool
    partitions: list[str]
    rows: int


class PartitionError(RuntimeError):
    pass


def partition_all(years_ahead: int = 2) -> list[Done]:
    if connection.vendor != "postgresql":
        raise PartitionError("partitioning needs PostgreSQL / cần PostgreSQL để phân vùng bảng")
    with transaction.atomic():
        return [partition_table(table, years_ahead) for table in TABLES]


def _one(sql: str, params: tuple[Any, ...] = ()) -> Any:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    return row[0] if row else None


def _all(sql: str, params: tuple[Any, ...] = ()) -> list[tuple[object, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return list(cursor.fetchall())


def _run(sql: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql)


def is_partitioned(table: str) -> bool:
    return bool(_one("SELECT count(*) FROM pg_partitioned_table p JOIN pg_class c ON c.oid = p.partrelid "
                     "WHERE c.relname = %s AND pg_table_is_visible(c.oid)", (table,)))


def partition_table(table: str, years_ahead: int) -> Done:
    converted = False
    rows = 0
    if not is_partitioned(table):
        rows = _convert(table)
        converted = True
    added = _ensure_years(table, years_ahead)
    return Done(table, converted, added, rows)


def _convert(table: str) -> int:
    old = f"{table}_unpartitioned"
    _run("SET CONSTRAINTS ALL IMMEDIATE")  # deferred checks fire now, not on a dropped table
    _run(f'LOCK TABLE "{table}" IN ACCESS EXCLUSIVE MODE')
    indexes = _all("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s", (table,))
    constraints = _all("SELECT conname, contype, pg_get_constraintdef(oid) FROM pg_constraint "
                       "WHERE conrelid = %s::regclass AND contype IN ('p', 'u', 'f', 'c')", (table,))
    owned = {str(name) for name, kind, _d in constraints if kind in ("p", "u")}
    _run(f'ALTER TABLE "{table}" RENAME TO "{old}"')
    for name, _kind, _definition in constraints:
        _run(f'ALTER TABLE "{old}" RENAME CONSTRAINT "{name}" TO "{str(name)[:50]}_old"')
    for name, _definition in indexes:
        if str(name) not in owned:
            _run(f'ALTER INDEX "{name}" RENAME TO "{str(name)[:50]}_old"')
    _run(f'CREATE TABLE "{table}" (LIKE "{old}" INCLUDING DEFAULTS INCLUDING IDENTITY INCLUDING STORAGE) '
         f'PARTITION BY RANGE ("{KEY}")')
    _years(table, old)
    for name, kind, definition in constraints:
        _run(f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" {_with_key(str(kind), str(definition))}')
    for name, definition in indexes:
        if str(name) not in owned:
            _run(str(definition))  # written before the rename: ON the new, partitioned table
    _run(f'INSERT INTO "{table}" OVERRIDING SYSTEM VALUE SELECT * FROM "{old}"')
    rows = int(_one(f'SELECT count(*) FROM "{table}"') or 0)
    _restart_identity(table)
    _run("SET CONSTRAINTS ALL IMMEDIATE")
    _run(f'DROP TABLE "{old}"')
    _run("SET CONSTRAINTS ALL DEFERRED")
    return rows


def _with_key(kind: str, definition: str) -> str:
    """A primary key or unique constraint on a partitioned table must include the key."""
    if kind in ("p", "u") and KEY not in definition:
        return definition.replace(")", f', "{KEY}")', 1)
    return definition


def _years(table: str, source: str) -> None:
    first = _one(f'SELECT min("{KEY}") FROM "{source}"')
    last = _one(f'SELECT max("{KEY}") FROM "{source}"')
    low = first.year if first else 2020
    high = last.year if last else 2020
    for year in range(low, high + 1):
        _partition(table, year)
    _run(f'CREATE TABLE "{table}_default" PARTITION OF "{table}" DEFAULT')


def _partition(table: str, year: int) -> bool:
    name = f"{table}_y{year}"
    if _one("SELECT to_regclass(%s)", (name,)) is not None:
        return False
    _run(f"CREATE TABLE \"{name}\" PARTITION OF \"{table}\" FOR VALUES FROM ('{year}-01-01') TO ('{year + 1}-01-01')")
    return True


def _ensure_years(table: str, years_ahead: int) -> list[str]:
    """A partition for every year up to ``years_ahead`` past the newest row or
    this year (rows already in the default partition stay there: detach and
    re-attach it to move them)."""
    newest = _one(f'SELECT max("{KEY}") FROM "{table}"')
    top = max(timezone.localdate().year, newest.year if newest else 0) + years_ahead
    low = _one(f'SELECT min("{KEY}") FROM "{table}"')
    start = low.year if low else timezone.localdate().year
    added = []
    for year in range(start, top + 1):
        if _default_has(table, year):
            continue
        if _partition(table, year):
            added.append(f"{table}_y{year}")
    return added


def _default_has(table: str, year: int) -> bool:
    return bool(_one(f'SELECT EXISTS (SELECT 1 FROM "{table}_default" WHERE "{KEY}" >= %s AND "{KEY}" < %s)',
                     (f"{year}-01-01", f"{year + 1}-01-01")))


def _restart_identity(table: str) -> None:
    top = int(_one(f'SELECT coalesce(max(id), 0) FROM "{table}"') or 0)
    _run(f'ALTER TABLE "{table}" ALTER COLUMN id RESTART WITH {top + 1}')


def partitions(table: str) -> list[str]:
    return [str(name) for (name,) in _all(
        "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
        "WHERE i.inhparent = %s::regclass ORDER BY c.relname", (table,))]
