"""PAdES digital signatures on PDF reports: sign, verify, and a demo CA for tests.

Signing appends an invisible PAdES baseline B-B signature (CMS, /ETSI.CAdES.detached) as an
incremental update. The signing time is the machine clock, recorded in the signature
dictionary's /M entry (PAdES forbids the CMS signingTime attribute); it is covered by the
signature but self-reported: there is no timestamp authority.

Verification never touches the network: no CRL/OCSP fetching, no certificate fetching, and
only the trust roots the caller passes (never the operating system's list).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import Enum
from io import BytesIO
from typing import Any, TypeVar

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.types import CertificateIssuerPrivateKeyTypes
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from pyhanko.keys import load_certs_from_pemder_data, load_private_key_from_pemder_data
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.pdf_utils.writer import BasePdfFileWriter
from pyhanko.sign import signers
from pyhanko.sign.fields import SigSeedSubFilter, enumerate_sig_fields
from pyhanko.sign.general import SigningError
from pyhanko.sign.signers.pdf_signer import PdfSigningSession
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.pdf_embedded import EmbeddedPdfSignature
from pyhanko.sign.validation.status import PdfSignatureStatus, SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.registry import SimpleCertificateStore

from nrs.lib.errors import InputError

MAX_PDF_BYTES = 50 * 1024 * 1024
DOCUMENT_SIGNING = x509.ObjectIdentifier("1.3.6.1.5.5.7.3.36")  # id-kp-documentSigning, RFC 9336
_CLOCK_SKEW = timedelta(minutes=5)
_log = logging.getLogger(__name__)
T = TypeVar("T")


class SignatureError(InputError):
    """A PDF, key or certificate that cannot be used for signing or verifying."""


@dataclass(frozen=True)
class Identity:
    """A signer: private key, certificate, and the chain up to (and including) the CA, all PEM."""

    key_pem: bytes
    cert_pem: bytes
    chain_pem: tuple[bytes, ...] = ()


@dataclass(frozen=True)
class SignatureInfo:
    """One signature in a PDF, as checked by :func:`verify_pdf`."""

    field: str
    signer: str
    organisation: str
    signed_at: datetime | None
    intact: bool
    trusted: bool
    whole_document: bool
    valid: bool
    problem: str
    units: tuple[str, ...] = ()  # the subject's organisation (O) and organisational units (OU)


# --- certificates -------------------------------------------------------------------------------


def create_test_ca(common_name: str = "NRS Test CA (demo)", organisation: str = "NRS demo") -> tuple[bytes, bytes]:
    """A self-signed EC P-256 CA for tests and the demo only: (key PEM, certificate PEM), ~10 years."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = _name(common_name, organisation)
    now = datetime.now(UTC)
    cert = (
        _builder(name, name, key.public_key(), now - _CLOCK_SKEW, now + timedelta(days=3652))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_key_usage(cert_sign=True), critical=True)
        .sign(key, hashes.SHA256())
    )
    return _key_pem(key), cert.public_bytes(serialization.Encoding.PEM)


def issue_signer(
    ca_key_pem: bytes,
    ca_cert_pem: bytes,
    *,
    name: str,
    organisation: str,
    email: str | None = None,
    days: int = 730,
    unit: str | None = None,
) -> Identity:
    """A signing certificate (EC P-256) for ``name`` at ``organisation``, issued by that CA;
    ``unit``, an NRS org unit code, goes in the subject as an organisational unit (OU)."""
    if not name.strip() or days < 1:
        raise SignatureError("signer", "Thiếu tên người ký hoặc thời hạn không hợp lệ.",
                             "A signer needs a name and a validity of at least one day.")
    ca_key, ca_cert = _load_ca(ca_key_pem, ca_cert_pem)
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.now(UTC)
    not_after = min(now + timedelta(days=days), ca_cert.not_valid_after_utc)
    builder = (
        _builder(_name(name, organisation, unit), ca_cert.subject, key.public_key(), now - _CLOCK_SKEW, not_after)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(cert_sign=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION, DOCUMENT_SIGNING]), critical=False)
        .add_extension(_authority_key_id(ca_cert), critical=False)
    )
    if email:
        builder = builder.add_extension(x509.SubjectAlternativeName([x509.RFC822Name(email)]), critical=False)
    cert = builder.sign(ca_key, hashes.SHA256())
    return Identity(_key_pem(key), cert.public_bytes(serialization.Encoding.PEM), (ca_cert_pem,))


