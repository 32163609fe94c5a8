"""The audit event table: rows are inserted, never updated or deleted.

Three layers keep it append-only: the model refuses to save an existing row
or delete one, the queryset refuses bulk update/delete, and database
triggers (migration 0002) refuse UPDATE and DELETE from any client. A hash
chain (``seq``, ``prev_hash``, ``hash``; nrs/audit/chain.py) makes any change
that gets past them visible to ``nrs audit verify``.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from nrs.audit.events import EventType


class AppendOnlyError(RuntimeError):
    pass


class EventQuerySet(models.QuerySet["Event"]):
    def update(self, **kwargs: Any) -> int:
        raise AppendOnlyError("audit events cannot be updated")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError("audit events cannot be deleted")


class Event(models.Model):
    # Set by record() (not auto_now_add), so the value hashed is the value stored.
    occurred_at = models.DateTimeField(_("time"), default=timezone.now)
    event_type = models.CharField(_("event"), max_length=40, choices=EventType.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("actor"), null=True,
                              blank=True, on_delete=models.PROTECT, related_name="+")
    org_unit = models.ForeignKey("registry.OrgUnit", verbose_name=_("org unit"), null=True,
                                 blank=True, on_delete=models.PROTECT, related_name="+")
    object_type = models.CharField(_("object type"), max_length=60, blank=True)
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    summary = models.CharField(_("summary"), max_length=300, blank=True)
    data = models.JSONField(_("details"), default=dict, blank=True)
    # One user action may write several events; they share this id.
    action_id = models.UUIDField(_("action id"), default=uuid.uuid4, db_index=False)
    # The hash chain (nrs/audit/chain.py): position, previous event's hash, this event's hash.
    seq = models.BigIntegerField(_("sequence number"))
    prev_hash = models.CharField(_("previous hash"), max_length=64)
    hash = models.CharField(_("hash"), max_length=64)

    objects = EventQuerySet.as_manager()

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["-id"]
        indexes = [
            # The auditor's viewer filters by object: "what happened to this submission?"
            models.Index(fields=["object_type", "object_id"], name="audit_event_object_idx"),
            # The viewer's default listing: newest events of one type.
            models.Index(fields=["event_type", "occurred_at"], name="audit_event_type_time_idx"),
        ]
        constraints = [
            # One event per position; also the index behind the chain head (ORDER BY seq DESC
            # LIMIT 1), `nrs audit verify` (ORDER BY seq) and the viewer's newest-first list.
            models.UniqueConstraint(fields=["seq"], name="audit_event_seq_uniq"),
        ]

    def __str__(self) -> str:
        return f"{self.occurred_at:%Y-%m-%d %H:%M} {self.event_type} {self.summary}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AppendOnlyError("audit events cannot be updated")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError("audit events cannot be deleted")
