"""The read-replica router: dashboards' reads go to the replica, a refresh's reads do not."""

from __future__ import annotations

import pytest
from django.db import transaction

from nrs.analytics.models import Cell, Refresh
from nrs.analytics.routers import ReplicaRouter
from nrs.collection.models import DataValue


def test_aggregate_reads_go_to_the_replica_outside_a_transaction() -> None:
    router = ReplicaRouter()
    assert router.db_for_read(Cell) == "replica" and router.db_for_read(Refresh) == "replica"
    assert router.db_for_read(DataValue) is None  # reported values: always the primary
    assert router.db_for_write(Cell) == "default"
    assert router.allow_migrate("default", "analytics") and not router.allow_migrate("replica", "analytics")


@pytest.mark.django_db
def test_a_refresh_reads_its_own_writes_on_the_primary() -> None:
    router = ReplicaRouter()
    with transaction.atomic():
        assert router.db_for_read(Cell) is None
