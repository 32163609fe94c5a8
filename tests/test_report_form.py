"""The web form: same action, same validation, errors inline."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from nrs.collection.models import DataValue, Submission
from tests.test_collection_api import PDF, form_values

pytestmark = pytest.mark.django_db
URL = "/report/PROV_KTXH_M/01/2026-10/"


def browser(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


def filled() -> dict[str, str]:
    return {f"v-{row['indicator']}": row["value"] for row in form_values()}


def test_fill_save_submit_and_approve(hanoi_reporter, make_user) -> None:  # type: ignore[no-untyped-def]
    approver = make_user("hanoi.approver", "approver", "01")
    client = browser(hanoi_reporter)
    page = client.get(URL)
    assert page.status_code == 200 and "Lưu nháp" in page.content.decode()
    saved = client.post(URL, {**filled(), "action": "save"}, HTTP_HX_REQUEST="true")
    assert 'id="message"' in saved.content.decode() and "<html" not in saved.content.decode()
    assert DataValue.objects.count() == len(form_values())
    refused = client.post(URL, {"action": "submit"}).content.decode()
    assert "PDF/DOCX" in refused and Submission.objects.get().state == "draft"
    pdf = SimpleUploadedFile("bao-cao.pdf", PDF, content_type="application/pdf")
    assert "bao-cao.pdf" in client.post(URL, {"action": "attach", "document": pdf}).content.decode()
    client.post(URL, {"action": "submit"})
    assert Submission.objects.get().state == "submitted"
    browser(approver).post(URL, {"action": "approve", "comment": ""})
    assert Submission.objects.get().state == "approved"
    assert 'data-state="approved"' in client.get(URL).content.decode()


def test_errors_are_shown_inline_and_nothing_is_stored(hanoi_reporter) -> None:  # type: ignore[no-untyped-def]
    client = browser(hanoi_reporter)
    data = {**filled(), "v-EXPORT_TOTAL": "abc", "action": "save"}
    page = client.post(URL, data).content.decode()
    assert 'data-issue="value_invalid"' in page
    assert "không phải là số" in page
    assert 'value="abc"' in page  # what the user typed is kept
    assert DataValue.objects.count() == 0


def test_other_provinces_forms_are_forbidden(hanoi_reporter, make_user) -> None:  # type: ignore[no-untyped-def]
    assert browser(hanoi_reporter).get("/report/PROV_KTXH_M/31/2026-10/").status_code == 403
    assert browser(hanoi_reporter).post("/report/PROV_KTXH_M/31/2026-10/",
                                        {"action": "save", "v-EXPORT_TOTAL": "1"}).status_code == 403
    hai_phong = make_user("haiphong.reporter", "reporter", "31")
    assert browser(hai_phong).get(URL).status_code == 403
    assert not DataValue.objects.exists()


def test_my_reports_lists_the_monthly_report(hanoi_reporter) -> None:  # type: ignore[no-untyped-def]
    page = browser(hanoi_reporter).get("/report/").content.decode()
    assert "/report/PROV_KTXH_M/01/" in page
