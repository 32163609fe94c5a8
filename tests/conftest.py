"""Shared test setup: the real registry, loaded once per run through the real
loader, and a small named cast of users created through the real actions."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from nrs.accounts import actions
from nrs.accounts.models import Role, User
from nrs.registry.loader import load_registry
from nrs.registry.models import OrgUnit

CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):  # type: ignore[no-untyped-def]
    with django_db_blocker.unblock():
        load_registry()


def current(code: str) -> OrgUnit:
    return OrgUnit.objects.current().get(code=code)


def legacy(code: str) -> OrgUnit:
    return OrgUnit.objects.get(code=code, valid_to__isnull=False)


PASSWORD = "test-password-2026"


@pytest.fixture
def make_user(db) -> Callable[..., User]:  # type: ignore[no-untyped-def]
    def make(username: str, role: str | None = None, unit: str | None = None) -> User:
        user, _ = actions.create_user(username, PASSWORD, full_name=username)
        if role and unit:
            actions.grant_role(user, Role(role), current(unit))
        return user

    return make


@pytest.fixture
def leader(make_user):  # type: ignore[no-untyped-def]
    return make_user("leader", "leader", "CP")


@pytest.fixture
def coordinator(make_user):  # type: ignore[no-untyped-def]
    return make_user("coordinator", "coordinator", "CP")


@pytest.fixture
def hanoi_reporter(make_user):  # type: ignore[no-untyped-def]
    return make_user("hanoi.reporter", "reporter", "01")


@pytest.fixture
def mof_approver(make_user):  # type: ignore[no-untyped-def]
    return make_user("mof.approver", "approver", "BTC")


@pytest.fixture
def mof_system(make_user):  # type: ignore[no-untyped-def]
    return make_user("mof.system", "system", "BTC")


@pytest.fixture
def auditor(make_user):  # type: ignore[no-untyped-def]
    return make_user("auditor", "auditor", "CP")


def chromium_available() -> bool:
    return CHROMIUM.exists() or shutil.which("chromium") is not None


@pytest.fixture(scope="session")
def browser_type_launch_args() -> dict[str, object]:
    """Debian's Chromium, headless, for every Playwright test (pytest-playwright's fixture)."""
    from tests.browser_helpers import CHROMIUM_ARGS

    return {"executable_path": str(CHROMIUM), "args": CHROMIUM_ARGS}


def pytest_collection_modifyitems(config, items):  # type: ignore[no-untyped-def]
    # Tests that change the shared demo (served_demo) run after those that only read it.
    items.sort(key=lambda item: item.get_closest_marker("demo_writes") is not None)
    if chromium_available():
        return
    if os.environ.get("CI") == "true":
        raise pytest.UsageError("CI=true but /usr/bin/chromium is missing: run `make browser`")
    skip = pytest.mark.skip(reason="Chromium is not installed (apt-get install chromium)")
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):  # type: ignore[no-untyped-def]
    """Uploaded documents go to a per-test folder, not the developer's var/."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _fast_password_hashes(request, settings):  # type: ignore[no-untyped-def]
    """Passwords set in a test are hashed with MD5, not Argon2 (0.1-0.3 s a hash, and the
    suite creates and signs in thousands of users); Argon2 hashes still verify. Servers the
    tests start as processes (`nrs serve`) keep the real settings. Tests marked
    @pytest.mark.real_password_hashes keep Argon2."""
    if request.node.get_closest_marker("real_password_hashes") is None:
        settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", *settings.PASSWORD_HASHERS]


@pytest.fixture(autouse=True)
def _two_factor_off(request, settings):  # type: ignore[no-untyped-def]
    """Most tests sign privileged users in with force_login: two-factor is off for them.
    Tests marked @pytest.mark.two_factor run with it on (and may use verified_login)."""
    settings.NRS_REQUIRE_2FA = request.node.get_closest_marker("two_factor") is not None


