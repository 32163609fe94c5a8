"""A statistics office's work, through the API: quarterly GDP growth 2020–2025 as it was
released and revised, backfilled with the real release dates, then asked "as known on"
dates between the releases.

The figures and dates are the published ones in nrs/web/data/national_series.csv (see
NATIONAL_SERIES.md for their sources). The expected answers below are written out by hand
from those releases, not computed by NRS.
"""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from nrs.accounts import actions as account_actions
from nrs.accounts import tokens
from nrs.collection import compliance
from nrs.collection.models import Submission
from nrs.registry.models import Regime
from tests.conftest import current

SERIES = Path(__file__).resolve().parent.parent / "nrs" / "web" / "data" / "national_series.csv"
REGIME = "CTK_TK_Q"


def releases() -> dict[str, list[dict[str, str]]]:
    """GDP_GROWTH quarterly releases by period, in release order."""
    found: dict[str, list[dict[str, str]]] = defaultdict(list)
    with SERIES.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            if row["indicator"] == "GDP_GROWTH" and "-Q" in row["period"]:
                found[row["period"]].append(row)
    return {p: sorted(rows, key=lambda r: r["release_date"]) for p, rows in sorted(found.items())}


@pytest.fixture(autouse=True)
def many_writes(settings) -> None:  # type: ignore[no-untyped-def]
    """Six years of releases are a few hundred calls: above a token's hourly write limit."""
    settings.NRS_API_WRITE_RATE = "10000/h"


@pytest.fixture
def statistics_office(make_user) -> Client:  # type: ignore[no-untyped-def]
    """The statistics office's system account: it sends, submits and approves its own
    releases, and may record their real release dates."""
    user = make_user("ctk.hethong")
    for role in ("system", "approver", "backfill"):
        account_actions.grant_role(user, role, current("CTK"))
    _token, secret = tokens.issue_token(user, current("CTK"), name="ctk", scope="write")
    return Client(HTTP_AUTHORIZATION=f"Bearer {secret}")


def _post(client: Client, path: str, body: dict[str, Any]) -> Any:
    response = client.post(path, json.dumps(body), content_type="application/json")
    assert response.status_code == 200, (path, response.status_code, response.content[:400])
    return response.json()


def _release(client: Client, period: str, release: dict[str, str], sid: int | None) -> int:
    """One release: the first report of a period, or a reasoned revision of it."""
    if sid is not None:
        _post(client, f"/api/submissions/{sid}/revise", {"comment": f"Điều chỉnh: {release['note']}"})
    saved = _post(client, "/api/dataValueSets", {
        "regime": REGIME, "orgUnit": "CTK", "period": period, "backfill": True,
        "dataValues": [{"indicator": "GDP_GROWTH", "value": release["value"], "comment": release["note"][:200]}]})
    sid = saved["submission"]["id"]
    _post(client, f"/api/submissions/{sid}/submit", {})
    approved = _post(client, f"/api/submissions/{sid}/approve", {"releasedAt": release["release_date"]})
    assert approved["state"] == "approved"
    return sid


def _known(client: Client, period: str, day: str) -> list[str]:
    rows = client.get("/api/dataValues", {"indicator": "GDP_GROWTH", "period": period, "knownOn": day})
    assert rows.status_code == 200, rows.content
    return [r["value"] for r in rows.json()["dataValues"]]


@pytest.mark.django_db
def test_quarterly_gdp_backfilled_with_release_dates_answers_as_known_on(statistics_office, leader) -> None:  # type: ignore[no-untyped-def]
    every = releases()
    assert len(every) == 24  # 2020-Q1 … 2025-Q4
    assert sum(len(r) > 1 for r in every.values()) >= 3  # at least three periods were revised
    sids = {}
    for period, rows in every.items():
        sid = None
        for release in rows:
            sid = _release(statistics_office, period, release, sid)
        sids[period] = sid
    # Before 2025-03 the series was the General Statistics Office's (TCTK, under the Ministry
    # of Planning and Investment); since, the Statistics Office's (CTK, under Finance).
    assert Submission.objects.get(pk=sids["2022-Q2"]).org_unit.code == "TCTK"
    assert Submission.objects.get(pk=sids["2025-Q2"]).org_unit.code == "CTK"
    # 2022-Q2: 7.72 (29/06/2022), 7.83 (29/12/2022), 7.99 (29/06/2024), 8.56 (05/07/2025).
    client = statistics_office
    assert _known(client, "2022-Q2", "2022-06-28") == []
    assert _known(client, "2022-Q2", "2022-06-29") == ["7.72"]  # a bare date includes that day
    assert _known(client, "2022-Q2", "2022-12-28") == ["7.72"]
    assert _known(client, "2022-Q2", "2023-06-30") == ["7.83"]
    assert _known(client, "2022-Q2", "2025-07-04") == ["7.99"]
    assert _known(client, "2022-Q2", "2025-07-05") == ["8.56"]
    # 2020-Q1: 3.82 (27/03/2020), 3.68 (27/12/2020), 3.21 (06/04/2025).
    assert _known(client, "2020-Q1", "2020-06-30") == ["3.82"]
    assert _known(client, "2020-Q1", "2024-12-31") == ["3.68"]
    assert _known(client, "2020-Q1", "2026-01-01") == ["3.21"]
    # 2025-Q3: 8.23 (06/10/2025), then 8.25 (05/01/2026).
    assert _known(client, "2025-Q3", "2025-12-31") == ["8.23"]
    assert client.get("/api/dataValues", {"indicator": "GDP_GROWTH", "period": "2025-Q3"}
                      ).json()["dataValues"][0]["value"] == "8.25"
    # The statistics office's figure is the national figure (CP), then and now.
    _token, secret = tokens.issue_token(leader, current("CP"), name="leader", scope="read")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert _national(client, "2022-Q2", "2022-12-28") == Decimal("7.72")
    assert _national(client, "2022-Q2", "2024-07-01") == Decimal("7.99")
    assert _national(client, "2022-Q2", "") == Decimal("8.56")
    assert _national(client, "2025-Q3", "2025-12-31") == Decimal("8.23")


