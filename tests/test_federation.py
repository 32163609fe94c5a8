"""Federation, in process: keys and signatures, the batch format, and the national node's
receiving endpoint through the real API (token auth, real database, the collection write
path), plus what the sending side selects. The two-server run is test_federation_live.py."""

from __future__ import annotations

import base64
import hashlib
import stat
import uuid
from decimal import Decimal
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.test import Client

from nrs.accounts import tokens
from nrs.audit.events import EventType
from nrs.audit.models import Event
from nrs.collection import actions as collection
from nrs.collection.context import existing_rows
from nrs.collection.models import DataValue, State, Submission
from nrs.exchange.connectors.secretbox import unseal
from nrs.exchange.federation import actions, batches, signing, sync
from nrs.exchange.federation.models import FederatedVersion, Node, ReceivedBatch, Upstream
from nrs.lib import periods
from nrs.lib.errors import InputError
from nrs.registry.models import Level, OrgUnit, Regime
from nrs.web import demo_values
from tests.conftest import current

REGIME, PERIOD = "XA_KTXH_M", "2026-03"
URL = "/api/federation/batches"


# -- keys and signatures ---------------------------------------------------------------

def test_signature_covers_the_exact_bytes() -> None:
    key = Ed25519PrivateKey.generate()
    body = signing.canonical({"b": [1, "Hà Nội"], "a": None})
    assert body == '{"a":null,"b":[1,"Hà Nội"]}'.encode()
    signature = signing.sign(key, body)
    public = signing.public_text(key)
    assert signing.verify(public, body, signature)
    assert not signing.verify(public, body + b" ", signature)
    assert not signing.verify(public, body.replace(b"1", b"2"), signature)
    assert not signing.verify(signing.public_text(Ed25519PrivateKey.generate()), body, signature)
    assert not signing.verify(public, body, "not base64!")
    assert not signing.verify(public, body, base64.b64encode(b"x" * 64).decode())
    assert not signing.verify("junk", body, signature)


