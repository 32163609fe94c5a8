"""Issue 20, part 5: periods, statuses and reasons as people read them, in their language.

Pages, charts and documents say "Quý IV/2026", "Tháng 10/2026", "Đã duyệt"; machine
outputs (links, form values, CSV code columns, the API) keep "2026-Q4", "2026-10", "approved".
The expected strings are written by hand.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.utils import translation

from nrs.analytics import charts
from nrs.analytics.rollup import Cell
from nrs.lib.periods import Period
from tests.test_reports import _generate, figures  # noqa: F401  (the fixture)


def _point(period: Period, value: str):  # type: ignore[no-untyped-def]
    return SimpleNamespace(period=period, cell=Cell(Decimal(value), n=2), value=Decimal(value))


def test_the_series_chart_reads_periods_as_labels_not_codes() -> None:
    points = [_point(Period.month(2026, 9), "10"), _point(Period.month(2026, 10), "12")]
    with translation.override("vi"):
        figure = charts.series_figure(points, "x", "tỷ đồng", partial={"2026-10": "2/34"})  # type: ignore[arg-type]
    trace = figure["data"][0]
    assert list(trace["x"]) == ["Tháng 9/2026", "Tháng 10/2026"]
    # The partial figure is still found by its code and drawn as an orange diamond.
    assert list(trace["marker"]["symbol"]) == ["circle", "diamond"]
    with translation.override("en"):
        figure = charts.series_figure(points, "x", "VND bn")  # type: ignore[arg-type]
    assert list(figure["data"][0]["x"]) == ["September 2026", "October 2026"]


# -- documents: one rounding rule, and periods as labels --------------------------------------------

def _row(plan_pct: str, change: str | None = None, value: str = "1073036.75", ytd: str | None = "9789.45"):  # type: ignore[no-untyped-def]
    from nrs.reports.content import Row

    return Row("RETAIL_SALES", "Tổng mức bán lẻ", "tỷ đồng", 1, Decimal(value), None,
               None if change is None else Decimal(change), "%", None if ytd is None else Decimal(ytd),
               Decimal(plan_pct), 2, False, True)


def _content(*rows, period: Period | None = None, language: str = "vi"):  # type: ignore[no-untyped-def]
    from nrs.reports.content import Content, Section

    return Content(period or Period.month(2026, 10), language, SimpleNamespace(name="Cả nước"),  # type: ignore[arg-type]
                   [Section(1, "Thương mại", list(rows))], [])


@pytest.mark.parametrize(("plan_pct", "written"), [("66.46", "66,5"), ("66.45", "66,5"), ("66.44", "66,4"),
                                                    ("70.05", "70,1")])
def test_the_briefs_table_and_its_alert_round_the_same_way(plan_pct: str, written: str) -> None:
    """The brief's table said 66,4 % where its alert said 66,5 %: the table truncated (Django's
    number_format), the alert rounded half to even. Both round half away from zero now."""
    from nrs.reports import content, render

    with translation.override("vi"):
        subject = _content(_row(plan_pct))
        alerts = content.alerts(subject)
        cells = render.cells(subject.sections[0].rows[0])
    assert cells[5] == f"{written} %"
    assert alerts == [f"Tổng mức bán lẻ: đạt {written}% kế hoạch năm, chậm so với tiến độ (83,3%)"]


def test_document_figures_are_grouped_the_vietnamese_and_english_way() -> None:
    from nrs.reports import content, render

    row = _row("50", change="-15.55")
    with translation.override("vi"):
        cells = render.cells(row)
        alerts = content.alerts(_content(row))
    assert cells[2:] == ["1.073.036,8", "−15,6 %", "9.789,5", "50,0 %"]
    assert "Tổng mức bán lẻ: −15,6% so với cùng kỳ năm trước" in alerts, alerts
    with translation.override("en"):
        cells = render.cells(row)
        alerts = content.alerts(_content(row, language="en"))
    assert cells[2:] == ["1,073,036.8", "−15.6 %", "9,789.5", "50.0 %"]
    assert "Tổng mức bán lẻ: −15.6% against the same period last year" in alerts, alerts


@pytest.mark.parametrize(("period", "vi", "en"), [
    (Period.month(2026, 10), "Tình hình kinh tế - xã hội tháng 10 năm 2026", "Socio-economic situation, October 2026"),
    (Period.quarter(2026, 4), "Tình hình kinh tế - xã hội quý IV năm 2026", "Socio-economic situation, Q4 2026"),
    (Period.half(2026, 1), "Tình hình kinh tế - xã hội 6 tháng đầu năm 2026", "Socio-economic situation, H1 2026"),
    (Period.nine_months(2026), "Tình hình kinh tế - xã hội 9 tháng năm 2026",
     "Socio-economic situation, 9 months 2026"),
    (Period.ytd(2026, 10), "Tình hình kinh tế - xã hội 10 tháng năm 2026",
     "Socio-economic situation, January–October 2026"),
    (Period.annual(2026), "Tình hình kinh tế - xã hội năm 2026", "Socio-economic situation, 2026"),
])
def test_document_titles_name_the_period_as_administrative_documents_do(period, vi, en) -> None:  # type: ignore[no-untyped-def]
    from datetime import date

    from nrs.reports import render

    for language, expected in (("vi", vi), ("en", en)):
        head = render.heading(_content(period=period, language=language), number="1/BC-VPCP",
                              issued_on=date(2026, 11, 23))
        assert head.subtitle == expected


# -- pages ---------------------------------------------------------------------------------------

def _client(user, lang: str = "vi"):  # type: ignore[no-untyped-def]
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = lang  # the language the reader chose
    return client


@pytest.fixture
def approved_hanoi(hanoi_reporter, make_user):  # type: ignore[no-untyped-def]
    """Ha Noi's October 2026 monthly report, submitted and approved through the API."""
    from tests.test_collection_api import api, attach, form_values, post, value_set

    reporter = api(hanoi_reporter)
    sid = post(reporter, value_set(form_values())).json()["submission"]["id"]
    attach(reporter)
    assert reporter.post(f"/api/submissions/{sid}/submit", {}, content_type="application/json").status_code == 200
    approver = api(make_user("hanoi.approver", "approver", "01"))
    answer = approver.post(f"/api/submissions/{sid}/approve", {}, content_type="application/json")
    assert answer.json()["state"] == "approved"
    return sid


