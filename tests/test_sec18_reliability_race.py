"""Issue 18, finding 13a: two first writes to a new report at once.

On PostgreSQL both requests used to see no submission (READ COMMITTED, nothing
to lock yet), both inserted one, and the second failed with
``IntegrityError: submission_uniq`` (a 500). The expected outcome, written here
independently of the code: both writes succeed, into one and the same report,
and each stored its value as a row of the report's version.

The PostgreSQL test runs two threads, each with its own connection that
commits, and makes both reach the point where a report would be created before
either creates it (a barrier around ``_open_submission``; without a lock both
get there, with one the second waits for the first's commit and finds its
report). It leaves its audit events behind (the log is append-only) and
removes the report it made. On SQLite, where a write transaction starts with
BEGIN IMMEDIATE, the two writes run one after the other.
"""

from __future__ import annotations

import contextlib
import threading
import uuid
from collections.abc import Callable, Iterator
from datetime import date
from typing import Any

import pytest
from django.db import connection, connections

from nrs.accounts import actions as account_actions
from nrs.accounts.models import Grant
from nrs.collection import actions
from nrs.collection.models import DataValue, Submission
from nrs.collection.validation import Row
from nrs.lib import periods
from nrs.registry.models import Regime
from tests.conftest import current

pytestmark = pytest.mark.django_db
REGIME, UNIT, PERIOD = "PROV_KTXH_M", "92", "2025-10"  # Cần Thơ: a report no other test writes
TODAY = date(2025, 11, 5)
POSTGRES = connection.vendor == "postgresql"


def _thread(work: Callable[[], Any]) -> Callable[[], Any]:
    """Run ``work`` in a thread with its own (committing) connection; the
    returned function joins it and gives the result or raises its exception."""
    box: dict[str, Any] = {}

    def run() -> None:
        try:
            box["result"] = work()
        except BaseException as exc:  # handed to the joining test
            box["error"] = exc
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()

    def join() -> Any:
        thread.join(60)
        assert not thread.is_alive(), "a write never finished (deadlock?)"
        if "error" in box:
            raise box["error"]
        return box["result"]

    return join


def _row(value: str) -> list[Row]:
    return [Row(ref="r", indicator="RETAIL_SALES", org_unit=UNIT, value=value)]


def _save(reporter: Any, value: str) -> actions.SaveResult:
    regime = Regime.objects.get(code=REGIME)
    return actions.check_and_save_values(regime, current(UNIT), periods.parse_sdmx(PERIOD), _row(value),
                                         actor=reporter, today=TODAY)


@pytest.fixture
def committed_reporter() -> Iterator[Any]:
    """A reporter on the unit, committed (the threads' connections must see it)."""
    name = f"race.{uuid.uuid4().hex[:8]}"

    def make() -> Any:
        user, _ = account_actions.create_user(name, "race-test-password-2026", full_name=name)
        account_actions.grant_role(user, "reporter", current(UNIT))
        return user

    user = _thread(make)() if POSTGRES else make()
    yield user
    if POSTGRES:
        def clean() -> None:
            for submission in Submission.objects.filter(regime__code=REGIME, org_unit__code=UNIT, period=PERIOD):
                DataValue.objects.filter(version__submission=submission).delete()
                submission.delete()
            Grant.objects.filter(user=user).delete()
        _thread(clean)()


@pytest.mark.skipif(not POSTGRES, reason="the race needs two connections that commit (PostgreSQL)")
def test_two_first_writes_at_once_land_in_one_report(committed_reporter: Any,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    start = threading.Barrier(2)
    both_creating = threading.Barrier(2, timeout=3)
    create = actions._open_submission

    def creating(*args: Any, **kwargs: Any) -> Submission:
        # Only possible when both saw no report; with the lock the other write waits for
        # this one's commit, the barrier breaks, and that is as it should be.
        with contextlib.suppress(threading.BrokenBarrierError):
            both_creating.wait()
        return create(*args, **kwargs)

    monkeypatch.setattr(actions, "_open_submission", creating)

    def write(value: str) -> Callable[[], Any]:
        def work() -> actions.SaveResult:
            start.wait()
            return _save(committed_reporter, value)
        return _thread(work)

    first, second = write("1000"), write("2000")
    results = [first(), second()]  # an IntegrityError (the old 500) is raised here

    assert all(result.ok and result.saved == 1 for result in results), [r.issues for r in results]
    assert results[0].submission is not None and results[1].submission is not None
    assert results[0].submission.pk == results[1].submission.pk
    check = _thread(lambda: (Submission.objects.filter(regime__code=REGIME, org_unit__code=UNIT,
                                                       period=PERIOD).count(),
                             sorted(str(v) for v in DataValue.objects.filter(
                                 version__submission_id=results[0].submission.pk,
                                 indicator__code="RETAIL_SALES").values_list("value", flat=True))))
    reports, values = check()
    assert reports == 1
    assert [float(v) for v in values] == [1000.0, 2000.0]


def test_two_first_writes_one_after_the_other_land_in_one_report(committed_reporter: Any) -> None:
    """The serial case (SQLite's, and a baseline on PostgreSQL): the second write
    finds the report the first one opened."""
    if POSTGRES:
        results = [_thread(lambda v=v: _save(committed_reporter, v))() for v in ("1000", "2000")]
    else:
        results = [_save(committed_reporter, v) for v in ("1000", "2000")]
    assert all(result.ok and result.saved == 1 for result in results), [r.issues for r in results]
    assert results[0].submission is not None and results[1].submission is not None
    assert results[0].submission.pk == results[1].submission.pk
