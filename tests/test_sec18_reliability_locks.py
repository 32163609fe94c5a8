"""Issue 18, finding 13b: nobody waits behind the aggregate worker.

Every ``audit.record()`` holds the audit chain lock until its transaction ends.
An approval used to take the chain lock (its audit event) and then wait for the
aggregate-store lock, which the queue worker holds for a whole chunk (2,000
unit-periods, a few seconds), so every sign-in's audit event waited too (2.41 s
measured). The rule now: a transaction that holds the chain lock never waits
for the store lock. When the store is free the approval refreshes its figures
in its own transaction, as before; when the worker holds it, the approval
queues its refresh in its own transaction (nothing lost) and applies it right
after its commit, holding no lock anyone else needs.

The tests' oracles are the entered values and lock semantics, never a timing:
on PostgreSQL the approval runs with ``lock_timeout`` set, so any wait for the
store lock fails it outright.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection, connections, transaction

from nrs.accounts.models import Role
from nrs.analytics import pending
from nrs.analytics.models import Basis, PendingRefresh
from nrs.analytics.models import Cell as StoredCell
from nrs.collection import actions, bulk
from nrs.collection.models import State, Submission
from nrs.collection.validation import Row
from nrs.lib import periods
from nrs.registry.models import Regime
from tests.conftest import current

pytestmark = pytest.mark.django_db
POSTGRES = connection.vendor == "postgresql"
REGIME, UNIT, PERIOD = "PROV_KTXH_M", "01", "2026-02"
ENTERED = {"RETAIL_SALES": "61234.5", "EXPORT_TOTAL": "1234.5"}
AT = datetime(2026, 3, 10, tzinfo=UTC)


def _approved(code: str, basis: str = Basis.APPROVED) -> Decimal | None:
    found = StoredCell.objects.filter(basis=basis, indicator__code=code, org_unit=current(UNIT),
                                      period=PERIOD).first()
    return None if found is None else found.value


@pytest.fixture
def submitted(make_user: Callable[..., Any]) -> tuple[Submission, Any]:
    """A submitted Hà Nội report (imported by a system account) and an approver."""
    system = make_user("svc", Role.SYSTEM, "CP")
    approver = make_user("hn.duyet", Role.APPROVER, UNIT)
    rows = [Row(ref=code, indicator=code, org_unit=UNIT, value=value) for code, value in ENTERED.items()]
    report = bulk.Report(regime=Regime.objects.get(code=REGIME), unit=current(UNIT),
                         period=periods.parse_sdmx(PERIOD), rows=rows, state=State.SUBMITTED,
                         submitted_at=AT, approved_at=None)
    # Deferred, and its (preview) job closed at once: on PostgreSQL a refresh here would
    # hold the store lock in the test's own transaction until the test ends.
    result = bulk.import_reports([report], actor=system, today=date(2026, 3, 10), defer=True)
    assert not result.issues, result.issues
    PendingRefresh.objects.update(done_at=AT)
    submission = Submission.objects.get(regime__code=REGIME, org_unit__code=UNIT, period=PERIOD)
    assert submission.state == State.SUBMITTED
    assert _approved("RETAIL_SALES") is None
    return submission, approver


def _expected(code: str) -> Decimal:
    return Decimal(ENTERED[code])


def test_a_busy_store_queues_the_approvals_refresh_and_hands_it_to_the_worker_on_commit(
        submitted: tuple[Submission, Any], monkeypatch: pytest.MonkeyPatch,
        django_capture_on_commit_callbacks: Any) -> None:
    """The store is busy (the worker holds its lock): the approval does not wait;
    its refresh is a queued job in its own transaction, handed to the worker once
    it commits, and the worker's run brings the approved figures."""
    submission, approver = submitted
    handed: list[str] = []
    monkeypatch.setattr(pending, "try_lock", lambda: False)
    monkeypatch.setattr(pending, "_enqueue", lambda: handed.append("worker"))
    with django_capture_on_commit_callbacks(execute=True):
        actions.approve_submission(submission, actor=approver)
    assert handed == ["worker"]
    job = PendingRefresh.objects.get(done_at__isnull=True)
    assert job.submitted == [submission.pk]
    assert _approved("RETAIL_SALES") is None  # not yet: the store was busy
    monkeypatch.undo()
    assert pending.apply_all() == 1  # the worker's run
    job.refresh_from_db()
    assert job.done_at is not None and job.error == ""
    assert _approved("RETAIL_SALES") == _expected("RETAIL_SALES")
    assert _approved("EXPORT_TOTAL") == _expected("EXPORT_TOTAL")


