"""Background generation of briefing documents (huey; `nrs serve` starts a worker)."""

from huey.contrib.djhuey import db_task

from nrs.reports import actions


@db_task(retries=0)
def generate_briefing(pk: int) -> None:
    actions.generate_briefing(pk)
