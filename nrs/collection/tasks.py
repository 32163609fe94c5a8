"""Background tasks (huey: SQLite by default, Redis when NRS_REDIS_URL is set).

Run the worker with `nrs run_huey`."""

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from nrs.collection import reminders


@db_periodic_task(crontab(hour="7", minute="0"))
def send_report_notices() -> int:
    """Every morning at 07:00 (Asia/Ho_Chi_Minh): reminders and overdue notices."""
    return reminders.send_due(timezone.localdate())
