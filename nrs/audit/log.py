"""record(): the one way to write an audit event."""

from __future__ import annotations

import uuid
from typing import Any

from django.db import connection, models

from nrs.audit.events import EventType
from nrs.audit.models import Event


class NotInTransaction(RuntimeError):
    pass


def record(
    event_type: EventType,
    *,
    actor: Any = None,
    org_unit: Any = None,
    obj: models.Model | None = None,
    summary: str = "",
    data: dict[str, Any] | None = None,
    action_id: uuid.UUID | None = None,
) -> Event:
    """Write one audit event. Must run inside the action's transaction, so the
    event and the change it describes commit or roll back together."""
    if not connection.in_atomic_block:
        raise NotInTransaction("audit.record() must be called inside transaction.atomic()")
    actor_id = getattr(actor, "pk", None) if actor is not None and actor.is_authenticated else None
    return Event.objects.create(
        event_type=event_type,
        actor_id=actor_id,
        org_unit=org_unit,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        summary=summary[:300],
        data=data or {},
        action_id=action_id or uuid.uuid4(),
    )
