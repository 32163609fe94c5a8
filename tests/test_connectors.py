"""Pull connectors against a real upstream HTTP server on 127.0.0.1 that the test starts:
HTTP JSON, CSV, SDMX (SDMX-CSV and SDMX-ML) and DHIS2 payloads go through the one write
path; a re-run of unchanged content stores nothing; a failing upstream is retried with
backoff, every attempt in the run log; the run log is for coordinators only; credentials
are sealed at rest."""

from __future__ import annotations

import base64
import datetime as dt
import io
import json
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import sdmx
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client
from django.utils import timezone
from sdmx.model import common, v21

from nrs.audit.events import EventType
from nrs.audit.models import Event
from nrs.collection import actions as collection_actions
from nrs.collection.models import DataValue
from nrs.collection.validation import Row
from nrs.exchange.connectors import actions, kinds, runner, secretbox
from nrs.exchange.connectors.kinds.sdmx import structure
from nrs.exchange.connectors.models import Connector, ConnectorRun, RunStatus
from nrs.exchange.connectors.tasks import run_due_connectors
from nrs.lib import periods
from nrs.lib.errors import InputError
from nrs.registry.models import Regime
from tests.conftest import current

pytestmark = pytest.mark.django_db
REGIME, PERIOD = "PROV_KTXH_M", "2026-10"
T0 = dt.datetime(2026, 11, 29, 9, 0, tzinfo=dt.UTC)


# -- the upstream: a real HTTP server on 127.0.0.1 ------------------------------------------------

@pytest.fixture(autouse=True)
def _loopback_allowed(settings) -> None:  # type: ignore[no-untyped-def]
    """The destination policy refuses loopback (issue 18): these tests' upstream is on 127.0.0.1,
    so they allow it as an operator would allow an internal system."""
    settings.NRS_FETCH_ALLOW = ["127.0.0.1"]


@dataclass
class Upstream:
    """Serves, for each path, its queued answers in turn (the last one repeats) and
    remembers every request's path and headers."""

    server: ThreadingHTTPServer
    routes: dict[str, list[tuple[int, str, bytes]]] = field(default_factory=dict)
    seen: list[tuple[str, dict[str, str]]] = field(default_factory=list)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}{path}"

    def serve(self, path: str, *answers: tuple[int, str, bytes]) -> str:
        self.routes[path] = list(answers)
        return self.url(path)

    def answer(self, path: str) -> tuple[int, str, bytes]:
        queue = self.routes.get(path) or [(404, "text/plain", b"not found")]
        return queue.pop(0) if len(queue) > 1 else queue[0]


@pytest.fixture
def upstream() -> Iterator[Upstream]:
    holder: dict[str, Upstream] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            up = holder["up"]
            up.seen.append((self.path, dict(self.headers.items())))
            status, content_type, body = up.answer(self.path)
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    holder["up"] = Upstream(server)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield holder["up"]
    finally:
        server.shutdown()
        server.server_close()


def ok(content_type: str, body: bytes | str) -> tuple[int, str, bytes]:
    return 200, content_type, body.encode() if isinstance(body, str) else body


# -- the cast -------------------------------------------------------------------------------------

@pytest.fixture
def hanoi_system(make_user):  # type: ignore[no-untyped-def]
    return make_user("hn.system", "system", "01")


@pytest.fixture
def make_connector(coordinator, hanoi_system) -> Callable[..., Connector]:  # type: ignore[no-untyped-def]
    def make(name: str, kind: str, url: str, mapping: dict[str, Any], *, auth: str = "none",
             username: str = "", secret: str | None = None, interval: int = 60) -> Connector:
        connector = Connector(name=name, kind=kind, url=url, mapping=mapping, auth=auth, username=username,
                              interval_minutes=interval, regime=Regime.objects.get(code=REGIME),
                              org_unit=current("01"), run_as=hanoi_system, next_run_at=T0)
        return actions.save_connector(connector, actor=coordinator, changed=["name"], secret=secret)

    return make


def stored(indicator: str, unit: str = "01", period: str = PERIOD) -> list[Decimal]:
    return list(DataValue.objects.filter(indicator__code=indicator, org_unit__code=unit, period=period)
                .order_by("pk").values_list("value", flat=True))


