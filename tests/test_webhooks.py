"""Webhooks against a real receiver on 127.0.0.1: a signed POST on approval that verifies
with the subscriber's secret; a receiver that fails first gets the retry, with the same
delivery id; a revision sends "revised"; giving up is audited; nothing outside the
subscription's unit is sent."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone
from huey.contrib.djhuey import HUEY

from nrs.audit.events import EventType
from nrs.audit.models import Event
from nrs.collection import actions as collection_actions
from nrs.collection.models import Submission
from nrs.collection.validation import Row
from nrs.exchange.connectors import actions, secretbox, webhooks
from nrs.exchange.connectors.models import Delivery, DeliveryStatus, Subscription
from nrs.exchange.connectors.tasks import retry_webhook_deliveries
from nrs.lib import periods
from nrs.registry.models import Regime
from tests.conftest import current
from tests.test_collection_api import PDF, form_values

pytestmark = pytest.mark.django_db
REGIME, PERIOD = "PROV_KTXH_M", periods.Period.month(2026, 10)
SECRET = "whsec-2026-bí-mật"


@pytest.fixture(autouse=True)
def _loopback_allowed(settings) -> None:  # type: ignore[no-untyped-def]
    """The destination policy refuses loopback (issue 18): the receiver is on 127.0.0.1, so
    these tests allow it as an operator would allow an internal system."""
    settings.NRS_FETCH_ALLOW = ["127.0.0.1"]


@dataclass
class Receiver:
    """Answers each POST with the next queued status (the last one repeats)."""

    server: ThreadingHTTPServer
    statuses: list[int] = field(default_factory=lambda: [200])
    got: list[tuple[Message, bytes]] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hooks/nrs"

    def next_status(self) -> int:
        return self.statuses.pop(0) if len(self.statuses) > 1 else self.statuses[0]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    holder: dict[str, Receiver] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            holder["r"].got.append((self.headers, body))  # header names are case-insensitive
            self.send_response(holder["r"].next_status())
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    holder["r"] = Receiver(server)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield holder["r"]
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def immediate() -> Iterator[None]:
    """Tasks enqueued after commit run at once, in this process (huey's immediate mode)."""
    before = HUEY.immediate
    HUEY.immediate = True
    try:
        yield
    finally:
        HUEY.immediate = before


@pytest.fixture
def subscribe(coordinator) -> Callable[..., Subscription]:  # type: ignore[no-untyped-def]
    def make(url: str, unit: str = "01", **flags: bool) -> Subscription:
        subscription = Subscription(name=f"hook {unit}", url=url, org_unit=current(unit), **flags)
        return actions.save_subscription(subscription, actor=coordinator, changed=["name"], secret=SECRET)

    return make


@pytest.fixture
def submitted(hanoi_reporter) -> Submission:  # type: ignore[no-untyped-def]
    """Hà Nội's October report, complete and submitted (through the real actions)."""
    regime, unit = Regime.objects.get(code=REGIME), current("01")
    rows = [Row(ref=v["indicator"], indicator=v["indicator"], org_unit="01", value=v["value"])
            for v in form_values()]
    saved = collection_actions.check_and_save_values(regime, unit, PERIOD, rows, actor=hanoi_reporter)
    assert saved.ok and saved.submission is not None, saved.issues
    collection_actions.attach_document(regime, unit, PERIOD, PDF, "bao-cao.pdf", actor=hanoi_reporter)
    return collection_actions.submit_submission(saved.submission, actor=hanoi_reporter)


@pytest.fixture
def hanoi_approver(make_user):  # type: ignore[no-untyped-def]
    return make_user("hanoi.approver", "approver", "01")


def verify(headers: Message, body: bytes, secret: str = SECRET) -> bool:
    """What a subscriber does: recompute the HMAC over "<timestamp>.<body>", compare in constant time."""
    expected = hmac.new(secret.encode(), headers["X-NRS-Timestamp"].encode() + b"." + body, hashlib.sha256)
    return hmac.compare_digest("sha256=" + expected.hexdigest(), headers["X-NRS-Signature"])


def test_approval_sends_a_signed_post(receiver, subscribe, submitted, hanoi_approver, immediate,  # type: ignore[no-untyped-def]
                                      django_capture_on_commit_callbacks) -> None:
    subscribe(receiver.url)
    with django_capture_on_commit_callbacks(execute=True):
        collection_actions.approve_submission(submitted, actor=hanoi_approver)

    [(headers, body)] = receiver.got
    assert verify(headers, body)
    assert not verify(headers, body, secret="a-wrong-secret")
    assert not verify(headers, body.replace(b"approved", b"returned"))
    sent = json.loads(body)
    assert sent == {"event": "approved", "submission": submitted.pk, "regime": REGIME, "orgUnit": "01",
                    "period": "2026-10", "version": 1, "state": "approved", "time": sent["time"]}
    assert headers["X-NRS-Event"] == "approved" and headers["Content-Type"] == "application/json"
    assert abs(int(headers["X-NRS-Timestamp"]) - timezone.now().timestamp()) < 60
    delivery = Delivery.objects.get()
    assert headers["X-NRS-Delivery"] == str(delivery.delivery_id)
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == (DeliveryStatus.DELIVERED, 1, 200)
    assert list(delivery.log.values_list("number", "status_code")) == [(1, 200)]


def test_a_failing_receiver_gets_the_retry(receiver, subscribe, submitted, hanoi_approver, immediate,  # type: ignore[no-untyped-def]
                                           django_capture_on_commit_callbacks) -> None:
    receiver.statuses = [500, 200]
    subscribe(receiver.url)
    with django_capture_on_commit_callbacks(execute=True):
        collection_actions.approve_submission(submitted, actor=hanoi_approver)
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == (DeliveryStatus.PENDING, 1, 500)
    first_try = delivery.log.get().sent_at
    assert delivery.next_try_at == first_try + dt.timedelta(minutes=1)

    assert webhooks.send_due(now=first_try + dt.timedelta(seconds=30)) == 0  # not yet
    assert len(receiver.got) == 1
    assert webhooks.send_due(now=first_try + dt.timedelta(minutes=1)) == 1

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.DELIVERED, 2)
    assert list(delivery.log.order_by("number").values_list("number", "status_code")) == [(1, 500), (2, 200)]
    (first, body1), (second, body2) = receiver.got
    assert first["X-NRS-Delivery"] == second["X-NRS-Delivery"] and body1 == body2
    assert verify(first, body1) and verify(second, body2)


