"""Issue 18, finding 14: the matrix's oracle is written out in the test, not imported.

tests/authz_policy.py carries the expected permissions of each role as literal strings;
the code's table (nrs.accounts.access.ROLE_PERMS) must be exactly that, so a permission
added to or dropped from a role in the code fails here, by name.
"""

from __future__ import annotations

import ast
from pathlib import Path

from nrs.accounts import access
from nrs.accounts.models import Role
from tests import authz_policy as policy

POLICY_FILE = Path(policy.__file__)


def _difference(expected: dict[str, frozenset[str]], actual: dict[str, frozenset[str]]) -> list[str]:
    found: list[str] = []
    for role in sorted(set(expected) | set(actual)):
        want = expected.get(role)
        got = {str(p) for p in actual[role]} if role in actual else None
        if want is None or got is None:
            found.append(f"{role}: expected {sorted(want or ())}, code has {sorted(got or ())}")
            continue
        found += [f"{role}: the code grants {p}, the policy does not" for p in sorted(got - want)]
        found += [f"{role}: the policy expects {p}, the code does not grant it" for p in sorted(want - got)]
    return found


def test_the_code_grants_each_role_exactly_the_written_permissions() -> None:
    code = {str(role): frozenset(perms) for role, perms in access.ROLE_PERMS.items()}
    assert _difference(policy.EXPECTED_ROLE_PERMS, code) == []


def test_every_role_and_permission_is_in_the_written_table() -> None:
    assert set(policy.EXPECTED_ROLE_PERMS) == {r.value for r in Role}
    assert {str(p) for p in access.Perm} == {v for k, v in vars(policy.Perm).items() if k.isupper()}


def test_a_wrong_mapping_in_the_code_is_caught(monkeypatch: object) -> None:
    """The comparison is not vacuous: a viewer that may approve, or an approver that may
    no longer approve, is each reported."""
    wrong = {str(role): frozenset(str(p) for p in perms) for role, perms in access.ROLE_PERMS.items()}
    wrong["viewer"] = wrong["viewer"] | {"approve"}
    wrong["approver"] = wrong["approver"] - {"approve"}
    assert _difference(policy.EXPECTED_ROLE_PERMS, wrong) == [
        "approver: the policy expects approve, the code does not grant it",
        "viewer: the code grants approve, the policy does not"]


def test_the_policy_does_not_import_the_code_under_test() -> None:
    """The oracle's module names no nrs.accounts module (the table, the enum, the roles)."""
    tree = ast.parse(POLICY_FILE.read_text(encoding="utf-8"))
    imported = [node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)]
    imported += [alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names]
    assert [m for m in imported if m.startswith("nrs")] == []


def test_a_policy_rule_follows_the_written_table() -> None:
    """A rule decides from the literal table: the viewer on its own province holds view_data
    there, not approve; the national coordinator manages users anywhere."""
    viewer = policy.Principal("viewer", policy.OWN)
    assert policy.perm(policy.Perm.VIEW_DATA, "object").allows(viewer, policy.OWN)
    assert not policy.perm(policy.Perm.VIEW_DATA, "object").allows(viewer, policy.FOREIGN)
    assert not policy.perm(policy.Perm.APPROVE, "object").allows(viewer, policy.OWN)
    coordinator = policy.Principal("coordinator", policy.ROOT)
    assert policy.perm(policy.Perm.MANAGE_USERS, "object").allows(coordinator, policy.FOREIGN)
    assert not policy.perm(policy.Perm.APPROVE, "object").allows(coordinator, policy.OWN)


def test_a_machine_account_opens_only_public_pages_in_a_browser() -> None:
    """System accounts use API tokens only (finding 8): in a browser session the oracle
    expects nothing but public pages; through a write token, the system role's permissions."""
    browser = policy.Principal("system", policy.OWN)
    assert policy.PUBLIC.allows(browser, policy.OWN)
    assert not policy.SIGNED_IN.allows(browser, policy.OWN)
    assert not policy.perm(policy.Perm.ENTER_DATA, "object").allows(browser, policy.OWN)
    token = policy.Principal("system", policy.OWN, "write")
    assert policy.perm(policy.Perm.ENTER_DATA, "object").allows(token, policy.OWN)
    assert not policy.perm(policy.Perm.ENTER_DATA, "object").allows(policy.Principal("system", policy.OWN, "read"),
                                                                    policy.OWN)