def _name(common_name: str, organisation: str, unit: str | None = None) -> x509.Name:
    # cryptography encodes these as UTF8String, so Vietnamese names survive intact.
    return x509.Name([
        x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation),
        *([x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, unit)] if unit else []),
    ])


def _builder(subject: x509.Name, issuer: x509.Name, public_key: ec.EllipticCurvePublicKey,
             not_before: datetime, not_after: datetime) -> x509.CertificateBuilder:
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
    )


def _key_usage(*, cert_sign: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=not cert_sign, content_commitment=not cert_sign, key_encipherment=False,
        data_encipherment=False, key_agreement=False, key_cert_sign=cert_sign, crl_sign=cert_sign,
        encipher_only=False, decipher_only=False,
    )


def _authority_key_id(ca_cert: x509.Certificate) -> x509.AuthorityKeyIdentifier:
    ski = ca_cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    return x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski)


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def _load_ca(key_pem: bytes, cert_pem: bytes) -> tuple[CertificateIssuerPrivateKeyTypes, x509.Certificate]:
    try:
        key = serialization.load_pem_private_key(key_pem, password=None)
        cert = x509.load_pem_x509_certificate(cert_pem)
        cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier)
    except (ValueError, TypeError, x509.ExtensionNotFound) as exc:
        raise SignatureError("ca", "Không đọc được khóa hoặc chứng thư của CA.",
                             f"Cannot read the CA key or certificate: {exc}") from exc
    if not isinstance(key, ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey) or key.public_key() != cert.public_key():
        raise SignatureError("ca", "Khóa của CA không khớp với chứng thư.",
                             "The CA key does not match its certificate.")
    return key, cert


# --- signing ------------------------------------------------------------------------------------


class _TimedPdfSigner(signers.PdfSigner):
    """A PdfSigner whose signing time (the /M entry) is chosen by the caller."""

    def __init__(self, meta: signers.PdfSignatureMetadata, signer: signers.Signer, signed_at: datetime) -> None:
        super().__init__(meta, signer)
        self._signed_at = signed_at

    def init_signing_session(self, pdf_out: BasePdfFileWriter, existing_fields_only: bool = False) -> PdfSigningSession:
        session = super().init_signing_session(pdf_out, existing_fields_only=existing_fields_only)
        session.system_time = self._signed_at
        return session


def sign_pdf(pdf: bytes, identity: Identity, *, reason: str, location: str = "Hà Nội",
             field_name: str = "NRS-Signature", signed_at: datetime | None = None) -> bytes:
    """Return ``pdf`` with an invisible PAdES signature by ``identity`` appended as an incremental update."""
    return _outside_event_loop(_sign_pdf, pdf, identity, reason=reason, location=location, field_name=field_name,
                               signed_at=signed_at)


def _sign_pdf(pdf: bytes, identity: Identity, *, reason: str, location: str = "Hà Nội",
             field_name: str = "NRS-Signature", signed_at: datetime | None = None) -> bytes:
    _check_size(pdf)
    when = datetime.now(UTC).astimezone() if signed_at is None else signed_at
    if when.utcoffset() is None:
        raise SignatureError("signed_at", "Thời điểm ký phải có múi giờ.", "The signing time needs a timezone.")
    meta = signers.PdfSignatureMetadata(field_name=field_name, reason=reason, location=location,
                                        subfilter=SigSeedSubFilter.PADES, md_algorithm="sha256")
    pdf_signer = _TimedPdfSigner(meta, _simple_signer(identity), when)
    try:
        writer = IncrementalPdfFileWriter(BytesIO(pdf))
        output = pdf_signer.sign_pdf(writer, output=BytesIO())
    except (PdfError, SigningError, ValueError, KeyError, TypeError) as exc:
        raise SignatureError("pdf", "Không ký được tệp PDF này.", f"Cannot sign this PDF: {exc}") from exc
    return bytes(output.getvalue())


