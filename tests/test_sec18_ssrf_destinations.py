"""Issue 18, finding 4 (server-side request forgery) and finding 12 (connector secrets fall
back to SECRET_KEY silently): regression tests with real sockets on loopback.

Loopback stands in for "an internal service": 127.0.0.1 and 127.0.0.2 are both loopback
addresses, so allowing only 127.0.0.2 (NRS_FETCH_ALLOW) makes a server there the "allowed
upstream" and any listener on 127.0.0.1 the internal target it must never reach."""

from __future__ import annotations

import datetime as dt
import ipaddress
import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.core import checks
from django.test import Client

from nrs.audit.events import EventType
from nrs.audit.models import Event
from nrs.exchange.connectors import actions, http, runner
from nrs.exchange.connectors.models import Connector, RunStatus, Subscription
from nrs.lib import destinations
from nrs.lib.errors import InputError
from nrs.registry.models import Regime
from tests.conftest import current

pytestmark = pytest.mark.django_db
REGIME = "PROV_KTXH_M"
T0 = dt.datetime(2026, 11, 29, 9, 0, tzinfo=dt.UTC)
SECRET_FILE = b"root:x:0:0:root:/root:/bin/bash\n"
MAPPING = {"fields": {"indicator": "code", "period": "month", "value": "amount"}}


# -- real listeners ----------------------------------------------------------------------------------

@dataclass
class Listener:
    """An HTTP server that records each request (path and headers) and answers from ``routes``."""

    host: str
    server: ThreadingHTTPServer
    routes: dict[str, tuple[int, dict[str, str], bytes]] = field(default_factory=dict)
    seen: list[tuple[str, dict[str, str]]] = field(default_factory=list)

    @property
    def port(self) -> int:
        return int(self.server.server_address[1])

    def url(self, path: str) -> str:
        return f"http://{self.host}:{self.port}{path}"


@pytest.fixture
def listen() -> Iterator[Callable[[str], Listener]]:
    servers: list[ThreadingHTTPServer] = []

    def start(host: str) -> Listener:
        holder: dict[str, Listener] = {}

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                me = holder["me"]
                me.seen.append((self.path, dict(self.headers.items())))
                status, headers, body = me.routes.get(self.path, (404, {}, b"nothing here"))
                self.send_response(status)
                for name, value in {"Content-Type": "text/plain", **headers}.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_POST = do_GET

            def log_message(self, *args: Any) -> None:
                pass

        server = ThreadingHTTPServer((host, 0), Handler)
        holder["me"] = Listener(host, server)
        servers.append(server)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        return holder["me"]

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


@dataclass
class RawListener:
    """A TCP listener that is not HTTP (like Redis or SSH): counts connections, sends a banner."""

    sock: socket.socket
    banner: bytes
    connections: int = 0

    @property
    def port(self) -> int:
        return int(self.sock.getsockname()[1])


@pytest.fixture
def raw_listener() -> Iterator[RawListener]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    sock.settimeout(0.2)
    me = RawListener(sock, b"-ERR unknown command 'root:x:0:0'\r\n")
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = sock.accept()
            except OSError:
                continue
            me.connections += 1
            with conn:
                conn.sendall(me.banner)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield me
    stop.set()
    thread.join(timeout=2)
    sock.close()


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# -- the cast ------------------------------------------------------------------------------------------

@pytest.fixture
def hanoi_system(make_user):  # type: ignore[no-untyped-def]
    return make_user("hn.system", "system", "01")


@pytest.fixture
def make_connector(coordinator, hanoi_system) -> Callable[..., Connector]:  # type: ignore[no-untyped-def]
    """Through the action (the save-time check), as the admin does."""

    def make(url: str, *, kind: str = "http_csv", mapping: dict[str, Any] | None = None, auth: str = "none",
             secret: str | None = None) -> Connector:
        connector = Connector(name=f"c{Connector.objects.count()}", kind=kind, url=url,
                              mapping=mapping or MAPPING, auth=auth, interval_minutes=60,
                              regime=Regime.objects.get(code=REGIME), org_unit=current("01"),
                              run_as=hanoi_system, next_run_at=T0)
        return actions.save_connector(connector, actor=coordinator, changed=["name"], secret=secret)

    return make


