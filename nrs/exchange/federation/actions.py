"""The write path for federated nodes (national side): register, change, audit.

A node pushes with an account of its own, "node-<code>", which holds the system role (to
save and submit values) and the approver role (to record the approval the node's own
approver gave) on each of the node's units, and nothing else. Its API token is bound to
the node's first unit.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from nrs.accounts import actions as accounts
from nrs.accounts import tokens
from nrs.accounts.models import Role, User
from nrs.audit.events import EventType
from nrs.audit.log import record
from nrs.exchange.federation import signing
from nrs.exchange.federation.models import Node
from nrs.lib.errors import InputError
from nrs.registry.models import OrgUnit

NODE_ROLES = (Role.SYSTEM, Role.APPROVER)


def node_username(code: str) -> str:
    return f"node-{code.lower()}"


def _account(code: str, units: list[OrgUnit], actor: Any) -> User:
    user, _created = accounts.create_user(node_username(code), None, actor=actor,
                                          full_name=f"Federated node {code}", check_password=False)
    for unit in units:
        for role in NODE_ROLES:
            accounts.grant_role(user, role, unit, actor=actor)
    return user


def record_change(node: Node, *, actor: Any, changed: list[str], created: bool) -> None:
    """The audit event of a node change (inside the caller's transaction); grants the node's
    account its roles on any unit added."""
    _account(node.code, list(node.units.all()), actor)
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
        raise InputError("code", "mã nút không hợp lệ", "invalid node code")
    key = signing.public_text(signing.parse_public(public_key))
    units = _units(unit_codes)
    with transaction.atomic():
        node = Node.objects.select_for_update().filter(code=code).first()
        created = node is None
        secret = None
        if node is None:
            user = _account(code, units, actor)
            node = Node.objects.create(code=code, name=name, public_key=key, user=user)
            _token, secret = tokens.issue_token(user, units[0], name=f"federation {code}",
                                                scope="write", actor=actor)
        changed = _apply(node, key, name, units)
        if created or changed:
            record_change(node, actor=actor, changed=changed, created=created)
    return node, secret


def _units(codes: list[str]) -> list[OrgUnit]:
    if not codes:
        raise InputError("units", "nút cần ít nhất một đơn vị", "a node needs at least one org unit")
    found = []
    for code in codes:
        unit = OrgUnit.objects.current().filter(code=code).first()
        if unit is None:
            raise InputError(f"units.{code}", f"không có đơn vị hiện hành '{code}'",
                             f"no current org unit '{code}'")
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
