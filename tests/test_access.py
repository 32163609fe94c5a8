"""access.py: each condition on its own line."""

from __future__ import annotations

import pytest

from nrs.accounts import access, actions
from nrs.accounts.access import Perm
from nrs.registry.models import Level, OrgUnit
from tests.conftest import current

pytestmark = pytest.mark.django_db


def a_commune_of(code: str) -> OrgUnit:
    return OrgUnit.objects.subtree(current(code)).current().filter(level=Level.COMMUNE).first()  # type: ignore[return-value]


def test_grant_covers_the_subtree(hanoi_reporter) -> None:  # type: ignore[no-untyped-def]
    assert access.has_perm(hanoi_reporter, Perm.ENTER_DATA, current("01"))
    assert access.has_perm(hanoi_reporter, Perm.ENTER_DATA, a_commune_of("01"))


def test_grant_does_not_cover_another_province(hanoi_reporter) -> None:  # type: ignore[no-untyped-def]
    assert not access.has_perm(hanoi_reporter, Perm.ENTER_DATA, current("37"))
    assert not access.has_perm(hanoi_reporter, Perm.VIEW_DATA, a_commune_of("79"))


def test_grant_does_not_cover_the_parent(hanoi_reporter) -> None:  # type: ignore[no-untyped-def]
    assert not access.has_perm(hanoi_reporter, Perm.VIEW_DATA, current("CP"))


def test_role_limits_the_action(hanoi_reporter, mof_approver) -> None:  # type: ignore[no-untyped-def]
    assert not access.has_perm(hanoi_reporter, Perm.APPROVE, current("01"))
    assert access.has_perm(mof_approver, Perm.APPROVE, current("BTC"))
    assert not access.has_perm(mof_approver, Perm.ENTER_DATA, current("BTC"))


def test_ministry_grant_covers_its_agencies_not_other_ministries(mof_approver) -> None:  # type: ignore[no-untyped-def]
    assert access.has_perm(mof_approver, Perm.APPROVE, current("CTK"))
    assert not access.has_perm(mof_approver, Perm.APPROVE, current("BCT"))


def test_national_grant_covers_everything(leader) -> None:  # type: ignore[no-untyped-def]
    assert access.has_perm(leader, Perm.VIEW_DATA, a_commune_of("96"))
    assert access.has_perm(leader, Perm.VIEW_COMPLIANCE, current("BTC"))
    assert not access.has_perm(leader, Perm.ENTER_DATA, current("01"))


def test_revoked_grant_counts_for_nothing(hanoi_reporter) -> None:  # type: ignore[no-untyped-def]
    grant = hanoi_reporter.grants.get()
    actions.revoke_grant(grant)
    assert not access.has_perm(hanoi_reporter, Perm.VIEW_DATA, current("01"))


def test_inactive_user_counts_for_nothing(hanoi_reporter) -> None:  # type: ignore[no-untyped-def]
    hanoi_reporter.is_active = False
    assert not access.has_perm(hanoi_reporter, Perm.VIEW_DATA, current("01"))
    assert not access.can_browse_registry(hanoi_reporter)


def test_anonymous_counts_for_nothing() -> None:
    from django.contrib.auth.models import AnonymousUser

    assert not access.has_perm(AnonymousUser(), Perm.VIEW_DATA, current("01"))
    assert not access.can_browse_registry(AnonymousUser())
    assert OrgUnit.objects.filter(access.scope_q(AnonymousUser(), Perm.VIEW_DATA, "")).count() == 0


def test_scope_filter_matches_has_perm(hanoi_reporter) -> None:  # type: ignore[no-untyped-def]
    scoped = OrgUnit.objects.filter(access.scope_q(hanoi_reporter, Perm.ENTER_DATA, ""))
    assert scoped.count() == OrgUnit.objects.subtree(current("01")).count()
    assert not scoped.filter(code="37").exists()


