"""record(): the one way to write an audit event, appended to the hash chain."""

from __future__ import annotations

import uuid
from typing import Any

from django.db import connection, models
from django.utils import timezone

from nrs.audit import chain
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
    event and the change it describes commit or roll back together.

    Takes the chain lock (``chain.lock_chain``: held until the transaction ends; see
    there why it cannot deadlock), reads the head, and inserts the event as
    ``seq = head + 1`` with its hash computed over exactly the values stored."""
    if not connection.in_atomic_block:
        raise NotInTransaction("audit.record() must be called inside transaction.atomic()")
    actor_id = getattr(actor, "pk", None) if actor is not None and actor.is_authenticated else None
    event = Event(
        event_type=event_type,
        actor_id=actor_id,
        org_unit=org_unit,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        summary=summary[:300],
        data=chain.as_stored(data or {}),
        action_id=action_id or uuid.uuid4(),
    )
    chain.lock_chain()
    last_seq, last_hash = chain.head()
    event.seq, event.prev_hash = last_seq + 1, last_hash
    event.occurred_at = timezone.now()
    event.hash = chain.row_hash({name: getattr(event, name) for name in chain.HASHED})
    event.save(force_insert=True)
    return event
