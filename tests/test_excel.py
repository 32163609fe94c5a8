"""The Excel entry path: template, protection, safe parsing, cell-precise errors."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import zipfile
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook

from nrs.collection import excel
from nrs.collection.actions import check_and_save_values
from nrs.collection.excel import COL_CODE, COL_COMMENT, COL_FLAG, COL_VALUE, ExcelError, safe_text
from nrs.collection.models import DataValue
from nrs.lib import periods
from nrs.registry.models import Regime
from tests.conftest import current

pytestmark = pytest.mark.django_db
REGIME = "PROV_KTXH_M"
PERIOD = periods.Period.month(2026, 10)
SPECIAL = {"EXPORT_FDI": 50, "DOSSIER_ONLINE": 50, "DOSSIER_RESOLVED_ONTIME": 50, "IIP_GROWTH": 2.5}


def regime() -> Regime:
    return Regime.objects.get(code=REGIME)


def template(**kwargs: Any) -> bytes:
    return excel.build_template(regime(), current("01"), PERIOD, **kwargs)


def open_book(data: bytes) -> Any:
    return load_workbook(io.BytesIO(data))


def save(wb: Any) -> bytes:
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def code_rows(ws: Any) -> dict[str, int]:
    """Indicator code -> sheet row, as the template laid them out."""
    return {ws[f"{COL_CODE}{r}"].value: r for r in range(excel.FIRST_ROW, ws.max_row + 1)
            if ws[f"{COL_CODE}{r}"].value}


def filled(values: dict[str, Any] | None = None) -> tuple[bytes, dict[str, int]]:
    """The template with every value cell filled (SPECIAL, else 100), overridden by ``values``."""
    wb = open_book(template())
    ws = wb[excel.SHEET]
    rows = code_rows(ws)
    for code, row in rows.items():
        ws[f"{COL_VALUE}{row}"] = (values or {}).get(code, SPECIAL.get(code, 100))
    return save(wb), rows


def test_template_round_trip_saves_values(hanoi_reporter) -> None:  # type: ignore[no-untyped-def]
    data, rows = filled()
    expected = set(regime().indicators.filter(formula="").values_list("code", flat=True))
    assert set(rows) == expected
    parsed = excel.parse_upload(data)
    assert (parsed.regime, parsed.org_unit, parsed.period) == (REGIME, "01", "2026-10")
    by_code = {row.indicator: row for row in parsed.rows}
    assert set(by_code) == expected
    row = by_code["IIP_GROWTH"]
    assert row.value == 2.5 and row.ref == f"BaoCao!E{rows['IIP_GROWTH']}"
    assert row.refs["indicator"] == f"BaoCao!B{rows['IIP_GROWTH']}"
    parsed.check_target(REGIME, "01", PERIOD.sdmx)
    result = check_and_save_values(regime(), current("01"), PERIOD, parsed.rows, actor=hanoi_reporter)
    assert result.ok, [str(i) for i in result.issues]
    assert result.saved == len(expected)
    stored = DataValue.objects.get(indicator__code="IIP_GROWTH", period="2026-10")
    assert stored.value == Decimal("2.5")


def test_template_prefills_existing_values_flags_and_comments() -> None:
    wb = open_book(template(existing={"EXPORT_TOTAL": Decimal("1234.000000"), "EXPORT_GROWTH": Decimal("0.3")}))
    ws = wb[excel.SHEET]
    rows = code_rows(ws)
    assert ws[f"{COL_VALUE}{rows['EXPORT_TOTAL']}"].value == 1234
    assert ws[f"{COL_VALUE}{rows['EXPORT_GROWTH']}"].value == 0.3
    ws[f"{COL_FLAG}{rows['EXPORT_GROWTH']}"] = "estimate"
    ws[f"{COL_COMMENT}{rows['EXPORT_GROWTH']}"] = "số ước tính"
    parsed = excel.parse_upload(save(wb))
    assert {r.indicator for r in parsed.rows} == {"EXPORT_TOTAL", "EXPORT_GROWTH"}  # untouched rows skipped
    growth = next(r for r in parsed.rows if r.indicator == "EXPORT_GROWTH")
    assert (growth.flag, growth.comment) == ("estimate", "số ước tính")


def test_codes_are_locked_values_unlocked_and_validated() -> None:
    wb = open_book(template())
    ws = wb[excel.SHEET]
    row = excel.FIRST_ROW
    for letter in ("A", COL_CODE, "C", "D"):
        assert ws[f"{letter}{row}"].protection.locked is True
    for letter in (COL_VALUE, COL_FLAG, COL_COMMENT):
        assert ws[f"{letter}{row}"].protection.locked is False
    assert ws.protection.sheet is True
    kinds = {dv.type for dv in ws.data_validations.dataValidation}
    assert {"list", "decimal"} <= kinds
    flag_dv = next(dv for dv in ws.data_validations.dataValidation if dv.type == "list")
    assert flag_dv.formula1 == '"Ước tính,Sơ bộ,Điều chỉnh,Mật"'  # issue 20: Vietnamese names, codes accepted
    assert f"{COL_FLAG}{row}" in flag_dv.sqref
    value_dvs = [dv for dv in ws.data_validations.dataValidation if dv.type in ("decimal", "whole")]
    assert any(f"{COL_VALUE}{row}" in dv.sqref for dv in value_dvs)
    assert all(dv.showErrorMessage and "số" in dv.error for dv in value_dvs)
    meta = wb[excel.META_SHEET]
    assert meta.sheet_state != "visible"
    assert {r[0]: r[1] for r in meta.iter_rows(values_only=True)}["org_unit"] == "01"


def test_whole_number_indicators_get_whole_validation() -> None:
    ws = open_book(template())[excel.SHEET]
    integer = regime().indicators.filter(formula="", value_type="integer").values_list("code", flat=True)
    rows = code_rows(ws)
    whole = [dv for dv in ws.data_validations.dataValidation if dv.type == "whole"]
    for code in integer:
        assert any(f"{COL_VALUE}{rows[code]}" in dv.sqref for dv in whole)


def test_headers_are_vietnamese_with_english_below() -> None:
    ws = open_book(template())[excel.SHEET]
    vi = [ws.cell(row=excel.HEADER_ROW, column=c).value for c in range(1, 8)]
    en = [ws.cell(row=excel.HEADER_ROW + 1, column=c).value for c in range(1, 8)]
    assert vi == ["STT", "Mã chỉ tiêu", "Tên chỉ tiêu", "Đơn vị tính", "Giá trị", "Cờ", "Ghi chú"]
    assert en[1] == "Indicator code" and en[4] == "Value"
    assert ws.cell(row=excel.HEADER_ROW + 1, column=1).font.sz < ws.cell(row=excel.HEADER_ROW, column=1).font.sz
    unit = current("01")
    title = " ".join(str(ws[f"A{r}"].value) for r in range(1, 6))
    assert regime().name_vi in title and unit.name_vi in title and "(01)" in title and "2026-10" in title


def test_errors_name_the_exact_cell_and_nothing_is_stored(hanoi_reporter) -> None:  # type: ignore[no-untyped-def]
    before = DataValue.objects.count()
    data, rows = filled({"EXPORT_TOTAL": "abc", "RETAIL_SALES_GROWTH": "=SUM(E1:E3)"})
    parsed = excel.parse_upload(data)
    formula = next(r for r in parsed.rows if r.indicator == "RETAIL_SALES_GROWTH")
    assert formula.value == "=SUM(E1:E3)"
    result = check_and_save_values(regime(), current("01"), PERIOD, parsed.rows, actor=hanoi_reporter)
    assert not result.ok and result.saved == 0
    issues = {i.ref: i.as_dict() for i in result.issues if i.severity == "error"}
    for code in ("EXPORT_TOTAL", "RETAIL_SALES_GROWTH"):
        issue = issues[f"BaoCao!E{rows[code]}"]
        assert issue["message_vi"] and issue["message_en"]
    assert "formula" in issues[f"BaoCao!E{rows['RETAIL_SALES_GROWTH']}"]["message_en"]
    assert DataValue.objects.count() == before


def test_unknown_flag_is_reported_at_the_flag_cell(hanoi_reporter) -> None:  # type: ignore[no-untyped-def]
    wb = open_book(template())
    ws = wb[excel.SHEET]
    row = code_rows(ws)["EXPORT_TOTAL"]
    ws[f"{COL_VALUE}{row}"], ws[f"{COL_FLAG}{row}"] = 100, "guess"
    parsed = excel.parse_upload(save(wb))
    result = check_and_save_values(regime(), current("01"), PERIOD, parsed.rows, actor=hanoi_reporter,
                                   dry_run=True)
    assert [i.ref for i in result.issues if i.code == "flag_unknown"] == [f"BaoCao!F{row}"]


def test_a_formula_in_a_comment_is_refused_at_its_cell() -> None:
    wb = open_book(template())
    ws = wb[excel.SHEET]
    ws[f"{COL_COMMENT}{excel.FIRST_ROW}"] = '=HYPERLINK("http://x.invalid","click")'
    with pytest.raises(ExcelError) as err:
        excel.parse_upload(save(wb))
    assert err.value.ref == f"BaoCao!G{excel.FIRST_ROW}"


def test_not_an_xlsx_is_refused() -> None:
    with pytest.raises(ExcelError) as err:
        excel.parse_upload(b"hello, this is csv")
    assert err.value.ref == "file" and err.value.vi and err.value.en
    assert err.value.as_dict()["status"] == "error"
    zipped = io.BytesIO()
    with zipfile.ZipFile(zipped, "w") as archive:
        archive.writestr("readme.txt", "a zip, but not a workbook")
    with pytest.raises(ExcelError):
        excel.parse_upload(zipped.getvalue())


def test_oversized_upload_is_refused() -> None:
    with pytest.raises(ExcelError) as err:
        excel.parse_upload(template(), max_bytes=1000)
    assert "large" in err.value.en


@pytest.mark.parametrize("megabytes", [60, 10])
def test_zip_bomb_is_refused(megabytes: int) -> None:
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * (megabytes * 1024 * 1024))
    assert len(bomb.getvalue()) < excel.MAX_BYTES
    with pytest.raises(ExcelError) as err:
        excel.parse_upload(bomb.getvalue())
    assert "zip bomb" in err.value.en


def test_workbook_without_meta_is_refused() -> None:
    wb = Workbook()
    wb.active.title = excel.SHEET
    wb.active["B6"] = "Mã chỉ tiêu"
    with pytest.raises(ExcelError) as err:
        excel.parse_upload(save(wb))
    assert err.value.ref == "file"  # issue 20: the hidden sheet is never named to the user


def test_workbook_for_another_unit_is_refused_by_check_target() -> None:
    parsed = excel.parse_upload(template())
    assert parsed.rows == []
    with pytest.raises(ExcelError):
        parsed.check_target(REGIME, "79", PERIOD.sdmx)


def test_safe_text_defuses_formulas() -> None:
    assert safe_text("=HYPERLINK(\"http://evil\")") == "'=HYPERLINK(\"http://evil\")"
    for start in "=+-@":
        assert safe_text(f"{start}1") == f"'{start}1"
    assert safe_text("Hà Nội") == "Hà Nội" and safe_text(None) == "" and safe_text(12) == "12"
    assert safe_text("a\x01b") == "ab"
    wb = Workbook()
    ws = wb.active
    ws["A1"] = safe_text("=1+1")
    ws["A2"] = "=1+1"
    again = load_workbook(io.BytesIO(save(wb)))
    assert again.active["A1"].data_type != "f" and again.active["A1"].value.startswith("'")
    assert again.active["A2"].data_type == "f"  # what safe_text prevents


def test_names_starting_with_equals_are_written_as_text() -> None:
    reg = regime()
    reg.name_vi = "=cmd|' /C calc'!A0"
    ws = open_book(excel.build_template(reg, current("01"), PERIOD))[excel.SHEET]
    assert ws["A1"].data_type != "f" and ws["A1"].value.startswith("'=")


@pytest.mark.skipif(not (Path("/usr/bin/libreoffice").exists() or Path("/usr/bin/soffice").exists())
                    and os.environ.get("CI") != "true",
                    reason="LibreOffice is not installed (make test installs it as root)")
def test_template_converts_to_pdf(tmp_path: Path) -> None:
    source = tmp_path / "bao-cao.xlsx"
    source.write_bytes(template())
    soffice = shutil.which("soffice") or shutil.which("libreoffice") or "/usr/bin/soffice"
    subprocess.run([soffice, "--headless", f"-env:UserInstallation=file://{tmp_path}/profile",
                    "--convert-to", "pdf", "--outdir", str(tmp_path), str(source)],
                   check=True, timeout=180, capture_output=True)
    pdf = tmp_path / "bao-cao.pdf"
    assert pdf.exists() and pdf.read_bytes().startswith(b"%PDF")