def test_superuser_may_do_everything(make_user) -> None:  # type: ignore[no-untyped-def]
    admin, _ = actions.create_user("root", "a-long-password-2026", is_superuser=True)
    assert access.has_perm(admin, Perm.APPROVE, a_commune_of("01"))


def test_admin_is_for_coordinators_and_auditors(coordinator, auditor, hanoi_reporter) -> None:  # type: ignore[no-untyped-def]
    assert access.can_use_admin(coordinator)
    assert access.can_use_admin(auditor)
    assert not access.can_use_admin(hanoi_reporter)


def test_grant_is_idempotent(hanoi_reporter) -> None:  # type: ignore[no-untyped-def]
    again = actions.grant_role(hanoi_reporter, "reporter", current("01"))
    assert hanoi_reporter.grants.count() == 1
    assert again == hanoi_reporter.grants.get()


@pytest.mark.real_password_hashes
def test_passwords_are_stored_with_argon2(hanoi_reporter) -> None:  # type: ignore[no-untyped-def]
    assert hanoi_reporter.password.startswith("argon2$")


# -- permission policies (issue 18): one per resource, asked the same way -----------

def test_user_policy_keeps_national_accounts_from_provincial_coordinators(make_user, leader) -> None:  # type: ignore[no-untyped-def]
    provincial = make_user("hn.coord", "coordinator", "01")
    local = make_user("hn.viewer", "viewer", "01")
    assert access.USERS.user_has_permission_for_instance(provincial, "change", local)
    assert not access.USERS.user_has_permission_for_instance(provincial, "change", leader)
    changeable = set(access.USERS.instances_user_has_permission_for(provincial, "change")
                     .values_list("username", flat=True))
    assert "hn.viewer" in changeable and "leader" not in changeable


def test_grant_policy_refuses_self_and_auditor_grants(coordinator, make_user) -> None:  # type: ignore[no-untyped-def]
    other = make_user("someone")
    assert not access.GRANTS.may_grant(coordinator, coordinator, "approver", current("01"))
    assert access.GRANTS.may_grant(coordinator, other, "approver", current("01"))
    assert not access.GRANTS.may_grant(coordinator, other, "auditor", current("01"))
    assert access.GRANTS.may_grant(None, other, "auditor", current("CP"))  # the operator's bootstrap


def test_audit_policy_reads_unit_less_events_only_nationally(make_user, auditor) -> None:  # type: ignore[no-untyped-def]
    provincial = make_user("hn.auditor", "auditor", "01")
    assert access.AUDIT.user_has_permission(provincial, "view")
    from nrs.audit.models import Event

    assert not access.AUDIT.instances_user_has_permission_for(provincial, "view").filter(
        org_unit__isnull=True).exists()
    assert access.AUDIT.instances_user_has_permission_for(auditor, "view").filter(
        org_unit__isnull=True).count() == Event.objects.filter(org_unit__isnull=True).count()


def test_users_with_permission_for_an_instance(hanoi_reporter, mof_approver) -> None:  # type: ignore[no-untyped-def]
    unit = a_commune_of("01")
    names = set(access.ORG_UNITS.users_with_permission_for_instance("view", unit)
                .values_list("username", flat=True))
    assert "hanoi.reporter" in names and "mof.approver" not in names


def test_org_unit_moves_are_national_only(make_user, coordinator) -> None:  # type: ignore[no-untyped-def]
    provincial = make_user("hn.coord", "coordinator", "01")
    assert access.ORG_UNITS.user_has_permission_for_instance(provincial, "change", current("01"))
    assert not access.ORG_UNITS.user_has_permission_for_instance(provincial, "move", current("01"))
    assert access.ORG_UNITS.user_has_permission_for_instance(coordinator, "move", current("01"))


def test_unknown_actions_are_a_programming_error(coordinator) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError):
        access.GRANTS.user_has_permission(coordinator, "delete")
