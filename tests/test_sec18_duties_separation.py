"""Issue 18, findings 3, 5 (users) and 8 (auditors): separation of duties and the grant
lifecycle, each red-team path as a regression test.

(a) a coordinator grants itself reporter and approver on Hà Nội: refused;
(b) a reporter-and-approver enters, submits and tries to approve its own report: refused;
    a different approver: approved;
(c) with the regime's separate_duties off, the same person may approve;
(d) a grant revoked through the admin action and the CLI: access gone, audited old/new;
(e) an expired grant counts for nothing;
(f) an auditor without a verified second factor reads neither /audit/ nor /admin/;
and the user admin records USER_CHANGED with old and new values.

Expected values are written out here, not read from the code under test."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from io import StringIO
from typing import Any

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.core.management import CommandError, call_command
from django.forms import BaseForm
from django.test import Client

from nrs.accounts import access, actions
from nrs.accounts.access import Perm
from nrs.accounts.models import Grant, Role, User
from nrs.audit import chain
from nrs.audit.events import EventType
from nrs.audit.models import Event
from nrs.collection import actions as collection_actions
from nrs.collection.models import State, Submission
from nrs.collection.validation import Row
from nrs.collection.workflow import WorkflowError
from nrs.lib import periods
from nrs.registry.models import Regime
from tests.conftest import current
from tests.test_collection_api import PDF, form_values

pytestmark = pytest.mark.django_db
REGIME, PERIOD = "PROV_KTXH_M", periods.Period.month(2026, 10)
NOW = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def form_data(form: BaseForm) -> dict[str, Any]:
    """What a browser would post back for ``form`` as rendered (unchanged)."""
    data: dict[str, Any] = {}
    for bound in form:
        if bound.field.disabled:
            continue
        for widget in bound.subwidgets:
            item = widget.data
            if item.get("type") == "checkbox":
                if item["attrs"].get("checked"):
                    data[item["name"]] = "on"
            elif item.get("value") is not None:
                data[item["name"]] = item["value"]
    return data


def change_page_data(client: Client, url: str) -> dict[str, Any]:
    page = client.get(url)
    assert page.status_code == 200, page.status_code
    data = form_data(page.context["adminform"].form)
    for inline in page.context["inline_admin_formsets"]:
        formset = inline.formset
        data.update(form_data(formset.management_form))
        for form in formset.forms:
            data.update(form_data(form))
    return data


def enter_and_submit(user: User) -> Submission:
    """Hà Nội's October report, complete, entered and submitted by ``user`` (real actions)."""
    regime, unit = Regime.objects.get(code=REGIME), current("01")
    rows = [Row(ref=v["indicator"], indicator=v["indicator"], org_unit="01", value=v["value"])
            for v in form_values()]
    saved = collection_actions.check_and_save_values(regime, unit, PERIOD, rows, actor=user)
    assert saved.ok and saved.submission is not None, saved.issues
    collection_actions.attach_document(regime, unit, PERIOD, PDF, "bao-cao.pdf", actor=user)
    return collection_actions.submit_submission(saved.submission, actor=user)


@pytest.fixture
def provincial_coordinator(make_user):  # type: ignore[no-untyped-def]
    return make_user("hanoi.coordinator", "coordinator", "01")


@pytest.fixture
def both_hats(make_user, coordinator):  # type: ignore[no-untyped-def]
    """One person holding reporter and approver on Hà Nội, granted by the coordinator."""
    user = make_user("hanoi.both")
    for role in (Role.REPORTER, Role.APPROVER):
        actions.grant_role(user, role, current("01"), actor=coordinator)
    return user


# -- (a) nobody grants roles to themselves ------------------------------------------

def test_a_coordinator_cannot_grant_itself_reporter_and_approver_by_action(provincial_coordinator) -> None:  # type: ignore[no-untyped-def]
    for role in (Role.REPORTER, Role.APPROVER):
        with pytest.raises(PermissionDenied):
            actions.grant_role(provincial_coordinator, role, current("01"), actor=provincial_coordinator)
    assert not access.has_perm(provincial_coordinator, Perm.APPROVE, current("01"))
    assert not access.has_perm(provincial_coordinator, Perm.ENTER_DATA, current("01"))
    assert not Event.objects.filter(event_type=EventType.GRANT_ADDED,
                                    actor=provincial_coordinator).exists()


