"""The write path for federated nodes (national side): register, change, audit; and the
bookkeeping of the batches received from them (receive.py verifies and imports, then calls
these inside its transaction).

A node pushes with an account of its own, "node-<code>", which holds the system role (to
save and submit values) and the approver role (to record the approval the node's own
approver gave) on each of the node's units, and nothing else. Its API token is bound to
the node's first unit.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext_noop as _

from nrs.accounts import actions as accounts
from nrs.accounts import tokens
from nrs.accounts.models import Role, User
from nrs.audit.events import EventType
from nrs.audit.log import record
from nrs.collection.models import Submission
from nrs.exchange.federation import batches, signing
from nrs.exchange.federation.models import FederatedVersion, Node, ReceivedBatch
from nrs.i18n import bilingual
from nrs.lib.errors import InputError
from nrs.registry.models import OrgUnit

NODE_ROLES = (Role.SYSTEM, Role.APPROVER)


def node_username(code: str) -> str:
    return f"node-{code.lower()}"


@transaction.atomic
def ensure_node_account(code: str, units: list[OrgUnit], *, actor: Any) -> User:
    """The node's account, made when missing, with the node roles on each of ``units``
    (idempotent; the user and each new grant are audited by the accounts actions)."""
    user, _created = accounts.create_user(node_username(code), None, actor=actor,
                                          full_name=f"Federated node {code}", check_password=False)
    for unit in units:
        for role in NODE_ROLES:
            accounts.grant_role(user, role, unit, actor=actor)
    return user


def record_change(node: Node, *, actor: Any, changed: list[str], created: bool) -> None:
    """The audit event of a node change (inside the caller's transaction); grants the node's
    account its roles on any unit added."""
    ensure_node_account(node.code, list(node.units.all()), actor=actor)
    record(EventType.FEDERATION_NODE_CHANGED, actor=actor, org_unit=node.units.first(), obj=node,
           summary=f"{node.code}: {'registered' if created else 'changed'}",
           data={"changed": sorted(changed), "units": sorted(u.code for u in node.units.all()),
                 "public_key": node.public_key, "active": node.active})


def register_node(code: str, public_key: str, unit_codes: list[str], *, name: str = "",
                  actor: Any = None) -> tuple[Node, str | None]:
    """Register a node, or update its key, name and units. Idempotent: the same arguments
    twice change nothing. Returns the node and, when its account is new, the plain text of
    a write token for it (shown once)."""
    code = code.strip()
    if not code or len(code) > 40 or any(c.isspace() for c in code):
        raise InputError("code", *bilingual(_("invalid node code")))
    key = signing.public_text(signing.parse_public(public_key))
    units = _units(unit_codes)
    with transaction.atomic():
        node = Node.objects.select_for_update().filter(code=code).first()
        created = node is None
        secret = None
        if node is None:
            user = ensure_node_account(code, units, actor=actor)
            node = Node.objects.create(code=code, name=name, public_key=key, user=user)
            _token, secret = tokens.issue_token(user, units[0], name=f"federation {code}",
                                                scope="write", actor=actor)
        changed = _apply(node, key, name, units)
        if created or changed:
            record_change(node, actor=actor, changed=changed, created=created)
    return node, secret


def _units(codes: list[str]) -> list[OrgUnit]:
    if not codes:
        raise InputError("units", *bilingual(_("a node needs at least one org unit")))
    found = []
    for code in codes:
        unit = OrgUnit.objects.current().filter(code=code).first()
        if unit is None:
            raise InputError(f"units.{code}", *bilingual(_("no current org unit '%(code)s'"),
                                                         code=code))
        found.append(unit)
    return found


def _apply(node: Node, key: str, name: str, units: list[OrgUnit]) -> list[str]:
    changed: list[str] = []
    if node.public_key != key:
        node.public_key, changed = key, [*changed, "public_key"]
    if name and node.name != name:
        node.name, changed = name, [*changed, "name"]
    if changed:
        node.save()
    if {u.pk for u in node.units.all()} != {u.pk for u in units}:
        node.units.set(units)
        changed.append("units")
    return changed


# -- batches received (called by receive.py inside its one transaction per batch) ---------------

@transaction.atomic
def open_batch(node: Node, batch: batches.Batch, digest: str, signature: str) -> ReceivedBatch:
    """The provenance row of a verified batch, before its submissions are imported; its
    audit event is written by close_batch, in the same transaction."""
    return ReceivedBatch.objects.create(node=node, batch_id=batch.batch_id, sequence=batch.sequence,
                                        sha256=digest, signature=signature[:200],
                                        submissions=len(batch.entries))


@transaction.atomic
def record_version(node: Node, received: ReceivedBatch, entry: batches.Entry,
                   submission: Submission) -> FederatedVersion:
    """The key (node, source submission, source version) of a version just imported, and the
    national version its values went to."""
    return FederatedVersion.objects.create(
        node=node, batch=received, source_submission=entry.source_submission,
        source_version=entry.source_version, source_approved_at=entry.approved_at,
        submission=submission, version=submission.version)


@transaction.atomic
def close_batch(received: ReceivedBatch, *, imported: int, skipped: int, values: int, actor: Any) -> None:
    """The batch's counts and its FEDERATION_BATCH_RECEIVED event."""
    received.imported, received.skipped, received.values = imported, skipped, values
    received.save(update_fields=["imported", "skipped", "values"])  # only the counts change
    node = received.node
    record(EventType.FEDERATION_BATCH_RECEIVED, actor=actor, org_unit=node.units.first(), obj=received,
           summary=f"{node.code} #{received.sequence}: {imported} imported, {skipped} seen before",
           data={"batch": received.batch_id, "sequence": received.sequence, "sha256": received.sha256,
                 "imported": imported, "skipped": skipped, "values": values})