@pytest.fixture
def stored_connector(make_connector, settings) -> Callable[..., Connector]:  # type: ignore[no-untyped-def]
    """A connector saved while its URL was allowed, then the allow-list emptied: what a DNS
    change (or an older configuration) leaves behind. The fetch must check again."""

    def make(url: str, **kw: Any) -> Connector:
        settings.NRS_FETCH_ALLOW = ["0.0.0.0/0", "::/0"]
        connector = make_connector(url, **kw)
        settings.NRS_FETCH_ALLOW = []
        return connector

    return make


def refusals() -> list[dict[str, Any]]:
    return [e.data for e in Event.objects.filter(event_type=EventType.FETCH_REFUSED).order_by("seq")]


# -- the policy, as a table (pure) -------------------------------------------------------------------------

REFUSED = ["127.0.0.1", "127.5.6.7", "10.0.0.1", "172.16.0.1", "192.168.1.1", "169.254.169.254", "100.64.0.1",
           "0.0.0.0", "224.0.0.1", "255.255.255.255", "192.0.2.1", "240.0.0.1", "::1", "::", "fe80::1",
           "fc00::1", "fd00:ec2::254", "ff02::1", "::ffff:127.0.0.1", "::ffff:169.254.169.254", "::127.0.0.1",
           "2002:7f00:1::1", "2002:a9fe:a9fe::", "64:ff9b::7f00:1", "64:ff9b::a9fe:a9fe", "2001:db8::1",
           "2001:0:4136:e378:8000:63bf:3fff:fdd2"]
PUBLIC = ["8.8.8.8", "1.1.1.1", "203.113.131.1", "2606:4700:4700::1111", "2001:4860:4860::8888",
          "::ffff:8.8.8.8", "64:ff9b::808:808"]


@pytest.mark.parametrize("address", REFUSED)
def test_non_public_addresses_are_refused(address: str) -> None:
    assert not destinations.is_public(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", PUBLIC)
def test_public_addresses_pass(address: str) -> None:
    assert destinations.is_public(ipaddress.ip_address(address))


def test_every_resolved_address_must_pass() -> None:
    """A name with one public and one loopback address is refused (no "first one wins")."""
    def fake(host: str, port: int, **kw: Any) -> list[Any]:
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("8.8.8.8", port)),
                (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port))]

    with pytest.raises(destinations.Refused) as caught:
        destinations.resolve("http://mixed.example/", destinations.Allow(), getaddrinfo=fake)
    assert caught.value.reason == destinations.NOT_ALLOWED
    allowed = destinations.resolve("http://mixed.example/", destinations.parse_allow(["127.0.0.0/8"]),
                                   getaddrinfo=fake)
    assert [a[1][0] for a in allowed.addresses] == ["8.8.8.8", "127.0.0.1"]


def test_urls_with_credentials_or_other_schemes_are_refused() -> None:
    for url in ("http://user:pw@example.org/", "http://user@example.org/", "file:///etc/passwd",
                "gopher://127.0.0.1:6379/_INFO", "ftp://example.org/", "http:///nohost"):
        with pytest.raises(InputError) as caught:
            http.check_url(url)
        assert caught.value.ref == "url"


# -- connectors: refused before any connection -------------------------------------------------------------

def test_a_loopback_listener_is_never_contacted(stored_connector, listen, settings) -> None:  # type: ignore[no-untyped-def]
    internal = listen("127.0.0.1")
    internal.routes["/etc"] = (200, {"Content-Type": "text/csv"}, SECRET_FILE)
    connector = stored_connector(internal.url("/etc"))

    run = runner.run_connector(connector, now=T0)

    assert internal.seen == []  # not one request reached it
    assert (run.status, run.ref, run.message_en) == (RunStatus.FAILED, "url", "destination not allowed")
    assert run.message_vi == "địa chỉ đích không được phép"
    assert refusals() == [{"source": "connector", "host": "127.0.0.1", "reason": "address"}]


