"""Background tasks of the aggregate store (huey; run by `nrs run_huey`, which `nrs serve` starts)."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from nrs.analytics import pending


@db_task()
def apply_pending_refreshes() -> int:
    """Enqueued when a bulk import commits: bring the aggregates up to date."""
    return pending.apply_all()


@db_periodic_task(crontab(minute="*"))
def sweep_pending_refreshes() -> int:
    """Every minute: a job whose run was lost (a crash, a worker restart) is applied."""
    return pending.apply_all()
