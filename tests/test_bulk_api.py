"""POST /api/dataValueSets/bulk: many whole reports, all or nothing, refreshed incrementally."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client

from nrs.accounts import actions as account_actions
from nrs.accounts import tokens
from nrs.analytics import pending, refresh
from nrs.analytics.models import Cell, PendingRefresh
from nrs.audit.models import Event
from nrs.collection.models import DataValue, State, Submission
from nrs.lib import periods
from nrs.registry.models import Regime
from nrs.web import demo_values
from tests.conftest import current

pytestmark = pytest.mark.django_db
REGIME = "XA_KTXH_M"


@pytest.fixture
def system(make_user):  # type: ignore[no-untyped-def]
    user = make_user("bulk.sys", "system", "01")
    account_actions.grant_role(user, "approver", current("01"))
    _token, secret = tokens.issue_token(user, current("01"), name="bulk", scope="write")
    return Client(HTTP_AUTHORIZATION=f"Bearer {secret}")


def communes(province: str, on: str, count: int) -> list[Any]:
    """``count`` communes of ``province`` in force on ``on`` (any depth below it)."""
    from nrs.registry.models import OrgUnit

    root = OrgUnit.objects.filter(code=province).valid_on(periods.parse(on).end).get()
    return list(OrgUnit.objects.subtree(root).filter(level="commune").valid_on(periods.parse(on).end)
                .order_by("code")[:count])


def line(unit: Any, period: str, status: str = "approved", **override: str) -> str:
    regime = Regime.objects.get(code=REGIME)
    indicators = list(regime.indicators.filter(formula="").select_related("unit").order_by("code"))
    rows = demo_values.values_for(indicators, unit.code, 0.02, periods.parse(period))
    values = [{"indicator": r.indicator, "value": override.get(str(r.indicator), r.value)} for r in rows]
    return json.dumps({"regime": REGIME, "orgUnit": unit.code, "period": period, "backfill": True,
                       "status": status, "dataValues": values})


def post(client: Client, body: str, key: str = "") -> Any:
    extra = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    return client.post("/api/dataValueSets/bulk", body, content_type="application/x-ndjson", **extra)


def stored_cells() -> dict[tuple[str, int, str], Any]:
    return {(c.indicator.code, c.org_unit_id, c.period): c.value
            for c in Cell.objects.filter(basis="A").select_related("indicator")}


def test_bulk_stores_once_and_refreshes_incrementally(system, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    # Two old communes (before the 2025 reorganisation) over a whole year, and
    # three current ones; one report left awaiting approval.
    old, new = communes("01", "2024-06", 2), communes("01", "2025-09", 3)
    lines = [line(u, f"2024-{m:02d}") for u in old for m in range(1, 13)]
    lines += [line(u, p) for u in new for p in ("2025-08", "2025-09")]
    lines.append(line(new[0], "2025-10", status="submitted"))
    body = "\n".join(lines) + "\n"
    first = post(system, body, key="bulk-1")
    assert first.status_code == 200, first.content
    assert first.json()["reports"] == len(lines) and first.json()["values"] == 14 * len(lines)
    again = post(system, body, key="bulk-1")
    assert again.json()["replayed"] is True
    assert DataValue.objects.count() == 14 * len(lines)
    assert Submission.objects.filter(state=State.SUBMITTED).count() == 1
    # The aggregates are owed, once (the replay queued nothing), and say so.
    assert PendingRefresh.objects.filter(done_at=None).count() == 1 and first.json()["aggregates"] == "queued"
    assert not Cell.objects.filter(basis="A").exists()
    meta = system.get("/api/analytics?indicator=BIRTHS_REGISTERED&orgUnit=01&start=2025-09&end=2025-09").json()
    assert meta["meta"]["pendingImports"] == 1
    # The worker applies it, a few provinces per transaction (one here: chunks of 2 units).
    monkeypatch.setattr(pending, "CHUNK_UNITS", 2)
    assert pending.apply_all() == 1 and pending.open_count() == 0
    # The incremental refresh left exactly what a full recomputation gives.
    stored = stored_cells()
    assert stored == {key: c.value for key, c in refresh.compute().items()}
    hanoi = current("01").pk
    assert ("BIRTHS_REGISTERED", hanoi, "2025-09") in stored
    assert ("BIRTHS_REGISTERED", old[0].pk, "2024") in stored  # the year, from its 12 months
    assert Event.objects.filter(summary__startswith="bulk import").exists()
    # The report awaiting approval got its preview.
    assert Cell.objects.filter(basis="P", period="2025-10", org_unit=new[0]).exists()
    # A job applied again (a worker that died before marking it done) changes nothing.
    PendingRefresh.objects.update(done_at=None)
    out = io.StringIO()
    call_command("aggregates", "--pending", stdout=out)  # what an operator runs by hand
    assert "applied: 1, still open: 0" in out.getvalue() and stored_cells() == stored


def test_one_bad_value_stores_nothing_and_names_the_line(system) -> None:  # type: ignore[no-untyped-def]
    units = communes("01", "2025-09", 3)
    lines = [line(u, "2025-09") for u in units[:2]]
    lines.append(line(units[2], "2025-09", BIRTHS_REGISTERED="mười"))
    response = post(system, "\n".join(lines))
    assert response.status_code == 422
    issue = response.json()["issues"][0]
    assert issue["ref"].startswith("line 3: ") and issue["message_vi"] and issue["message_en"]
    assert DataValue.objects.count() == 0 and Submission.objects.count() == 0


@pytest.mark.parametrize(("body", "ref"), [
    ("", "body"),
    ('{"regime": "XA_KTXH_M"}\n{not json', "line 1: body.orgUnit"),
    ("\n\n{not json}", "line 3: body"),
])
def test_malformed_bodies_name_the_line(system, body: str, ref: str) -> None:  # type: ignore[no-untyped-def]
    response = post(system, body)
    assert response.status_code == 400
    assert response.json()["ref"] == ref


def test_unknown_codes_and_foreign_units(system) -> None:  # type: ignore[no-untyped-def]
    unit = communes("01", "2025-09", 1)[0]
    unknown = line(unit, "2025-09").replace(REGIME, "NO_SUCH_REGIME")
    answer = post(system, line(unit, "2025-09") + "\n" + unknown)
    assert answer.status_code == 422 and answer.json()["issues"][0]["ref"] == "line 2: regime"
    foreign = communes("31", "2025-09", 1)[0]  # Hải Phòng: outside the token's Hà Nội
    assert post(system, line(unit, "2025-09") + "\n" + line(foreign, "2025-09")).status_code == 403
    assert DataValue.objects.count() == 0


def test_a_failing_queued_refresh_keeps_its_error_and_does_not_hold_up_the_others(system) -> None:  # type: ignore[no-untyped-def]
    # A job that cannot be applied (here: a period no refresh can parse), queued first.
    units = communes("01", "2025-09", 2)
    broken = PendingRefresh.objects.create(reason="broken",
                                           touched={"2025-13": [["BIRTHS_REGISTERED"], [units[0].pk]]})
    assert post(system, "\n".join(line(u, "2025-09") for u in units)).status_code == 200
    assert pending.apply_all() == 1  # the import's job; the broken one failed
    broken.refresh_from_db()
    assert broken.done_at is None and broken.attempts == 1 and broken.error
    assert pending.open_count() == 1
    assert Cell.objects.filter(basis="A", period="2025-09", org_unit=units[0]).exists()
    assert pending.apply_all() == 0  # tried again by the next sweep, failing again
    broken.refresh_from_db()
    assert broken.attempts == 2
