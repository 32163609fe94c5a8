"""Issue 18, finding 11: the text report must be a real PDF, and a signature
counts for a unit only when its certificate names that unit.

Before: any bytes starting with ``%PDF`` were stored as the required text
report, and a PDF validly signed by the Government Office showed "✔ signed" on
the Ministry of Finance's report. The oracles here are written out: the bytes
of a one-page PDF and of broken ones, and certificates whose subjects name the
Government Office, the Ministry of Finance (by name and by NRS code) or a look-alike.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from nrs.collection import actions
from nrs.collection.documents import DocumentError
from nrs.collection.models import Document
from nrs.lib import periods
from nrs.lib.signatures import create_test_ca, issue_signer, sign_pdf
from nrs.registry.models import Regime
from tests.conftest import current

pytestmark = pytest.mark.django_db
REGIME, UNIT, PERIOD = "BTC_NGANH_M", "BTC", "2026-10"

# A one-page PDF, written out byte by byte (catalog, page tree, one A4 page, xref, trailer).
ONE_PAGE = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>"
            b"endobj\n3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\nxref\n0 4\n"
            b"0000000000 65535 f \n0000000009 00000 n \n0000000052 00000 n \n0000000101 00000 n \n"
            b"trailer<</Size 4/Root 1 0 R>>\nstartxref\n164\n%%EOF\n")
NO_PAGES = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>"
            b"endobj\nxref\n0 3\n0000000000 65535 f \n0000000009 00000 n \n0000000052 00000 n \n"
            b"trailer<</Size 3/Root 1 0 R>>\nstartxref\n99\n%%EOF\n")
BROKEN = {
    "header only": b"%PDF-1.7\n",
    "header and junk": b"%PDF-1.7 this is not a report " + bytes(range(256)) * 4,
    "no cross-reference table": (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages"
                                 b"/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"),
    "no pages": NO_PAGES,
}


@pytest.fixture
def mof_reporter(make_user: Callable[..., Any]) -> Any:
    return make_user("mof.reporter", "reporter", UNIT)


def _attach(data: bytes, user: Any, name: str = "bao-cao.pdf") -> Document:
    return actions.attach_document(Regime.objects.get(code=REGIME), current(UNIT), periods.parse_sdmx(PERIOD),
                                   data, name, actor=user)


@pytest.mark.parametrize("what", sorted(BROKEN))
def test_a_pdf_that_does_not_parse_or_has_no_page_is_refused(what: str, mof_reporter: Any) -> None:
    with pytest.raises(DocumentError) as refused:
        _attach(BROKEN[what], mof_reporter)
    # Issue 20: the field is named as the form labels it.
    assert refused.value.en.startswith("Text report (PDF/DOCX): 'bao-cao.pdf'")
    assert refused.value.vi.startswith("Báo cáo văn bản (PDF/DOCX): 'bao-cao.pdf'")
    assert Document.objects.count() == 0


def test_the_api_refuses_a_broken_pdf_with_a_bilingual_400(mof_reporter: Any) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = Client()
    client.force_login(mof_reporter)
    upload = SimpleUploadedFile("bao-cao.pdf", BROKEN["header and junk"], content_type="application/pdf")
    response = client.post(f"/api/documents?regime={REGIME}&orgUnit={UNIT}&period={PERIOD}", {"file": upload})
    assert response.status_code == 400
    body = response.json()
    assert "not a readable PDF" in body["message_en"] and "không phải là tệp PDF" in body["message_vi"]
    assert Document.objects.count() == 0


def test_a_one_page_pdf_is_accepted(mof_reporter: Any) -> None:
    document = _attach(ONE_PAGE, mof_reporter)
    assert (document.kind, document.signature) == ("pdf", "unsigned")


@pytest.fixture
def ca(settings: Any, tmp_path: Path) -> tuple[bytes, bytes]:
    key, cert = create_test_ca()
    roots = tmp_path / "roots.pem"
    roots.write_bytes(cert)
    settings.NRS_TRUST_ROOTS = roots
    return key, cert


def _signed(ca: tuple[bytes, bytes], organisation: str, unit: str | None = None) -> bytes:
    extra = {"unit": unit} if unit else {}
    identity = issue_signer(*ca, name="Nguyễn Văn A", organisation=organisation, **extra)
    return sign_pdf(ONE_PAGE, identity, reason="Báo cáo tháng 10")


def test_a_valid_signature_of_another_organisation_is_not_the_units(ca: tuple[bytes, bytes],
                                                                    mof_reporter: Any) -> None:
    document = _attach(_signed(ca, "Văn phòng Chính phủ"), mof_reporter)
    assert document.signature == "foreign"
    assert document.signer == "Nguyễn Văn A, Văn phòng Chính phủ"
    assert "Văn phòng Chính phủ" in document.signature_problem


def test_a_look_alike_organisation_is_not_the_unit(ca: tuple[bytes, bytes], mof_reporter: Any) -> None:
    assert _attach(_signed(ca, "Bộ Tài chính (chi nhánh giả)"), mof_reporter).signature == "foreign"


@pytest.mark.parametrize(("organisation", "unit"), [
    ("Bộ Tài chính", None),               # O: the ministry's Vietnamese name
    ("BỘ TÀI CHÍNH", None),               # the same, in capitals
    ("Ministry of Finance", None),        # its English name
    ("Cục Thuế", "BTC"),                  # a department, with the NRS unit code as OU
])
def test_a_valid_signature_naming_the_unit_counts(ca: tuple[bytes, bytes], mof_reporter: Any,
                                                  organisation: str, unit: str | None) -> None:
    document = _attach(_signed(ca, organisation, unit), mof_reporter)
    assert document.signature == "valid", document.signature_problem


def test_the_report_page_shows_no_tick_for_another_organisations_signature(ca: tuple[bytes, bytes],
                                                                           mof_reporter: Any) -> None:
    _attach(_signed(ca, "Văn phòng Chính phủ"), mof_reporter)
    client = Client()
    client.force_login(mof_reporter)
    page = client.get(f"/report/{REGIME}/{UNIT}/{PERIOD}/").content.decode()
    start = page.index('data-signature="foreign"')
    shown = page[start:page.index("</span>", start)]
    assert "✔" not in shown and "Văn phòng Chính phủ" in shown