def _simple_signer(identity: Identity) -> signers.SimpleSigner:
    try:
        (cert,) = load_certs_from_pemder_data(identity.cert_pem)
        chain = [c for pem in identity.chain_pem for c in load_certs_from_pemder_data(pem)]
        key = load_private_key_from_pemder_data(identity.key_pem, passphrase=None)
        cert_public = x509.load_der_x509_certificate(cert.dump()).public_key()
        key_public = serialization.load_pem_private_key(identity.key_pem, password=None).public_key()
    except (ValueError, TypeError) as exc:
        raise SignatureError("identity", "Không đọc được khóa hoặc chứng thư của người ký.",
                             f"Cannot read the signer's key or certificate: {exc}") from exc
    if cert_public != key_public:
        raise SignatureError("identity", "Khóa của người ký không khớp với chứng thư.",
                             "The signer's key does not match the certificate.")
    return signers.SimpleSigner(signing_cert=cert, signing_key=key,
                                cert_registry=SimpleCertificateStore.from_certs([cert, *chain]))


# --- verifying ----------------------------------------------------------------------------------


def verify_pdf(pdf: bytes, trust_roots_pem: Iterable[bytes] = ()) -> list[SignatureInfo]:
    """Every signature in ``pdf``, in signing order, checked against ``trust_roots_pem``; [] when unsigned.

    A tampered, untrusted or unreadable signature is a result with ``valid=False``; only bytes
    that are not a readable PDF raise :class:`SignatureError`.
    """
    return _outside_event_loop(_verify_pdf, pdf, trust_roots_pem)


def _verify_pdf(pdf: bytes, trust_roots_pem: Iterable[bytes] = ()) -> list[SignatureInfo]:
    _check_size(pdf)
    roots = _trust_roots(trust_roots_pem)
    try:
        reader = PdfFileReader(BytesIO(pdf))
        fields = list(enumerate_sig_fields(reader, filled_status=True))
    except Exception as exc:  # a hostile file can fail the parser in many ways
        raise SignatureError("pdf", "Tệp không phải là PDF đọc được.", f"Not a readable PDF: {exc}") from exc
    found = [_check(reader, name, field, roots) for name, sig_obj, field in fields if _is_signature(sig_obj)]
    return [info for _, info in sorted(found, key=lambda pair: pair[0])]


def _trust_roots(pems: Iterable[bytes]) -> list[asn1_x509.Certificate]:
    try:
        return [cert for pem in pems for cert in load_certs_from_pemder_data(pem)]
    except (ValueError, TypeError) as exc:
        raise SignatureError("trust_roots", "Không đọc được chứng thư gốc tin cậy.",
                             f"Cannot read a trust root certificate: {exc}") from exc


def _is_signature(sig_obj: generic.PdfObject) -> bool:
    """Document timestamps (/DocTimeStamp) are not anyone's signature."""
    try:
        return bool(sig_obj.get_object().get("/Type", "/Sig") == "/Sig")
    except Exception:
        return True  # let _check report what is wrong with it


def _check(reader: PdfFileReader, name: str, field: generic.DictionaryObject,
           roots: list[asn1_x509.Certificate]) -> tuple[int, SignatureInfo]:
    """(signed revision, result) for one signature field; any failure is a result, never an exception."""
    try:
        embedded = EmbeddedPdfSignature(reader, field, name)
        context = ValidationContext(trust_roots=roots, allow_fetching=False)
        status = validate_pdf_signature(embedded, signer_validation_context=context)
        return embedded.signed_revision, _info(name, status)
    except Exception as exc:  # a signature that cannot even be checked is simply not valid
        _log.warning("signature field %r cannot be checked", name, exc_info=True)
        problem = f"signature cannot be checked: {type(exc).__name__}: {exc}"[:200]
        return 1 << 30, SignatureInfo(name, "", "", None, False, False, False, False, problem)


