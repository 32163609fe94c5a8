"""Webhooks: a signed POST to each subscriber when a submission is approved or revised.

The delivery rows are written (by nrs.exchange.connectors.actions) in the transaction of
the workflow step itself (an outbox: a step that rolls back notifies nobody), and sent
after commit by the worker. Each POST carries

    X-NRS-Event: approved | revised
    X-NRS-Delivery: <uuid, the same on every attempt>
    X-NRS-Timestamp: <Unix seconds of this attempt>
    X-NRS-Signature: sha256=<hex HMAC-SHA256 over "<timestamp>.<body>" with the secret>

A 2xx answer delivers it; anything else (or no answer within the timeout) is retried after
1, 2, 4… minutes, up to NRS_WEBHOOK_ATTEMPTS attempts, each attempt logged; giving up is
audited (WEBHOOK_FAILED).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from nrs.accounts import access
from nrs.accounts.access import Perm
from nrs.collection.models import Submission
from nrs.exchange.connectors import actions, http, refusals, secretbox
from nrs.exchange.connectors.models import Delivery, DeliveryStatus, Subscription, WebhookEvent
from nrs.lib.errors import InputError

log = logging.getLogger(__name__)
EVENTS = {"approve": WebhookEvent.APPROVED, "revise": WebhookEvent.REVISED}
LEASE = timedelta(minutes=5)
SWEEP_LIMIT = 200


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """What X-NRS-Signature carries; a receiver computes the same and compares in constant time."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def payload(event: str, submission: Submission, at: datetime) -> dict[str, Any]:
    return {"event": event, "submission": submission.pk, "regime": submission.regime.code,
            "orgUnit": submission.org_unit.code, "period": submission.period,
            "version": submission.version, "state": submission.state, "time": at.isoformat()}


def _subscribers(event: str, submission: Submission) -> list[Subscription]:
    """Active subscriptions for the event whose unit covers the submission's, whose owner
    may still read that unit's data."""
    unit = submission.org_unit
    found = Subscription.objects.filter(active=True).select_related("org_unit", "owner")
    return [s for s in found if s.wants(event) and unit.path.startswith(s.org_unit.path)
            and access.has_perm(s.owner, Perm.VIEW_DATA, unit)]


def on_step(submission: Submission, action: str) -> list[int]:
    """In the workflow step's transaction: one pending delivery per subscriber, sent after commit."""
    event = EVENTS.get(action)
    if event is None:
        return []
    subscribers = _subscribers(event, submission)
    if not subscribers:
        return []
    now = timezone.now()
    ids = actions.queue_deliveries(subscribers, event, payload(event, submission, now), now)
    transaction.on_commit(lambda: _enqueue(ids))
    return ids


def _enqueue(ids: list[int]) -> None:
    from nrs.exchange.connectors.tasks import send_deliveries

    send_deliveries(ids)


def send_due(now: datetime | None = None) -> int:
    """The retry sweep (every minute): send each pending delivery whose time has come."""
    now = now or timezone.now()
    due = list(Delivery.objects.filter(status=DeliveryStatus.PENDING, next_try_at__lte=now)
               .order_by("next_try_at").values_list("pk", flat=True)[:SWEEP_LIMIT])
    return send(due, now=now)


def send(ids: list[int], *, now: datetime | None = None) -> int:
    """Attempt each pending delivery once (skipping those another worker holds); returns
    how many were delivered."""
    delivered = 0
    for pk in ids:
        delivery = actions.claim_delivery(pk, now or timezone.now(), lease=LEASE)
        if delivery is not None:
            delivered += attempt(delivery, now=now)
    return delivered


def attempt(delivery: Delivery, *, now: datetime | None = None) -> bool:
    """POST the delivery once (outside any transaction), then log the attempt."""
    subscription = delivery.subscription
    body = json.dumps(delivery.payload, ensure_ascii=False, separators=(",", ":")).encode()
    status, error = None, ""
    try:
        secret = secretbox.unseal(subscription.sealed_secret)
        timestamp = str(int(timezone.now().timestamp()))
        answer = http.request(subscription.url, method="POST", body=body, max_bytes=64 * 1024,
                              timeout=settings.NRS_WEBHOOK_TIMEOUT, headers={
                                  "Content-Type": "application/json", "X-NRS-Event": delivery.event,
                                  "X-NRS-Delivery": str(delivery.delivery_id), "X-NRS-Timestamp": timestamp,
                                  "X-NRS-Signature": signature(secret, timestamp, body)})
        status = answer.status
    except http.DestinationRefused as exc:
        refusals.record_refused(exc, obj=subscription, what="webhook", org_unit=subscription.org_unit)
        error = exc.en
    except InputError as exc:
        error = exc.en[:300]
    ok = status is not None and 200 <= status < 300
    number = actions.log_delivery_attempt(delivery, status, error, ok, now or timezone.now())
    if not ok:
        log.warning("webhook %s attempt %s: %s", delivery.delivery_id, number, delivery.last_error)
    return ok
