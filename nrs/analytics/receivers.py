"""Keeps the aggregate store current on every write of reported data, inside
the transaction of the write itself; a bulk import through the API may queue
its refresh instead (nrs.analytics.pending). Every write to the store takes
the store's lock first.

Lock order: these receivers run after the write's audit event, so their
transaction holds the audit chain lock. They only *try* the store lock; when
the worker holds it they queue the refresh in their own transaction and hand
it to the worker at the commit (``pending.defer``), so no sign-in or approval
ever queues behind a worker chunk (issue 18, finding 13)."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

import nrs.analytics.live  # noqa: F401  (announces each new Refresh on Redis)
from nrs.analytics import pending, refresh
from nrs.analytics.models import Basis
from nrs.collection.models import Submission
from nrs.collection.signals import reports_imported, submission_changed


@receiver(submission_changed)
def on_workflow_step(sender: Any, submission: Submission, action: str, **kwargs: Any) -> None:
    """Runs after the step's audit event, so its transaction holds the audit chain
    lock: it never waits for the store lock. When the store is free (nearly
    always) the figures are refreshed here and visible at the commit; when the
    worker holds it, the refresh is queued for the worker (``pending.defer``)."""
    if action not in ("submit", "approve", "return"):
        return
    if not pending.try_lock():
        touched = refresh.touched_by(submission) if action == "approve" else {}
        pending.defer(touched, [submission.pk], reason=f"{action} {submission}")
        return
    if action == "approve":
        refresh.refresh_submission(submission, Basis.APPROVED, reason=f"approve {submission}")
    refresh.refresh_submission(submission, Basis.PREVIEW, reason=f"{action} {submission} (preview)")


@receiver(reports_imported)
def on_import(sender: Any, indicators: set[str], reports: int, touched: Any = None,
              submitted: Any = None, defer: bool = False, values: int = 0, **kwargs: Any) -> None:
    """Only the periods, indicators and units the import stored are recomputed;
    each report left awaiting approval gets its preview, as on submit. With
    ``defer``, that work is queued for the background worker."""
    reason = f"bulk import of {reports} reports"
    if defer and touched is not None:
        pending.queue(touched, list(submitted or []), values=values, reason=reason)
        return
    if touched is not None and not pending.try_lock():  # the import has recorded its events: never wait
        pending.defer(touched, list(submitted or []), reason=reason)
        return
    pending.lock()  # a rebuild from scratch (the demo, the CLI) waits for the store
    if touched is None:
        refresh.rebuild(indicators, reason=reason)
        return
    refresh.refresh_touched(touched, Basis.APPROVED, reason=reason)
    pending.refresh_previews(list(submitted or []))
