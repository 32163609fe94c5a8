"""The coordinator's compliance page, its CSV export and the compliance API."""

from __future__ import annotations

import csv
import io

import pytest
from django.test import Client

from nrs.lib import csvsafe
from tests.test_collection_api import api, attach, form_values, post, value_set

pytestmark = pytest.mark.django_db
PAGE = "/report/compliance/?regime=PROV_KTXH_M&period=2026-10"


def signed_in(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


def test_coordinator_sees_every_province(coordinator, hanoi_reporter) -> None:  # type: ignore[no-untyped-def]
    reporter = api(hanoi_reporter)
    sid = post(reporter, value_set(form_values())).json()["submission"]["id"]
    attach(reporter)
    reporter.post(f"/api/submissions/{sid}/submit", {}, content_type="application/json")
    page = signed_in(coordinator).get(PAGE).content.decode()
    assert page.count('data-status="') == 34
    assert 'data-code="01" data-status="late"' in page  # the deadline was 20/10/2026
    assert 'data-count="missing">33<' in page
    exported = signed_in(coordinator).get(PAGE + "&format=csv")
    rows = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))  # issue 20: a BOM for Excel
    assert rows[0][:3] == ["org_unit", "name", "status"] and len(rows) == 35


def test_reporters_do_not_see_compliance(hanoi_reporter) -> None:  # type: ignore[no-untyped-def]
    assert signed_in(hanoi_reporter).get(PAGE).status_code == 403
    response = api(hanoi_reporter).get("/api/compliance?regime=PROV_KTXH_M&period=2026-10")
    assert response.status_code == 403


def test_compliance_api_in_scope(leader, make_user) -> None:  # type: ignore[no-untyped-def]
    national = api(leader, "CP", "read").get("/api/compliance?regime=PROV_KTXH_M&period=202610")
    assert national.status_code == 200
    body = national.json()
    assert len(body["units"]) == 34 and body["summary"]["missing"] == 34
    assert body["coverage"]["total"] >= 190
    hanoi_leader = make_user("hanoi.leader", "leader", "01")
    local = api(hanoi_leader).get("/api/compliance?regime=PROV_KTXH_M&period=2026-10").json()
    assert [u["orgUnit"] for u in local["units"]] == ["01"]


def test_csv_cells_cannot_run_formulas() -> None:
    assert csvsafe.cell("=HYPERLINK(\"x\")") == "'=HYPERLINK(\"x\")"
    assert csvsafe.cell("@SUM(A1)") == "'@SUM(A1)"
    assert csvsafe.cell("-12.5") == "-12.5"
    assert csvsafe.cell("Hà Nội") == "Hà Nội"
    assert csvsafe.cell(None) == ""