@pytest.mark.parametrize("url", ["http://169.254.169.254/latest/meta-data/", "http://localhost:6379/",
                                 "http://[::ffff:127.0.0.1]:5432/", "http://[fd00:ec2::254]/",
                                 "http://2130706433/", "http://0x7f.1/"])
def test_internal_destinations_are_refused_at_fetch(url: str, stored_connector) -> None:  # type: ignore[no-untyped-def]
    connector = stored_connector(url)

    run = runner.run_connector(connector, now=T0)

    assert (run.status, run.message_en) == (RunStatus.FAILED, "destination not allowed")
    assert [r["reason"] for r in refusals()] == ["address"]


@pytest.mark.parametrize("url", ["http://127.0.0.1:5432/", "http://169.254.169.254/", "http://localhost:6379/",
                                 "http://10.1.2.3/x.csv"])
def test_internal_destinations_are_refused_at_save(url: str, make_connector, subscribe) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InputError) as caught:
        make_connector(url)
    assert (caught.value.ref, caught.value.en, caught.value.vi) == (
        "url", "destination not allowed", "địa chỉ đích không được phép")
    with pytest.raises(InputError) as hook:
        subscribe(url)
    assert (hook.value.ref, hook.value.en) == ("url", "destination not allowed")
    assert not Connector.objects.exists() and not Subscription.objects.exists()


def test_the_admin_form_names_the_url_field(coordinator, hanoi_system) -> None:  # type: ignore[no-untyped-def]
    from nrs.exchange.connectors.admin import ConnectorForm

    form = ConnectorForm(data={
        "name": "meta", "kind": "http_csv", "url": "http://169.254.169.254/latest/", "interval_minutes": "60",
        "regime": Regime.objects.get(code=REGIME).pk, "org_unit": current("01").pk, "run_as": hanoi_system.pk,
        "mapping": '{"fields": {"indicator": "code", "period": "month", "value": "amount"}}', "auth": "none",
        "username": "", "active": "on"})
    assert not form.is_valid()
    assert "destination not allowed" in " ".join(form.errors["url"])


def test_an_allowed_upstream_redirecting_to_loopback_is_refused(make_connector, listen, settings) -> None:  # type: ignore[no-untyped-def]
    settings.NRS_FETCH_ALLOW = ["127.0.0.2"]
    internal = listen("127.0.0.1")
    internal.routes["/secret"] = (200, {"Content-Type": "text/csv"}, SECRET_FILE)
    front = listen("127.0.0.2")
    front.routes["/data.csv"] = (302, {"Location": internal.url("/secret")}, b"")
    connector = make_connector(front.url("/data.csv"))  # allowed at save time

    run = runner.run_connector(connector, now=T0)

    assert [p for p, _ in front.seen] == ["/data.csv"] and internal.seen == []
    assert (run.status, run.message_en) == (RunStatus.FAILED, "destination not allowed")
    assert refusals() == [{"source": "connector", "host": "127.0.0.1", "reason": "address"}]


def test_a_cross_host_redirect_drops_the_credentials(make_connector, listen, settings) -> None:  # type: ignore[no-untyped-def]
    settings.NRS_FETCH_ALLOW = ["127.0.0.1", "127.0.0.2"]
    csv = b"code,month,amount\nRETAIL_SALES,2026-10,12.5\n"
    other = listen("127.0.0.1")
    other.routes["/moved.csv"] = (200, {"Content-Type": "text/csv"}, csv)
    front = listen("127.0.0.2")
    front.routes["/data.csv"] = (302, {"Location": "/same.csv"}, b"")  # same origin first
    front.routes["/same.csv"] = (301, {"Location": other.url("/moved.csv")}, b"")
    connector = make_connector(front.url("/data.csv"), auth="bearer", secret="tok-123")

    run = runner.run_connector(connector, now=T0)

    assert run.status == RunStatus.STORED, (run.ref, run.message_en)
    assert [(p, h.get("Authorization")) for p, h in front.seen] == [
        ("/data.csv", "Bearer tok-123"), ("/same.csv", "Bearer tok-123")]
    assert [(p, h.get("Authorization")) for p, h in other.seen] == [("/moved.csv", None)]