JSON_MAPPING = {"records": "/data/items",
                "fields": {"indicator": "code", "orgUnit": "area", "period": "month", "value": "amount",
                           "comment": "note"},
                "codes": {"indicator": {"RS": "RETAIL_SALES", "EX": "EXPORT_TOTAL"}, "orgUnit": {"HN": "01"}}}


def json_body(*items: dict[str, Any]) -> str:
    return json.dumps({"data": {"items": list(items)}})


RS = {"code": "RS", "area": "HN", "month": "202610", "amount": 1234.5, "note": "từ hệ thống Sở Công Thương"}
EX = {"code": "EX", "area": "HN", "month": "202610", "amount": "987.6"}


# -- HTTP JSON, and the same content twice ---------------------------------------------------------

def test_json_connector_stores_through_the_write_path_once(upstream, make_connector, hanoi_system,  # type: ignore[no-untyped-def]
                                                          hanoi_reporter) -> None:
    url = upstream.serve("/api/values", ok("application/json", json_body(RS, EX)))
    connector = make_connector("sct-hanoi", "http_json", url, JSON_MAPPING, auth="bearer", secret="s3cret-token")
    runs_before = Event.objects.filter(event_type=EventType.VALUES_SAVED).count()

    done = runner.run_due(now=T0)

    assert [r.status for r in done] == [RunStatus.STORED]
    assert stored("RETAIL_SALES") == [Decimal("1234.5")] and stored("EXPORT_TOTAL") == [Decimal("987.6")]
    value = DataValue.objects.get(indicator__code="RETAIL_SALES", org_unit__code="01", period=PERIOD)
    assert value.comment == "từ hệ thống Sở Công Thương" and value.created_by == hanoi_system
    # Through the action: its own audit event, by the system user; and the run's.
    saved = Event.objects.filter(event_type=EventType.VALUES_SAVED).order_by("seq")
    assert saved.count() == runs_before + 1 and saved.last().actor == hanoi_system  # type: ignore[union-attr]
    run_event = Event.objects.filter(event_type=EventType.CONNECTOR_RUN).get()
    assert run_event.data["stored"] == 2 and run_event.data["status"] == "stored"
    assert upstream.seen[0][1]["Authorization"] == "Bearer s3cret-token"
    assert upstream.seen[0][1]["Accept"] == "application/json"
    connector.refresh_from_db()
    assert connector.next_run_at == T0 + dt.timedelta(minutes=60) and connector.attempt == 1

    # A reporter corrects the value in NRS meanwhile.
    regime, unit, period = Regime.objects.get(code=REGIME), current("01"), periods.parse(PERIOD)
    corrected = collection_actions.check_and_save_values(
        regime, unit, period, [Row(ref="form", indicator="RETAIL_SALES", org_unit="01", value="1250")],
        actor=hanoi_reporter)
    assert corrected.ok and corrected.saved == 1

    # Not due yet: nothing runs. When due, the unchanged upstream content stores nothing: the
    # same content was stored once (its Idempotency-Key), so the correction is not undone.
    assert runner.run_due(now=T0 + dt.timedelta(minutes=59)) == []
    again = runner.run_due(now=T0 + dt.timedelta(minutes=60))
    assert [(r.status, r.values_read, r.values_stored) for r in again] == [(RunStatus.UNCHANGED, 2, 0)]
    assert "unchanged since a previous run" in again[0].message_en
    assert stored("RETAIL_SALES") == [Decimal("1234.5"), Decimal("1250")]
    assert Event.objects.filter(event_type=EventType.VALUES_SAVED).count() == runs_before + 2
    assert again[0].content_sha256 == done[0].content_sha256

    # Changed upstream content: only the changed value is a new row.
    upstream.serve("/api/values", ok("application/json", json_body({**RS, "amount": 1300}, EX)))
    third = runner.run_due(now=T0 + dt.timedelta(minutes=120))
    assert [(r.status, r.values_stored) for r in third] == [(RunStatus.STORED, 1)]
    assert stored("RETAIL_SALES") == [Decimal("1234.5"), Decimal("1250"), Decimal("1300")]


