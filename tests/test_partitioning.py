"""`nrs partition` on PostgreSQL: the value tables by year, and the product still works on them."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.management import call_command
from django.db import connection

from nrs.analytics.models import Cell
from nrs.collection import bulk
from nrs.collection.models import DataValue
from nrs.lib import periods
from nrs.registry.models import Regime
from nrs.web import demo_values, partitioning
from tests.conftest import current

pytestmark = pytest.mark.django_db


@pytest.fixture
def loader(make_user):  # type: ignore[no-untyped-def]
    from nrs.accounts import actions

    user = make_user("part.loader", "system", "CP")
    actions.grant_role(user, "approver", current("CP"))
    return user


def load(loader, code: str, period: str) -> None:  # type: ignore[no-untyped-def]
    regime = Regime.objects.get(code="PROV_KTXH_M")
    indicators = list(regime.indicators.filter(formula="").select_related("unit"))
    found = periods.parse(period)
    report = bulk.Report(regime=regime, unit=current(code), period=found,
                         rows=demo_values.values_for(indicators, code, 1.0, found))
    assert not bulk.import_reports([report], actor=loader, today=date(2026, 11, 29)).issues


@pytest.mark.skipif(connection.vendor != "postgresql", reason="partitioning is PostgreSQL's")
def test_partition_by_year_keeps_rows_constraints_and_writes(loader, capsys) -> None:  # type: ignore[no-untyped-def]
    # Inside the test's transaction: PostgreSQL rolls the DDL back afterwards.
    load(loader, "01", "2025-11")
    before = (DataValue.objects.count(), Cell.objects.count())
    call_command("partition")
    assert "collection_datavalue: converted" in capsys.readouterr().out
    assert partitioning.is_partitioned("collection_datavalue") and partitioning.is_partitioned("analytics_cell")
    assert {"collection_datavalue_y2025", "collection_datavalue_y2026"} <= set(partitioning.partitions(
        "collection_datavalue"))
    assert (DataValue.objects.count(), Cell.objects.count()) == before
    # New rows route to their year; ids continue; the cell key stays unique.
    load(loader, "31", "2026-10")
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM collection_datavalue_y2026")
        assert cursor.fetchone()[0] > 0
        cursor.execute("SELECT conname FROM pg_constraint WHERE conrelid = 'analytics_cell'::regclass "
                       "AND contype = 'u'")
        assert [name for (name,) in cursor.fetchall()] == ["cell_key_uniq"]
    assert DataValue.objects.count() > before[0]
    # Run again: nothing converted, nothing lost.
    call_command("partition")
    assert "already partitioned" in capsys.readouterr().out


@pytest.mark.skipif(connection.vendor == "postgresql", reason="the SQLite refusal")
def test_partition_needs_postgresql() -> None:
    with pytest.raises(Exception, match="PostgreSQL"):
        call_command("partition")