def test_a_coordinator_cannot_grant_itself_in_the_admin(provincial_coordinator) -> None:  # type: ignore[no-untyped-def]
    client = signed_in(provincial_coordinator)
    for role in ("reporter", "approver"):
        response = client.post("/admin/accounts/grant/add/", {
            "user": provincial_coordinator.pk, "role": role, "org_unit": current("01").pk})
        assert response.status_code in (200, 403), response.status_code
    assert set(Grant.objects.active().filter(user=provincial_coordinator).values_list("role", flat=True)) == {
        "coordinator"}


def test_a_coordinator_still_grants_a_colleague_within_its_units(provincial_coordinator, make_user) -> None:  # type: ignore[no-untyped-def]
    colleague = make_user("hanoi.colleague")
    client = signed_in(provincial_coordinator)
    response = client.post("/admin/accounts/grant/add/", {
        "user": colleague.pk, "role": "approver", "org_unit": current("01").pk})
    assert response.status_code == 302, response.status_code
    assert access.has_perm(colleague, Perm.APPROVE, current("01"))
    # ... but not outside them, and not an auditor (auditors watch coordinators).
    for role, unit in (("approver", "79"), ("auditor", "01")):
        client.post("/admin/accounts/grant/add/", {
            "user": colleague.pk, "role": role, "org_unit": current(unit).pk})
    assert set(Grant.objects.active().filter(user=colleague).values_list("role", "org_unit__code")) == {
        ("approver", "01")}


def test_createuser_bootstrap_still_grants(db) -> None:  # type: ignore[no-untyped-def]
    call_command("createuser", "boot.coordinator", "--password", "a-long-password-2026",
                 "--role", "coordinator", "--unit", "CP", stdout=StringIO())
    assert access.has_perm(User.objects.get(username="boot.coordinator"), Perm.MANAGE_USERS, current("CP"))


# -- (b), (c) the approver is not who entered or submitted ---------------------------

def test_who_entered_and_submitted_cannot_approve(both_hats) -> None:  # type: ignore[no-untyped-def]
    submitted = enter_and_submit(both_hats)
    with pytest.raises(WorkflowError) as refused:
        collection_actions.approve_submission(submitted, actor=both_hats)
    assert refused.value.vi and refused.value.en and refused.value.vi != refused.value.en
    submitted.refresh_from_db()
    assert submitted.state == State.SUBMITTED


def test_a_different_approver_approves(both_hats, make_user) -> None:  # type: ignore[no-untyped-def]
    submitted = enter_and_submit(both_hats)
    other = make_user("hanoi.approver", "approver", "01")
    approved = collection_actions.approve_submission(submitted, actor=other)
    assert approved.state == State.APPROVED


def test_who_only_entered_cannot_approve_what_another_submitted(both_hats, make_user) -> None:  # type: ignore[no-untyped-def]
    regime, unit = Regime.objects.get(code=REGIME), current("01")
    rows = [Row(ref=v["indicator"], indicator=v["indicator"], org_unit="01", value=v["value"])
            for v in form_values()]
    saved = collection_actions.check_and_save_values(regime, unit, PERIOD, rows, actor=both_hats)
    assert saved.submission is not None
    reporter = make_user("hanoi.reporter2", "reporter", "01")
    collection_actions.attach_document(regime, unit, PERIOD, PDF, "bao-cao.pdf", actor=reporter)
    submitted = collection_actions.submit_submission(saved.submission, actor=reporter)
    with pytest.raises(WorkflowError):
        collection_actions.approve_submission(submitted, actor=both_hats)


def test_the_api_refuses_the_self_approval_bilingually(both_hats) -> None:  # type: ignore[no-untyped-def]
    submitted = enter_and_submit(both_hats)
    response = signed_in(both_hats).post(f"/api/submissions/{submitted.pk}/approve", {},
                                         content_type="application/json")
    assert 400 <= response.status_code < 500, response.status_code
    body = response.json()
    assert body.get("message_vi") and body.get("message_en")