def _national(client: Client, period: str, known: str) -> Decimal | None:
    answer = client.get("/api/analytics", {"indicator": "GDP_GROWTH", "orgUnit": "CP", "kind": "Q",
                                           "start": period, "end": period, "knownOn": known})
    assert answer.status_code == 200, answer.content[:300]
    rows = answer.json()["rows"]
    return Decimal(str(rows[0]["value"])) if rows and rows[0]["value"] is not None else None


@pytest.mark.django_db
def test_history_lists_every_release_with_its_date_reason_and_who(statistics_office) -> None:  # type: ignore[no-untyped-def]
    rows = releases()["2021-Q1"]  # 4.48 → 4.65 → 4.72 → 4.85
    sid = None
    for release in rows:
        sid = _release(statistics_office, "2021-Q1", release, sid)
    found = statistics_office.get("/api/dataValues", {"indicator": "GDP_GROWTH", "period": "2021-Q1",
                                                      "history": "true"}).json()["dataValues"]
    assert [(r["value"], r["releasedAt"][:10], r["version"]) for r in found] == [
        ("4.48", "2021-03-29", 1), ("4.65", "2021-06-29", 2), ("4.72", "2021-12-29", 3),
        ("4.85", "2025-04-06", 4)]
    assert found[0]["reason"] == "" and found[1]["reason"].startswith("Điều chỉnh")
    assert {r["approvedBy"] for r in found} == {"ctk.hethong"}
    # A backfill is never counted late, though it was sent years after the deadline.
    statuses = {s.org_unit_code: s.status for s in compliance.matrix(Regime.objects.get(code=REGIME), "2021-Q1")}
    assert statuses == {"TCTK": compliance.BACKFILL}


@pytest.mark.django_db
@pytest.mark.parametrize(("released", "words"), [
    ("2031-01-01", "future"), ("2021-02-01", "cut-off"), ("29/03/2021", "date"),
])
def test_bad_release_dates_are_refused(statistics_office, released: str, words: str) -> None:  # type: ignore[no-untyped-def]
    saved = _post(statistics_office, "/api/dataValueSets", {
        "regime": REGIME, "orgUnit": "CTK", "period": "2021-Q1", "backfill": True,
        "dataValues": [{"indicator": "GDP_GROWTH", "value": "4.48"}]})
    sid = saved["submission"]["id"]
    _post(statistics_office, f"/api/submissions/{sid}/submit", {})
    refused = statistics_office.post(f"/api/submissions/{sid}/approve", {"releasedAt": released},
                                     content_type="application/json")
    assert refused.status_code in (409, 422), refused.content
    assert words in refused.json()["message_en"]
    assert Submission.objects.get(pk=sid).state == "submitted"


@pytest.mark.django_db
def test_a_release_date_needs_the_backfill_permission(make_user) -> None:  # type: ignore[no-untyped-def]
    user = make_user("ctk.only")
    for role in ("system", "approver"):
        account_actions.grant_role(user, role, current("CTK"))
    _token, secret = tokens.issue_token(user, current("CTK"), name="ctk", scope="write")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")
    sid = _post(client, "/api/dataValueSets", {
        "regime": REGIME, "orgUnit": "CTK", "period": "2025-Q1", "backfill": True,
        "dataValues": [{"indicator": "GDP_GROWTH", "value": "6.93"}]})["submission"]["id"]
    _post(client, f"/api/submissions/{sid}/submit", {})
    refused = client.post(f"/api/submissions/{sid}/approve", {"releasedAt": "2025-04-06"},
                          content_type="application/json")
    assert refused.status_code == 403
    assert Submission.objects.get(pk=sid).state == "submitted"
