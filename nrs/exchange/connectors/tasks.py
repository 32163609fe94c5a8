"""Background tasks (huey; the worker `nrs serve` starts runs them): every minute, the due
connectors and the webhook deliveries waiting for a retry; right after a commit, the new
deliveries."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from nrs.exchange.connectors import runner, webhooks


@db_periodic_task(crontab(minute="*"))
def run_due_connectors() -> int:
    """Each active connector whose next run is due: fetch, store, log, reschedule."""
    return len(runner.run_due())


@db_periodic_task(crontab(minute="*"))
def retry_webhook_deliveries() -> int:
    """Deliveries that failed and whose next try is due."""
    return webhooks.send_due()


@db_task(retries=0)  # retries are ours (logged, with backoff), not huey's
def send_deliveries(ids: list[int]) -> int:
    return webhooks.send(ids)
