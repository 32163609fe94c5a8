"""PAdES signatures on PDF reports: real WeasyPrint PDFs, real keys, real pyHanko — no mocks, no database."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta, timezone
from io import BytesIO

import pytest
from cryptography import x509
from cryptography.x509.oid import NameOID
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from weasyprint import HTML

from nrs.lib.signatures import (
    MAX_PDF_BYTES,
    Identity,
    SignatureError,
    SignatureInfo,
    create_test_ca,
    issue_signer,
    sign_pdf,
    verify_pdf,
)

SIGNER = "Nguyễn Văn A"
OFFICE = "Văn phòng Chính phủ"


@pytest.fixture(scope="module")
def report() -> bytes:
    # Uncompressed, so that the page's text operators can be found and altered below.
    html = HTML(string="<h1>Báo cáo tình hình kinh tế - xã hội</h1><p>Tháng 10/2026: 1.234 tỷ đồng</p>")
    return bytes(html.write_pdf(uncompressed_pdf=True))


@pytest.fixture(scope="module")
def ca() -> tuple[bytes, bytes]:
    return create_test_ca()


@pytest.fixture(scope="module")
def signer(ca: tuple[bytes, bytes]) -> Identity:
    return issue_signer(*ca, name=SIGNER, organisation=OFFICE, email="nguyen.van.a@example.vn")


@pytest.fixture(scope="module")
def signed(report: bytes, signer: Identity) -> bytes:
    return sign_pdf(report, signer, reason="Phê duyệt báo cáo tháng")


def test_signed_report_verifies_against_its_ca(report: bytes, signed: bytes, ca: tuple[bytes, bytes]) -> None:
    assert signed.startswith(report)  # an incremental update: the original bytes are untouched
    (info,) = verify_pdf(signed, [ca[1]])
    assert (info.valid, info.intact, info.trusted, info.whole_document) == (True, True, True, True)
    assert info.problem == ""
    assert (info.field, info.signer, info.organisation) == ("NRS-Signature", SIGNER, OFFICE)
    assert info.signed_at is not None and info.signed_at.utcoffset() is not None
    assert abs(datetime.now(UTC) - info.signed_at) < timedelta(minutes=1)


def test_one_changed_byte_in_the_signed_range_breaks_the_signature(signed: bytes, ca: tuple[bytes, bytes]) -> None:
    # The first glyph of the heading in the page's text array "[<00xx>0<00yy>…": change its last hex digit.
    at = signed.index(b"Tf\n[<") + 8
    assert at < signed.index(b"/ByteRange")  # inside the first signed block, i.e. the original report
    tampered = bytearray(signed)
    tampered[at] = ord("1") if tampered[at] != ord("1") else ord("2")
    (info,) = verify_pdf(bytes(tampered), [ca[1]])
    assert not info.intact
    assert not info.valid
    assert info.problem


def test_without_the_ca_as_root_the_signature_is_intact_but_untrusted(signed: bytes) -> None:
    (info,) = verify_pdf(signed)
    assert info.intact and info.whole_document
    assert not info.trusted
    assert not info.valid
    assert "not trusted" in info.problem


def test_an_unsigned_pdf_has_no_signatures(report: bytes, ca: tuple[bytes, bytes]) -> None:
    assert verify_pdf(report, [ca[1]]) == []


def test_bytes_that_are_not_a_pdf_raise_with_both_languages() -> None:
    with pytest.raises(SignatureError) as caught:
        verify_pdf(b"not a pdf")
    assert caught.value.vi and caught.value.en
    assert caught.value.vi != caught.value.en


def test_a_signer_from_another_ca_is_not_trusted(report: bytes, ca: tuple[bytes, bytes]) -> None:
    rogue_ca = create_test_ca("NRS Test CA (demo)", "NRS demo")  # same name, different key
    impostor = issue_signer(*rogue_ca, name=SIGNER, organisation=OFFICE)
    (info,) = verify_pdf(sign_pdf(report, impostor, reason="Giả mạo"), [ca[1]])
    assert info.intact and info.signer == SIGNER
    assert not info.trusted
    assert not info.valid


def test_content_added_in_a_later_update_is_not_covered(signed: bytes, ca: tuple[bytes, bytes]) -> None:
    writer = IncrementalPdfFileWriter(BytesIO(signed))
    overlay = writer.add_object(generic.StreamObject(stream_data=b"1 0 0 rg 50 50 200 40 re f"))
    writer.add_stream_to_page(0, overlay)
    out = BytesIO()
    writer.write(out)
    (info,) = verify_pdf(out.getvalue(), [ca[1]])
    assert info.intact and info.trusted  # the signed bytes themselves are still untouched
    assert not info.whole_document
    assert not info.valid
    assert "changed after signing" in info.problem


def test_a_second_signature_keeps_the_first_valid(signed: bytes, ca: tuple[bytes, bytes]) -> None:
    approver = issue_signer(*ca, name="Trần Thị Bình", organisation="Bộ Tài chính")
    twice = sign_pdf(signed, approver, reason="Thẩm định", field_name="NRS-Approval")
    infos = verify_pdf(twice, [ca[1]])
    assert [(i.field, i.signer, i.valid) for i in infos] == [
        ("NRS-Signature", SIGNER, True),
        ("NRS-Approval", "Trần Thị Bình", True),
    ]


def test_explicit_signing_time_is_recorded(report: bytes, signer: Identity, ca: tuple[bytes, bytes]) -> None:
    when = datetime(2026, 1, 15, 9, 30, 0, tzinfo=timezone(timedelta(hours=7)))
    (info,) = verify_pdf(sign_pdf(report, signer, reason="Báo cáo", signed_at=when), [ca[1]])
    assert info.signed_at == when
    with pytest.raises(SignatureError):
        sign_pdf(report, signer, reason="Báo cáo", signed_at=datetime(2026, 1, 15, 9, 30))  # naive


def test_certificates_carry_vietnamese_names_and_signing_usages(ca: tuple[bytes, bytes], signer: Identity) -> None:
    ca_cert = x509.load_pem_x509_certificate(ca[1])
    assert ca_cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    cert = x509.load_pem_x509_certificate(signer.cert_pem)
    assert cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == SIGNER
    assert cert.issuer == ca_cert.subject
    usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.digital_signature and usage.content_commitment and not usage.key_cert_sign
    assert signer.chain_pem == (ca[1],)


def test_mismatched_key_and_oversized_input_are_refused(report: bytes, signer: Identity) -> None:
    other = issue_signer(*create_test_ca(), name="Lê Văn C", organisation=OFFICE)
    with pytest.raises(SignatureError):
        sign_pdf(report, Identity(other.key_pem, signer.cert_pem), reason="x")
    too_big = report + b" " * (MAX_PDF_BYTES - len(report) + 1)
    for attempt in (lambda: verify_pdf(too_big), lambda: sign_pdf(too_big, signer, reason="x")):
        with pytest.raises(SignatureError, match="larger than 50 MB"):
            attempt()
    with pytest.raises(SignatureError):
        sign_pdf(b"not a pdf", signer, reason="x")


def test_calling_from_inside_an_event_loop_works(signed: bytes, ca: tuple[bytes, bytes]) -> None:
    # pyHanko runs asyncio.run() internally; inside a running loop it must move to a thread of its own,
    # or every signature would quietly read as invalid.
    async def inside() -> list[SignatureInfo]:
        return verify_pdf(signed, [ca[1]])

    # A thread of its own for the loop: the test session may already run one (the browser tests' driver).
    with ThreadPoolExecutor(max_workers=1) as pool:
        [info] = pool.submit(asyncio.run, inside()).result()
    assert info.valid


def test_page_count_walks_the_page_tree(report: bytes) -> None:
    from nrs.lib.signatures import page_count

    assert page_count(report) == 1
    for broken in (b"%PDF-1.7\n", b"%PDF-1.7 not a report" + bytes(range(256))):
        with pytest.raises(SignatureError):
            page_count(broken)


def test_the_subjects_organisation_and_unit_code_are_read(report: bytes, ca: tuple[bytes, bytes]) -> None:
    identity = issue_signer(*ca, name=SIGNER, organisation="Bộ Tài chính", unit="BTC")
    (info,) = verify_pdf(sign_pdf(report, identity, reason="Báo cáo ngành"), [ca[1]])
    assert info.valid and (info.organisation, info.units) == ("Bộ Tài chính", ("Bộ Tài chính", "BTC"))
