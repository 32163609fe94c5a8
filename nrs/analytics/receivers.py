"""Keeps the aggregate store current on every write of reported data, inside
the transaction of the write itself; a bulk import through the API may queue
its refresh instead (nrs.analytics.pending). Every write to the store takes
the store's lock first."""

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
    if action not in ("submit", "approve", "return"):
        return
    pending.lock()
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
    pending.lock()
    if touched is None:
        refresh.rebuild(indicators, reason=reason)
        return
    refresh.refresh_touched(touched, Basis.APPROVED, reason=reason)
    pending.refresh_previews(list(submitted or []))
