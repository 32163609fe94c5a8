"""Aggregate refreshes owed by bulk imports, applied in the background (decision 35).

A bulk request through the API stores its values, versions, transitions and
audit event in one transaction and, in that same transaction, one
``PendingRefresh`` row naming what it touched. The request returns without
recomputing the aggregates; the worker (`nrs run_huey`, started by `nrs serve`)
applies the queue oldest first, whole provinces of about CHUNK_UNITS unit-periods
per transaction, so an approval waits at most for the chunk in progress (a few
seconds) and smaller chunks would cost more (each reads the figures around it).
A workflow step that finds the store busy defers its refresh here too
(``defer``), and the worker applies such small jobs between the chunks of a big
one, so the step neither waits nor falls behind the whole queue. A crash leaves the row open and the
next run (enqueued on commit, and swept every minute) recomputes it from the
start: a refresh recomputes from the stored values, so applying twice is the
same as applying once.

Every write to the aggregate store takes ``lock()`` first, so two refreshes
never read each other's half-written figures (a province total computed from a
stale sibling) nor race on the same cell.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

from django.db import connection, transaction
from django.utils import timezone

from nrs.analytics import refresh, store
from nrs.analytics.models import Basis, PendingRefresh
from nrs.collection.models import Submission

log = logging.getLogger(__name__)

CHUNK_UNITS = 2_000  # unit-periods per transaction: a few seconds of refresh on 2 cores (benchmarks.md)
_LOCK_KEY = 0x4E525341  # "NRSA": the aggregate store's advisory lock
_WORKER_KEY = 0x4E525351  # "NRSQ": one worker applies the queue at a time

Touched = Mapping[str, tuple[set[str], set[int]]]


def lock() -> None:
    """Serialise writes to the aggregate store until the current transaction ends
    (PostgreSQL; SQLite serialises every writer already)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK_KEY])


def try_lock() -> bool:
    """Take the store's lock if it is free, without waiting; True when this
    transaction now holds it (always on SQLite).

    A transaction that holds the audit chain lock (it has called
    ``audit.record()``) must never wait for the store lock: the worker holds it
    for a whole chunk, and every sign-in and approval would queue behind the
    chain lock meanwhile. Such a transaction tries, and when the store is busy
    defers its refresh (``defer()``)."""
    if connection.vendor != "postgresql":
        return True
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [_LOCK_KEY])
        return bool(cursor.fetchone()[0])


def defer(touched: Touched, submitted: list[int], *, reason: str) -> PendingRefresh:
    """The refresh a workflow step owes when the store is busy: a job recorded in
    the step's own transaction (a crash cannot lose it) and handed to the worker
    when the step commits. The step returns at once; the worker applies a job
    this small between the chunks of the one in progress (``apply``), so the
    figures follow within one chunk."""
    job = PendingRefresh.objects.create(
        reason=reason[:200], values=0, submitted=list(submitted),
        touched={period: [sorted(codes), sorted(units)] for period, (codes, units) in touched.items()})
    transaction.on_commit(_enqueue, robust=True)  # the step has committed: log, never raise
    return job


def queue(touched: Touched, submitted: list[int], *, values: int, reason: str) -> PendingRefresh:
    """Record, inside the import's transaction, the refresh it owes."""
    job = PendingRefresh.objects.create(
        reason=reason[:200], values=values, submitted=list(submitted),
        touched={period: [sorted(codes), sorted(units)] for period, (codes, units) in touched.items()})
    transaction.on_commit(_enqueue)
    return job


def _enqueue() -> None:
    from nrs.analytics import tasks  # the task module imports this one

    tasks.apply_pending_refreshes()


def open_count() -> int:
    return PendingRefresh.objects.filter(done_at__isnull=True).count()


def apply_all() -> int:
    """Apply every open job, oldest first, each tried once per call (a job that fails
    keeps its error and is tried again by the next sweep; the others go on: each
    refresh recomputes from the stored values, so their order does not change the
    figures). Returns how many were applied. Another worker already applying the
    queue makes this return 0 at once: it will see the new jobs too."""
    applied, tried = 0, set[int]()
    with _worker() as mine:
        if not mine:
            return 0
        while (job := PendingRefresh.objects.filter(done_at__isnull=True).exclude(pk__in=tried)
               .order_by("id").first()) is not None:
            tried.add(job.pk)
            applied += _apply_one(job)
    return applied


@contextmanager
def _worker() -> Iterator[bool]:
    if connection.vendor != "postgresql":
        yield True
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [_WORKER_KEY])
        mine = bool(cursor.fetchone()[0])
    try:
        yield mine
    finally:
        if mine:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [_WORKER_KEY])


def _apply_one(job: PendingRefresh, *, interleave: bool = True) -> bool:
    PendingRefresh.objects.filter(pk=job.pk).update(attempts=job.attempts + 1)
    try:
        apply(job, interleave=interleave)
    except Exception as exc:  # the job stays open; the next sweep tries again
        log.exception("queued aggregate refresh %s failed", job.pk)
        PendingRefresh.objects.filter(pk=job.pk).update(error=f"{type(exc).__name__}: {exc}"[:2000])
        return False
    return True


def size(job: PendingRefresh) -> int:
    """The unit-periods ``job`` recomputes."""
    return sum(len(units) for _codes, units in job.touched.values())


def _small_ones(after: PendingRefresh) -> None:
    """Between two chunks of a big job: apply the newer jobs smaller than a chunk (an
    approval deferred while the store was busy), each tried once here; a failed one
    is left to the sweep."""
    for job in PendingRefresh.objects.filter(done_at__isnull=True, attempts=0, id__gt=after.pk).order_by("id"):
        if size(job) <= CHUNK_UNITS:
            _apply_one(job, interleave=False)


def apply(job: PendingRefresh, *, interleave: bool = True) -> None:
    """Recompute what ``job`` touched, a chunk of whole provinces per transaction (each
    over what the previous ones wrote, as consecutive approvals), then the previews of
    its submitted reports and the job's ``done_at`` in the last one. With
    ``interleave``, smaller jobs queued meanwhile are applied between the chunks."""
    touched = {period: (set(codes), set(units)) for period, (codes, units) in job.touched.items()}
    every: set[int] = set().union(*(units for _c, units in touched.values()))
    # Every period of the job for a few provinces at a time: the engine computes a year's
    # months together (refresh_touched batches them), and a transaction holds about
    # CHUNK_UNITS unit-periods whatever the job's length.
    size = max(1, CHUNK_UNITS // max(1, len(touched)))
    for chunk in refresh.by_branch(store.tree(), every, size):
        part = {period: (codes, units & chunk) for period, (codes, units) in touched.items() if units & chunk}
        with transaction.atomic():
            lock()
            refresh.refresh_touched(part, Basis.APPROVED, reason=job.reason)
        if interleave:
            _small_ones(job)
    with transaction.atomic():
        lock()
        refresh_previews(job.submitted)
        PendingRefresh.objects.filter(pk=job.pk).update(done_at=timezone.now(), error="")


def refresh_previews(submitted: list[int]) -> None:
    """Each imported report left awaiting approval gets its preview, as on submit."""
    for submission in Submission.objects.filter(pk__in=submitted).select_related("regime", "org_unit"):
        refresh.refresh_submission(submission, Basis.PREVIEW, reason=f"import {submission} (preview)")
