"""50 workflow calls at once on the same report, over real HTTP, against the
shared live server (two worker processes): submit and revise by the Hà Nội
system client, approve and return by the Hà Nội approver, in random order.
Whatever wins, the report ends in one legal state, its transitions form one
unbroken chain with an audit event each, every success is a transition row,
every refusal is a clean 409/422, and the aggregates count the approved
values once."""

from __future__ import annotations

import itertools
import json
import random
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest

from nrs.collection.workflow import STEPS
from nrs.lib import periods
from nrs.registry.models import Regime
from nrs.web import demo_values
from tests.live import LiveNode, call
from tests.test_collection_api import PDF
from tests.test_sec18_oracles_verify import assert_chain_intact

pytestmark = pytest.mark.django_db
REGIME, PERIOD = "PROV_KTXH_M", "2026-05"
CALLS = 50
LEGAL = {(src, step.target) for step in STEPS.values() for src in step.sources}


def _document(base: str, token: str) -> int:
    boundary = uuid.uuid4().hex
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; "
            f"filename=\"bao-cao.pdf\"\r\nContent-Type: application/pdf\r\n\r\n").encode()
    body += PDF + f"\r\n--{boundary}--\r\n".encode()
    answer = call(base, "POST", f"/api/documents?regime={REGIME}&orgUnit=01&period={PERIOD}",
                  token=token, body=body,
                  headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
    assert answer.status == 200, answer.body
    return int(answer.json()["document"])


def _draft(base: str, token: str) -> tuple[int, dict[str, Decimal]]:
    regime = Regime.objects.get(code=REGIME)
    indicators = list(regime.indicators.filter(formula="").select_related("unit").order_by("code"))
    rows = demo_values.values_for(indicators, "01", 1.0, periods.parse_sdmx(PERIOD))
    values = [{"indicator": r.indicator, "value": str(r.value)} for r in rows]
    answer = call(base, "POST", "/api/dataValueSets", token=token, body=json.dumps(
        {"regime": REGIME, "orgUnit": "01", "period": PERIOD, "dataValues": values}).encode())
    assert answer.status == 200, answer.body
    _document(base, token)
    return answer.json()["submission"]["id"], {str(r.indicator): Decimal(str(r.value)) for r in rows}


def test_fifty_workflow_calls_at_once_leave_one_legal_chain(live_node: LiveNode) -> None:
    base = live_node.base
    system, approver = live_node.tokens["hn.system"], live_node.tokens["hn.approver"]
    sid, sent = _draft(base, system)
    plan = (["submit"] * 16 + ["approve"] * 14 + ["return"] * 10 + ["revise"] * 10)
    random.Random(7).shuffle(plan)
    assert len(plan) == CALLS
    who = {"submit": system, "revise": system, "approve": approver, "return": approver}
    before = live_node.query("SELECT count(*) FROM collection_transition WHERE submission_id = %s",
                             (sid,))[0][0]
    start = threading.Barrier(CALLS)

    def one(action: str) -> tuple[str, int, dict]:  # type: ignore[type-arg]
        start.wait()
        answer = call(base, "POST", f"/api/submissions/{sid}/{action}", token=who[action],
                      body=json.dumps({"comment": f"{action}: kiểm tra đồng thời"}).encode(),
                      timeout=120)
        return action, answer.status, answer.json()

    with ThreadPoolExecutor(max_workers=CALLS) as pool:
        answers = list(pool.map(one, plan))

    statuses = sorted({status for _a, status, _b in answers})
    assert set(statuses) <= {200, 409, 422}, [a for a in answers if a[1] not in (200, 409, 422)]
    done = [(action, body) for action, status, body in answers if status == 200]
    refused = [body for _action, status, body in answers if status != 200]
    assert done, answers
    assert all(body["message_en"] and body["message_vi"] for body in refused)

    chain = live_node.query("SELECT from_state, to_state, version FROM collection_transition "
                            "WHERE submission_id = %s ORDER BY id", (sid,))
    assert chain[0][:2] == ("", "draft")
    for (_f, previous, _v), (source, target, _w) in itertools.pairwise(chain):
        assert source == previous and (source, target) in LEGAL, chain
    assert len(chain) - before == len(done)  # no lost and no extra transitions
    state, version = live_node.query("SELECT state, version FROM collection_submission "
                                     "WHERE id = %s", (sid,))[0]
    assert state == chain[-1][1] and version == chain[-1][2]
    assert version == 1 + sum(1 for action, _b in done if action == "revise")

    events = live_node.query("SELECT summary FROM audit_event WHERE event_type = %s AND "
                             "object_type = 'collection.submission' AND object_id = %s ORDER BY id",
                             ("collection.transition", str(sid)))
    assert [e[0].rsplit(": ", 1)[1] for e in events] == [f"{s} → {t}" for s, t, _v in chain[1:]]

    approvals = sum(1 for action, _b in done if action == "approve")
    if approvals:  # the approved figures are there, once, however often approved
        for code in ("RETAIL_SALES", "EXPORT_TOTAL"):
            rows = call(base, "GET", f"/api/analytics?indicator={code}&orgUnit=01&start={PERIOD}"
                        f"&end={PERIOD}", token=system).json()["rows"]
            assert [Decimal(r["value"]) for r in rows] == [sent[code]], rows
    assert_chain_intact(live_node.nrs("audit", "verify", check=False))
    print(f"{len(done)} of {CALLS} calls succeeded ({approvals} approvals), "
          f"{len(refused)} refused with {statuses}; final state {state}, version {version}")
