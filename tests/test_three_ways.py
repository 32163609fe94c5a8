"""A Hà Nội reporter fills in the monthly report three ways — web form, Excel
round trip, API — and all three store the same values."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from openpyxl import load_workbook

from nrs.collection import context
from nrs.collection.models import Submission
from nrs.lib.numbers import plain
from tests.test_collection_api import api, attach, form_values, post, value_set

pytestmark = pytest.mark.django_db
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def stored(period: str) -> dict[str, str]:
    submission = Submission.objects.get(org_unit__code="01", period=period)
    return {key[0]: plain(row.value) for key, row in
            context.existing_rows(submission).items()}


def filled_workbook(client: Client, url: str) -> bytes:
    template = client.get(url + "template.xlsx")
    assert template.status_code == 200 and template["Content-Type"] == XLSX
    book = load_workbook(io.BytesIO(template.content))
    sheet = book["BaoCao"]
    wanted = {row["indicator"]: row["value"] for row in form_values()}
    row = 8
    while sheet[f"B{row}"].value:
        sheet[f"E{row}"] = float(wanted[str(sheet[f"B{row}"].value)])
        row += 1
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_web_excel_and_api_store_the_same_values(hanoi_reporter, make_user, coordinator,  # type: ignore[no-untyped-def]
                                                 leader) -> None:
    web = Client()
    web.force_login(hanoi_reporter)
    grid = {f"v-{row['indicator']}": row["value"] for row in form_values()}
    web.post("/report/PROV_KTXH_M/01/2026-08/", {**grid, "action": "save"})
    url = "/report/PROV_KTXH_M/01/2026-09/"
    workbook = SimpleUploadedFile("bao-cao.xlsx", filled_workbook(web, url), content_type=XLSX)
    page = web.post(url, {"action": "excel", "workbook": workbook}).content.decode()
    assert 'id="message"' in page, page[-3000:]
    assert post(api(hanoi_reporter), value_set(form_values(), period="2026-10")).status_code == 200
    assert stored("2026-08") == stored("2026-09") == stored("2026-10")
    assert len(stored("2026-10")) == len(form_values())
    # Submitted, approved; the coordinator sees it (late: the deadline was 20/10/2026) …
    reporter = api(hanoi_reporter)
    sid = Submission.objects.get(org_unit__code="01", period="2026-10").pk
    attach(reporter)
    assert reporter.post(f"/api/submissions/{sid}/submit", {}, content_type="application/json"
                         ).status_code == 200
    approver = api(make_user("hanoi.approver", "approver", "01"))
    assert approver.post(f"/api/submissions/{sid}/approve", {}, content_type="application/json"
                         ).json()["state"] == "approved"
    board = api(coordinator, "CP", "read").get("/api/compliance?regime=PROV_KTXH_M&period=2026-10")
    hanoi = next(u for u in board.json()["units"] if u["orgUnit"] == "01")
    assert hanoi["status"] in ("on_time", "late") and hanoi["approved"]
    # … and a leader sees the approved values.
    seen = api(leader, "CP", "read").get("/api/dataValues?orgUnit=01&period=2026-10").json()
    assert {r["indicator"]: r["value"] for r in seen["dataValues"]} == stored("2026-10")


def test_excel_errors_name_the_cell(hanoi_reporter) -> None:  # type: ignore[no-untyped-def]
    web = Client()
    web.force_login(hanoi_reporter)
    url = "/report/PROV_KTXH_M/01/2026-10/"
    book = load_workbook(io.BytesIO(filled_workbook(web, url)))
    book["BaoCao"]["E9"] = "mười"
    out = io.BytesIO()
    book.save(out)
    page = web.post(url, {"action": "excel", "workbook": SimpleUploadedFile(
        "x.xlsx", out.getvalue(), content_type=XLSX)}).content.decode()
    assert "Ô E9 của trang BaoCao" in page and "không phải là số" in page  # issue 20: as a person reads it
    assert not Submission.objects.exists()
    wrong = web.post(url, {"action": "excel", "workbook": SimpleUploadedFile(
        "x.xlsx", b"indicator,value\n", content_type=XLSX)}).content.decode()
    assert "xlsx" in wrong.lower()


def test_excel_through_the_api(hanoi_reporter) -> None:  # type: ignore[no-untyped-def]
    web = Client()
    web.force_login(hanoi_reporter)
    data = filled_workbook(web, "/report/PROV_KTXH_M/01/2026-10/")
    response = api(hanoi_reporter).post("/api/dataValueSets", data, content_type=XLSX)
    assert response.status_code == 200, response.json()
    assert response.json()["saved"] == len(form_values())


def test_other_province_template_is_forbidden(hanoi_reporter) -> None:  # type: ignore[no-untyped-def]
    web = Client()
    web.force_login(hanoi_reporter)
    assert web.get("/report/PROV_KTXH_M/31/2026-10/template.xlsx").status_code == 403
