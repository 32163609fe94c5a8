"""Two real NRS servers on 127.0.0.1, each on its own port and database: the Hà Nội node
and the national node. Hà Nội's approved reports are made through its real API, pushed
with the real `nrs sync` (a subprocess), which is killed with SIGKILL after its first
acknowledged batch and run again; the national values must then equal Hà Nội's, key by
key and in total, with no duplicate versions. A resend of everything changes nothing, a
revision arrives as a new version, and forged or foreign batches are refused and audited."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from nrs.exchange.federation import batches, signing
from nrs.lib import periods
from nrs.registry.models import Level, OrgUnit, Regime
from nrs.web import demo_values
from tests.conftest import current
from tests.live import NRS, LiveNode, call, copy_of_database

# Two servers with a database each: .ci/run runs it on PostgreSQL, as deployed nodes are.
pytestmark = [pytest.mark.django_db, pytest.mark.ci_pg_only]
REGIME, PERIOD = "XA_KTXH_M", "2026-03"
REPORTS = 12
RATES = {"NRS_API_RATE": "100000/m", "NRS_API_WRITE_RATE": "100000/m"}


class Pair:
    def __init__(self, province: LiveNode, national: LiveNode, node_token: str) -> None:
        self.province, self.national, self.node_token = province, national, node_token


def _node(database: str, tmp: Path, label: str) -> LiveNode:
    node = LiveNode(database=database, var_dir=tmp / label / "var")
    node.env.update({**RATES, "NRS_FETCH_ALLOW": "127.0.0.1"})  # both nodes are on loopback (issue 18)
    return node


@pytest.fixture(scope="module")
def pair(tmp_path_factory: Any, initialised_database: str) -> Iterator[Pair]:
    tmp = tmp_path_factory.mktemp("federation")
    (tmp / "province").mkdir()
    (tmp / "national").mkdir()
    with ExitStack() as stack:  # both nodes start from the run's database after `nrs init`
        province = _node(stack.enter_context(copy_of_database(initialised_database, tmp / "province",
                                                              "fedprovince")), tmp, "province")
        national = _node(stack.enter_context(copy_of_database(initialised_database, tmp / "national",
                                                              "fednational")), tmp, "national")
        province.user("hn.system", "system", "01")
        province.token("hn.system", "01", "write")
        province.user("hn.approver", "approver", "01")
        province.token("hn.approver", "01", "write")
        public = province.nrs("federation", "keygen").stdout.strip()
        secret = national.nrs("federation", "node", "add", "HN", "--public-key", public,
                              "--unit", "01", "--name", "Hà Nội").stdout.strip().splitlines()[-1]
        stack.callback(province.stop)
        stack.callback(national.stop)
        province.start()
        national.start()
        province.nrs("federation", "upstream", national.base, "--node", "HN", "--token", secret,
                      "--unit", "01")
        yield Pair(province, national, secret)


def _communes(province: str, count: int) -> list[str]:
    root = current(province)
    return list(OrgUnit.objects.current().filter(path__startswith=root.path, level=Level.COMMUNE)
                .order_by("code").values_list("code", flat=True)[:count])


def _rows(unit: str, scale: float = 1.0) -> list[dict[str, str]]:
    regime = Regime.objects.get(code=REGIME)
    indicators = list(regime.indicators.filter(formula="").select_related("unit").order_by("code"))
    return [{"indicator": str(r.indicator), "value": str(r.value)}
            for r in demo_values.values_for(indicators, unit, scale, periods.parse_sdmx(PERIOD))]


def _approve(pair: Pair, unit: str, rows: list[dict[str, str]]) -> int:
    """Save, submit and approve one report on the provincial node, through its API."""
    base, tokens = pair.province.base, pair.province.tokens
    saved = call(base, "POST", "/api/dataValueSets", token=tokens["hn.system"], body=json.dumps(
        {"regime": REGIME, "orgUnit": unit, "period": PERIOD, "dataValues": rows}).encode())
    assert saved.status == 200, saved.body
    sid = int(saved.json()["submission"]["id"])
    for action, who in (("submit", "hn.system"), ("approve", "hn.approver")):
        answer = call(base, "POST", f"/api/submissions/{sid}/{action}", token=tokens[who],
                      body=b'{"comment": ""}')
        assert answer.status == 200, answer.body
    return sid


def _values(base: str, token: str, units: list[str]) -> dict[tuple[str, str, str], Decimal]:
    answer = call(base, "GET", f"/api/dataValues?orgUnit={','.join(units)}&period={PERIOD}", token=token)
    assert answer.status == 200, answer.body
    return {(v["indicator"], v["orgUnit"], v["breakdown"]): Decimal(v["value"])
            for v in answer.json()["dataValues"]}


def _assert_same(pair: Pair, units: list[str]) -> None:
    here = _values(pair.province.base, pair.province.tokens["hn.system"], units)
    there = _values(pair.national.base, pair.node_token, units)
    assert len(here) == len(units) * len(_rows(units[0]))
    assert there == here
    assert sum(there.values()) == sum(here.values())


def _versions(node: LiveNode) -> list[tuple[Any, ...]]:
    """Per national submission of the period: its version, its approvals, its federated keys."""
    return node.query(
        "SELECT s.id, s.version, (SELECT count(*) FROM collection_transition t WHERE t.submission_id = s.id "
        "AND t.to_state = 'approved'), (SELECT count(*) FROM federation_federatedversion f "
        "WHERE f.submission_id = s.id) FROM collection_submission s WHERE s.period = %s ORDER BY s.id",
        (PERIOD,))


def _sequence(node: LiveNode) -> int:
    rows = node.query("SELECT sequence FROM federation_upstream")
    return int(rows[0][0]) if rows else 0


def test_sync_killed_mid_run_and_rerun_leaves_exact_totals(pair: Pair) -> None:
    units = _communes("01", REPORTS)
    sources = [_approve(pair, unit, _rows(unit)) for unit in units]
    sync = subprocess.Popen([NRS, "sync", "--batch-size", "1"], env=pair.province.env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 60
    while _sequence(pair.province) < 1 and sync.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    os.killpg(sync.pid, signal.SIGKILL)
    sync.wait(timeout=10)
    acknowledged = _sequence(pair.province)
    assert 1 <= acknowledged < REPORTS, "the sync was not interrupted in the middle"
    received = len(pair.national.query("SELECT id FROM federation_federatedversion"))
    assert acknowledged <= received < REPORTS

    rerun = pair.province.nrs("sync", "--batch-size", "5")
    assert f"{REPORTS - acknowledged} submissions sent" in rerun.stdout, rerun.stdout
    _assert_same(pair, units)
    versions = _versions(pair.national)
    assert len(versions) == REPORTS and all(v[1:] == (1, 1, 1) for v in versions), versions
    sent = pair.national.query("SELECT source_submission, source_version FROM federation_federatedversion")
    assert sorted(sent) == sorted((sid, 1) for sid in sources)

    # Everything again, from the beginning: the national node acknowledges every version
    # as seen and writes nothing.
    values = pair.national.query("SELECT count(*) FROM collection_datavalue")
    again = pair.province.nrs("sync", "--batch-size", "5", "--from-start")
    assert f"{REPORTS} submissions sent; 0 imported upstream, {REPORTS} already there" in again.stdout
    assert pair.national.query("SELECT count(*) FROM collection_datavalue") == values
    assert _versions(pair.national) == versions

    # A revision on the province arrives as the national report's version 2.
    base, tokens = pair.province.base, pair.province.tokens
    revised = call(base, "POST", f"/api/submissions/{sources[0]}/revise", token=tokens["hn.system"],
                   body=json.dumps({"comment": "sửa số liệu / corrected"}).encode())
    assert revised.status == 200, revised.body
    _approve(pair, units[0], _rows(units[0], scale=1.1))
    assert "1 submissions sent; 1 imported" in pair.province.nrs("sync").stdout
    _assert_same(pair, units)
    first = _versions(pair.national)[0]
    assert first[1:] == (2, 2, 2), first


def _signed(entry_unit: str, key: Ed25519PrivateKey, node: str = "HN") -> tuple[bytes, str]:
    body = signing.canonical({
        "format": batches.FORMAT, "node": node, "batch": str(uuid.uuid4()), "sequence": 99,
        "createdAt": "2026-04-10T08:00:00+07:00", "submissions": [{
            "source": {"submission": 999_999, "version": 1}, "regime": REGIME, "orgUnit": entry_unit,
            "period": PERIOD, "backfill": False, "approvedAt": "2026-04-09T10:00:00+07:00",
            "document": None, "values": [{**row, "orgUnit": entry_unit, "breakdown": "", "flag": "",
                                          "comment": ""} for row in _rows(entry_unit)]}]})
    return body, signing.sign(key, body)


def test_forged_and_foreign_batches_are_refused_and_audited(pair: Pair) -> None:
    national = pair.national
    before = national.query("SELECT count(*) FROM federation_receivedbatch")
    values = national.query("SELECT count(*) FROM collection_datavalue")
    (mine,), (theirs,) = _communes("01", 1), _communes("31", 1)
    body, signature = _signed(mine, Ed25519PrivateKey.generate())
    answer = call(national.base, "POST", "/api/federation/batches", token=pair.node_token, body=body,
                  headers={"X-NRS-Signature": signature})
    assert answer.status == 403 and answer.json()["ref"] == "X-NRS-Signature", answer.body
    own_key = signing.load_private(pair.province.var_dir / "node-key.pem")
    body, signature = _signed(theirs, own_key)
    answer = call(national.base, "POST", "/api/federation/batches", token=pair.node_token, body=body,
                  headers={"X-NRS-Signature": signature})
    assert answer.status == 403 and answer.json()["ref"] == "submissions[0].orgUnit", answer.body
    assert theirs in answer.json()["message_en"]
    assert national.query("SELECT count(*) FROM federation_receivedbatch") == before
    assert national.query("SELECT count(*) FROM collection_datavalue") == values
    rejected = national.query("SELECT data FROM audit_event WHERE event_type = %s ORDER BY id",
                              ("exchange.batch_rejected",))
    refs = [(json.loads(d) if isinstance(d, str) else d)["ref"] for (d,) in rejected]
    assert refs[-2:] == ["X-NRS-Signature", "submissions[0].orgUnit"]