COMPLIANCE = "/report/compliance/?regime=PROV_KTXH_M&period=2026-10"


@pytest.mark.django_db
def test_the_compliance_page_names_states_and_the_period_in_the_readers_language(approved_hanoi,  # type: ignore[no-untyped-def]
                                                                                 coordinator) -> None:
    page = _client(coordinator).get(COMPLIANCE).content.decode()
    assert '<td data-state="approved">Đã duyệt</td>' in page
    assert ">approved<" not in page and ">submitted<" not in page
    assert "chỉ tiêu cho kỳ tháng 10/2026." in page and "kỳ 2026-10" not in page
    assert 'name="period" value="2026-10"' in page  # the filter's value stays a code
    english = _client(coordinator, "en").get(COMPLIANCE).content.decode()
    assert '<td data-state="approved">Approved</td>' in english and "for period October 2026." in english


@pytest.mark.django_db
def test_the_compliance_csv_keeps_its_codes_and_adds_the_labels(approved_hanoi, coordinator) -> None:  # type: ignore[no-untyped-def]
    import csv
    import io

    body = _client(coordinator).get(COMPLIANCE + "&format=csv").content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(body)))
    header = rows[0]
    assert header[:8] == ["org_unit", "name", "status", "state", "submitted_at", "deadline", "approved", "document"]
    assert header[-2:] == ["status_label", "state_label"]
    hanoi = dict(zip(header, next(r for r in rows if r[0] == "01"), strict=True))
    assert (hanoi["status"], hanoi["state"], hanoi["status_label"], hanoi["state_label"]) == (
        "late", "approved", "Muộn", "Đã duyệt")
    haiphong = dict(zip(header, next(r for r in rows if r[0] == "31"), strict=True))
    assert (haiphong["status"], haiphong["state"], haiphong["status_label"], haiphong["state_label"]) == (
        "missing", "", "Chưa gửi", "")
    english = _client(coordinator, "en").get(COMPLIANCE + "&format=csv").content.decode("utf-8-sig")
    assert any(line.startswith("01,") and ",late,approved," in line and line.endswith(",Late,Approved")
               for line in english.splitlines()), english


@pytest.mark.django_db
def test_the_freshness_line_names_the_report_not_its_codes(approved_hanoi, leader) -> None:  # type: ignore[no-untyped-def]
    from tests.conftest import current

    hanoi = current("01")
    page = _client(leader).get("/dashboard/").content.decode()
    line = page[page.index('data-testid="freshness"'):]
    line = line[:line.index("</div>")]
    assert "PROV_KTXH_M" not in line and "approve " not in line and "2026-10" not in line
    english = _client(leader, "en").get("/dashboard/").content.decode()
    assert f"(approval of Provincial monthly socio-economic report, {hanoi.name_en}, October 2026" in english
    # Vietnamese: awaits the lead's merge of /tmp/nrs20/vi/labels.py into the catalogue.
    assert (f"(phê duyệt Báo cáo tình hình kinh tế - xã hội hằng tháng của UBND tỉnh, thành phố, "
            f"{hanoi.name_vi}, tháng 10/2026") in line, line  # then " (xem trước)" after the preview's refresh


