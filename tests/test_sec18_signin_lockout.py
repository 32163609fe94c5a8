"""Issue 18, findings 7 and 5: the lockout cannot be dodged with X-Forwarded-For, a
per-account limit holds across addresses, and sign-in events name the address and the
user agent. The client address is the socket's peer (REMOTE_ADDR) unless the peer is a
configured proxy."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
import time_machine
import uvicorn
from django.core.management import call_command
from django.test import Client, RequestFactory
from django.utils import timezone

from nrs.accounts import ratelimit
from nrs.audit.events import EventType
from nrs.audit.models import Event
from nrs.web.management.commands import serve
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

FORGED = {"HTTP_X_FORWARDED_FOR": "203.0.113.77", "HTTP_X_REAL_IP": "203.0.113.78",
          "HTTP_FORWARDED": "for=203.0.113.79"}


@pytest.fixture(autouse=True)
def _fast_hashes(settings):  # type: ignore[no-untyped-def]
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def sign_in(client: Client, username: str, password: str = PASSWORD, **extra: str) -> Any:
    return client.post("/accounts/login/", {"username": username, "password": password}, **extra)


# -- which address: uvicorn's proxy headers, then Django -------------------------------------

async def _seen_client(options: dict[str, Any], peer: str, forwarded_for: str) -> str:
    """The client address an ASGI app behind uvicorn (configured with ``options``) sees for a
    request from ``peer`` carrying X-Forwarded-For: ``forwarded_for``."""
    seen: dict[str, Any] = {}

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        seen["client"] = scope["client"][0]

    config = uvicorn.Config(app, **options)
    config.load()
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
             "scheme": "http", "path": "/", "raw_path": b"/", "query_string": b"", "root_path": "",
             "headers": [(b"x-forwarded-for", forwarded_for.encode())], "client": (peer, 50000),
             "server": ("127.0.0.1", 8000)}
    await config.loaded_app(scope, None, None)
    return str(seen["client"])


@pytest.mark.parametrize("trusted, expected", [
    ([], "127.0.0.1"),                          # nobody is trusted: the peer, even on loopback
    (["10.0.0.0/8"], "127.0.0.1"),              # loopback is not a configured proxy
    (["127.0.0.1"], "203.0.113.9"),             # the configured proxy's header is believed
])
def test_serve_believes_forwarded_for_only_from_configured_proxies(settings, trusted, expected):
    settings.NRS_TRUSTED_PROXIES = trusted
    assert asyncio.run(_seen_client(serve.uvicorn_options(), "127.0.0.1", "203.0.113.9")) == expected


def test_axes_and_the_rate_limit_take_the_socket_peer_only():
    from axes.helpers import get_client_ip_address

    request = RequestFactory().post("/accounts/login/", REMOTE_ADDR="192.0.2.10", **FORGED)
    assert get_client_ip_address(request) == "192.0.2.10"
    assert ratelimit.client_ip(request) == "192.0.2.10"


# -- per account, from any address ------------------------------------------------------------

def test_wrong_passwords_from_many_addresses_lock_the_account(settings, hanoi_reporter):
    settings.NRS_ACCOUNT_FAILURE_LIMIT = 6
    for n in range(6):  # one wrong password from each of six addresses: no per-address lock
        response = sign_in(Client(REMOTE_ADDR=f"198.51.100.{n + 1}"), "hanoi.reporter", "wrong-password")
        assert response.status_code == 200, n
    # The right password from a seventh address is refused now.
    fresh = Client(REMOTE_ADDR="198.51.100.99")
    locked = sign_in(fresh, "hanoi.reporter")
    assert locked.status_code == 429 and "_auth_user_id" not in fresh.session
    assert 'id="account-locked"' in locked.content.decode()
    [event] = Event.objects.filter(event_type=EventType.LOCKED_OUT)
    assert event.data["scope"] == "account" and event.data["username"] == "hanoi.reporter"
    assert event.data["failures"] == 6 and event.data["ip"] == "198.51.100.6"
    # Until the cool-off ends.
    later = timezone.now() + settings.AXES_COOLOFF_TIME + timedelta(seconds=5)
    with time_machine.travel(later, tick=False):
        assert sign_in(Client(REMOTE_ADDR="198.51.100.99"), "hanoi.reporter").status_code == 302


def test_the_account_limit_is_audited_once_and_lifted_by_axes_reset(settings, hanoi_reporter, make_user):
    settings.NRS_ACCOUNT_FAILURE_LIMIT = 4
    make_user("other.user")
    for n in range(6):
        sign_in(Client(REMOTE_ADDR=f"198.51.100.{n + 1}"), "hanoi.reporter", "wrong-password")
    assert Event.objects.filter(event_type=EventType.LOCKED_OUT).count() == 1
    assert sign_in(Client(REMOTE_ADDR="198.51.100.50"), "other.user").status_code == 302
    assert sign_in(Client(REMOTE_ADDR="198.51.100.50"), "hanoi.reporter").status_code == 429
    call_command("axes_reset", verbosity=0)
    assert sign_in(Client(REMOTE_ADDR="198.51.100.50"), "hanoi.reporter").status_code == 302


# -- finding 5: the address and the user agent of every sign-in event ---------------------------

def test_sign_in_events_carry_the_address_and_the_user_agent(settings, hanoi_reporter):
    settings.AXES_FAILURE_LIMIT = 2
    agent = "Mozilla/5.0 " + "x" * 400
    client = Client(REMOTE_ADDR="192.0.2.10", HTTP_USER_AGENT=agent, **FORGED)
    sign_in(client, "hanoi.reporter", "wrong-password")
    assert sign_in(client, "hanoi.reporter").status_code == 302
    client.post("/accounts/logout/")
    for _ in range(2):
        sign_in(client, "hanoi.reporter", "wrong-password")
    for kind in (EventType.LOGIN_FAILED, EventType.LOGIN, EventType.LOGOUT, EventType.LOCKED_OUT):
        event = Event.objects.filter(event_type=kind).last()
        assert event is not None, kind
        assert event.data["ip"] == "192.0.2.10", kind
        assert event.data["user_agent"] == agent[:300], kind
