"""Issue 18, finding 8: a machine account (a live system grant and no human role) reaches
NRS with API tokens only. The password form and OpenID Connect refuse it, and a session it
somehow holds is ended before it can read a page or submit a form."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from nrs.accounts import actions, tokens
from nrs.accounts.models import Role, User
from nrs.audit.events import EventType
from nrs.audit.models import Event
from tests.conftest import PASSWORD, current
from tests.test_oidc import oidc_on, provider, sign_in_through  # noqa: F401  (fixtures)

pytestmark = pytest.mark.django_db

@pytest.fixture(autouse=True)
def _fast_hashes(settings):  # type: ignore[no-untyped-def]
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def btc_system(make_user) -> User:  # type: ignore[no-untyped-def]
    """Like the demo's btc.hethong: a system grant on the Ministry of Finance, nothing else."""
    return make_user("btc.hethong", "system", "BTC")


def sign_in(client: Client, username: str) -> object:
    return client.post("/accounts/login/", {"username": username, "password": PASSWORD},
                       HTTP_ACCEPT_LANGUAGE="en")


def refusals(reason: str) -> list[Event]:
    return [e for e in Event.objects.filter(event_type=EventType.SIGNIN_REFUSED) if e.data.get("reason") == reason]


def test_the_password_form_refuses_a_machine_account(btc_system):
    client = Client(HTTP_USER_AGENT="curl/8", REMOTE_ADDR="192.0.2.44")
    response = sign_in(client, "btc.hethong")
    assert response.status_code == 403
    body = response.content.decode()
    assert 'id="signin-refused"' in body
    assert "_auth_user_id" not in client.session
    assert not Event.objects.filter(event_type=EventType.LOGIN).exists()
    [event] = refusals("token_only")
    assert event.data["username"] == "btc.hethong" and event.data["via"] == "password"
    assert (event.data["ip"], event.data["user_agent"]) == ("192.0.2.44", "curl/8")
    # A wrong password still gets the ordinary answer: nothing is told without the password.
    wrong = client.post("/accounts/login/", {"username": "btc.hethong", "password": "nope-nope"})
    assert wrong.status_code == 200 and 'id="signin-refused"' not in wrong.content.decode()


def test_a_person_who_also_holds_a_system_grant_signs_in(btc_system):
    actions.grant_role(btc_system, Role.VIEWER, current("BTC"))
    client = Client()
    assert sign_in(client, "btc.hethong").status_code == 302
    assert client.session["_auth_user_id"] == str(btc_system.pk)


def test_a_reporter_who_also_holds_a_system_grant_signs_in(btc_system):
    actions.grant_role(btc_system, Role.REPORTER, current("BTC"))
    client = Client()
    assert sign_in(client, "btc.hethong").status_code == 302


def test_an_existing_session_of_a_machine_account_is_ended(btc_system):
    client = Client()
    client.force_login(btc_system)
    page = client.get("/report/")
    assert page.status_code == 302 and page["Location"].startswith("/accounts/login/")
    assert "_auth_user_id" not in client.session
    [event] = refusals("token_only")
    assert event.data["via"] == "session"
    # A form post with a session is refused the same way, and writes nothing.
    client.force_login(btc_system)
    post = client.post("/report/BTC_NGANH_M/BTC/2026-10/", {"BUDGET_REVENUE": "1850", "action": "submit"})
    assert post.status_code == 302 and post["Location"].startswith("/accounts/login/")
    assert "_auth_user_id" not in client.session
    # htmx and the JSON API get a status, not a redirect.
    client.force_login(btc_system)
    assert client.get("/report/", HTTP_HX_REQUEST="true").status_code == 401


def test_the_token_api_still_works_for_a_machine_account(btc_system):
    _token, secret = tokens.issue_token(btc_system, current("BTC"), name="feed", scope="write")
    api = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert api.get("/api/registry/indicators?limit=1").status_code == 200
    body = {"regime": "BTC_NGANH_M", "orgUnit": "BTC", "period": "2026-10",
            "dataValues": [{"indicator": "BUDGET_REVENUE", "value": "1850"}]}
    response = api.post("/api/dataValueSets", json.dumps(body), content_type="application/json")
    assert response.status_code == 200, response.json()


def test_oidc_refuses_a_machine_account(client, oidc_on, btc_system):  # noqa: F811
    User.objects.filter(pk=btc_system.pk).update(email="hethong@mof.gov.vn")
    response = sign_in_through(client, oidc_on, "hethong@mof.gov.vn")
    assert response.status_code == 403 and 'id="signin-refused"' in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert refusals("token_only")[0].data["via"] == "oidc"