def test_the_periodic_task_runs_what_is_due(upstream, make_connector) -> None:  # type: ignore[no-untyped-def]
    url = upstream.serve("/v", ok("application/json", json_body(RS)))
    connector = make_connector("due-now", "http_json", url, JSON_MAPPING)
    Connector.objects.filter(pk=connector.pk).update(next_run_at=timezone.now() - dt.timedelta(seconds=1))
    make_connector("not-yet", "http_json", url, JSON_MAPPING)
    Connector.objects.filter(name="not-yet").update(next_run_at=timezone.now() + dt.timedelta(hours=1))

    assert run_due_connectors.call_local() == 1

    assert list(ConnectorRun.objects.values_list("connector__name", "status")) == [("due-now", "stored")]
    assert stored("RETAIL_SALES") == [Decimal("1234.5")]


# -- CSV with Basic credentials --------------------------------------------------------------------

def test_csv_connector_with_basic_credentials(upstream, make_connector) -> None:  # type: ignore[no-untyped-def]
    csv_text = ("chi_tieu,don_vi,ky,gia_tri,ghi_chu\n"
                "RETAIL_SALES,01,2026-10,4321,\nEXPORT_TOTAL,01,2026-10,55.5,ước tính\n")
    url = upstream.serve("/export.csv", ok("text/csv; charset=utf-8", csv_text))
    mapping = {"fields": {"indicator": "chi_tieu", "orgUnit": "don_vi", "period": "ky", "value": "gia_tri",
                          "comment": "ghi_chu"}}
    make_connector("csv-hanoi", "http_csv", url, mapping, auth="basic", username="nrs", secret="mật-khẩu")

    [run] = runner.run_due(now=T0)

    assert (run.status, run.values_read, run.values_stored) == (RunStatus.STORED, 2, 2)
    assert stored("RETAIL_SALES") == [Decimal("4321")] and stored("EXPORT_TOTAL") == [Decimal("55.5")]
    expected = "Basic " + base64.b64encode("nrs:mật-khẩu".encode()).decode()
    assert upstream.seen[0][1]["Authorization"] == expected


# -- SDMX: SDMX-CSV 2.0 and SDMX-ML 2.1, read with sdmx1 --------------------------------------------

SDMX_MAPPING = {"dimensions": ["INDICATOR", "REF_AREA"],
                "fields": {"indicator": "INDICATOR", "orgUnit": "REF_AREA", "period": "TIME_PERIOD",
                           "value": "OBS_VALUE", "comment": "COMMENT"},
                "codes": {"indicator": {"RS": "RETAIL_SALES", "EX": "EXPORT_TOTAL"}, "orgUnit": {"VN-HN": "01"}}}


def sdmx_ml(observations: list[tuple[str, str, str]]) -> bytes:
    """A structure-specific SDMX-ML 2.1 data message, written by sdmx1."""
    dsd = structure(SDMX_MAPPING)
    dataset = v21.StructureSpecificDataSet(structured_by=dsd)
    dataset.add_obs([v21.Observation(
        dimension=dsd.make_key(v21.Key, {"INDICATOR": ind, "REF_AREA": "VN-HN", "TIME_PERIOD": PERIOD}),
        value=value, value_for=dsd.measures[0],
        attached_attribute={"COMMENT": v21.AttributeValue(value=comment, value_for=dsd.attributes.get("COMMENT"))})
        for ind, value, comment in observations])
    message = sdmx.message.DataMessage(data=[dataset])
    message.header = sdmx.message.Header(id="UPSTREAM", prepared=T0, sender=common.Agency(id="GSO"))
    return bytes(sdmx.to_xml(message))


