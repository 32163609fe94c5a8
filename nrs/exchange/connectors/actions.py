"""The write path for connectors and webhooks.

Configuration (the admin calls these): each checks the actor's scope, seals any new secret,
and saves with its audit event in one transaction. The audit event names the fields
changed, never a secret's value.

Bookkeeping (runner.py and webhooks.py call these): claiming a connector or a delivery,
the run log, the webhook outbox and each delivery attempt. Each is one transaction (or a
savepoint in the caller's) holding its audit event where it has one."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_noop as _

from nrs.accounts import access
from nrs.accounts.access import Perm
from nrs.accounts.models import Role
from nrs.audit.events import EventType
from nrs.audit.log import record
from nrs.exchange.connectors import kinds, secretbox
from nrs.exchange.connectors.http import check_url
from nrs.exchange.connectors.models import (
    Connector,
    ConnectorRun,
    Delivery,
    DeliveryAttempt,
    DeliveryStatus,
    RunStatus,
    Subscription,
)
from nrs.i18n import bilingual
from nrs.lib.errors import InputError

# Who may configure connectors and webhooks: whoever may steward the catalogue for the unit
# (coordinators), within their grant's subtree.
MANAGE = Perm.MANAGE_CATALOGUE


def may_manage(user: Any, unit: Any = None) -> bool:
    """Thin wrapper of access.EXCHANGE ("manage", within the unit's subtree)."""
    return access.EXCHANGE.user_has_permission_for_unit(user, "manage", unit)


def check_run_as(connector: Connector) -> None:
    """The connector acts as a system user who may enter data for its unit: a coordinator
    cannot make it write as a person, nor outside that user's grants."""
    user = connector.run_as
    if Role.SYSTEM not in access.roles(user) or not access.has_perm(user, Perm.ENTER_DATA, connector.org_unit):
        raise InputError("run_as", *bilingual(_("must be a system user who may enter data for "
                                                "this org unit")))


def check_connector(connector: Connector) -> None:
    check_url(connector.url)
    kinds.get(connector.kind).check_mapping(connector.mapping or {})
    check_run_as(connector)


@transaction.atomic
def save_connector(connector: Connector, *, actor: Any, changed: list[str], secret: str | None = None) -> Connector:
    """Create or change a connector. ``secret``: None keeps the stored one, "" removes it,
    anything else replaces it."""
    access.require(actor, MANAGE, connector.org_unit)
    check_connector(connector)
    if secret is not None:
        connector.sealed_secret = secretbox.seal(secret)
        changed = [*changed, "secret"]
    adding = connector._state.adding
    connector.save()
    record(EventType.CONNECTOR_CHANGED, actor=actor, org_unit=connector.org_unit, obj=connector,
           summary=f"{'created' if adding else 'changed'} connector {connector.name}",
           data={"fields": sorted(set(changed)), "created": adding, "kind": connector.kind, "url": connector.url,
                 "active": connector.active})
    return connector


@transaction.atomic
def save_subscription(subscription: Subscription, *, actor: Any, changed: list[str],
                      secret: str | None = None) -> Subscription:
    """Create or change a webhook subscription; a new one needs its signing secret."""
    access.require(actor, MANAGE, subscription.org_unit)
    check_url(subscription.url)
    if secret:
        subscription.sealed_secret = secretbox.seal(secret)
        changed = [*changed, "secret"]
    if not subscription.sealed_secret:
        raise InputError("secret", *bilingual(_("a signing secret is required")))
    adding = subscription._state.adding
    if adding:
        subscription.owner = actor
    subscription.save()
    record(EventType.WEBHOOK_CHANGED, actor=actor, org_unit=subscription.org_unit, obj=subscription,
           summary=f"{'created' if adding else 'changed'} webhook {subscription.name}",
           data={"fields": sorted(set(changed)), "created": adding, "url": subscription.url,
                 "active": subscription.active})
    return subscription


# -- runs (runner.py) -------------------------------------------------------------------------------

INTERRUPTED = _("interrupted: the worker stopped before the run ended")


@transaction.atomic
def claim_connector(connector: Connector, now: datetime, *, lease: timedelta) -> bool:
    """Move the connector's next run past the lease, if nobody else has: two workers never
    run the same connector at once. A run left "running" under an earlier claim that has
    expired is marked failed first (its worker stopped)."""
    claimed = Connector.objects.filter(pk=connector.pk, next_run_at=connector.next_run_at, active=True).update(
        next_run_at=now + lease)
    if claimed != 1:
        return False
    fail_interrupted_runs(connector, started_before=now - lease, now=now)
    return True


@transaction.atomic
def fail_interrupted_runs(connector: Connector, *, started_before: datetime, now: datetime) -> list[ConnectorRun]:
    """Mark failed each run of ``connector`` still "running" that started at or before
    ``started_before``, each with its CONNECTOR_RUN event."""
    stale = list(ConnectorRun.objects.select_for_update().filter(
        connector=connector, status=RunStatus.RUNNING, started_at__lte=started_before).order_by("pk"))
    for run in stale:
        run.status, run.finished_at, run.ref = RunStatus.FAILED, now, "worker"
        run.message_vi, run.message_en = bilingual(INTERRUPTED)
        run.save(update_fields=["status", "finished_at", "ref", "message_vi", "message_en"])  # the outcome only
        record(EventType.CONNECTOR_RUN, actor=connector.run_as, org_unit=connector.org_unit, obj=connector,
               summary=f"{connector.name} #{run.pk}: {run.status} (interrupted)",
               data={"run": run.pk, "status": run.status, "attempt": run.attempt, "ref": run.ref,
                     "interrupted": True})
    return stale


@transaction.atomic
def start_run(connector: Connector, *, trigger: str, now: datetime) -> ConnectorRun:
    """The run log's row of an attempt about to fetch ("running"); finish_run writes its outcome."""
    return ConnectorRun.objects.create(connector=connector, attempt=connector.attempt, trigger=trigger,
                                       started_at=now)


@transaction.atomic
def finish_run(connector: Connector, run: ConnectorRun, now: datetime, *, next_at: datetime,
               attempt: int) -> None:
    """The outcome set on ``run``, the connector's next run and the CONNECTOR_RUN event: in the
    transaction that stored the values, when there is one."""
    run.finished_at = max(timezone.now(), now)
    run.save()
    connector.next_run_at, connector.attempt = next_at, attempt
    # Only the schedule moves here; the configuration changes through save_connector.
    Connector.objects.filter(pk=connector.pk).update(next_run_at=next_at, attempt=attempt)
    record(EventType.CONNECTOR_RUN, actor=connector.run_as, org_unit=connector.org_unit, obj=connector,
           summary=f"{connector.name} #{run.pk}: {run.status}",
           data={"run": run.pk, "status": run.status, "attempt": run.attempt, "read": run.values_read,
                 "stored": run.values_stored, "sha256": run.content_sha256, "ref": run.ref,
                 "next_run_at": next_at.isoformat()})


# -- webhook deliveries (webhooks.py) -----------------------------------------------------------------

@transaction.atomic
def queue_deliveries(subscriptions: list[Subscription], event: str, body: dict[str, Any],
                     now: datetime) -> list[int]:
    """One pending delivery per subscription, in the workflow step's transaction (an outbox:
    a step that rolls back notifies nobody); the step's own audit event covers them."""
    return [Delivery.objects.create(subscription=s, event=event, payload=body, next_try_at=now).pk
            for s in subscriptions]


@transaction.atomic
def claim_delivery(pk: int, now: datetime, *, lease: timedelta) -> Delivery | None:
    """The pending delivery, due by ``now``, with its next try moved past the lease; None
    when it is not due or another worker holds it."""
    row = Delivery.objects.filter(pk=pk, status=DeliveryStatus.PENDING, next_try_at__lte=now).first()
    if row is None:
        return None
    taken = Delivery.objects.filter(pk=pk, status=DeliveryStatus.PENDING, next_try_at=row.next_try_at).update(
        next_try_at=now + lease)
    return Delivery.objects.select_related("subscription").get(pk=pk) if taken == 1 else None


@transaction.atomic
def log_delivery_attempt(delivery: Delivery, status: int | None, error: str, ok: bool, now: datetime) -> int:
    """One attempt of ``delivery`` and its progress (delivered, the next try, or giving up:
    WEBHOOK_FAILED); returns the attempt's number."""
    number = delivery.attempts + 1
    give_up = not ok and number >= settings.NRS_WEBHOOK_ATTEMPTS
    DeliveryAttempt.objects.create(delivery=delivery, number=number, sent_at=now, status_code=status, error=error)
    delivery.attempts, delivery.last_status_code = number, status
    delivery.last_error = error or ("" if ok else f"HTTP {status}")
    _advance(delivery, ok=ok, give_up=give_up, now=now)
    # The delivery's own progress; configuration never changes here.
    delivery.save(update_fields=["attempts", "last_status_code", "last_error", "status", "delivered_at",
                                 "next_try_at"])
    if give_up:
        subscription = delivery.subscription
        record(EventType.WEBHOOK_FAILED, org_unit=subscription.org_unit, obj=delivery,
               summary=f"webhook {subscription.name}: gave up after {number} attempts",
               data={"delivery": str(delivery.delivery_id), "event": delivery.event, "url": subscription.url,
                     "last_status": status, "last_error": delivery.last_error})
    return number


def _advance(delivery: Delivery, *, ok: bool, give_up: bool, now: datetime) -> None:
    """Delivered, given up, or the next try after 1, 2, 4… minutes."""
    if ok:
        delivery.status, delivery.delivered_at, delivery.next_try_at = DeliveryStatus.DELIVERED, now, None
    elif give_up:
        delivery.status, delivery.next_try_at = DeliveryStatus.FAILED, None
    else:
        delivery.next_try_at = now + timedelta(minutes=2 ** (delivery.attempts - 1))