@pytest.mark.parametrize(("reason", "vi", "en"), [
    ("bulk import of 3 reports", "nhập hàng loạt 3 báo cáo", "bulk import of 3 reports"),
    ("bulk import of 1 reports", "nhập hàng loạt 1 báo cáo", "bulk import of 1 report"),
    ("rebuild", "tính lại toàn bộ", "full recomputation"),
    ("nrs aggregates", "tính lại toàn bộ", "full recomputation"),
    ("something else entirely", "something else entirely", "something else entirely"),
])
def test_other_refresh_reasons_read_as_words(reason: str, vi: str, en: str) -> None:
    from nrs.analytics.templatetags.nrs_periods import refresh_reason

    with translation.override("en"):
        assert refresh_reason(reason) == en
    with translation.override("vi"):  # awaits the catalogue merge
        assert refresh_reason(reason) == vi


@pytest.mark.django_db
def test_a_preview_refresh_and_an_unknown_regime(approved_hanoi) -> None:  # type: ignore[no-untyped-def]
    from nrs.analytics.templatetags.nrs_periods import refresh_reason
    from tests.conftest import current

    with translation.override("en"):
        assert refresh_reason("submit PROV_KTXH_Q · 01 · 2026-Q3 (preview)") == (
            f"submission of Provincial quarterly socio-economic report, {current('01').name_en}, Q3 2026 (preview)")
        assert refresh_reason("return NOPE · 01 · 2026-Q3") == f"return of NOPE, {current('01').name_en}, Q3 2026"


CODE_IN_A_CELL = re.compile(r">\s*\d{4}-(?:\d\d|Q\d|S\d|N1|YTD\d\d)\s*<")  # "<td>2026-10</td>"


@pytest.mark.django_db
def test_registry_schedules_show_period_labels(hanoi_reporter) -> None:  # type: ignore[no-untyped-def]
    client = _client(hanoi_reporter)
    for url in ("/registry/regimes/", "/registry/regimes/PROV_KTXH_Q/"):
        page = client.get(url).content.decode()
        assert not CODE_IN_A_CELL.search(page), CODE_IN_A_CELL.search(page)
        assert re.search(r"<td>(Tháng \d{1,2}|Quý I{1,3}V?)/20\d\d</td>", page), url
    english = _client(hanoi_reporter, "en").get("/registry/regimes/PROV_KTXH_Q/").content.decode()
    assert re.search(r"<td>Q[1-4] 20\d\d</td>", english) and not CODE_IN_A_CELL.search(english)


@pytest.mark.django_db
def test_report_lists_and_the_form_show_period_labels(approved_hanoi, hanoi_reporter, make_user) -> None:  # type: ignore[no-untyped-def]
    from tests.test_collection_api import api, form_values, post, value_set

    mine = _client(hanoi_reporter).get("/report/").content.decode()
    assert re.search(r"<td[^>]*>Tháng \d{1,2}/20\d\d</td>", mine) and not CODE_IN_A_CELL.search(mine)
    assert 'data-key="PROV_KTXH_M/01/' in mine  # keys and links keep the code
    form = _client(hanoi_reporter).get("/report/PROV_KTXH_M/01/2026-10/").content.decode()
    assert "<strong>Tháng 10/2026</strong>" in form and "<strong>2026-10</strong>" not in form
    # The approver's inbox: a report for November waits.
    reporter = api(hanoi_reporter)
    sid = post(reporter, value_set(form_values(), period="2026-11")).json()["submission"]["id"]
    from tests.test_collection_api import attach

    attach(reporter, period="2026-11")
    reporter.post(f"/api/submissions/{sid}/submit", {}, content_type="application/json")
    inbox = _client(make_user("hanoi.duyet2", "approver", "01")).get("/report/?view=inbox").content.decode()
    assert re.search(r"<td[^>]*>Tháng 11/2026</td>", inbox) and not CODE_IN_A_CELL.search(inbox)
    assert "/report/PROV_KTXH_M/01/2026-11/" in inbox


@pytest.mark.django_db
def test_dashboards_show_period_labels(approved_hanoi, leader) -> None:  # type: ignore[no-untyped-def]
    client = _client(leader)
    indicator = client.get("/dashboard/indicator/RETAIL_SALES/?unit=01&period=2026-10").content.decode()
    assert "· Tháng 10/2026<" in indicator and not CODE_IN_A_CELL.search(indicator)
    assert '<option value="2026-10" selected>Tháng 10/2026</option>' in indicator
    province = client.get("/dashboard/province/01/").content.decode()
    assert "<td>Tháng 10/2026</td>" in province and not CODE_IN_A_CELL.search(province)
    overview = client.get("/dashboard/?unit=01").content.decode()
    assert "Tháng 10/2026" in overview and not CODE_IN_A_CELL.search(overview)
    english = _client(leader, "en").get("/dashboard/indicator/RETAIL_SALES/?unit=01&period=2026-10").content.decode()
    assert '<option value="2026-10" selected>October 2026</option>' in english