def test_revision_sends_revised(receiver, subscribe, submitted, hanoi_approver, hanoi_reporter, immediate,  # type: ignore[no-untyped-def]
                                django_capture_on_commit_callbacks) -> None:
    subscribe(receiver.url, on_approved=False)
    approved = collection_actions.approve_submission(submitted, actor=hanoi_approver)
    assert not Delivery.objects.exists()  # this subscriber asked for revisions only
    with django_capture_on_commit_callbacks(execute=True):
        collection_actions.revise_submission(approved, actor=hanoi_reporter, reason="số liệu chính thức")

    [(headers, body)] = receiver.got
    sent = json.loads(body)
    assert headers["X-NRS-Event"] == "revised" and sent["event"] == "revised"
    assert (sent["version"], sent["state"]) == (2, "draft") and verify(headers, body)


def test_giving_up_is_audited(receiver, subscribe, submitted, hanoi_approver, immediate, settings,  # type: ignore[no-untyped-def]
                              django_capture_on_commit_callbacks) -> None:
    settings.NRS_WEBHOOK_ATTEMPTS = 3
    receiver.statuses = [503]
    subscribe(receiver.url)
    with django_capture_on_commit_callbacks(execute=True):
        collection_actions.approve_submission(submitted, actor=hanoi_approver)
    delivery = Delivery.objects.get()
    waits = []
    while delivery.status == DeliveryStatus.PENDING:
        waits.append(delivery.next_try_at - delivery.log.order_by("-number").first().sent_at)  # type: ignore[union-attr]
        webhooks.send_due(now=delivery.next_try_at)
        delivery.refresh_from_db()
    assert waits == [dt.timedelta(minutes=1), dt.timedelta(minutes=2)]
    assert (delivery.status, delivery.attempts, delivery.next_try_at) == (DeliveryStatus.FAILED, 3, None)
    assert len(receiver.got) == 3
    event = Event.objects.get(event_type=EventType.WEBHOOK_FAILED)
    assert event.data["last_status"] == 503 and event.org_unit == current("01")
    assert webhooks.send_due(now=timezone.now() + dt.timedelta(days=1)) == 0  # given up: never again


def test_only_subscriptions_covering_the_unit_get_it(receiver, subscribe, submitted, hanoi_approver,  # type: ignore[no-untyped-def]
                                                      immediate, django_capture_on_commit_callbacks) -> None:
    subscribe(receiver.url, unit="31")  # Hải Phòng
    national = subscribe(receiver.url, unit="CP")
    inactive = subscribe(receiver.url, unit="01")
    Subscription.objects.filter(pk=inactive.pk).update(active=False)
    with django_capture_on_commit_callbacks(execute=True):
        collection_actions.approve_submission(submitted, actor=hanoi_approver)
    assert list(Delivery.objects.values_list("subscription_id", flat=True)) == [national.pk]
    assert len(receiver.got) == 1


def test_the_periodic_sweep_and_an_unreachable_receiver(subscribe, submitted, hanoi_approver) -> None:  # type: ignore[no-untyped-def]
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    subscribe(f"http://127.0.0.1:{port}/nobody")
    collection_actions.approve_submission(submitted, actor=hanoi_approver)  # (on_commit never runs here)
    delivery = Delivery.objects.get()
    assert delivery.attempts == 0 and delivery.status == DeliveryStatus.PENDING

    assert retry_webhook_deliveries.call_local() == 0

    delivery.refresh_from_db()
    assert delivery.attempts == 1 and delivery.last_error == "connection failed"
    assert delivery.status == DeliveryStatus.PENDING


def test_the_signing_secret_is_sealed(subscribe, receiver) -> None:  # type: ignore[no-untyped-def]
    subscription = subscribe(receiver.url)
    with connection.cursor() as cursor:
        cursor.execute("SELECT sealed_secret FROM connectors_subscription WHERE id = %s", [subscription.pk])
        raw = cursor.fetchone()[0]
    assert "whsec" not in raw and secretbox.unseal(raw) == SECRET
    event = Event.objects.get(event_type=EventType.WEBHOOK_CHANGED)
    assert "whsec" not in json.dumps(event.data) and "secret" in event.data["fields"]