def test_redirects_are_bounded(make_connector, listen, settings) -> None:  # type: ignore[no-untyped-def]
    settings.NRS_FETCH_ALLOW = ["127.0.0.1"]
    loop = listen("127.0.0.1")
    loop.routes["/a"] = (302, {"Location": "/a"}, b"")
    connector = make_connector(loop.url("/a"))

    run = runner.run_connector(connector, now=T0)

    assert run.ref == "url" and run.message_en == "too many redirects"
    assert len(loop.seen) == http.MAX_REDIRECTS + 1


# -- nothing about the far side leaks --------------------------------------------------------------------------

def test_closed_and_open_ports_look_the_same(make_connector, raw_listener, settings) -> None:  # type: ignore[no-untyped-def]
    settings.NRS_FETCH_ALLOW = ["127.0.0.1"]
    closed = runner.run_connector(make_connector(f"http://127.0.0.1:{closed_port()}/"), now=T0)
    opened = runner.run_connector(make_connector(f"http://127.0.0.1:{raw_listener.port}/"), now=T0)

    assert raw_listener.connections == 1  # allowed: it was reached, and answered with a banner
    assert (closed.message_en, closed.message_vi) == (opened.message_en, opened.message_vi)
    assert closed.message_en == "connection failed"
    assert "root:x" not in opened.message_en + opened.message_vi


@pytest.mark.parametrize(("kind", "mapping", "body"), [
    ("http_csv", MAPPING, b"code,month,amount\nRETAIL_SALES,2026-10," + SECRET_FILE),
    ("http_csv", MAPPING, b"code,month,amount\nRETAIL_SALES," + SECRET_FILE.strip() + b",1\n"),
    ("http_csv", {**MAPPING, "codes": {"indicator": {"RS": "RETAIL_SALES"}}},
     b"code,month,amount\n" + SECRET_FILE.strip() + b",2026-10,1\n"),
    ("http_json", {"fields": {"indicator": "c", "period": "m", "value": "v"}},
     b'[{"c": "RETAIL_SALES", "m": "2026-10", "v": "root:x:0:0:root"}]'),
    ("http_json", {"fields": {"indicator": "c", "period": "m", "value": "v"}}, SECRET_FILE),
    ("http_csv", MAPPING, b"\xffroot:x:0:0:root"),
    ("sdmx", {"dimensions": ["INDICATOR"], "fields": {"indicator": "INDICATOR", "period": "TIME_PERIOD",
                                                       "value": "OBS_VALUE"}}, SECRET_FILE * 3),
])
def test_fetched_bytes_are_never_echoed(kind: str, mapping: dict[str, Any], body: bytes,  # type: ignore[no-untyped-def]
                                        make_connector, listen, settings, coordinator) -> None:
    settings.NRS_FETCH_ALLOW = ["127.0.0.1"]
    up = listen("127.0.0.1")
    up.routes["/f"] = (200, {"Content-Type": "text/plain"}, body)
    connector = make_connector(up.url("/f"), kind=kind, mapping=mapping)

    run = runner.run_connector(connector, now=T0)

    assert run.status == RunStatus.FAILED and up.seen
    shown = " ".join([run.ref, run.message_en, run.message_vi])
    assert "root" not in shown and "/bin/bash" not in shown, shown
    page = Client()
    page.force_login(coordinator)
    for path in (f"/connectors/{connector.pk}/", "/connectors/"):
        answer = page.get(path)
        assert answer.status_code == 200 and b"root:x" not in answer.content
    events = " ".join(str(e.data) for e in Event.objects.filter(event_type=EventType.CONNECTOR_RUN))
    assert "root:x" not in events


