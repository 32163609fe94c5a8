"""Inserting many plain rows fast: COPY on PostgreSQL, executemany elsewhere.

Model instances and the ORM's SQL compiler cost more than the database itself
for millions of rows (bulk imports, the aggregate store's rebuild). Callers
give the table's columns and tuples of Python values; this writes them as
Django would store them. Nothing here checks anything: validated rows only.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from django.db import connection, models

BATCH = 10_000


def insert_rows(model: type[models.Model], columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """Insert ``rows`` (one value per column) into ``model``'s table; returns the count."""
    table = connection.ops.quote_name(model._meta.db_table)
    names = ", ".join(connection.ops.quote_name(c) for c in columns)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            return _copy(cursor, f"COPY {table} ({names}) FROM STDIN", rows)
        sql = f"INSERT INTO {table} ({names}) VALUES ({', '.join(['%s'] * len(columns))})"
        count, batch = 0, []
        for row in rows:
            batch.append(tuple(_stored(value) for value in row))
            if len(batch) >= BATCH:
                cursor.executemany(sql, batch)
                count, batch = count + len(batch), []
        if batch:
            cursor.executemany(sql, batch)
            count += len(batch)
    return count


def insert_with_ids(model: type[models.Model], columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> list[int]:
    """Insert ``rows`` and return their new primary keys, in order. On PostgreSQL the
    keys are drawn from the table's sequence first and the rows COPYed with them."""
    if not rows:
        return []
    table = model._meta.db_table
    names = ", ".join(connection.ops.quote_name(c) for c in ("id", *columns))
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                           [table, len(rows)])
            ids = [int(pk) for (pk,) in cursor.fetchall()]
            _copy(cursor, f"COPY {connection.ops.quote_name(table)} ({names}) FROM STDIN",
                  ((pk, *row) for pk, row in zip(ids, rows, strict=True)))
            return ids
        sql = (f"INSERT INTO {connection.ops.quote_name(table)} ({names}) "
               f"VALUES (NULL, {', '.join(['%s'] * len(columns))})")
        found = []
        for row in rows:
            cursor.execute(sql, [_stored(value) for value in row])
            found.append(int(cursor.lastrowid))
        return found


def _copy(cursor: Any, sql: str, rows: Iterable[Sequence[Any]]) -> int:
    count = 0
    # psycopg's own cursor, so Django's wrapper is put back by hand: a unique violation is
    # django.db.IntegrityError here as on every other write.
    with connection.wrap_database_errors, cursor.cursor.copy(sql) as copy:
        for row in rows:
            copy.write_row(row)
            count += 1
    return count


def _stored(value: Any) -> Any:
    """A value as Django's SQLite backend stores it (decimals and datetimes as text)."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return value
