"""Formula injection: hostile text put into the data through the real actions (an org unit's
name, a value comment, a document's file name, a user's full name) comes out of every CSV and
XLSX export inert: no CSV cell and no XLSX text cell starts with = + - @ tab or CR unless it is
a plain number, and no XLSX cell is a formula. Numbers stay numbers."""

from __future__ import annotations

import csv
import io
import re
from typing import Any

import pytest
from django.test import Client
from openpyxl import load_workbook

from nrs.accounts import actions as account_actions
from nrs.accounts import tokens
from nrs.registry import actions as registry_actions
from tests.conftest import current
from tests.test_collection_api import PDF, form_values

pytestmark = pytest.mark.django_db

REGIME, PERIOD = "PROV_KTXH_M", "2026-09"
LINK = '=HYPERLINK("http://x","y")'
AT_SUM = "@SUM(A1)"
TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


def _csv_cells(content: bytes) -> list[str]:
    return [cell for row in csv.reader(io.StringIO(content.decode("utf-8-sig"))) for cell in row]


def _assert_inert_csv(content: bytes) -> list[str]:
    cells = _csv_cells(content)
    bad = [c for c in cells if c.startswith(TRIGGERS) and not NUMBER.fullmatch(c)]
    assert bad == [], bad
    return cells


def _assert_inert_xlsx(content: bytes) -> list[Any]:
    book = load_workbook(io.BytesIO(content))
    values: list[Any] = []
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str):
                    assert not cell.value.startswith(TRIGGERS), (sheet.title, cell.coordinate, cell.value)
                values.append(cell.value)
    return values


@pytest.fixture
def hostile(make_user, coordinator) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """Hà Nội renamed to a formula by a steward; a reporter named like a formula reports with
    formula comments and a formula-named document; the report is submitted and approved."""
    unit = current("01")
    unit.name_vi = LINK
    registry_actions.save_metadata(unit, actor=coordinator, changed=["name_vi"])
    reporter = make_user("hn.reporter", "reporter", "01")
    reporter.full_name = AT_SUM
    reporter.save(update_fields=["full_name"])  # the name a person gave themselves
    approver = make_user("hn.approver", "approver", "01")
    _t, secret = tokens.issue_token(make_user("hn.system", "system", "01"), unit, name="t", scope="write")
    api = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")
    values = [{**v, "comment": LINK if n % 2 else AT_SUM} for n, v in enumerate(form_values())]
    answer = api.post("/api/dataValueSets", {"regime": REGIME, "orgUnit": "01", "period": PERIOD,
                                              "dataValues": values}, content_type="application/json")
    assert answer.status_code == 200, answer.json()
    submission = answer.json()["submission"]["id"]
    from django.core.files.uploadedfile import SimpleUploadedFile

    attached = api.post(f"/api/documents?regime={REGIME}&orgUnit=01&period={PERIOD}",
                        {"file": SimpleUploadedFile(f"{AT_SUM}.pdf", PDF, "application/pdf")})
    assert attached.status_code == 200, attached.json()
    assert api.post(f"/api/submissions/{submission}/submit", {}, content_type="application/json").status_code == 200
    _t, approve_secret = tokens.issue_token(approver, unit, name="a", scope="write")
    approved = Client(HTTP_AUTHORIZATION=f"Bearer {approve_secret}").post(
        f"/api/submissions/{submission}/approve", {}, content_type="application/json")
    assert approved.status_code == 200, approved.json()
    account_actions.create_user("formula.user", None, full_name=LINK, check_password=False)
    return {"reporter": reporter}


def test_every_csv_export_is_inert(hostile: dict[str, Any], leader, coordinator, auditor) -> None:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(coordinator)
    compliance = client.get(f"/report/compliance/?regime={REGIME}&period={PERIOD}&format=csv")
    assert compliance.status_code == 200
    cells = _assert_inert_csv(compliance.content)
    assert "'" + LINK in cells  # the hostile unit name is there, guarded

    client.force_login(leader)
    for url in (f"/api/analytics?indicator=EXPORT_TOTAL,CPI_MOM&orgUnit=01&start={PERIOD}&end={PERIOD}"
                "&compare=yoy,prev&format=csv&basis=preview",
                "/dashboard/indicator/EXPORT_TOTAL/download.csv?unit=01&basis=preview"):
        answer = client.get(url)
        assert answer.status_code == 200, (url, answer.content[:300])
        cells = _assert_inert_csv(b"".join(answer) if answer.streaming else answer.content)
        assert "'" + LINK in cells, url
        assert any(NUMBER.fullmatch(c) for c in cells), url  # figures still plain numbers

    client.force_login(auditor)
    audit = client.get("/audit/export.csv")
    if audit.status_code == 200:  # the audit log export (docs/audit.md), where it is mounted
        content = b"".join(audit.streaming_content) if audit.streaming else audit.content  # type: ignore[attr-defined]
        cells = _assert_inert_csv(content)
        assert any(LINK in c or AT_SUM in c for c in cells)


def test_every_xlsx_export_is_inert_with_numbers_kept(hostile: dict[str, Any], leader, make_user) -> None:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(leader)
    answer = client.get("/dashboard/indicator/EXPORT_TOTAL/download.xlsx?unit=01&basis=preview")
    assert answer.status_code == 200
    values = _assert_inert_xlsx(answer.content)
    assert "'" + LINK in values
    assert "01" in values and 100 in values  # codes stay text, numbers stay numbers

    reporter = make_user("hn.template", "reporter", "01")
    client.force_login(reporter)
    template = client.get(f"/report/{REGIME}/01/{PERIOD}/template.xlsx")
    assert template.status_code == 200
    values = _assert_inert_xlsx(template.content)
    assert any(isinstance(v, str) and LINK in v for v in values)  # the unit's name, guarded
    assert any(isinstance(v, int | float) and not isinstance(v, bool) and v == 100 for v in values)


def test_negative_numbers_stay_numbers_and_formulas_are_quoted() -> None:
    from nrs.lib import csvsafe

    assert [csvsafe.cell(v) for v in ("-12.5", "+3e4", -7, "0.5")] == ["-12.5", "+3e4", "-7", "0.5"]
    for hostile in (LINK, AT_SUM, "-1+cmd", "+A1", "\t=1", "\r=1", "-inf", "-nan", "-1_000"):
        assert csvsafe.cell(hostile) == "'" + hostile