def _info(name: str, status: PdfSignatureStatus) -> SignatureInfo:
    signer, organisation, units = _subject(status.signing_cert.dump())
    intact = bool(status.intact and status.valid)
    trusted = status.validation_path is not None and status.trust_problem_indic is None
    coverage = status.coverage
    whole = coverage == SignatureCoverageLevel.ENTIRE_FILE or (
        coverage == SignatureCoverageLevel.ENTIRE_REVISION and status.docmdp_ok is True)
    valid = bool(status.bottom_line) and intact and trusted and whole
    return SignatureInfo(name, signer, organisation, _aware(status.signer_reported_dt), intact, trusted, whole,
                         valid, "" if valid else _problem(status, intact, trusted, whole), units)


def _problem(status: PdfSignatureStatus, intact: bool, trusted: bool, whole: bool) -> str:
    if not intact:
        return "the signed content was changed, or the signature does not match it"
    if not trusted:
        indic = status.trust_problem_indic
        return "the signer's certificate is not trusted" + (f" ({indic.name})" if isinstance(indic, Enum) else "")
    if not whole:
        level = status.modification_level
        return "the document was changed after signing" + (f" ({level.name})" if level is not None else "")
    return f"rejected by the validator: {status.summary()}"


def _subject(cert_der: bytes) -> tuple[str, str, tuple[str, ...]]:
    """(CN, first O, every O and OU) of a certificate's subject."""
    subject = x509.load_der_x509_certificate(cert_der).subject

    def every(oid: x509.ObjectIdentifier) -> list[str]:
        return [str(attribute.value) for attribute in subject.get_attributes_for_oid(oid)]

    names, organisations = every(NameOID.COMMON_NAME), every(NameOID.ORGANIZATION_NAME)
    units = (*organisations, *every(NameOID.ORGANIZATIONAL_UNIT_NAME))
    return (names[0] if names else ""), (organisations[0] if organisations else ""), units


# --- reading ------------------------------------------------------------------------------------

_MAX_PAGE_NODES = 100_000


def page_count(pdf: bytes) -> int:
    """The pages of ``pdf``, counted by walking its page tree; raises :class:`SignatureError`
    when the bytes are not a PDF that can be read (a header alone is not enough)."""
    return _outside_event_loop(_page_count, pdf)


def _page_count(pdf: bytes) -> int:
    _check_size(pdf)
    try:
        reader = PdfFileReader(BytesIO(pdf), strict=False)
        return _count_pages(reader.root["/Pages"].get_object())
    except Exception as exc:  # a hostile file can fail the parser in many ways
        raise SignatureError("pdf", "Tệp không phải là PDF đọc được.", f"Not a readable PDF: {exc}") from exc


def _count_pages(root: generic.PdfObject) -> int:
    """Leaves of the page tree, one node at a time, with a bound on the nodes visited (a
    cyclic or exploding tree is not a readable PDF)."""
    pages, todo, seen = 0, [root], 0
    while todo:
        node = todo.pop()
        seen += 1
        if seen > _MAX_PAGE_NODES:
            raise ValueError("the page tree is too large or cyclic")
        if not isinstance(node, generic.DictionaryObject):
            raise ValueError("a page tree node is not a dictionary")
        if node.get("/Type") == "/Page":
            pages += 1
            continue
        todo.extend(kid.get_object() for kid in node["/Kids"])
    return pages


def _aware(moment: datetime | None) -> datetime | None:
    """A PDF date without a UTC offset is read as UTC."""
    if moment is None or moment.utcoffset() is not None:
        return moment
    return moment.replace(tzinfo=UTC)


def _outside_event_loop(function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """pyHanko runs its own event loop (asyncio.run), which fails inside a running one (an
    async view, or a test driving a browser): there, run it in a thread of its own."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return function(*args, **kwargs)
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(function, *args, **kwargs).result()


def _check_size(pdf: bytes) -> None:
    if len(pdf) > MAX_PDF_BYTES:
        raise SignatureError("pdf", f"Tệp PDF lớn hơn {MAX_PDF_BYTES // 2**20} MB.",
                             f"The PDF is larger than {MAX_PDF_BYTES // 2**20} MB.")


__all__ = ["MAX_PDF_BYTES", "Identity", "SignatureError", "SignatureInfo", "create_test_ca", "issue_signer",
           "page_count", "sign_pdf", "verify_pdf"]
