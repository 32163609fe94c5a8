"""The audit event of a fetch the destination policy refused (FETCH_REFUSED): which
connector, webhook or upstream, the host and the reason's category; never a fetched byte."""

from __future__ import annotations

from typing import Any

from django.db import models, transaction

from nrs.audit.events import EventType
from nrs.audit.log import record
from nrs.exchange.connectors.http import DestinationRefused


@transaction.atomic
def record_refused(exc: DestinationRefused, *, obj: models.Model, what: str, actor: Any = None,
                   org_unit: Any = None) -> None:
    """``what``: "connector", "webhook" or "federation"."""
    record(EventType.FETCH_REFUSED, actor=actor, org_unit=org_unit, obj=obj,
           summary=f"{what} {obj}: {exc.host or '?'} refused ({exc.reason})",
           data={"source": what, "host": exc.host, "reason": exc.reason})