def test_the_worker_applies_a_deferred_approval_between_the_chunks_of_a_big_job(
        submitted: tuple[Submission, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    """A big import's job is recomputed a chunk at a time; an approval deferred
    meanwhile is applied after the chunk in progress, not after the whole job."""
    from nrs.analytics.models import Refresh

    submission, approver = submitted
    monkeypatch.setattr(pending, "CHUNK_UNITS", 1)  # one province per chunk
    big = pending.queue({"2026-01": ({"RETAIL_SALES"}, {current("01").pk, current("79").pk})}, [],
                        values=2, reason="big import")
    monkeypatch.setattr(pending, "try_lock", lambda: False)
    actions.approve_submission(submission, actor=approver)
    monkeypatch.setattr(pending, "try_lock", lambda: True)
    small = PendingRefresh.objects.filter(done_at__isnull=True).exclude(pk=big.pk).get()
    before = Refresh.objects.order_by("-id").values_list("id", flat=True).first() or 0
    pending.apply_all()
    assert pending.open_count() == 0
    order = [reason for reason in Refresh.objects.filter(id__gt=before).order_by("id").values_list("reason", flat=True)
             if not reason.endswith("(preview)")]
    assert order[:3] == ["big import", f"approve {submission}", "big import"], order
    assert _approved("RETAIL_SALES") == _expected("RETAIL_SALES")
    small.refresh_from_db()
    assert small.done_at is not None


def test_a_lost_after_commit_refresh_is_caught_up_by_the_sweep(
        submitted: tuple[Submission, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    """A crash between the commit and the refresh leaves the job open; the
    worker's sweep applies it: nothing is lost."""
    submission, approver = submitted
    monkeypatch.setattr(pending, "try_lock", lambda: False)
    actions.approve_submission(submission, actor=approver)  # on_commit never runs in a test transaction
    monkeypatch.undo()
    assert pending.open_count() == 1 and _approved("RETAIL_SALES") is None
    assert pending.apply_all() == 1
    assert pending.open_count() == 0
    assert _approved("RETAIL_SALES") == _expected("RETAIL_SALES")


def test_a_free_store_refreshes_within_the_approval(submitted: tuple[Submission, Any]) -> None:
    """The usual case: figures are visible the moment the approval commits."""
    submission, approver = submitted
    actions.approve_submission(submission, actor=approver)
    assert pending.open_count() == 0
    assert _approved("RETAIL_SALES") == _expected("RETAIL_SALES")


@pytest.fixture
def worker_holds_the_store() -> Iterator[None]:
    """Another connection holds the aggregate-store lock, as the queue worker does
    during a chunk, until the test ends."""
    held, release = threading.Event(), threading.Event()

    def worker() -> None:
        try:
            with transaction.atomic():
                pending.lock()
                held.set()
                release.wait(60)
        finally:
            connections.close_all()

    thread = threading.Thread(target=worker)
    thread.start()
    try:
        assert held.wait(30)
        yield
    finally:
        release.set()
        thread.join(60)


@pytest.mark.skipif(not POSTGRES, reason="the store lock is a PostgreSQL advisory lock")
def test_an_approval_never_waits_for_the_store_lock_the_worker_holds(
        submitted: tuple[Submission, Any], worker_holds_the_store: None) -> None:
    """With lock_timeout at 100 ms, any wait for a lock (advisory ones included)
    fails the statement: the approval, which holds the audit chain lock once it has
    recorded its event, must not wait for the worker's store lock."""
    submission, approver = submitted
    with connection.cursor() as cursor:
        cursor.execute("SET lock_timeout = '100ms'")
    try:
        actions.approve_submission(submission, actor=approver)
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET lock_timeout")
    assert pending.open_count() == 1  # queued, to be applied after the worker's chunk
    assert _approved("RETAIL_SALES") is None


@pytest.mark.skipif(not POSTGRES, reason="the store lock is a PostgreSQL advisory lock")
def test_a_sign_in_event_does_not_wait_while_the_worker_holds_the_store(worker_holds_the_store: None) -> None:
    from nrs.audit.events import EventType
    from nrs.audit.log import record

    with connection.cursor() as cursor:
        cursor.execute("SET lock_timeout = '100ms'")
    try:
        with transaction.atomic():
            record(EventType.LOGIN, summary="sign-in while the worker refreshes")
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET lock_timeout")


def test_an_import_that_finds_the_store_busy_defers_its_refresh(make_user: Callable[..., Any],
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """A bulk import has recorded its audit events before its refresh: with the
    store busy it queues the refresh instead of waiting, and the worker's run
    brings the figures."""
    from nrs.accounts import actions as account_actions

    system = make_user("svc", Role.SYSTEM, "CP")
    account_actions.grant_role(system, Role.APPROVER, current("CP"))
    rows = [Row(ref=code, indicator=code, org_unit=UNIT, value=value) for code, value in ENTERED.items()]
    report = bulk.Report(regime=Regime.objects.get(code=REGIME), unit=current(UNIT),
                         period=periods.parse_sdmx(PERIOD), rows=rows, submitted_at=AT, approved_at=AT)
    monkeypatch.setattr(pending, "try_lock", lambda: False)
    monkeypatch.setattr(pending, "_enqueue", lambda: None)
    assert not bulk.import_reports([report], actor=system, today=date(2026, 3, 10)).issues
    monkeypatch.undo()
    assert pending.open_count() == 1 and _approved("RETAIL_SALES") is None
    pending.apply_all()
    assert pending.open_count() == 0
    assert _approved("RETAIL_SALES") == _expected("RETAIL_SALES")
