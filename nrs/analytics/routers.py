"""Scale-out: dashboards read the aggregate store from a read replica.

With ``NRS_REPLICA_DATABASE_URL`` set, reads of analytics cells and refreshes
go to the ``replica`` database, except inside a transaction on the primary
(a refresh reads the cells it recomputes there, and must see its own writes).
Everything else, and every write, stays on ``default``. A replica lags its
primary by its replication delay: docs/benchmarks.md ("Scale-out") says what
that means for freshness.
"""

from __future__ import annotations

from typing import Any

from django.db import connections

REPLICA = "replica"
READ_FROM_REPLICA = {("analytics", "cell"), ("analytics", "refresh")}


class ReplicaRouter:
    def __init__(self, replica: str = REPLICA) -> None:
        self.replica = replica

    def db_for_read(self, model: Any, **hints: Any) -> str | None:
        label = (model._meta.app_label, model._meta.model_name)
        if label in READ_FROM_REPLICA and not connections["default"].in_atomic_block:
            return self.replica
        return None

    def db_for_write(self, model: Any, **hints: Any) -> str:
        return "default"

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool:
        return True  # one database, copied: every row exists on both

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool:
        return db == "default"  # the replica gets its schema by replication