def test_a_regime_without_separate_duties_lets_the_same_person_approve(both_hats) -> None:  # type: ignore[no-untyped-def]
    if "separate_duties" not in {f.name for f in Regime._meta.get_fields()}:
        pytest.skip("Regime.separate_duties is not in this checkout yet (helper 'registry' adds it)")
    Regime.objects.filter(code=REGIME).update(separate_duties=False)
    submitted = enter_and_submit(both_hats)
    assert collection_actions.approve_submission(submitted, actor=both_hats).state == State.APPROVED


# -- (d) revoke: admin action and CLI ------------------------------------------------

def _revoked_event(grant: Grant) -> Event:
    return Event.objects.get(event_type=EventType.GRANT_REVOKED, object_id=str(grant.pk))


def test_revoke_through_the_admin_action(coordinator, hanoi_reporter) -> None:  # type: ignore[no-untyped-def]
    grant = hanoi_reporter.grants.get()
    response = signed_in(coordinator).post("/admin/accounts/grant/", {
        "action": "revoke_grants", "_selected_action": [grant.pk]})
    assert response.status_code == 302, response.status_code
    hanoi_reporter = User.objects.get(pk=hanoi_reporter.pk)
    assert not access.has_perm(hanoi_reporter, Perm.ENTER_DATA, current("01"))
    event = _revoked_event(grant)
    assert event.actor_id == coordinator.pk
    assert event.data["revoked_at"]["old"] is None and event.data["revoked_at"]["new"]
    assert chain.verify().ok


def test_revoke_through_the_cli(hanoi_reporter) -> None:  # type: ignore[no-untyped-def]
    grant = hanoi_reporter.grants.get()
    out = StringIO()
    call_command("grant", "list", "--user", "hanoi.reporter", stdout=out)
    assert "reporter" in out.getvalue() and "01" in out.getvalue()
    call_command("grant", "revoke", "hanoi.reporter", "--role", "reporter", "--unit", "01", stdout=StringIO())
    hanoi_reporter = User.objects.get(pk=hanoi_reporter.pk)
    assert not access.has_perm(hanoi_reporter, Perm.VIEW_DATA, current("01"))
    event = _revoked_event(grant)
    assert event.data["revoked_at"]["old"] is None and event.data["revoked_at"]["new"]
    with pytest.raises(CommandError):
        call_command("grant", "revoke", "hanoi.reporter", "--role", "reporter", "--unit", "01",
                     stdout=StringIO())


def test_cli_add_and_expire(make_user) -> None:  # type: ignore[no-untyped-def]
    user = make_user("cli.viewer")
    with time_machine.travel(NOW, tick=False):
        call_command("grant", "add", "cli.viewer", "--role", "viewer", "--unit", "79", stdout=StringIO())
        call_command("grant", "expire", "cli.viewer", "--role", "viewer", "--unit", "79",
                     "--at", "2026-12-01T00:00:00+07:00", stdout=StringIO())
        assert access.has_perm(User.objects.get(pk=user.pk), Perm.VIEW_DATA, current("79"))
    with time_machine.travel(NOW + timedelta(days=12), tick=False):
        assert not access.has_perm(User.objects.get(pk=user.pk), Perm.VIEW_DATA, current("79"))
    changed = Event.objects.get(event_type=EventType.GRANT_CHANGED)
    assert changed.data["expires_at"]["old"] is None
    assert changed.data["expires_at"]["new"].startswith("2026-11-30T17:00:00")


# -- (e) expiry ----------------------------------------------------------------------

def test_an_expired_grant_counts_for_nothing(coordinator, make_user) -> None:  # type: ignore[no-untyped-def]
    user = make_user("temp.viewer")
    with time_machine.travel(NOW, tick=False):
        grant = actions.grant_role(user, Role.VIEWER, current("01"), actor=coordinator)
        actions.set_grant_expiry(grant, NOW + timedelta(days=1), actor=coordinator)
        assert access.has_perm(User.objects.get(pk=user.pk), Perm.VIEW_DATA, current("01"))
    with time_machine.travel(NOW + timedelta(days=2), tick=False):
        fresh = User.objects.get(pk=user.pk)
        assert not access.has_perm(fresh, Perm.VIEW_DATA, current("01"))
        assert not Grant.objects.active().filter(pk=grant.pk).exists()
        # ... and a new grant of the same role may be made once it has expired.
        again = actions.grant_role(fresh, Role.VIEWER, current("01"), actor=coordinator)
        assert again.pk != grant.pk
    event = Event.objects.get(event_type=EventType.GRANT_CHANGED)
    assert event.data == {"expires_at": {"old": None, "new": "2026-11-21T03:00:00+00:00"}}