@pytest.fixture
def verified_login(db) -> Callable[..., None]:  # type: ignore[no-untyped-def]
    """verified_login(client, user): enrol a confirmed TOTP device through the real action,
    then sign in through the real /accounts/login/ and /accounts/2fa/ forms with real codes
    computed from the device. ``user`` must have the test PASSWORD (make_user's)."""
    import time

    from django_otp.oath import TOTP
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from nrs.accounts import twofactor

    def code(device, ahead: int) -> str:  # type: ignore[no-untyped-def]
        totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
        totp.time = time.time() + ahead * device.step
        return f"{totp.token():0{device.digits}d}"

    def login(client, user: User) -> None:  # type: ignore[no-untyped-def]
        if not twofactor.has_totp(user):
            device = twofactor.pending_totp(user)
            assert twofactor.confirm_totp(user, code(device, 0)) is not None
        device = TOTPDevice.objects.get(user=user, confirmed=True)
        response = client.post("/accounts/login/", {"username": user.username, "password": PASSWORD})
        assert response.status_code == 302, response.status_code
        # A code is accepted once: use the first time step after the last one used. The device
        # accepts one step of clock drift and follows it (OTP_TOTP_SYNC), so this never waits.
        now_step = int((time.time() - device.t0) // device.step) + device.drift
        ahead = max(0, device.last_t + 1 - now_step)
        response = client.post("/accounts/2fa/", {"code": code(device, ahead), "next": "/"})
        assert response.status_code == 302 and response["Location"] == "/", response.status_code

    return login


@pytest.fixture(scope="session")
def initialised_database(tmp_path_factory):  # type: ignore[no-untyped-def]
    """A database (PostgreSQL when the suite runs on it, else a SQLite file) after `nrs init`,
    never served: the live nodes of the run start from copies of it (tests/live.py,
    copy_of_database), so the registry is loaded once per run, not once per node."""
    from tests.live import LiveNode, fresh_database

    tmp = tmp_path_factory.mktemp("initialised")
    with fresh_database(tmp, "initialised") as database:
        LiveNode(database=database, var_dir=tmp / "var").nrs("init")
        yield database


@pytest.fixture(scope="session")
def live_node(tmp_path_factory, initialised_database):  # type: ignore[no-untyped-def]
    """One real NRS node for the live tests (tests/live.py): its own database, a copy of the
    run's initialised one, a Hà Nội system client with a write token, a Hà Nội reporter and approver,
    and `nrs serve` with two workers. Tests must not stop this server; a test that kills
    a server starts its own with `live_node.start()`."""
    from tests.live import LiveNode, copy_of_database

    tmp = tmp_path_factory.mktemp("live")
    with copy_of_database(initialised_database, tmp, "live") as database:
        node = LiveNode(database=database, var_dir=tmp / "var")
        node.user("hn.system", "system", "01")
        node.token("hn.system", "01", "write")
        node.user("hn.approver", "approver", "01")
        node.token("hn.approver", "01", "write")
        node.start(workers=2)
        try:
            yield node
        finally:
            node.stop()


# What the shared demo's commands printed, by step (tests/test_demo_browser.py checks them);
# empty when NRS_DEMO_BASE names a demo served elsewhere.
DEMO_OUTPUTS: dict[str, str] = {}


@pytest.fixture(scope="session")
def demo_registry(tmp_path_factory):  # type: ignore[no-untyped-def]
    """A var dir after `nrs init`, copied by every demo of the run (the shared one and those
    at the edges of a month): the registry does not depend on the day, so it is loaded once.
    Loaded at the earliest moment any of them runs at."""
    from tests.test_demo_browser import MONTH_EDGES, _env, _run

    var_dir = tmp_path_factory.mktemp("init-var")
    DEMO_OUTPUTS["init"] = _run(["init"], _env(var_dir, MONTH_EDGES[0]))
    return var_dir


@pytest.fixture(scope="session")
def served_demo(request, tmp_path_factory):  # type: ignore[no-untyped-def]
    """One demo, loaded as a newcomer does (`nrs init` and `nrs demo`, each run twice to prove
    it idempotent, and `nrs createuser`), served by `nrs serve` under faketime, shared by every
    browser check on the demo (tests/test_demo_browser.py, the axe and phone checks): loading
    the demo is most of their time. Tests that change the demo are marked demo_writes and run
    after the others. NRS_DEMO_BASE reuses a demo already served."""
    if os.environ.get("NRS_DEMO_BASE"):
        yield os.environ["NRS_DEMO_BASE"].rstrip("/")
        return
    from tests.test_demo_browser import DEMO_AT, _env, _run, _serving

    var_dir = tmp_path_factory.mktemp("shared-demo") / "var"
    shutil.copytree(request.getfixturevalue("demo_registry"), var_dir)
    env = _env(var_dir, DEMO_AT)
    steps = {"init_again": ["init"], "demo": ["demo"], "demo_again": ["demo"],
             "createuser": ["createuser", "an.nguyen", "--password", "a-strong-pass-2026",
                            "--role", "reporter", "--unit", "01"],
             "createuser_again": ["createuser", "an.nguyen", "--role", "reporter", "--unit", "01"]}
    for name, args in steps.items():
        DEMO_OUTPUTS[name] = _run(args, env)
    with _serving(env) as base:
        yield base