def test_sdmx_csv_and_sdmx_ml(upstream, make_connector) -> None:  # type: ignore[no-untyped-def]
    csv_text = ("STRUCTURE,STRUCTURE_ID,ACTION,INDICATOR,REF_AREA,TIME_PERIOD,OBS_VALUE,COMMENT\n"
                "dataflow,GSO:DF_TRADE(1.0),I,EX,VN-HN,2026-10,777.7,sơ bộ\n")
    make_connector("gso-csv", "sdmx", upstream.serve("/sdmx.csv", ok("application/vnd.sdmx.data+csv", csv_text)),
                   SDMX_MAPPING)
    xml = sdmx_ml([("RS", "5555", "chính thức")])
    make_connector("gso-ml", "sdmx", upstream.serve("/sdmx.xml", ok("application/xml", xml)), SDMX_MAPPING)

    runs = runner.run_due(now=T0)

    assert sorted((r.connector.name, r.status, r.values_stored) for r in runs) == [
        ("gso-csv", RunStatus.STORED, 1), ("gso-ml", RunStatus.STORED, 1)]
    assert stored("EXPORT_TOTAL") == [Decimal("777.7")] and stored("RETAIL_SALES") == [Decimal("5555")]
    assert DataValue.objects.get(indicator__code="RETAIL_SALES", period=PERIOD).comment == "chính thức"
    assert "application/vnd.sdmx.structurespecificdata+xml" in upstream.seen[0][1]["Accept"]


def test_sdmx_ml_with_entities_is_refused(upstream, make_connector) -> None:  # type: ignore[no-untyped-def]
    laughs = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]>'
              b"<mes:StructureSpecificData>&lol2;</mes:StructureSpecificData>")
    make_connector("hostile", "sdmx", upstream.serve("/x.xml", ok("application/xml", laughs)), SDMX_MAPPING)

    [run] = runner.run_due(now=T0)

    assert (run.status, run.ref) == (RunStatus.FAILED, "body")
    assert "DTD" in run.message_en and run.message_vi
    assert not DataValue.objects.filter(period=PERIOD).exists()


# -- bad content: named, nothing partial, not retried ----------------------------------------------

def test_an_unknown_code_names_the_item_and_stores_nothing(upstream, make_connector) -> None:  # type: ignore[no-untyped-def]
    url = upstream.serve("/v", ok("application/json", json_body(RS, {**EX, "code": "XX"})))
    connector = make_connector("bad-code", "http_json", url, JSON_MAPPING)

    [run] = runner.run_due(now=T0)

    assert (run.status, run.ref) == (RunStatus.FAILED, "body/data/items/1.code")
    # The place and what is wrong, never the fetched value itself (issue 18).
    assert run.message_en == "the code of indicator is not in the mapping table"
    assert "XX" not in run.message_en + run.message_vi and run.message_vi
    assert not DataValue.objects.filter(period=PERIOD).exists()
    connector.refresh_from_db()  # bad content is not retried: the next scheduled run reads it again
    assert (connector.attempt, connector.next_run_at) == (1, T0 + dt.timedelta(minutes=60))


def test_a_value_the_checks_refuse_names_its_field_and_rolls_back_the_run(upstream, make_connector) -> None:  # type: ignore[no-untyped-def]
    other_month = {**EX, "month": "202609"}
    url = upstream.serve("/v", ok("application/json", json_body(other_month, {**RS, "amount": "nhiều"})))
    make_connector("bad-value", "http_json", url, JSON_MAPPING)

    [run] = runner.run_due(now=T0)

    assert run.status == RunStatus.FAILED and run.ref.startswith("body/data/items/1")
    assert run.message_vi and run.message_en and run.values_read == 2
    # The valid September value was in the same run: rolled back with it.
    assert not DataValue.objects.filter(period__in=["2026-09", PERIOD]).exists()


# -- retries with backoff, and the run log -----------------------------------------------------------