def test_expiry_is_set_on_an_existing_grant_in_the_admin(coordinator, hanoi_reporter) -> None:  # type: ignore[no-untyped-def]
    grant = hanoi_reporter.grants.get()
    client = signed_in(coordinator)
    url = f"/admin/accounts/grant/{grant.pk}/change/"
    data = change_page_data(client, url)
    data.update({"expires_at_0": "2026-12-01", "expires_at_1": "00:00:00"})  # Hà Nội midnight
    response = client.post(url, data)
    assert response.status_code == 302, getattr(response.context.get("adminform"), "errors", response)
    grant.refresh_from_db()
    assert grant.expires_at == datetime(2026, 11, 30, 17, 0, tzinfo=UTC)
    event = Event.objects.get(event_type=EventType.GRANT_CHANGED, object_id=str(grant.pk))
    assert event.actor_id == coordinator.pk
    assert event.data["expires_at"] == {"old": None, "new": "2026-11-30T17:00:00+00:00"}


def test_a_grant_cannot_be_past_dated_into_nothing_silently(coordinator, hanoi_reporter) -> None:  # type: ignore[no-untyped-def]
    grant = hanoi_reporter.grants.get()
    with time_machine.travel(NOW, tick=False):
        actions.set_grant_expiry(grant, NOW - timedelta(days=1), actor=coordinator)
        assert not access.has_perm(User.objects.get(pk=hanoi_reporter.pk), Perm.VIEW_DATA, current("01"))


# -- finding 5: the user admin records USER_CHANGED ----------------------------------

def test_changing_a_users_email_and_active_flag_in_the_admin_is_one_audited_event(coordinator, make_user) -> None:  # type: ignore[no-untyped-def]
    user = make_user("hanoi.viewer", "viewer", "01")
    User.objects.filter(pk=user.pk).update(email="cu@hanoi.gov.vn")
    client = signed_in(coordinator)
    url = f"/admin/accounts/user/{user.pk}/change/"
    data = change_page_data(client, url)
    assert data.get("is_active") == "on"
    data["email"] = "moi@hanoi.gov.vn"
    del data["is_active"]
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    events = Event.objects.filter(event_type=EventType.USER_CHANGED)
    assert events.count() == 1
    event = events.get()
    assert event.actor_id == coordinator.pk and event.object_id == str(user.pk)
    assert event.data == {"email": {"old": "cu@hanoi.gov.vn", "new": "moi@hanoi.gov.vn"},
                          "is_active": {"old": True, "new": False}}
    user.refresh_from_db()
    assert user.email == "moi@hanoi.gov.vn" and not user.is_active
    assert chain.verify().ok


def test_change_user_action_records_nothing_when_nothing_changes(coordinator, make_user) -> None:  # type: ignore[no-untyped-def]
    user = make_user("same.user")
    actions.change_user(user, {"full_name": user.full_name}, actor=coordinator)
    assert not Event.objects.filter(event_type=EventType.USER_CHANGED).exists()


# -- (f) auditors need a second factor -----------------------------------------------

@pytest.mark.two_factor
def test_an_auditor_without_a_second_factor_reads_neither_audit_nor_admin(auditor) -> None:  # type: ignore[no-untyped-def]
    client = signed_in(auditor)
    for url in ("/audit/", "/admin/", "/admin/audit/event/"):
        response = client.get(url)
        assert response.status_code == 302, (url, response.status_code)
        assert response["Location"].startswith("/accounts/2fa/"), (url, response["Location"])


@pytest.mark.two_factor
def test_an_auditor_with_a_verified_second_factor_reads_the_audit_log(auditor, verified_login) -> None:  # type: ignore[no-untyped-def]
    client = Client()
    verified_login(client, auditor)
    assert client.get("/audit/").status_code == 200


def test_auditors_are_listed_as_needing_a_second_factor(auditor) -> None:  # type: ignore[no-untyped-def]
    assert access.needs_second_factor(auditor)
