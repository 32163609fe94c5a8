"""Crash safety: a large import is killed with SIGKILL while the server is inside
its transaction. Afterwards the database holds nothing of it (no submission,
no values, no audit event, no idempotency key); the same request sent again
with the same Idempotency-Key to a restarted server is stored once, complete;
sent once more, it is replayed and nothing new is written.

The largest single API operation is POST /api/dataValueSets: one report
(regime × unit × period) whose values may name any unit of the reporting
unit's subtree. Here: Hà Nội's monthly report with every indicator for the
city and each of its communes, each value with a comment (several MB)."""

from __future__ import annotations

import http.client
import json
import sqlite3
import time
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest

from nrs.lib import periods
from nrs.registry.models import OrgUnit, Regime
from nrs.web import demo_values
from tests.live import PG, LiveNode, call
from tests.test_sec18_oracles_verify import assert_chain_intact

pytestmark = pytest.mark.django_db
REGIME, PERIOD, KEY = "PROV_KTXH_M", "2026-08", "crash-import-2026-08"
NOTE = "Số liệu ước tính theo báo cáo nhanh của UBND xã; đối chiếu với Chi cục Thống kê. " * 4


def _payload() -> tuple[bytes, dict[tuple[str, str], Decimal]]:
    regime = Regime.objects.get(code=REGIME)
    indicators = list(regime.indicators.filter(formula="").select_related("unit").order_by("code"))
    hanoi = OrgUnit.objects.current().get(code="01")
    communes = list(OrgUnit.objects.current().filter(parent=hanoi).order_by("code"))
    period = periods.parse_sdmx(PERIOD)
    values, sent = [], {}
    for unit, scale in [(hanoi, 1.0)] + [(c, 0.01) for c in communes]:
        for row in demo_values.values_for(indicators, unit.code, scale, period):
            values.append({"indicator": row.indicator, "orgUnit": unit.code,
                           "value": str(row.value), "comment": NOTE})
            sent[(str(row.indicator), unit.code)] = Decimal(str(row.value))
    body = json.dumps({"regime": REGIME, "orgUnit": "01", "period": PERIOD,
                       "dataValues": values}, ensure_ascii=False).encode()
    return body, sent


def _in_transaction(node: LiveNode) -> bool:
    """Is a server connection inside a write transaction (held at least 0.3 s)?"""
    if PG:
        return bool(node.query(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid() AND backend_xid IS NOT NULL "
            "AND xact_start < now() - interval '300 milliseconds'")[0][0])
    # SQLite: a writer holds the database's single write lock (BEGIN IMMEDIATE).
    conn = sqlite3.connect(node.database.removeprefix("sqlite:///"), timeout=0)
    try:
        conn.execute("BEGIN IMMEDIATE")
        conn.rollback()
        return False
    except sqlite3.OperationalError as exc:
        assert "locked" in str(exc) or "busy" in str(exc), exc
        return True
    finally:
        conn.close()


def _wait_inside(node: LiveNode, timeout: float = 60) -> float:
    """Poll until the import's transaction has been open a while; returns when."""
    started, held = time.monotonic(), 0
    while time.monotonic() - started < timeout:
        held = held + 1 if _in_transaction(node) else 0
        if held >= (1 if PG else 5):  # SQLite: locked at 5 polls in a row (0.25 s)
            return time.monotonic() - started
        time.sleep(0.05)
    raise AssertionError("the import never opened its transaction")


def _stored(node: LiveNode) -> dict[str, int]:
    one = lambda sql, *p: int(node.query(sql, p)[0][0] or 0)  # noqa: E731
    return {
        "submissions": one("SELECT count(*) FROM collection_submission WHERE period = %s", PERIOD),
        "values": one("SELECT count(*) FROM collection_datavalue WHERE period = %s", PERIOD),
        "keys": one("SELECT count(*) FROM collection_idempotencyrecord WHERE key = %s", KEY),
        "events": one("SELECT count(*) FROM audit_event WHERE summary LIKE %s", f"% · {PERIOD}%"),
        "last_event": one("SELECT max(id) FROM audit_event"),
    }


def _send(base: str, token: str, body: bytes) -> tuple[int, dict]:  # type: ignore[type-arg]
    answer = call(base, "POST", "/api/dataValueSets", token=token, body=body,
                  headers={"Idempotency-Key": KEY}, timeout=300)
    return answer.status, answer.json()


def test_kill_9_inside_a_large_import_loses_nothing_and_stores_it_once(live_node: LiveNode) -> None:
    body, sent = _payload()
    assert len(body) > 2_000_000 and len(sent) > 7000
    token = live_node.tokens["hn.system"]
    before = _stored(live_node)
    assert before["submissions"] == before["values"] == before["keys"] == 0

    doomed = live_node.start(workers=1)
    with ThreadPoolExecutor(max_workers=1) as pool:
        request = pool.submit(_send, doomed, token, body)
        waited = _wait_inside(live_node)
        assert not request.done(), request.result()
        live_node.kill(doomed)
        failure = request.exception(timeout=30)
    # The kill landed inside the request: the client got no answer at all.
    assert isinstance(failure, OSError | http.client.HTTPException), failure
    after_kill = _stored(live_node)
    assert after_kill == before, after_kill  # no partial submission, values, key or event
    assert not live_node.query("SELECT count(*) FROM collection_datavalue v JOIN "
                               "collection_submissionversion sv ON sv.id = v.version_id "
                               "WHERE v.period = %s", (PERIOD,))[0][0]

    restarted = live_node.start(workers=1)
    try:
        status, first = _send(restarted, token, body)
        assert status == 200, first
        assert not first.get("replayed") and first["saved"] == len(sent)
        stored = _stored(live_node)
        assert stored["submissions"] == 1 and stored["values"] == len(sent)
        assert stored["keys"] == 1 and stored["events"] == 1  # one VALUES_SAVED event

        status, again = _send(restarted, token, body)
        assert status == 200 and again["replayed"] is True
        assert again["saved"] == first["saved"] and again["submission"] == first["submission"]
        assert _stored(live_node) == stored  # nothing new, not even an audit event

        read = call(restarted, "GET", f"/api/dataValues?approved=false&period={PERIOD}",
                    token=token, timeout=120).json()["dataValues"]
        found = {(v["indicator"], v["orgUnit"]): Decimal(v["value"]) for v in read}
        assert found == sent
        assert sum(found.values()) == sum(sent.values())
    finally:
        live_node.kill(restarted)
    assert_chain_intact(live_node.nrs("audit", "verify", check=False))
    print(f"killed `nrs serve` {waited:.1f} s into a {len(body) / 1e6:.1f} MB import of "
          f"{len(sent)} values ({type(failure).__name__}); found after the kill: {after_kill}; "
          f"after the resend: {stored}")