def test_a_failing_upstream_is_retried_with_backoff_and_logged(upstream, make_connector, coordinator) -> None:  # type: ignore[no-untyped-def]
    url = upstream.serve("/flaky", (500, "text/plain", b"boom"), ok("application/json", json_body(RS)))
    connector = make_connector("flaky", "http_json", url, JSON_MAPPING)

    [first] = runner.run_due(now=T0)
    assert (first.status, first.attempt, first.ref) == (RunStatus.RETRYING, 1, "url")
    assert "500" in first.message_en and "500" in first.message_vi
    connector.refresh_from_db()
    assert (connector.attempt, connector.next_run_at) == (2, T0 + dt.timedelta(minutes=1))
    assert runner.run_due(now=T0 + dt.timedelta(seconds=59)) == []

    [second] = runner.run_due(now=T0 + dt.timedelta(minutes=1))
    assert (second.status, second.attempt, second.values_stored) == (RunStatus.STORED, 2, 1)
    connector.refresh_from_db()
    assert (connector.attempt, connector.next_run_at) == (1, T0 + dt.timedelta(minutes=61))
    assert len(upstream.seen) == 2

    client = Client()
    client.force_login(coordinator)
    page = client.get(f"/connectors/{connector.pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert f'data-run="{first.pk}"' in html and f'data-run="{second.pk}"' in html
    assert 'data-status="retrying"' in html and 'data-status="stored"' in html
    listing = client.get("/connectors/")
    assert listing.status_code == 200 and "flaky" in listing.content.decode()


def test_backoff_doubles_until_it_gives_up(upstream, make_connector, settings) -> None:  # type: ignore[no-untyped-def]
    settings.NRS_CONNECTOR_ATTEMPTS = 4
    url = upstream.serve("/down", (503, "text/plain", b"maintenance"))
    connector = make_connector("down", "http_json", url, JSON_MAPPING, interval=30)
    now, waits = T0, []
    for _ in range(4):
        [run] = runner.run_due(now=now)
        connector.refresh_from_db()
        waits.append((run.attempt, run.status, connector.next_run_at - now))
        now = connector.next_run_at
    assert waits == [(1, "retrying", dt.timedelta(minutes=1)), (2, "retrying", dt.timedelta(minutes=2)),
                     (3, "retrying", dt.timedelta(minutes=4)), (4, "failed", dt.timedelta(minutes=30))]
    assert connector.attempt == 1  # the next scheduled run starts afresh
    assert Event.objects.filter(event_type=EventType.CONNECTOR_RUN).count() == 4


def test_an_unreachable_upstream_is_a_retry_not_a_crash(make_connector) -> None:  # type: ignore[no-untyped-def]
    import socket

    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    make_connector("nowhere", "http_json", f"http://127.0.0.1:{port}/v", JSON_MAPPING)

    [run] = runner.run_due(now=T0)

    assert (run.status, run.ref) == (RunStatus.RETRYING, "url") and run.message_en == "connection failed"


def test_an_answer_over_the_size_cap_is_refused(upstream, make_connector, settings) -> None:  # type: ignore[no-untyped-def]
    settings.NRS_CONNECTOR_MAX_BYTES = 1000
    url = upstream.serve("/big", ok("application/json", json_body(*[RS] * 50)))
    make_connector("big", "http_json", url, JSON_MAPPING)

    [run] = runner.run_due(now=T0)

    assert run.ref == "body" and "1000" in run.message_en and not DataValue.objects.exists()


def test_the_run_log_is_for_coordinators_of_the_unit(upstream, make_connector, make_user, hanoi_reporter) -> None:  # type: ignore[no-untyped-def]
    connector = make_connector("sct", "http_json", upstream.serve("/v", ok("application/json", json_body(RS))),
                               JSON_MAPPING)
    runner.run_due(now=T0)
    reporter = Client()
    reporter.force_login(hanoi_reporter)
    assert reporter.get("/connectors/").status_code == 403
    assert reporter.get(f"/connectors/{connector.pk}/").status_code == 403
    haiphong = Client()
    haiphong.force_login(make_user("hp.coordinator", "coordinator", "31"))
    assert "sct" not in haiphong.get("/connectors/").content.decode()
    assert haiphong.get(f"/connectors/{connector.pk}/").status_code == 404
    hanoi = Client()
    hanoi.force_login(make_user("hn.coordinator", "coordinator", "01"))
    assert hanoi.get(f"/connectors/{connector.pk}/").status_code == 200
    assert Client().get("/connectors/").status_code == 302  # to sign in


def test_the_nav_links_the_run_log_for_those_who_may_see_it(coordinator, hanoi_reporter) -> None:  # type: ignore[no-untyped-def]
    link, page = 'href="/connectors/"', "/registry/"  # any page: the link is in the site's nav
    client = Client()
    client.force_login(coordinator)
    seen = client.get(page)
    assert seen.status_code == 200 and link in seen.content.decode()
    client.force_login(hanoi_reporter)
    seen = client.get(page)
    assert seen.status_code == 200 and link not in seen.content.decode()


# -- a run whose worker died --------------------------------------------------------------------------

def test_a_run_left_running_by_a_dead_worker_is_failed_at_the_next_claim(upstream, make_connector) -> None:  # type: ignore[no-untyped-def]
    url = upstream.serve("/v", ok("application/json", json_body(RS)))
    connector = make_connector("crashed", "http_json", url, JSON_MAPPING)
    # A worker claims the connector and starts its run, then dies before the run ends.
    assert actions.claim_connector(connector, T0, lease=runner.LEASE)
    dead = actions.start_run(connector, trigger="schedule", now=T0)
    # Within the claim's lease nobody touches it: the worker may still be working.
    assert runner.run_due(now=T0 + runner.LEASE - dt.timedelta(seconds=1)) == []
    dead.refresh_from_db()
    assert dead.status == RunStatus.RUNNING

    [fresh] = runner.run_due(now=T0 + runner.LEASE)

    dead.refresh_from_db()
    assert (dead.status, dead.ref, dead.finished_at) == (RunStatus.FAILED, "worker", T0 + runner.LEASE)
    assert dead.message_en.startswith("interrupted") and dead.message_vi
    assert fresh.pk != dead.pk and (fresh.status, fresh.values_stored) == (RunStatus.STORED, 1)
    events = Event.objects.filter(event_type=EventType.CONNECTOR_RUN).order_by("seq")
    assert [(e.data["run"], e.data["status"], e.data.get("interrupted")) for e in events] == [
        (dead.pk, "failed", True), (fresh.pk, "stored", None)]
    assert not ConnectorRun.objects.filter(status=RunStatus.RUNNING).exists()


# -- credentials and configuration -------------------------------------------------------------------

def test_credentials_are_sealed_at_rest_and_never_shown(make_connector, coordinator, settings) -> None:  # type: ignore[no-untyped-def]
    connector = make_connector("sealed", "http_json", "http://127.0.0.1:9/v", JSON_MAPPING, auth="bearer",
                               secret="tok-ABCDEF-123456")
    with connection.cursor() as cursor:
        cursor.execute("SELECT sealed_secret FROM connectors_connector WHERE id = %s", [connector.pk])
        raw = cursor.fetchone()[0]
    assert "tok-ABCDEF-123456" not in raw and "ABCDEF" not in raw
    assert base64.b64encode(b"tok-ABCDEF-123456").decode()[:12] not in raw
    assert secretbox.unseal(raw) == "tok-ABCDEF-123456"
    assert not any("tok-ABCDEF" in json.dumps(e.data) for e in Event.objects.all())
    client = Client()
    client.force_login(coordinator)
    page = client.get(f"/admin/connectors/connector/{connector.pk}/change/")
    assert page.status_code == 200 and "tok-ABCDEF" not in page.content.decode()
    # Another key cannot open it: a clear, bilingual error instead of garbage.
    settings.NRS_CREDENTIALS_KEY = "another-key"
    with pytest.raises(InputError) as refused:
        secretbox.unseal(raw)
    assert refused.value.ref == "credentials" and "NRS_CREDENTIALS_KEY" in refused.value.en
    # Key rotation: the new key first, the old one (here derived from SECRET_KEY) still opens.
    settings.NRS_CREDENTIALS_KEY = f"another-key,{settings.SECRET_KEY}"
    assert secretbox.unseal(raw) == "tok-ABCDEF-123456"
    assert secretbox.unseal(secretbox.seal("x")) == "x"


def _admin_form(connector: Connector | None = None, **changes: Any) -> dict[str, Any]:
    data = {"name": "sct-admin", "kind": "http_json", "url": "http://127.0.0.1:9/v", "interval_minutes": "15",
            "regime": str(Regime.objects.get(code=REGIME).pk), "org_unit": str(current("01").pk),
            "run_as": "", "mapping": json.dumps(JSON_MAPPING), "auth": "bearer", "username": "",
            "secret": "", "active": "on"}
    return {**data, **changes}


def test_the_admin_saves_through_the_action(coordinator, hanoi_system, hanoi_reporter) -> None:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(coordinator)
    form = _admin_form(run_as=str(hanoi_system.pk), secret="first-secret")
    assert client.post("/admin/connectors/connector/add/", form).status_code == 302
    connector = Connector.objects.get(name="sct-admin")
    assert secretbox.unseal(connector.sealed_secret) == "first-secret"
    event = Event.objects.filter(event_type=EventType.CONNECTOR_CHANGED).get()
    assert event.actor == coordinator and event.data["created"] and "secret" in event.data["fields"]

    # A blank secret keeps the stored one.
    url = f"/admin/connectors/connector/{connector.pk}/change/"
    assert client.post(url, {**form, "secret": "", "interval_minutes": "30"}).status_code == 302
    connector.refresh_from_db()
    assert connector.interval_minutes == 30 and secretbox.unseal(connector.sealed_secret) == "first-secret"

    # Bad configuration is a form error naming the field, in both languages; nothing saved.
    bad = client.post(url, {**form, "mapping": json.dumps({"fields": {"value": "v"}})})
    assert bad.status_code == 200
    text = bad.content.decode()
    assert "thiếu trường" in text and "is missing" in text
    person = client.post(url, {**form, "run_as": str(hanoi_reporter.pk)})
    assert person.status_code == 200 and "system user" in person.content.decode()
    files = client.post(url, {**form, "url": "file:///etc/passwd"})
    assert files.status_code == 200
    connector.refresh_from_db()
    assert connector.url == "http://127.0.0.1:9/v" and connector.interval_minutes == 30


def test_configuration_checks() -> None:
    assert sorted(kinds.load()) == ["dhis2", "http_csv", "http_json", "sdmx"]
    with pytest.raises(InputError) as unknown:
        kinds.get("ftp")
    assert unknown.value.ref == "kind"
    with pytest.raises(InputError) as extra:
        kinds.check_mapping({"fields": {"indicator": "a", "value": "b", "colour": "c"}, "period": "2026-10"})
    assert extra.value.ref == "mapping.fields.colour"
    with pytest.raises(InputError) as no_period:
        kinds.check_mapping({"fields": {"indicator": "a", "value": "b"}})
    assert no_period.value.ref == "mapping.period"
    with pytest.raises(InputError) as dims:
        kinds.get("sdmx").check_mapping({"fields": {"indicator": "a", "value": "b"}, "period": "2026-10"})
    assert dims.value.ref == "mapping.dimensions"


def test_a_fixed_period_and_no_unit_column(upstream, make_connector) -> None:  # type: ignore[no-untyped-def]
    body = json.dumps([{"ma": "RETAIL_SALES", "so": "42"}])
    make_connector("flat", "http_json", upstream.serve("/flat", ok("application/json", body)),
                   {"fields": {"indicator": "ma", "value": "so"}, "period": "202610"})

    [run] = runner.run_due(now=T0)

    assert run.status == RunStatus.STORED and stored("RETAIL_SALES") == [Decimal("42")]


# -- the command line ------------------------------------------------------------------------------

def test_nrs_connectors_run(upstream, make_connector) -> None:  # type: ignore[no-untyped-def]
    url = upstream.serve("/v", ok("application/json", json_body(RS)))
    make_connector("cli", "http_json", url, JSON_MAPPING)
    out = io.StringIO()
    call_command("connectors", "run", "cli", stdout=out)
    assert "stored 1" in out.getvalue()
    assert ConnectorRun.objects.get().trigger == "manual"
    with pytest.raises(CommandError):
        call_command("connectors", "run", "no-such-connector")
    upstream.serve("/v", (500, "text/plain", b""))
    with pytest.raises(CommandError) as failed:
        call_command("connectors", "run", "cli")
    assert "HTTP 500" in str(failed.value)


# -- DHIS2: delegated to the DHIS2 importer ---------------------------------------------------------

def test_dhis2_kind_imports_a_data_value_set(upstream, make_connector) -> None:  # type: ignore[no-untyped-def]
    payload = {"dataSet": REGIME, "period": "202610", "orgUnit": "01",
               "dataValues": [{"dataElement": "RETAIL_SALES", "value": "2468"}]}
    url = upstream.serve("/api/dataValueSets.json", ok("application/json", json.dumps(payload)))
    make_connector("dhis2-hanoi", "dhis2", url, {})

    [run] = runner.run_due(now=T0)
    assert (run.status, run.values_stored) == (RunStatus.STORED, 1), (run.ref, run.message_en)
    assert stored("RETAIL_SALES") == [Decimal("2468")]
    [again] = runner.run_due(now=T0 + dt.timedelta(minutes=60))
    assert (again.status, again.values_stored) == (RunStatus.UNCHANGED, 0)
    assert stored("RETAIL_SALES") == [Decimal("2468")]


# -- on schedule, in a real worker ------------------------------------------------------------------

LIVE_SETUP = """
from django.utils import timezone
from nrs.accounts.models import User
from nrs.exchange.connectors import actions
from nrs.exchange.connectors.models import Connector
from nrs.registry.models import OrgUnit, Regime
actions.save_connector(Connector(
    name="live-sct", kind="http_json", url={url!r}, interval_minutes=720, mapping={mapping!r}, auth="bearer",
    regime=Regime.objects.get(code="PROV_KTXH_M"), org_unit=OrgUnit.objects.current().get(code="01"),
    run_as=User.objects.get(username="hn.system"), next_run_at=timezone.now()),
    actor=User.objects.get(username="hn.connectors"), changed=["name"], secret="live-token")
"""


def test_a_real_worker_runs_the_connector_on_schedule(upstream, live_node) -> None:  # type: ignore[no-untyped-def]
    """`nrs run_huey` (the worker `nrs serve` starts) fires run_due_connectors at the next
    minute: the values arrive on the live node through the write path, visible in its API."""
    import subprocess

    from tests.live import NRS, call

    body = json_body({**RS, "month": "202607", "amount": 3141.5})
    url = upstream.serve("/live", ok("application/json", body))
    live_node.user("hn.connectors", "coordinator", "01")
    env = {**live_node.env, "NRS_FETCH_ALLOW": "127.0.0.1"}  # the upstream is on loopback (issue 18)
    result = subprocess.run([NRS, "shell", "-c", LIVE_SETUP.format(url=url, mapping=JSON_MAPPING)], env=env,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    worker = subprocess.Popen([NRS, "run_huey", "--workers", "1", "--quiet"], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    runs: list[tuple[Any, ...]] = []
    try:
        for _ in range(100):  # the periodic task fires at the top of each minute
            runs = live_node.query("SELECT r.status, r.values_stored, r.attempt FROM connectors_connectorrun r "
                                   "JOIN connectors_connector c ON c.id = r.connector_id WHERE c.name = %s",
                                   ("live-sct",))
            if runs and runs[0][0] != "running":  # its row is written when it starts
                break
            time.sleep(1)
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(timeout=30)  # (the connector's next run is 12 hours away: it stays quiet)
    assert runs == [("stored", 1, 1)]
    assert upstream.seen[0][1]["Authorization"] == "Bearer live-token"
    values = call(live_node.base, "GET", "/api/dataValues?orgUnit=01&period=2026-07&approved=false"
                  "&indicator=RETAIL_SALES", token=live_node.tokens["hn.system"]).json()["dataValues"]
    assert [(v["indicator"], v["value"]) for v in values] == [("RETAIL_SALES", "3141.5")]


def _children(pid: int) -> list[int]:
    """The processes whose parent is ``pid`` (Linux /proc)."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry))
    return found


def _running(pid: int) -> bool:
    """Alive and not a zombie waiting to be reaped by whoever adopted it."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
def test_the_worker_of_nrs_serve_dies_with_it_even_by_kill_9(live_node) -> None:  # type: ignore[no-untyped-def]
    """`nrs serve` starts `nrs run_huey` as its child; killed with SIGKILL, the server cannot
    stop it itself, so Linux does (PR_SET_PDEATHSIG): no orphaned worker keeps running."""
    live_node.start(worker=True)
    server = live_node.processes.pop()
    [worker] = _children(server.pid)
    try:
        os.kill(server.pid, signal.SIGKILL)
        server.wait(timeout=10)
        deadline = time.monotonic() + 10
        while _running(worker) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not _running(worker)
    finally:
        if _running(worker):
            os.kill(worker, signal.SIGKILL)
