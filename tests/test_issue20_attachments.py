"""Issue 20, part 4: attached text reports are viewable in the browser by everyone who may
see the report, replaceable and removable before submission (one action, audited, old
file kept), refused after it, and bad files are refused with a bilingual message naming
the field. Defects: the approver and coordinator got no link; a corrupt PDF could not be
removed."""

from __future__ import annotations

import html
import re
from urllib.parse import quote

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from nrs.audit.models import Event
from nrs.collection.models import Document, Submission
from tests.test_collection_api import PDF, form_values

pytestmark = pytest.mark.django_db
URL = "/report/PROV_KTXH_M/01/2026-10/"
NAME = "Báo cáo tháng 10.pdf"
LINK = re.compile(r'href="(/report/files/(\d+)/)"')
PDF_B = PDF.replace(b"595 842", b"842 595")  # another valid one-page PDF


def browser(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


def attach(client: Client, data: bytes = PDF, name: str = NAME, **extra: str):  # type: ignore[no-untyped-def]
    return client.post(URL, {"action": "attach", "document": SimpleUploadedFile(name, data), **extra})


def errors(response) -> str:  # type: ignore[no-untyped-def]
    found = re.search(r'id="general-errors">(.*?)</ul>', response.content.decode(), re.DOTALL)
    assert found, "no error list"
    return html.unescape(found.group(1))


@pytest.fixture
def cast(hanoi_reporter, make_user, coordinator, leader):  # type: ignore[no-untyped-def]
    return {"reporter": hanoi_reporter, "approver": make_user("hanoi.approver", "approver", "01"),
            "coordinator": coordinator, "leader": leader}


def test_everyone_who_may_see_the_report_gets_a_link_and_the_file_inline(cast) -> None:  # type: ignore[no-untyped-def]
    reporter = browser(cast["reporter"])
    reporter.post(URL, {**{f"v-{r['indicator']}": r["value"] for r in form_values()}, "action": "save"})
    attach(reporter)
    reporter.post(URL, {"action": "submit"})
    assert Submission.objects.get().state == "submitted"
    document = Document.objects.get()
    for role in ("reporter", "approver", "coordinator", "leader"):
        client = browser(cast[role])
        page = client.get(URL).content.decode()
        links = LINK.findall(page)
        assert (f"/report/files/{document.pk}/", str(document.pk)) in links, role
        response = client.get(f"/report/files/{document.pk}/")
        assert response.status_code == 200, role
        assert b"".join(response.streaming_content) == PDF  # type: ignore[attr-defined]
        assert response["Content-Type"] == "application/pdf"
        assert response["Content-Disposition"] == f"inline; filename*=UTF-8''{quote(NAME)}"
        assert response["X-Content-Type-Options"] == "nosniff"
        policy = response["Content-Security-Policy"]
        assert "sandbox" in policy and "default-src 'none'" in policy and "script-src" not in policy
        assert response["Cache-Control"].startswith("private")
    # The inbox and the compliance page link to the report's current document too.
    assert "/report/PROV_KTXH_M/01/2026-10/document/" in browser(cast["coordinator"]).get(
        "/report/compliance/?regime=PROV_KTXH_M&period=2026-10").content.decode()
    inbox = browser(cast["approver"]).get("/report/?view=inbox").content.decode()
    assert 'href="/report/PROV_KTXH_M/01/2026-10/document/"' in inbox  # no query per row to find it
    current = browser(cast["approver"]).get("/report/PROV_KTXH_M/01/2026-10/document/")
    assert current.status_code == 302 and current["Location"] == f"/report/files/{document.pk}/"


def test_others_get_403_and_unknown_files_404(cast, make_user) -> None:  # type: ignore[no-untyped-def]
    attach(browser(cast["reporter"]))
    document = Document.objects.get()
    url = f"/report/files/{document.pk}/"
    assert browser(make_user("hcm.reporter", "reporter", "79")).get(url).status_code == 403
    assert browser(make_user("viewer", "viewer", "CP")).get(url).status_code == 403
    assert Client().get(url).status_code == 302  # to sign in
    assert browser(cast["leader"]).get(f"/report/files/{document.pk + 1000}/").status_code == 404
    assert browser(cast["leader"]).get("/report/PROV_KTXH_M/01/2026-09/document/").status_code == 404


def test_a_corrupt_pdf_is_refused_with_a_bilingual_message_naming_the_field(cast) -> None:  # type: ignore[no-untyped-def]
    client = browser(cast["reporter"])
    page = errors(attach(client, b"%PDF-1.4\n%garbage, no objects at all\n", "hong.pdf"))
    assert Document.objects.count() == 0
    assert "Báo cáo văn bản" in page and "'hong.pdf'" in page and "không phải là tệp PDF đọc được" in page
    assert "file:" not in page
    client.cookies["django_language"] = "en"
    english = errors(attach(client, b"%PDF-1.4\n%garbage\n", "hong.pdf"))
    assert "Text report" in english and "is not a readable PDF" in english
    assert "Text report" in errors(attach(client, b"MZ\x90\x00 not a document", "virus.exe"))
    assert Document.objects.count() == 0


def test_replace_before_submission_keeps_the_old_file_and_audits_both(cast) -> None:  # type: ignore[no-untyped-def]
    client = browser(cast["reporter"])
    attach(client)
    old = Document.objects.get()
    attach(client, PDF_B, "ban-moi.pdf")
    new = Document.objects.exclude(pk=old.pk).get()
    assert old.file.read() == PDF  # the old file is kept for the audit
    page = client.get(URL).content.decode()
    assert "ban-moi.pdf" in page and 'data-replaced="true"' in page
    event = Event.objects.filter(summary__contains="ban-moi.pdf").get()
    assert event.data["old"]["sha256"] == old.sha256 and event.data["new"]["sha256"] == new.sha256
    assert event.data["old"]["filename"] == NAME and event.data["new"]["filename"] == "ban-moi.pdf"


def test_remove_before_submission_is_audited_and_the_submit_then_needs_a_document(cast) -> None:  # type: ignore[no-untyped-def]
    client = browser(cast["reporter"])
    client.post(URL, {**{f"v-{r['indicator']}": r["value"] for r in form_values()}, "action": "save"})
    attach(client, name="sai.pdf")
    document = Document.objects.get()
    response = client.post(f"/report/files/{document.pk}/remove/")
    assert response.status_code == 303 and response["Location"] == URL
    document.refresh_from_db()
    assert document.meta["removed"]["by"] == "hanoi.reporter"
    assert document.file.read() == PDF  # kept, for the audit
    event = Event.objects.filter(summary__contains="removed").get()
    assert event.data["old"]["filename"] == "sai.pdf" and event.data["new"] is None
    page = client.get(URL).content.decode()
    assert 'data-removed="true"' in page
    compliance = browser(cast["coordinator"]).get("/report/compliance/?regime=PROV_KTXH_M&period=2026-10")
    assert re.search(r'data-code="01".*?data-document="none"', compliance.content.decode(), re.DOTALL)
    assert browser(cast["coordinator"]).get("/report/PROV_KTXH_M/01/2026-10/document/").status_code == 404
    client.post(URL, {"action": "submit"})
    assert Submission.objects.get().state == "draft"  # the regime needs its text report


def test_replace_and_remove_are_refused_after_submission(cast) -> None:  # type: ignore[no-untyped-def]
    client = browser(cast["reporter"])
    client.post(URL, {**{f"v-{r['indicator']}": r["value"] for r in form_values()}, "action": "save"})
    attach(client)
    client.post(URL, {"action": "submit"})
    document = Document.objects.get()
    refused = attach(client, PDF_B, "muon.pdf").content.decode()
    assert "đã gửi" in refused and Document.objects.count() == 1
    removed = client.post(f"/report/files/{document.pk}/remove/", follow=True).content.decode()
    assert "đã gửi" in removed and "has been submitted" in removed
    document.refresh_from_db()
    assert "removed" not in document.meta
    # Someone who may see but not enter cannot remove either.
    assert browser(cast["approver"]).post(f"/report/files/{document.pk}/remove/").status_code == 403
