"""Keeps the aggregate store current on every write of reported data, inside
the transaction of the write itself."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from nrs.analytics import refresh
from nrs.analytics.models import Basis
from nrs.collection.models import Submission
from nrs.collection.signals import reports_imported, submission_changed


@receiver(submission_changed)
def on_workflow_step(sender: Any, submission: Submission, action: str, **kwargs: Any) -> None:
    if action == "approve":
        refresh.refresh_submission(submission, Basis.APPROVED, reason=f"approve {submission}")
    if action in ("submit", "approve", "return"):
        refresh.refresh_submission(submission, Basis.PREVIEW, reason=f"{action} {submission} (preview)")


@receiver(reports_imported)
def on_import(sender: Any, indicators: set[str], reports: int, **kwargs: Any) -> None:
    refresh.rebuild(indicators, reason=f"bulk import of {reports} reports")
