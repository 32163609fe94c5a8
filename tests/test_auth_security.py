"""Sign-in hardening: lockout, rate limits, two-factor, sessions, API token lifecycle,
the password policy. Real database, real forms and real TOTP codes; no mocks."""

from __future__ import annotations

import io
import json
import time
import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from nrs.accounts import actions, tokens, twofactor
from nrs.accounts.middleware import IDLE_KEY
from nrs.accounts.models import ApiToken, User
from nrs.audit.events import EventType
from nrs.audit.models import Event
from nrs.lib.errors import InputError
from tests.conftest import PASSWORD, current

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_hashes(settings):  # type: ignore[no-untyped-def]
    """Argon2 costs ~0.3 s per sign-in; these tests sign in dozens of times."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def events(kind: EventType) -> int:
    return Event.objects.filter(event_type=kind).count()


def sign_in(client: Client, username: str, password: str = PASSWORD):  # type: ignore[no-untyped-def]
    return client.post("/accounts/login/", {"username": username, "password": password})


def totp_code(device: TOTPDevice, ahead: int = 0) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + ahead * device.step
    return f"{totp.token():0{device.digits}d}"


# -- lockout (django-axes) ------------------------------------------------------------

def test_five_wrong_passwords_lock_the_account_until_reset(client, hanoi_reporter):
    for attempt in range(4):
        assert sign_in(client, "hanoi.reporter", "wrong-password").status_code == 200, attempt
    locked = sign_in(client, "hanoi.reporter", "wrong-password")
    assert locked.status_code == 429
    assert 'id="locked-out"' in locked.content.decode()
    assert "Đăng nhập bị khoá" in locked.content.decode()  # Vietnamese first
    # The right password is refused now too, and the lockout is audited once, not per attempt.
    again = sign_in(client, "hanoi.reporter")
    assert again.status_code == 429 and "_auth_user_id" not in client.session
    assert events(EventType.LOCKED_OUT) == 1
    assert Event.objects.get(event_type=EventType.LOCKED_OUT).data["username"] == "hanoi.reporter"
    # The lock is on this username from this address only.
    assert sign_in(Client(REMOTE_ADDR="10.9.8.7"), "hanoi.reporter").status_code == 302
    call_command("axes_reset", verbosity=0)
    assert sign_in(client, "hanoi.reporter").status_code == 302


def test_a_successful_sign_in_resets_the_failure_count(client, settings, hanoi_reporter):
    settings.AXES_FAILURE_LIMIT = 3  # fewer slow password hashes than 5
    for _ in range(2):
        sign_in(client, "hanoi.reporter", "wrong-password")
    assert sign_in(client, "hanoi.reporter").status_code == 302
    client.post("/accounts/logout/")
    for _ in range(2):
        assert sign_in(client, "hanoi.reporter", "wrong-password").status_code == 200
    assert sign_in(client, "hanoi.reporter").status_code == 302


def test_sign_out_is_post_only(client, hanoi_reporter):
    client.force_login(hanoi_reporter)
    assert client.get("/accounts/logout/").status_code == 405
    assert client.post("/accounts/logout/").status_code == 302
    assert "_auth_user_id" not in client.session


# -- rate limits (django-ratelimit) ---------------------------------------------------

def test_login_posts_are_rate_limited_per_address(client, settings, hanoi_reporter):
    settings.NRS_LOGIN_RATE = "3/h"
    for _ in range(3):
        assert sign_in(client, "nobody", "wrong-password").status_code == 200
    refused = sign_in(client, "hanoi.reporter")
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 0
    assert 'id="rate-limited"' in refused.content.decode()
    sign_in(client, "hanoi.reporter")
    assert events(EventType.RATE_LIMITED) == 1  # once per window, not per refused request
    # Another address has its own counter.
    assert sign_in(Client(REMOTE_ADDR="10.1.2.3"), "hanoi.reporter").status_code == 302


def test_api_token_rate_limit_answers_429_with_retry_after(settings, make_user):
    settings.NRS_API_RATE, settings.NRS_API_WRITE_RATE = "2/h", "1/h"
    system = make_user("hn.system", "system", "01")
    token, secret = tokens.issue_token(system, current("01"), name="t", scope="write")
    api = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")
    for _ in range(2):
        assert api.get("/api/registry/indicators?limit=1").status_code == 200
    refused = api.get("/api/registry/indicators?limit=1")
    assert refused.status_code == 429
    assert 0 < int(refused["Retry-After"]) <= 3600
    body = refused.json()
    assert body["message_vi"].startswith("Quá nhiều yêu cầu") and body["message_en"].startswith("Too many")
    assert api.get("/api/registry/indicators?limit=1").status_code == 429
    event = Event.objects.get(event_type=EventType.RATE_LIMITED)
    assert event.object_id == str(token.pk) and event.actor_id == system.pk
    # Writes have their own, lower budget: one (refused as bad input), then 429.
    assert api.post("/api/dataValueSets", "{}", content_type="application/json").status_code != 429
    assert api.post("/api/dataValueSets", "{}", content_type="application/json").status_code == 429
    assert events(EventType.RATE_LIMITED) == 2
    # Another token of the same user is counted separately.
    _other, other_secret = tokens.issue_token(system, current("01"), name="u", scope="read")
    assert Client(HTTP_AUTHORIZATION=f"Bearer {other_secret}").get(
        "/api/registry/indicators?limit=1").status_code == 200


# -- two-factor (django-otp) ----------------------------------------------------------

@pytest.mark.two_factor
def test_privileged_roles_are_sent_to_two_factor_and_reporters_are_not(
        client, leader, mof_approver, coordinator, hanoi_reporter, auditor):
    for user in (leader, mof_approver, coordinator, auditor):  # auditors too (issue 18, finding 8)
        client.force_login(user)
        response = client.get("/dashboard/")
        assert response.status_code == 302, user
        assert response["Location"] == "/accounts/2fa/?next=%2Fdashboard%2F"
        # htmx and ajax get 403 (never an HTML redirect), the session API too.
        assert client.get("/dashboard/", headers={"HX-Request": "true"}).status_code == 403
        assert client.get("/", headers={"X-Requested-With": "XMLHttpRequest"}).status_code == 403
        api = client.get("/api/registry/indicators?limit=1")
        assert api.status_code == 403 and "message_vi" in api.json()
        # The 2FA page, sign-out, health and the language switch stay open.
        assert client.get("/accounts/2fa/").status_code == 200
        assert client.get("/health/").status_code == 200
        client.post("/accounts/logout/")
    client.force_login(coordinator)
    assert client.get("/admin/")["Location"].startswith("/accounts/2fa/")
    for user in (hanoi_reporter,):
        client.force_login(user)
        assert client.get("/registry/").status_code == 200, user


def test_two_factor_is_off_for_tests_not_marked(client, leader):
    assert settings.NRS_REQUIRE_2FA is False
    client.force_login(leader)
    assert client.get("/registry/").status_code == 200


@pytest.mark.two_factor
def test_api_tokens_are_not_affected_by_two_factor(make_user):
    approver = make_user("hn.approver", "approver", "01")
    _token, secret = tokens.issue_token(approver, current("01"), name="t", scope="read")
    response = Client(HTTP_AUTHORIZATION=f"Bearer {secret}").get("/api/registry/indicators?limit=1")
    assert response.status_code == 200


@pytest.mark.two_factor
def test_enrolment_with_qr_code_secret_and_backup_codes(client, settings, leader):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0  # the wrong code below must not delay the right one
    assert sign_in(client, "leader").status_code == 302
    page = client.get("/accounts/2fa/?next=/dashboard/")
    assert page.status_code == 200 and 'id="two-factor-enrol"' in page.content.decode()
    device = TOTPDevice.objects.get(user=leader, confirmed=False)
    assert page.context["secret"] in device.config_url  # the base32 key for typing by hand
    qr = client.get("/accounts/2fa/qr.svg")
    assert qr["Content-Type"] == "image/svg+xml"
    assert ET.fromstring(qr.content).tag.endswith("svg")
    assert "<script" not in qr.content.decode()

    wrong = client.post("/accounts/2fa/", {"code": "000000" if totp_code(device) != "000000" else "111111"})
    assert wrong.status_code == 400
    assert events(EventType.TWO_FACTOR_FAILED) == 1
    assert client.get("/registry/").status_code == 302  # still not verified

    done = client.post("/accounts/2fa/", {"code": totp_code(device), "next": "/dashboard/"})
    assert done.status_code == 302 and done["Location"].startswith("/accounts/2fa/backup-codes/")
    codes_page = client.get(done["Location"])
    codes = codes_page.context["codes"]
    assert len(codes) == 10 and len(set(codes)) == 10
    assert all(code in codes_page.content.decode() for code in codes)
    assert client.get(done["Location"]).status_code == 302  # shown once only
    assert events(EventType.TWO_FACTOR_ENROLLED) == 1
    assert client.get("/dashboard/").status_code == 200
    assert client.get("/accounts/2fa/qr.svg").status_code == 404  # the secret is not shown again


@pytest.mark.two_factor
def test_verified_login_fixture_signs_in_with_real_codes(client, leader, verified_login):
    verified_login(client, leader)
    assert client.get("/dashboard/").status_code == 200
    assert client.get("/accounts/2fa/").status_code == 200  # "two-factor is on"


@pytest.mark.two_factor
def test_verification_rotates_the_session_key(client, mof_approver):
    device = twofactor.pending_totp(mof_approver)
    twofactor.confirm_totp(mof_approver, totp_code(device))
    sign_in(client, "mof.approver")
    before = client.session.session_key
    response = client.post("/accounts/2fa/", {"code": totp_code(device, 1), "next": "/"})
    assert response.status_code == 302
    assert client.session.session_key != before
    assert client.get("/registry/").status_code == 200


@pytest.mark.two_factor
def test_wrong_code_is_refused_audited_and_throttled(client, coordinator):
    device = twofactor.pending_totp(coordinator)
    twofactor.confirm_totp(coordinator, totp_code(device))
    sign_in(client, "coordinator")
    good = totp_code(device, 1)
    bad = "123456" if good != "123456" else "654321"
    assert client.post("/accounts/2fa/", {"code": bad}).status_code == 400
    assert events(EventType.TWO_FACTOR_FAILED) == 1
    failed = Event.objects.get(event_type=EventType.TWO_FACTOR_FAILED)
    assert failed.actor_id == coordinator.pk and failed.data == {"stage": "verify"}
    # django-otp throttles the device after a failure: even the right code waits a moment.
    assert client.post("/accounts/2fa/", {"code": good}).status_code == 400
    assert client.get("/registry/").status_code == 302


@pytest.mark.two_factor
def test_a_backup_code_works_once(client, leader):
    device = twofactor.pending_totp(leader)
    codes = twofactor.confirm_totp(leader, totp_code(device))
    assert codes is not None
    sign_in(client, "leader")
    assert client.post("/accounts/2fa/", {"code": codes[0], "next": "/"}).status_code == 302
    assert client.get("/registry/").status_code == 200
    client.post("/accounts/logout/")
    sign_in(client, "leader")
    assert client.post("/accounts/2fa/", {"code": codes[0]}).status_code == 400
    assert client.get("/registry/").status_code == 302
    assert StaticDevice.objects.get(user=leader).token_set.count() == 9


@pytest.mark.two_factor
def test_twofactor_reset_command_removes_devices(client, leader):
    device = twofactor.pending_totp(leader)
    twofactor.confirm_totp(leader, totp_code(device))
    out = io.StringIO()
    call_command("twofactor", "reset", "leader", stdout=out)
    assert "2 removed" in out.getvalue()
    assert not TOTPDevice.objects.filter(user=leader).exists()
    assert not StaticDevice.objects.filter(user=leader).exists()
    assert events(EventType.TWO_FACTOR_RESET) == 1
    sign_in(client, "leader")
    assert 'id="two-factor-enrol"' in client.get("/accounts/2fa/").content.decode()
    with pytest.raises(CommandError):
        call_command("twofactor", "reset", "nobody")


# -- sessions ---------------------------------------------------------------------------

def test_idle_session_is_signed_out(client, settings, hanoi_reporter):
    assert settings.SESSION_COOKIE_AGE == 8 * 3600
    settings.NRS_SESSION_IDLE_MINUTES = 30
    client.force_login(hanoi_reporter)
    assert client.get("/registry/").status_code == 200
    session = client.session
    session[IDLE_KEY] = int(time.time()) - 29 * 60
    session.save()
    assert client.get("/registry/").status_code == 200  # 29 minutes idle: still in
    session = client.session
    session[IDLE_KEY] = int(time.time()) - 31 * 60
    session.save()
    response = client.get("/report/")
    assert response.status_code == 302 and response["Location"] == "/accounts/login/"
    assert "_auth_user_id" not in client.session
    # htmx requests get a status, not an HTML page.
    client.force_login(hanoi_reporter)
    session = client.session
    session[IDLE_KEY] = int(time.time()) - 31 * 60
    session.save()
    assert client.get("/", headers={"HX-Request": "true"}).status_code == 401


# -- API tokens ---------------------------------------------------------------------------

def test_token_lifetime_is_capped(settings, make_user):
    settings.NRS_TOKEN_MAX_DAYS = 90
    system = make_user("hn.system", "system", "01")
    with pytest.raises(InputError) as refused:
        tokens.issue_token(system, current("01"), name="long", scope="read", days=91)
    assert "90" in refused.value.vi and "90" in refused.value.en
    token, _secret = tokens.issue_token(system, current("01"), name="default", scope="read")
    assert timedelta(days=89) < token.expires_at - timezone.now() <= timedelta(days=90)
    with pytest.raises(CommandError, match="90"):
        call_command("token", "issue", "hn.system", "--unit", "01", "--days", "400")


def test_refused_tokens_get_401_and_foreign_units_403(make_user):
    system = make_user("hn.system", "system", "01")
    url = "/api/registry/indicators?limit=1"

    def status(secret: str) -> int:
        return Client(HTTP_AUTHORIZATION=f"Bearer {secret}").get(url).status_code

    _live, live_secret = tokens.issue_token(system, current("01"), name="live", scope="write")
    assert status(live_secret) == 200
    assert status(live_secret[:-2] + "xx") == 401  # wrong secret
    assert status("nrs_nosuchprefix_secret") == 401
    expired, expired_secret = tokens.issue_token(system, current("01"), name="old", scope="read")
    ApiToken.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert status(expired_secret) == 401
    revoked, revoked_secret = tokens.issue_token(system, current("01"), name="gone", scope="read")
    tokens.revoke_token(revoked)
    assert status(revoked_secret) == 401
    # A token bound to Hà Nội cannot write for Hồ Chí Minh City.
    foreign = Client(HTTP_AUTHORIZATION=f"Bearer {live_secret}").post(
        "/api/dataValueSets", json.dumps({"regime": "PROV_KTXH_M", "orgUnit": "79", "period": "2026-10",
                                          "dataValues": [{"indicator": "GRDP", "value": "1"}]}),
        content_type="application/json")
    assert foreign.status_code == 403
    system.is_active = False
    system.save(update_fields=["is_active"])
    assert status(live_secret) == 401  # the user is deactivated


def test_last_used_is_written_at_most_once_a_minute(make_user):
    system = make_user("hn.system", "system", "01")
    token, secret = tokens.issue_token(system, current("01"), name="t", scope="read")
    assert token.last_used_at is None
    api = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")
    api.get("/api/registry/indicators?limit=1")
    first = ApiToken.objects.get(pk=token.pk).last_used_at
    assert first is not None
    api.get("/api/registry/indicators?limit=1")
    assert ApiToken.objects.get(pk=token.pk).last_used_at == first
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=first - timedelta(minutes=2))
    api.get("/api/registry/indicators?limit=1")
    assert ApiToken.objects.get(pk=token.pk).last_used_at > first


# -- passwords ----------------------------------------------------------------------------

def test_change_my_password_follows_the_policy_and_is_audited(client, hanoi_reporter):
    client.force_login(hanoi_reporter)
    page = client.get("/accounts/password/")
    assert page.status_code == 200 and "10" in page.content.decode()
    weak = client.post("/accounts/password/", {"old_password": PASSWORD, "new_password1": "12345678",
                                               "new_password2": "12345678"})
    assert weak.status_code == 200 and weak.context["form"].errors
    new = "mua-thu-Ha-Noi-2026"
    done = client.post("/accounts/password/", {"old_password": PASSWORD, "new_password1": new,
                                               "new_password2": new})
    assert done.status_code == 302 and done["Location"] == "/accounts/password/done/"
    assert client.get("/registry/").status_code == 200  # still signed in
    event = Event.objects.get(event_type=EventType.PASSWORD_CHANGED)
    assert event.actor_id == hanoi_reporter.pk and event.data == {"by_self": True}
    client.post("/accounts/logout/")
    assert sign_in(client, "hanoi.reporter", new).status_code == 302


def test_every_way_to_set_a_password_checks_the_policy(make_user, coordinator):
    with pytest.raises(CommandError):
        call_command("createuser", "short.pw", "--password", "abc12345")
    assert not User.objects.filter(username="short.pw").exists()
    user = make_user("pw.user")
    with pytest.raises(ValidationError):
        actions.change_password(user, "1234567890", actor=coordinator)
    client = Client()
    client.force_login(coordinator)
    url = f"/admin/accounts/user/{user.pk}/password/"
    weak = client.post(url, {"password1": "pw.user", "password2": "pw.user"})
    assert weak.status_code == 200
    strong = "song-Hong-chay-mai-2026"
    assert client.post(url, {"password1": strong, "password2": strong}).status_code == 302
    user.refresh_from_db()
    assert user.check_password(strong)
    event = Event.objects.get(event_type=EventType.PASSWORD_CHANGED)
    assert event.actor_id == coordinator.pk and event.data == {"by_self": False}


def test_the_admin_signs_in_through_the_one_login_page(client):
    response = client.get("/admin/login/?next=/admin/")
    assert response.status_code == 302 and response["Location"] == "/accounts/login/?next=/admin/"


@pytest.mark.two_factor
def test_verified_login_works_twice_for_the_same_user(leader, verified_login):
    for _ in range(2):
        client = Client()
        verified_login(client, leader)
        assert client.get("/dashboard/").status_code == 200