# -- the rendered PDF, read back with poppler -----------------------------------------------------

POPPLER = pytest.mark.skipif(shutil.which("pdftotext") is None and os.environ.get("CI") != "true",
                             reason="poppler-utils is not installed (make test installs it)")


@POPPLER
@pytest.mark.django_db
def test_the_brief_pdf_writes_figures_and_periods_the_vietnamese_way(figures, tmp_path) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    """Retail sales reach 45.475625 % of the annual plan (909,512.5 of 2,000,000 billion đồng):
    the table wrote 45,4 % (truncated) where the alert wrote 45,5 %."""
    brief = _generate(figures, kind="brief")
    source = tmp_path / "brief.pdf"
    source.write_bytes(brief.pdf.read())
    text = " ".join(subprocess.run(["pdftotext", "-layout", str(source), "-"], check=True, capture_output=True,
                                   text=True, timeout=120).stdout.split())
    assert "Một số chỉ tiêu kinh tế - xã hội chủ yếu tháng 10 năm 2026" in text
    assert "96.932,9" in text and "909.512,5" in text  # the month, and the year to date: grouped
    assert "45,5 %" in text and "đạt 45,5% kế hoạch năm" in text
    assert "45,4" not in text
    assert not re.search(r"\b2026-10\b", text)
    from nrs.reports.views import package

    with translation.override("en"):  # whoever sends it: the package speaks the document's language
        assert package(brief).meta.subject == "Báo cáo tóm tắt cho lãnh đạo tháng 10 năm 2026"
    english = _generate(figures, kind="brief", language="en")
    source.write_bytes(english.pdf.read())
    text = " ".join(subprocess.run(["pdftotext", "-layout", str(source), "-"], check=True, capture_output=True,
                                   text=True, timeout=120).stdout.split())
    assert "October 2026" in text and "96,932.9" in text and "909,512.5" in text and "45.5 %" in text


def test_the_documents_chart_ticks_are_written_in_the_documents_language() -> None:
    from nrs.reports.charts import tick

    with translation.override("vi"):
        assert [tick(v) for v in (-10.0, 0.0, 2.5, 1500.0)] == ["−10", "0", "2,5", "1.500"]
    with translation.override("en"):
        assert [tick(v) for v in (-10.0, 2.5, 1500.0)] == ["−10", "2.5", "1,500"]


@pytest.mark.django_db
def test_the_unit_page_names_its_fields_and_groups_the_area(hanoi_reporter) -> None:  # type: ignore[no-untyped-def]
    from tests.conftest import current

    page = _client(hanoi_reporter).get(f"/registry/units/{current('01').pk}/").content.decode()
    assert "<dt>Diện tích (km²)</dt><dd>3.359,97</dd>" in page
    english = _client(hanoi_reporter, "en").get(f"/registry/units/{current('01').pk}/").content.decode()
    assert "<dt>Area (km²)</dt><dd>3,359.97</dd>" in english


def test_the_compliance_annex_groups_its_counts() -> None:
    from nrs.reports import render
    from nrs.reports.content import RegimeSummary

    subject = _content(_row("50"))
    subject.summary = [RegimeSummary("Xã", 3321, 3000, 21, 300, 0)]
    with translation.override("vi"):
        assert render.summary_rows(subject) == [["Xã", "3.321", "3.000", "21", "300", "0"]]
    with translation.override("en"):
        assert render.summary_rows(subject) == [["Xã", "3,321", "3,000", "21", "300", "0"]]


def test_reminder_emails_name_the_period_in_both_languages() -> None:
    from datetime import date

    from nrs.collection.reminders import Due, _message

    regime = SimpleNamespace(code="PROV_KTXH_Q", name_vi="Báo cáo quý", name_en="Quarterly report")
    due = Due(regime, 1, "Thành phố Hà Nội", Period.quarter(2026, 4), date(2026, 12, 21), "reminder")  # type: ignore[arg-type]
    subject, body = _message(due)
    assert "Báo cáo quý, kỳ quý IV/2026, Thành phố Hà Nội: hạn gửi 21/12/2026." in body
    assert "Quarterly report, period Q4 2026: due on 2026-12-21." in body
    assert subject.endswith("PROV_KTXH_Q 2026-Q4")  # the subject keeps the code, neutral in both languages