# -- webhooks -------------------------------------------------------------------------------------------------

@pytest.fixture
def subscribe(coordinator) -> Callable[..., Subscription]:  # type: ignore[no-untyped-def]
    def make(url: str) -> Subscription:
        return actions.save_subscription(Subscription(name="hook", url=url, org_unit=current("01")),
                                         actor=coordinator, changed=["name"], secret="hook-secret")

    return make


def test_a_webhook_to_loopback_is_refused_and_audited(subscribe, listen, settings) -> None:  # type: ignore[no-untyped-def]
    from nrs.exchange.connectors import webhooks
    from nrs.exchange.connectors.models import Delivery

    internal = listen("127.0.0.1")
    settings.NRS_FETCH_ALLOW = ["127.0.0.1"]
    subscription = subscribe(internal.url("/hook"))
    settings.NRS_FETCH_ALLOW = []
    delivery = Delivery.objects.create(subscription=subscription, event="approved", payload={"x": 1},
                                       next_try_at=T0)

    assert webhooks.attempt(delivery, now=T0) is False

    delivery.refresh_from_db()
    assert internal.seen == [] and delivery.last_error == "destination not allowed"
    assert refusals() == [{"source": "webhook", "host": "127.0.0.1", "reason": "address"}]


def test_a_webhook_post_does_not_follow_redirects(subscribe, listen, settings) -> None:  # type: ignore[no-untyped-def]
    from nrs.exchange.connectors import webhooks
    from nrs.exchange.connectors.models import Delivery

    settings.NRS_FETCH_ALLOW = ["127.0.0.1", "127.0.0.2"]
    target = listen("127.0.0.1")
    front = listen("127.0.0.2")
    front.routes["/hook"] = (307, {"Location": target.url("/hook")}, b"")
    delivery = Delivery.objects.create(subscription=subscribe(front.url("/hook")), event="approved",
                                       payload={"x": 1}, next_try_at=T0)

    assert webhooks.attempt(delivery, now=T0) is False
    assert len(front.seen) == 1 and target.seen == []


# -- finding 12: `nrs check --deploy` speaks up ----------------------------------------------------------------

def _deploy_ids() -> set[str]:
    return {m.id for m in checks.run_checks(include_deployment_checks=True, tags=[checks.Tags.security])
            if m.id and m.id.startswith("connectors.")}


def test_check_deploy_warns_when_credentials_fall_back_to_secret_key(settings) -> None:
    settings.NRS_CREDENTIALS_KEY = ""
    assert "connectors.W001" in _deploy_ids()
    settings.NRS_CREDENTIALS_KEY = "a-separate-long-random-key-for-credentials"
    assert "connectors.W001" not in _deploy_ids()
    # Not a deploy-only concern in development: the plain check stays quiet.
    assert "connectors.W001" not in {m.id for m in checks.run_checks(include_deployment_checks=False)}


@pytest.mark.parametrize("entry", ["0.0.0.0/0", "::/0", "10.0.0.0/7", "0.0.0.0/1"])
def test_check_deploy_warns_about_a_broad_allow_list(entry: str, settings) -> None:  # type: ignore[no-untyped-def]
    settings.NRS_CREDENTIALS_KEY = "k"
    settings.NRS_FETCH_ALLOW = ["10.1.2.3", entry]
    assert "connectors.W002" in _deploy_ids()
    settings.NRS_FETCH_ALLOW = ["10.1.2.3", "192.168.10.0/24", "data.internal.example"]
    assert "connectors.W002" not in _deploy_ids()


def test_check_deploy_command_output_names_the_setting(settings) -> None:  # type: ignore[no-untyped-def]
    import io

    from django.core.management import call_command

    settings.NRS_CREDENTIALS_KEY = ""
    from django.core.management.base import SystemCheckError

    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("check", "--deploy", stdout=out, stderr=err)
        shown = out.getvalue() + err.getvalue()
    except SystemCheckError as exc:  # another deploy check's error: the report is the exception's text
        shown = str(exc)
    assert "NRS_CREDENTIALS_KEY" in shown and "connectors.W001" in shown


