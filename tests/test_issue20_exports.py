"""Issue 20, part 8: CSV downloads start with a UTF-8 byte order mark (Excel on Windows then
reads the diacritics) and round-trip through Python's csv with utf-8-sig; an XLSX of the
same table sits beside each (indicator download, compliance, audit log)."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from openpyxl import load_workbook

from nrs.accounts import actions as account_actions
from nrs.audit.events import EventType
from nrs.audit.log import record
from nrs.collection import bulk
from nrs.collection.models import State
from nrs.collection.validation import Row
from nrs.lib.periods import Period
from nrs.registry.models import Regime
from tests.conftest import current

pytestmark = pytest.mark.django_db
BOM = b"\xef\xbb\xbf"
HANOI = "Hà Nội"


@pytest.fixture
def approved() -> None:
    """EXPORT_TOTAL approved for Hà Nội and Hải Phòng in September 2026."""
    service = account_actions.create_user("service", "test-password-2026", full_name="Người nhập máy")[0]
    account_actions.grant_role(service, "system", current("CP"))
    account_actions.grant_role(service, "approver", current("CP"))
    at = datetime(2026, 10, 3, 10, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))
    regime = Regime.objects.get(code="PROV_KTXH_M")
    result = bulk.import_reports(
        [bulk.Report(regime=regime, unit=current(code), period=Period.month(2026, 9), state=State.APPROVED,
                     submitted_at=at, approved_at=at,
                     rows=[Row(ref="EXPORT_TOTAL", indicator="EXPORT_TOTAL", org_unit=code, value=value)])
         for code, value in (("01", "1234.5"), ("31", "987"))], actor=service, today=date(2026, 10, 20))
    assert not result.issues, result.issues[:3]


def body(response) -> bytes:  # type: ignore[no-untyped-def]
    assert response.status_code == 200, response.content[:300]
    return b"".join(response.streaming_content) if response.streaming else response.content


def read_csv(data: bytes) -> list[list[str]]:
    assert data[:3] == BOM, data[:20]
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def read_xlsx(data: bytes) -> list[list[object]]:
    book = load_workbook(io.BytesIO(data), read_only=True)
    return [list(row) for row in book.worksheets[0].iter_rows(values_only=True)]


def signed_in(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


def test_the_indicator_download_has_a_bom_and_an_xlsx_beside_it(approved, leader) -> None:  # type: ignore[no-untyped-def]
    client = signed_in(leader)
    url = "/dashboard/indicator/EXPORT_TOTAL/download.{}?unit=CP"
    rows = read_csv(body(client.get(url.format("csv"))))
    assert rows[0][0] == rows[0][0].lstrip("\ufeff") and "\ufeff" not in rows[0][0]  # the BOM is not a name
    assert any(HANOI in cell for row in rows for cell in row)
    sheet = read_xlsx(body(client.get(url.format("xlsx"))))
    assert sheet[0] == rows[0] and any(HANOI in str(cell) for row in sheet for cell in row)


def test_the_compliance_csv_has_a_bom_and_the_same_table_in_xlsx(approved, coordinator) -> None:  # type: ignore[no-untyped-def]
    client = signed_in(coordinator)
    page = "/report/compliance/?regime=PROV_KTXH_M&period=2026-09&format={}"
    rows = read_csv(body(client.get(page.format("csv"))))
    assert rows[0][0] == "org_unit"
    hanoi = next(row for row in rows if row[0] == "01")
    assert hanoi[1] == f"Thành phố {HANOI}"
    response = client.get(page.format("xlsx"))
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert response["Content-Disposition"] == 'attachment; filename="compliance_PROV_KTXH_M_2026-09.xlsx"'
    sheet = read_xlsx(body(response))
    assert [[("" if c is None else str(c)) for c in row] for row in sheet] == rows
    assert 'id="export-xlsx"' in client.get(page.format("").rstrip("&format=")).content.decode()


def test_the_audit_csv_has_a_bom_and_an_xlsx_beside_it(approved, auditor) -> None:  # type: ignore[no-untyped-def]
    record(EventType.METADATA_CHANGED, org_unit=current("01"), summary=f"Đổi tên đơn vị: {HANOI}")
    client = signed_in(auditor)
    rows = read_csv(body(client.get("/audit/export.csv")))
    assert rows[0][:3] == ["seq", "occurred_at", "event_type"]
    assert len(rows) > 2 and any(f"Đổi tên đơn vị: {HANOI}" in row for row in rows)
    sheet = read_xlsx(body(client.get("/audit/export.xlsx")))
    assert sheet[0] == rows[0]
    assert [row[0] for row in sheet[1:]] == [int(row[0]) for row in rows[1:]]  # seq stays a number
    assert [str(row[7]) for row in sheet[1:]] == [row[7] for row in rows[1:]]  # summaries, as in the CSV
    assert 'data-testid="export-xlsx"' in client.get("/audit/").content.decode()
    assert signed_in(current_user_without_audit()).get("/audit/export.xlsx").status_code == 403


def current_user_without_audit():  # type: ignore[no-untyped-def]
    user = account_actions.create_user("hanoi.viewer", "test-password-2026", full_name="viewer")[0]
    account_actions.grant_role(user, "viewer", current("01"))
    return user
