"""Hooks webhooks onto the workflow: approvals and revisions queue their deliveries in the
transaction of the step itself."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from nrs.collection.models import Submission
from nrs.collection.signals import submission_changed
from nrs.exchange.connectors import webhooks


@receiver(submission_changed)
def on_workflow_step(sender: Any, submission: Submission, action: str, **kwargs: Any) -> None:
    webhooks.on_step(submission, action)
