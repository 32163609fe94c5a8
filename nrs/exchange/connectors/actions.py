"""The write path for connector and webhook configuration (the admin calls these): each
checks the actor's scope, seals any new secret, and saves with its audit event in one
transaction. The audit event names the fields changed, never a secret's value."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from nrs.accounts import access
from nrs.accounts.access import Perm
from nrs.accounts.models import Role
from nrs.audit.events import EventType
from nrs.audit.log import record
from nrs.exchange.connectors import kinds, secretbox
from nrs.exchange.connectors.http import check_url
from nrs.exchange.connectors.models import Connector, Subscription
from nrs.lib.errors import InputError

# Who may configure connectors and webhooks: whoever may steward the catalogue for the unit
# (coordinators), within their grant's subtree.
MANAGE = Perm.MANAGE_CATALOGUE


def may_manage(user: Any, unit: Any = None) -> bool:
    return access.has_perm(user, MANAGE, unit)


def check_run_as(connector: Connector) -> None:
    """The connector acts as a system user who may enter data for its unit: a coordinator
    cannot make it write as a person, nor outside that user's grants."""
    user = connector.run_as
    if Role.SYSTEM not in access.roles(user) or not access.has_perm(user, Perm.ENTER_DATA, connector.org_unit):
        raise InputError("run_as", "phải là người dùng hệ thống có quyền nhập số liệu cho đơn vị này",
                         "must be a system user who may enter data for this org unit")


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
        raise InputError("secret", "cần khóa bí mật để ký", "a signing secret is required")
    adding = subscription._state.adding
    if adding:
        subscription.owner = actor
    subscription.save()
    record(EventType.WEBHOOK_CHANGED, actor=actor, org_unit=subscription.org_unit, obj=subscription,
           summary=f"{'created' if adding else 'changed'} webhook {subscription.name}",
           data={"fields": sorted(set(changed)), "created": adding, "url": subscription.url,
                 "active": subscription.active})
    return subscription
