"""The daily anchor of the audit chain (huey; the worker `nrs serve` starts runs it)."""

from __future__ import annotations

import logging

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from nrs.audit import actions

log = logging.getLogger(__name__)


@db_periodic_task(crontab(hour="1", minute="30"))
def anchor_audit_chain() -> int | None:
    """Every night at 01:30 (Asia/Ho_Chi_Minh): verify the chain, then anchor its head.
    A broken chain is never anchored (that would bless the tampering): logged as an error."""
    result, anchor = actions.anchor_chain()
    if anchor is None:
        log.error("audit chain broken at seq %s: %s / %s", result.broken_seq,
                  result.message_vi, result.message_en)
        return None
    return anchor.seq
