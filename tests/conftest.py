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


def pytest_collection_modifyitems(config, items):  # type: ignore[no-untyped-def]
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


@pytest.fixture(scope="session")
def live_node(tmp_path_factory):  # type: ignore[no-untyped-def]
    """One real NRS node for the live tests (tests/live.py): its own database, `nrs init`
    run once, a Hà Nội system client with a write token, a Hà Nội reporter and approver,
    and `nrs serve` with two workers. Tests must not stop this server; a test that kills
    a server starts its own with `live_node.start()`."""
    from tests.live import LiveNode, fresh_database

    tmp = tmp_path_factory.mktemp("live")
    with fresh_database(tmp, "live") as database:
        node = LiveNode(database=database, var_dir=tmp / "var")
        node.nrs("init")
        node.user("hn.system", "system", "01")
        node.token("hn.system", "01", "write")
        node.user("hn.approver", "approver", "01")
        node.token("hn.approver", "01", "write")
        node.start(workers=2)
        try:
            yield node
        finally:
            node.stop()
