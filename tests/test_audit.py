from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import DatabaseError, connection, transaction

from nrs.audit.events import EventType
from nrs.audit.log import NotInTransaction, record
from nrs.audit.models import AppendOnlyError, Event
from nrs.registry import actions
from nrs.registry.models import Indicator, Target
from tests.conftest import current

pytestmark = pytest.mark.django_db


def test_actions_write_their_event(coordinator) -> None:  # type: ignore[no-untyped-def]
    before = Event.objects.count()
    gdp = Indicator.objects.get(code="GDP_GROWTH")
    target, changed = actions.set_target(gdp, current("CP"), 2026, Decimal("10"),
                                         actor=coordinator, reason="NQ Quốc hội")
    assert changed
    event = Event.objects.latest("id")
    assert event.event_type == EventType.TARGET_SET
    assert event.actor == coordinator
    assert event.object_id == str(target.pk)
    assert Event.objects.count() == before + 1


def test_targets_are_versioned_never_overwritten(coordinator) -> None:  # type: ignore[no-untyped-def]
    gdp = Indicator.objects.get(code="GDP_GROWTH")
    actions.set_target(gdp, current("CP"), 2026, Decimal("10"), actor=coordinator)
    actions.set_target(gdp, current("CP"), 2026, Decimal("10"), actor=coordinator)  # same: no-op
    actions.set_target(gdp, current("CP"), 2026, Decimal("9.5"), actor=coordinator, reason="x")
    versions = Target.objects.filter(indicator=gdp, year=2026).order_by("version")
    assert [(t.version, t.value) for t in versions] == [(1, Decimal("10")), (2, Decimal("9.5"))]
    assert actions.current_target(gdp, current("CP"), 2026).value == Decimal("9.5")  # type: ignore[union-attr]


def test_record_outside_a_transaction_is_refused() -> None:
    # pytest-django wraps each test in a transaction; step outside it for the guard.
    saved = connection.in_atomic_block
    connection.in_atomic_block = False
    try:
        with pytest.raises(NotInTransaction):
            record(EventType.LOGIN)
    finally:
        connection.in_atomic_block = saved


def _an_event() -> Event:
    with transaction.atomic():
        return record(EventType.LOGIN, summary="x")


def test_model_refuses_update_and_delete() -> None:
    event = _an_event()
    event.summary = "changed"
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()
    with pytest.raises(AppendOnlyError):
        Event.objects.filter(pk=event.pk).update(summary="changed")
    with pytest.raises(AppendOnlyError):
        Event.objects.filter(pk=event.pk).delete()


def test_database_refuses_raw_update() -> None:
    event = _an_event()
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE audit_event SET summary = 'tampered' WHERE id = %s", [event.pk])
    event.refresh_from_db()
    assert event.summary == "x"


def test_database_refuses_raw_delete() -> None:
    event = _an_event()
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_event WHERE id = %s", [event.pk])
    assert Event.objects.filter(pk=event.pk).exists()