def test_public_key_as_base64_or_pem_and_junk_named() -> None:
    key = Ed25519PrivateKey.generate()
    pem = key.public_key().public_bytes(serialization.Encoding.PEM,
                                        serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    assert signing.public_text(signing.parse_public(pem)) == signing.public_text(key)
    assert signing.public_text(signing.parse_public(signing.public_text(key))) == signing.public_text(key)
    for junk in ("", "AAAA", "-----BEGIN PUBLIC KEY-----\nxx\n-----END PUBLIC KEY-----", "ô"):
        with pytest.raises(InputError) as caught:
            signing.parse_public(junk)
        assert caught.value.ref == "public_key" and caught.value.vi and caught.value.en


def test_keygen_writes_an_owner_only_key_and_never_overwrites(tmp_path: Any) -> None:
    path = tmp_path / "var" / "node-key.pem"
    key = signing.generate(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert signing.public_text(signing.load_private(path)) == signing.public_text(key)
    with pytest.raises(FileExistsError):
        signing.generate(path)
    assert signing.public_text(signing.load_private(path)) == signing.public_text(key)


# -- the batch format -------------------------------------------------------------------

@pytest.mark.parametrize(("change", "ref"), [
    (lambda b: b.update(format="other"), "format"),
    (lambda b: b.update(sequence=0), "sequence"),
    (lambda b: b.update(sequence=True), "sequence"),
    (lambda b: b["submissions"][0].update(approvedAt="2026-04-01"), "submissions[0].approvedAt"),
    (lambda b: b["submissions"][0]["values"][1].update(value=12), "submissions[0].values[1].value"),
    (lambda b: b["submissions"][0]["values"][1].pop("indicator"), "submissions[0].values[1].indicator"),
    (lambda b: b["submissions"][0]["source"].update(version=-1), "submissions[0].source"),
    (lambda b: b["submissions"][0].update(document={"filename": "a.pdf", "sha256": "0" * 64,
                                                    "data": "JVBERg=="}), "submissions[0].document.sha256"),
    (lambda b: b["submissions"].append(7), "submissions[1]"),
])
def test_malformed_batches_name_the_field(change: Any, ref: str) -> None:
    body = _batch("HN", [_entry("00004", 1, 1, [("A", "1"), ("B", "2")])])
    change(body)
    with pytest.raises(InputError) as caught:
        batches.parse(signing.canonical(body))
    assert caught.value.ref == ref and caught.value.vi and caught.value.en


def test_bodies_that_are_not_json_name_the_body() -> None:
    for raw in (b"\xff\xfe", b"[1]", b"{", b"[" * 500 + b"]" * 500):
        with pytest.raises(InputError) as caught:
            batches.parse(raw)
        assert caught.value.ref == "body" and caught.value.vi and caught.value.en


# -- the national node's endpoint --------------------------------------------------------

def _batch(node: str, entries: list[dict[str, Any]], batch_id: str | None = None) -> dict[str, Any]:
    return {"format": batches.FORMAT, "node": node, "batch": batch_id or str(uuid.uuid4()),
            "sequence": 1, "createdAt": "2026-04-10T08:00:00+07:00", "submissions": entries}


def _entry(unit: str, source: int, version: int, values: list[tuple[str, str | None]],
           regime: str = REGIME, period: str = PERIOD) -> dict[str, Any]:
    return {"source": {"submission": source, "version": version}, "regime": regime,
            "orgUnit": unit, "period": period, "backfill": False,
            "approvedAt": "2026-04-09T10:00:00+07:00", "document": None,
            "values": [{"indicator": code, "orgUnit": unit, "breakdown": "", "value": value,
                        "flag": "", "comment": ""} for code, value in values]}


def _communes(province: str, count: int) -> list[str]:
    root = current(province)
    return list(OrgUnit.objects.current().filter(path__startswith=root.path, level=Level.COMMUNE)
                .order_by("code").values_list("code", flat=True)[:count])


def _values(unit: str, scale: float = 1.0) -> list[tuple[str, str | None]]:
    regime = Regime.objects.get(code=REGIME)
    indicators = list(regime.indicators.filter(formula="").select_related("unit").order_by("code"))
    rows = demo_values.values_for(indicators, unit, scale, periods.parse_sdmx(PERIOD))
    return [(str(r.indicator), str(r.value)) for r in rows]


class Fed:
    def __init__(self, key: Ed25519PrivateKey, node: Node, secret: str) -> None:
        self.key, self.node, self.secret = key, node, secret
        self.client = Client()

    def post(self, body: bytes, key: Ed25519PrivateKey | None = None, secret: str | None = None) -> Any:
        return self.client.post(URL, body, content_type="application/json",
                                HTTP_AUTHORIZATION=f"Bearer {secret or self.secret}",
                                HTTP_X_NRS_SIGNATURE=signing.sign(key or self.key, body))

    def send(self, entries: list[dict[str, Any]], **kw: Any) -> Any:
        return self.post(signing.canonical(_batch(self.node.code, entries)), **kw)


@pytest.fixture
def fed(db: Any) -> Fed:
    key = Ed25519PrivateKey.generate()
    node, secret = actions.register_node("HN", signing.public_text(key), ["01"], name="Hà Nội")
    assert secret is not None
    return Fed(key, node, secret)


def _stored() -> tuple[int, int, int]:
    return (DataValue.objects.count(), ReceivedBatch.objects.count(), FederatedVersion.objects.count())


@pytest.mark.django_db
def test_register_node_twice_changes_nothing(fed: Fed) -> None:
    events = Event.objects.filter(event_type=EventType.FEDERATION_NODE_CHANGED).count()
    node, secret = actions.register_node("HN", signing.public_text(fed.key), ["01"], name="Hà Nội")
    assert node.pk == fed.node.pk and secret is None
    assert Event.objects.filter(event_type=EventType.FEDERATION_NODE_CHANGED).count() == events == 1
    other = Ed25519PrivateKey.generate()
    actions.register_node("HN", signing.public_text(other), ["01"])
    assert Node.objects.get(pk=node.pk).public_key == signing.public_text(other)
    assert Event.objects.filter(event_type=EventType.FEDERATION_NODE_CHANGED).count() == 2
    with pytest.raises(InputError):
        actions.register_node("HN", "junk", ["01"])
    with pytest.raises(InputError):
        actions.register_node("HN", signing.public_text(other), ["NOPE"])


@pytest.mark.django_db
def test_a_batch_is_imported_approved_traced_and_idempotent(fed: Fed) -> None:
    a, b = _communes("01", 2)
    entries = [_entry(a, 11, 1, _values(a)), _entry(b, 12, 1, _values(b))]
    body = signing.canonical(_batch("HN", entries))
    answer = fed.post(body)
    assert answer.status_code == 200, answer.content
    assert answer.json()["imported"] == 2 and answer.json()["skipped"] == 0
    for unit, entry in ((a, entries[0]), (b, entries[1])):
        submission = Submission.objects.get(regime__code=REGIME, org_unit__code=unit, period=PERIOD)
        assert submission.state == State.APPROVED and submission.version == 1
        rows = existing_rows(submission)
        assert {k[0]: r.value for k, r in rows.items()} == {
            v["indicator"]: Decimal(v["value"]) for v in entry["values"]}
        traced = FederatedVersion.objects.get(submission=submission)
        assert (traced.node, traced.source_version, traced.version) == (fed.node, 1, 1)
        assert traced.batch.sha256 == hashlib.sha256(body).hexdigest()
        assert all(r.created_by == fed.node.user for r in rows.values())
    assert Event.objects.filter(event_type=EventType.FEDERATION_BATCH_RECEIVED).count() == 1
    stored = _stored()
    again = fed.post(body)  # the same batch: acknowledged, nothing written
    assert again.status_code == 200 and again.json()["duplicate"] is True
    assert again.json()["batch"] == answer.json()["batch"]
    resent = fed.send(entries)  # the same versions in a new batch (a resend after a kill)
    assert resent.status_code == 200 and resent.json()["imported"] == 0
    assert resent.json()["skipped"] == 2
    assert _stored()[0] == stored[0] and FederatedVersion.objects.count() == 2


@pytest.mark.django_db
def test_a_newer_source_version_becomes_a_new_version(fed: Fed) -> None:
    (a,) = _communes("01", 1)
    first = _values(a)
    assert fed.send([_entry(a, 21, 1, first)]).status_code == 200
    changed = [(code, str(Decimal(value or 0) + 1) if n == 0 else value) for n, (code, value) in enumerate(first)]
    answer = fed.send([_entry(a, 21, 2, changed)])
    assert answer.status_code == 200, answer.content
    submission = Submission.objects.get(regime__code=REGIME, org_unit__code=a, period=PERIOD)
    assert submission.state == State.APPROVED and submission.version == 2
    assert submission.versions.filter(approved_at__isnull=False).count() == 2
    rows = existing_rows(submission)
    assert rows[(changed[0][0], a, "")].value == Decimal(changed[0][1] or 0)
    # Nothing overwritten: version 1 keeps its own rows.
    assert DataValue.objects.filter(version__submission=submission, version__number=1).count() == len(first)
    assert DataValue.objects.filter(version__submission=submission, version__number=2).count() == 1
    assert list(FederatedVersion.objects.filter(submission=submission).order_by("version")
                .values_list("source_version", "version")) == [(1, 1), (2, 2)]


@pytest.mark.django_db
def test_a_batch_signed_with_another_key_is_refused_and_audited(fed: Fed) -> None:
    (a,) = _communes("01", 1)
    stored = _stored()
    answer = fed.send([_entry(a, 31, 1, _values(a))], key=Ed25519PrivateKey.generate())
    assert answer.status_code == 403
    assert answer.json()["ref"] == "X-NRS-Signature" and answer.json()["message_vi"]
    assert _stored() == stored and not Submission.objects.filter(org_unit__code=a).exists()
    event = Event.objects.get(event_type=EventType.FEDERATION_BATCH_REJECTED)
    assert event.actor == fed.node.user and event.data["ref"] == "X-NRS-Signature"
    # A missing signature, and a good signature over other bytes, likewise.
    body = signing.canonical(_batch("HN", [_entry(a, 31, 1, _values(a))]))
    missing = fed.client.post(URL, body, content_type="application/json",
                              HTTP_AUTHORIZATION=f"Bearer {fed.secret}")
    assert missing.status_code == 403
    swapped = fed.client.post(URL, body + b"\n", content_type="application/json",
                              HTTP_AUTHORIZATION=f"Bearer {fed.secret}",
                              HTTP_X_NRS_SIGNATURE=signing.sign(fed.key, body))
    assert swapped.status_code == 403
    assert Event.objects.filter(event_type=EventType.FEDERATION_BATCH_REJECTED).count() == 3
    assert _stored() == stored


@pytest.mark.django_db
def test_a_unit_the_node_does_not_own_refuses_the_whole_batch(fed: Fed) -> None:
    (mine,), (theirs,) = _communes("01", 1), _communes("31", 1)
    stored = _stored()
    answer = fed.send([_entry(mine, 41, 1, _values(mine)), _entry(theirs, 42, 1, _values(theirs))])
    assert answer.status_code == 403
    assert answer.json()["ref"] == "submissions[1].orgUnit" and theirs in answer.json()["message_en"]
    assert _stored() == stored and not Submission.objects.filter(org_unit__code=mine).exists()
    # A value row naming a foreign unit inside an owned report: refused too, naming the row.
    sneaky = _entry(mine, 43, 1, _values(mine))
    sneaky["values"][0]["orgUnit"] = "31"
    answer = fed.send([sneaky])
    assert answer.status_code == 403 and answer.json()["ref"] == "submissions[0].values[0].orgUnit"
    assert Event.objects.filter(event_type=EventType.FEDERATION_BATCH_REJECTED).count() == 2


@pytest.mark.django_db
def test_invalid_values_refuse_the_whole_batch_naming_the_row(fed: Fed) -> None:
    a, b = _communes("01", 2)
    bad = _entry(b, 52, 1, _values(b))
    bad["values"][2]["indicator"] = "NO_SUCH_INDICATOR"
    stored = _stored()
    answer = fed.send([_entry(a, 51, 1, _values(a)), bad])
    assert answer.status_code == 422, answer.content
    assert answer.json()["ref"].startswith("submissions[1].values[2]")
    assert answer.json()["issues"] and answer.json()["message_vi"]
    assert _stored() == stored and not Submission.objects.filter(org_unit__code=a).exists()
    for junk, ref in ((b"{", "body"), (signing.canonical(_batch("HN", [])).replace(b"HN", b"XX"), "node"),
                      (signing.canonical({**_batch("HN", []), "submissions": [
                          _entry(a, 1, 1, [], regime="NOPE")]}), "submissions[0].regime"),
                      (signing.canonical({**_batch("HN", []), "submissions": [
                          _entry(a, 1, 1, [], period="2026-13")]}), "submissions[0].period")):
        answer = fed.post(junk)
        assert answer.status_code in (400, 403) and answer.json()["ref"] == ref, (ref, answer.content)
    assert _stored() == stored


@pytest.mark.django_db
def test_only_registered_active_nodes_may_push(fed: Fed, make_user: Any) -> None:
    system = make_user("hn.sys", "system", "01")
    _token, secret = tokens.issue_token(system, current("01"), name="t", scope="write")
    (a,) = _communes("01", 1)
    assert fed.send([_entry(a, 61, 1, _values(a))], secret=secret).status_code == 403
    Node.objects.filter(pk=fed.node.pk).update(active=False)
    assert fed.send([_entry(a, 61, 1, _values(a))]).status_code == 403
    assert Client().post(URL, b"{}", content_type="application/json").status_code == 401
    assert _stored()[1:] == (0, 0)


# -- the sending side --------------------------------------------------------------------

def _approved(unit: str, system: Any, approver: Any) -> Submission:
    regime = Regime.objects.get(code=REGIME)
    rows = demo_values.values_for(list(regime.indicators.filter(formula="").select_related("unit")),
                                  unit, 1.0, periods.parse_sdmx(PERIOD))
    saved = collection.check_and_save_values(regime, OrgUnit.objects.current().get(code=unit),
                                             periods.parse_sdmx(PERIOD), rows, actor=system)
    assert saved.ok and saved.submission is not None, saved.issues
    collection.submit_submission(saved.submission, actor=system)
    return collection.approve_submission(saved.submission, actor=approver)


@pytest.mark.django_db
def test_the_sender_selects_approvals_of_its_own_units_after_the_cursor(make_user: Any) -> None:
    system, approver = make_user("s", "system", "CP"), make_user("ap", "approver", "CP")
    (mine,), (theirs,) = _communes("01", 1), _communes("31", 1)
    first, _other = _approved(mine, system, approver), _approved(theirs, system, approver)
    config = sync.configure("http://127.0.0.1:9", "HN", "nrs_x_y", ["01"])
    # The upstream token is sealed at rest, as connector credentials are.
    stored = Upstream.objects.values_list("token", flat=True).get()
    assert "nrs_x_y" not in stored and unseal(stored) == "nrs_x_y"
    found = sync.pending(config, 10)
    assert [t.submission_id for t in found] == [first.pk]
    sent = sync.entry(found[0])
    assert sent["orgUnit"] == mine and sent["source"] == {"submission": first.pk, "version": 1}
    assert {v["indicator"]: Decimal(v["value"]) for v in sent["values"]} == {
        k[0]: r.value for k, r in existing_rows(first).items()}
    body = sync.build(config, found)
    assert batches.parse(body).entries[0].source_submission == first.pk
    sync.acknowledge(config, found, {"batch": "x", "imported": 1})
    assert sync.pending(config, 10) == []
    assert Event.objects.filter(event_type=EventType.FEDERATION_BATCH_SENT).count() == 1
    # Changing the upstream restarts from the beginning; the same upstream keeps the cursor.
    assert sync.configure("http://127.0.0.1:9", "HN", "nrs_new", ["01"]).cursor == found[0].pk
    assert sync.configure("http://localhost:9", "HN", "nrs_new", ["01"]).cursor == 0
    # Each change of the upstream, and a rewind, is audited; the token never is.
    sync.acknowledge(config, found, {"batch": "y", "imported": 1})
    sync.rewind()
    changes = list(Event.objects.filter(event_type=EventType.FEDERATION_UPSTREAM_CHANGED).order_by("id"))
    assert [e.data.get("restarted") for e in changes[:3]] == [True, False, True]
    assert changes[3].data == {"rewind": True, "cursor_was": found[0].pk}
    assert not any("nrs_new" in str(e.data) or "nrs_x_y" in str(e.data) for e in changes)
    assert sync.upstream().cursor == 0  # type: ignore[union-attr]
    # Unreachable upstream: a SyncError, the cursor unmoved.
    with pytest.raises(sync.SyncError):
        sync.post(config, body, "sig", timeout=2)


@pytest.mark.django_db
def test_coordinator_registers_a_node_in_the_admin_audited(coordinator: Any, client: Client) -> None:
    client.force_login(coordinator)
    key = Ed25519PrivateKey.generate()
    answer = client.post("/admin/federation/node/add/", {
        "code": "BTC", "name": "Bộ Tài chính", "public_key": signing.public_text(key),
        "units": str(current("BTC").pk), "active": "on"})
    assert answer.status_code == 302, answer.content.decode()[:2000]
    node = Node.objects.get(code="BTC")
    assert node.user.username == "node-btc"
    assert Event.objects.filter(event_type=EventType.FEDERATION_NODE_CHANGED, object_id=str(node.pk)).exists()
    bad = client.post("/admin/federation/node/add/", {"code": "X", "public_key": "junk",
                                                       "units": str(current("BTC").pk)})
    assert bad.status_code == 200 and not Node.objects.filter(code="X").exists()


@pytest.mark.django_db
def test_the_scheduled_push_runs_the_sync_when_an_upstream_is_set(make_user: Any, settings: Any,
                                                                 tmp_path: Any) -> None:
    from nrs.exchange.federation.tasks import push_upstream

    assert push_upstream.call_local() == 0  # no upstream: nothing to do
    settings.NRS_NODE_KEY = tmp_path / "node-key.pem"
    signing.generate(settings.NRS_NODE_KEY)
    sync.configure("http://127.0.0.1:9", "HN", "nrs_x_y", ["01"])
    assert push_upstream.call_local() == 0  # nothing approved yet
    (mine,) = _communes("01", 1)
    _approved(mine, make_user("s", "system", "01"), make_user("ap", "approver", "01"))
    with pytest.raises(sync.SyncError):  # it tries to push, and the cursor stays put
        push_upstream.call_local()
    assert sync.upstream() is not None and sync.upstream().cursor == 0  # type: ignore[union-attr]
