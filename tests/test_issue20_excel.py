"""Issue 20, part 8: the Excel upload tells errors (nothing stored) from warnings (stored,
to check), names places as a person reads them (never "_meta!org_unit"), and the template
offers the flags by their Vietnamese names while uploads still take the codes."""

from __future__ import annotations

import html
import io
import re
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from openpyxl import load_workbook

from nrs.accounts import actions as account_actions
from nrs.collection import bulk, excel
from nrs.collection.excel import COL_FLAG, COL_VALUE, ExcelError
from nrs.collection.models import DataValue, State
from nrs.collection.validation import Row
from nrs.lib import periods
from nrs.registry.models import Regime
from tests.conftest import current

pytestmark = pytest.mark.django_db
URL = "/report/PROV_KTXH_M/01/2026-10/"
PERIOD = periods.Period.month(2026, 10)
SPECIAL = {"EXPORT_FDI": 50, "DOSSIER_ONLINE": 50, "DOSSIER_RESOLVED_ONTIME": 50, "IIP_GROWTH": 2.5}


def regime() -> Regime:
    return Regime.objects.get(code="PROV_KTXH_M")


def book(unit: str = "01", language: str = "vi") -> Any:
    return load_workbook(io.BytesIO(excel.build_template(regime(), current(unit), PERIOD, language=language)))


def rows_of(ws: Any) -> dict[str, int]:
    return {ws[f"B{r}"].value: r for r in range(excel.FIRST_ROW, ws.max_row + 1) if ws[f"B{r}"].value}


def save(wb: Any) -> bytes:
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def filled(unit: str = "01", values: dict[str, Any] | None = None, flags: dict[str, str] | None = None) -> bytes:
    wb = book(unit)
    ws = wb[excel.SHEET]
    for code, row in rows_of(ws).items():
        ws[f"{COL_VALUE}{row}"] = (values or {}).get(code, SPECIAL.get(code, 100))
        if code in (flags or {}):
            ws[f"{COL_FLAG}{row}"] = (flags or {})[code]
    return save(wb)


