"""The same Idempotency-Key sent 10 times at once, over real HTTP, to a real
server with two worker processes (the shared live node, tests/live.py), is
stored exactly once."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

from tests.live import LiveNode, call


def _call(base: str, secret: str, method: str, path: str, body: bytes | None = None,
          key: str = "") -> tuple[int, dict]:  # type: ignore[type-arg]
    answer = call(base, method, path, token=secret, body=body,
                  headers={"Idempotency-Key": key} if key else None, timeout=60)
    return answer.status, answer.json()


def test_same_key_ten_times_at_once_is_stored_once(live_node: LiveNode) -> None:
    base, secret = live_node.base, live_node.tokens["hn.system"]
    values = [{"indicator": code, "value": str(100 + n)}
              for n, code in enumerate(["EXPORT_TOTAL", "IMPORT_TOTAL", "RETAIL_SALES",
                                        "BUDGET_REVENUE", "ENT_NEW"])]
    body = json.dumps({"regime": "PROV_KTXH_M", "orgUnit": "01", "period": "2026-10",
                       "dataValues": values}).encode()
    with ThreadPoolExecutor(max_workers=10) as pool:
        answers = list(pool.map(lambda _: _call(base, secret, "POST", "/api/dataValueSets", body,
                                                key="batch-2026-10-01"), range(10)))
    assert [status for status, _ in answers] == [200] * 10, answers
    assert sorted(bool(a.get("replayed")) for _, a in answers) == [False] + [True] * 9
    assert {a["saved"] for _, a in answers} == {5}
    status, stored = _call(base, secret, "GET", "/api/dataValues?approved=false&orgUnit=01&period=2026-10")
    assert status == 200
    # The shared live node holds other tests' reports for unit 01: count this period's only.
    assert sorted(v["indicator"] for v in stored["dataValues"]) == sorted(v["indicator"] for v in values)
