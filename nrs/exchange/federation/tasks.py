"""The scheduled push: every NRS_FEDERATION_MINUTES, when an upstream is configured."""

from django.conf import settings
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from nrs.exchange.federation import sync


@db_periodic_task(crontab(minute=f"*/{settings.NRS_FEDERATION_MINUTES}"))
def push_upstream() -> int:
    """Send what the upstream has not acknowledged; a refusal waits for the next run
    (the cursor has not moved, so nothing is lost)."""
    if sync.upstream() is None:
        return 0
    return sync.run().submissions