# -- federation: the push to the upstream node goes through the same policy ---------------------------------

def test_a_federation_push_to_loopback_is_refused_and_audited(listen, settings) -> None:  # type: ignore[no-untyped-def]
    from nrs.exchange.federation import sync

    internal = listen("127.0.0.1")
    config = sync.configure(internal.url(""), "HN", "nrs_node_token", ["01"])

    with pytest.raises(sync.SyncError) as caught:
        sync.post(config, b"{}", "sig", timeout=2)

    assert internal.seen == [] and caught.value.en == "destination not allowed"
    assert refusals() == [{"source": "federation", "host": "127.0.0.1", "reason": "address"}]


def test_a_federation_push_to_an_allowed_node_carries_its_token(listen, settings) -> None:  # type: ignore[no-untyped-def]
    from nrs.exchange.federation import sync

    settings.NRS_FETCH_ALLOW = ["127.0.0.1"]
    upstream = listen("127.0.0.1")
    upstream.routes["/api/federation/batches"] = (200, {"Content-Type": "application/json"},
                                                   b'{"batch": "b1", "imported": 2, "skipped": 0}')
    config = sync.configure(upstream.url(""), "HN", "nrs_node_token", ["01"])

    assert sync.post(config, b"{}", "sig", timeout=5) == {"batch": "b1", "imported": 2, "skipped": 0}
    [(path, headers)] = upstream.seen
    assert path == "/api/federation/batches" and headers["Authorization"] == "Bearer nrs_node_token"
    assert headers["X-NRS-Signature"] == "sig"


def test_a_federation_refusal_does_not_echo_a_non_nrs_answer(listen, settings) -> None:  # type: ignore[no-untyped-def]
    from nrs.exchange.federation import sync

    settings.NRS_FETCH_ALLOW = ["127.0.0.1"]
    upstream = listen("127.0.0.1")
    upstream.routes["/api/federation/batches"] = (500, {}, SECRET_FILE)
    config = sync.configure(upstream.url(""), "HN", "nrs_node_token", ["01"])

    with pytest.raises(sync.SyncError) as caught:
        sync.post(config, b"{}", "sig", timeout=5)
    assert "HTTP 500" in caught.value.en and "root" not in caught.value.en + caught.value.vi


def test_the_checked_address_is_the_one_connected_to(make_connector, listen, settings, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """DNS rebinding: a name that answers an allowed address (127.0.0.2) to the first lookup
    and loopback (127.0.0.1, where nothing listens on that port) to any later one. The fetch
    resolves once and connects to what it checked, so it succeeds; a client that looked the
    name up again would be sent to 127.0.0.1. The Host header still names the host."""
    settings.NRS_FETCH_ALLOW = ["127.0.0.2"]
    good = listen("127.0.0.2")
    good.routes["/d.csv"] = (200, {"Content-Type": "text/csv"}, b"code,month,amount\nRETAIL_SALES,2026-10,7\n")
    url = f"http://rebind.example:{good.port}/d.csv"
    connector = make_connector(url)  # the save-time lookup fails (no such name): accepted, checked at fetch
    real, lookups = socket.getaddrinfo, []

    def rebinding(host: str, port: Any, *args: Any, **kw: Any) -> Any:
        if host != "rebind.example":
            return real(host, port, *args, **kw)
        lookups.append(host)
        address = "127.0.0.2" if len(lookups) == 1 else "127.0.0.1"
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, int(port)))]

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    run = runner.run_connector(connector, now=T0)

    assert run.status == RunStatus.STORED, (run.ref, run.message_en)
    assert lookups == ["rebind.example"]
    assert [(p, h["Host"]) for p, h in good.seen] == [("/d.csv", f"rebind.example:{good.port}")]
