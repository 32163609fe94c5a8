"""A bulk import over real HTTP reaches the dashboards through the background
worker: `nrs serve` with its `nrs run_huey` child, on the shared live node's
database. The request returns once the values are stored; the queued refresh
is applied by the worker within seconds, and /api/analytics says until then
that an import is pending."""

from __future__ import annotations

import json
import time
from decimal import Decimal

import pytest

from tests.live import LiveNode, call
from tests.test_bulk_api import communes, line

pytestmark = pytest.mark.django_db


def _analytics(base: str, token: str, indicator: str, unit: str, period: str) -> dict:  # type: ignore[type-arg]
    answer = call(base, "GET", f"/api/analytics?indicator={indicator}&orgUnit={unit}&start={period}&end={period}",
                  token=token)
    assert answer.status == 200, answer.body
    return answer.json()  # type: ignore[no-any-return]


def test_the_worker_brings_a_bulk_import_into_the_figures(live_node: LiveNode) -> None:
    live_node.user("hn.bulk", "system", "01")
    live_node.nrs("createuser", "hn.bulk", "--role", "approver", "--unit", "01")
    token = live_node.token("hn.bulk", "01", "write")
    base = live_node.start(workers=1, worker=True)
    try:
        _bulk_and_wait(live_node, base, token)
    finally:  # its worker must not take other live tests' tasks
        live_node.kill(base)


def _bulk_and_wait(live_node: LiveNode, base: str, token: str) -> None:
    units = communes("01", "2025-07", 3)
    lines = [line(unit, "2025-07") for unit in units]
    sent = {json.loads(text)["orgUnit"]: json.loads(text)["dataValues"][0] for text in lines}
    answer = call(base, "POST", "/api/dataValueSets/bulk", token=token, body="\n".join(lines).encode(),
                  headers={"Content-Type": "application/x-ndjson"})
    assert answer.status == 200, answer.body
    assert answer.json()["aggregates"] == "queued"
    posted = time.monotonic()
    unit, value = units[0].code, sent[units[0].code]
    while True:
        found = _analytics(base, token, value["indicator"], unit, "2025-07")
        if found["meta"]["pendingImports"] == 0 and found["rows"] and found["rows"][0]["value"] is not None:
            break
        assert time.monotonic() - posted < 90, found["meta"]
        time.sleep(0.25)
    assert Decimal(str(found["rows"][0]["value"])) == Decimal(str(value["value"]))
    # The province's figure counts the three communes.
    province = _analytics(base, token, value["indicator"], "01", "2025-07")
    assert province["rows"][0]["reportedValues"] >= 3
    rows = live_node.query("SELECT count(*), count(done_at) FROM analytics_pendingrefresh")
    assert rows[0][0] >= 1 and rows[0][0] == rows[0][1]