def upload(client: Client, data: bytes) -> str:
    response = client.post(URL, {"action": "excel", "workbook": SimpleUploadedFile("bao-cao.xlsx", data)},
                           HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    return html.unescape(response.content.decode())


def section(page: str, name: str) -> str:
    found = re.search(rf'id="{name}">(.*?)</div>', page, re.DOTALL)
    return found.group(1) if found else ""


@pytest.fixture
def reporter(hanoi_reporter) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(hanoi_reporter)
    return client


def test_a_template_of_another_unit_is_named_at_its_visible_cell_not_meta(reporter) -> None:  # type: ignore[no-untyped-def]
    data = filled("79")
    with pytest.raises(ExcelError) as refused:
        excel.parse_upload(data).check_target("PROV_KTXH_M", "01", "2026-10")
    assert refused.value.ref == "BaoCao!A2" and "_meta" not in str(refused.value)
    page = upload(reporter, data)
    assert "_meta" not in page and "org_unit" not in page
    errors = section(page, "upload-errors")
    assert "Ô A2 của trang BaoCao" in errors and "đơn vị báo cáo '79'" in errors
    assert DataValue.objects.count() == 0
    reporter.cookies["django_language"] = "en"
    english = section(upload(reporter, data), "upload-errors")
    assert "Cell A2 of the BaoCao sheet" in english and "reporting unit '79'" in english


def test_a_template_with_its_identity_removed_never_names_the_hidden_sheet() -> None:
    wb = book()
    meta = wb[excel.META_SHEET]
    for row in meta.iter_rows():
        if row[0].value == "org_unit":
            row[1].value = None
    with pytest.raises(ExcelError) as refused:
        excel.parse_upload(save(wb))
    assert "_meta" not in refused.value.ref and "org_unit" not in str(refused.value)
    assert excel.place(refused.value.ref) == ("ô A2 của trang BaoCao", "cell A2 of the BaoCao sheet")
    del wb[excel.META_SHEET]
    with pytest.raises(ExcelError) as missing:
        excel.parse_upload(save(wb))
    assert missing.value.ref == "file" and excel.place("file") == ("tệp", "the file")


def test_the_template_lists_flags_by_their_vietnamese_names_and_uploads_take_names_or_codes() -> None:
    flag_dv = next(dv for dv in book()[excel.SHEET].data_validations.dataValidation if dv.type == "list")
    assert flag_dv.formula1 == '"Ước tính,Sơ bộ,Điều chỉnh,Mật"'
    assert "Ước tính (estimate)" in flag_dv.prompt and "Ước tính (estimate)" in flag_dv.error
    english = next(dv for dv in book(language="en")[excel.SHEET].data_validations.dataValidation
                   if dv.type == "list")
    assert english.formula1 == '"estimate,provisional,revised,confidential"'
    ws_rows = rows_of(book()[excel.SHEET])
    codes = sorted(ws_rows)[:5]
    typed = dict(zip(codes, ["Ước tính", "sơ bộ ", "Revised", "confidential", "ĐIỀU CHỈNH"], strict=True))
    parsed = excel.parse_upload(filled(flags=typed))
    got = {r.indicator: r.flag for r in parsed.rows if r.indicator in typed}
    assert got == dict(zip(codes, ["estimate", "provisional", "revised", "confidential", "revised"], strict=True))
    assert excel.flag_code("không rõ") == "không rõ"  # left for validation to refuse


def test_errors_store_nothing_and_are_listed_apart_with_their_cells(reporter) -> None:  # type: ignore[no-untyped-def]
    ws_rows = rows_of(book()[excel.SHEET])
    code = sorted(ws_rows)[0]
    page = upload(reporter, filled(values={code: "nhiều lắm"}, flags={sorted(ws_rows)[1]: "không rõ"}))
    errors = section(page, "upload-errors")
    assert f"Ô E{ws_rows[code]} của trang BaoCao" in errors
    assert f"Ô F{ws_rows[sorted(ws_rows)[1]]} của trang BaoCao" in errors
    assert "không lưu" in errors or "chưa lưu" in errors or "nothing was stored" in errors
    assert 'id="upload-stored"' not in page and DataValue.objects.count() == 0
    assert "BaoCao!" not in page


def _history(code: str) -> None:
    service = account_actions.create_user("service", "test-password-2026", full_name="service")[0]
    account_actions.grant_role(service, "system", current("CP"))
    account_actions.grant_role(service, "approver", current("CP"))
    zone = ZoneInfo("Asia/Ho_Chi_Minh")
    reports = []
    for n, value in enumerate(["100", "102", "98", "101", "99", "103", "97", "100"]):
        period = periods.Period.month(2026, 9 - n)
        at = datetime.combine(period.end, datetime.min.time(), zone).replace(hour=10)
        reports.append(bulk.Report(regime=regime(), unit=current("01"), period=period, state=State.APPROVED,
                                   submitted_at=at, approved_at=at,
                                   rows=[Row(ref=code, indicator=code, org_unit="01", value=value)]))
    result = bulk.import_reports(reports, actor=service, today=date(2026, 11, 5))
    assert not result.issues, result.issues[:3]


def test_warnings_are_stored_and_listed_apart_from_errors(reporter) -> None:  # type: ignore[no-untyped-def]
    code = "EXPORT_TOTAL"
    _history(code)
    ws_rows = rows_of(book()[excel.SHEET])
    page = upload(reporter, filled(values={code: 500}))
    assert 'id="upload-errors"' not in page
    warnings = section(page, "upload-warnings")
    assert f"Ô E{ws_rows[code]} của trang BaoCao" in warnings and 'data-issue="outlier"' in warnings
    assert "đã được lưu" in warnings or "the values were stored" in warnings  # until the .po merge
    assert 'id="upload-stored"' in page
    assert DataValue.objects.get(indicator__code=code, period="2026-10").value == Decimal("500")
