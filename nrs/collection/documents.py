"""Checking an uploaded report document: PDF or DOCX, by content, within limits;
its digital signature; and unpacking an e-document exchange package.

Only the first bytes and the zip directory are read; nothing is executed or
expanded. A PDF's signatures are verified against the trust roots
(NRS_TRUST_ROOTS); a DOCX's are not verifiable here.
"""

from __future__ import annotations

import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from django.conf import settings
from django.utils.translation import gettext_noop as _

from nrs.i18n import Pair, bilingual
from nrs.lib import edoc, signatures
from nrs.lib.errors import InputError

MAX_BYTES = 10 * 1024 * 1024
MAX_UNZIPPED = 100 * 1024 * 1024
MAX_RATIO = 100


@dataclass(frozen=True)
class DocumentError(Exception):
    vi: str
    en: str

    def __str__(self) -> str:
        return f"{self.vi} / {self.en}"


# Key of Document.meta set when a document is removed before submission: the row and its
# file stay (the audit trail points at them), but it no longer counts as the report's text.
REMOVED = "removed"


def _refused(problem: Pair) -> DocumentError:
    """The problem, after the form field it is about (so a person knows which upload is meant)."""
    return DocumentError(*bilingual(_("Text report (PDF/DOCX): %(problem)s"), problem=problem))


def sniff(data: bytes, filename: str) -> str:
    """'pdf' or 'docx', judged by content; raises DocumentError otherwise. A PDF must
    parse and have at least one page: a ``%PDF`` header alone is not a report."""
    if len(data) > MAX_BYTES:
        raise _refused(bilingual(_("the file is too large (at most %(limit)s MB)"), limit=MAX_BYTES // 1024 // 1024))
    if not data:
        raise _refused(bilingual(_("the file '%(name)s' is empty"), name=filename))
    if data.startswith(b"%PDF-"):
        _check_pdf(data, filename)
        return "pdf"
    if data.startswith(b"PK\x03\x04") and _is_docx(data):
        return "docx"
    raise _refused(bilingual(_("'%(name)s' is not a PDF or DOCX file"), name=filename))


def _check_pdf(data: bytes, filename: str) -> None:
    try:
        pages = signatures.page_count(data)
    except signatures.SignatureError:
        raise _refused(bilingual(_("'%(name)s' is not a readable PDF (damaged or malformed)"),
                                 name=filename)) from None
    if pages < 1:
        raise _refused(bilingual(_("'%(name)s' is a PDF without a single page"), name=filename))


def _is_docx(data: bytes) -> bool:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
            total = sum(m.file_size for m in members)
            if total > MAX_UNZIPPED or any(
                    m.compress_size and m.file_size / m.compress_size > MAX_RATIO for m in members):
                raise _refused(bilingual(_("the archive expands abnormally (zip bomb?)")))
            return "word/document.xml" in {m.filename for m in members}
    except zipfile.BadZipFile:
        return False


_PEM = re.compile(rb"-----BEGIN CERTIFICATE-----.+?-----END CERTIFICATE-----\s*", re.DOTALL)


def trust_roots() -> list[bytes]:
    """The CA certificates signatures are checked against (a PEM bundle file)."""
    path = settings.NRS_TRUST_ROOTS
    return _PEM.findall(path.read_bytes()) if path.is_file() else []


@dataclass(frozen=True)
class Signature:
    status: str  # valid | foreign | invalid | unsigned | unverified (collection.models.SignatureStatus)
    signer: str = ""
    signed_at: datetime | None = None
    problem: str = ""


class ReportingUnit(Protocol):
    code: str
    name_vi: str
    name_en: str
    short_name: str


def _normal(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).casefold().split())


def signs_for(info: signatures.SignatureInfo, unit: ReportingUnit) -> bool:
    """Whether the signing certificate names ``unit``: one of its subject's
    organisation (O) or organisational unit (OU) values equals the unit's code
    (as NRS issues it), Vietnamese or English name or short name, compared without regard to case,
    Unicode form or repeated spaces. A ministry's own department signs as
    ``O=Bộ Tài chính, OU=…``; a certificate of another body never matches."""
    wanted = {_normal(value) for value in (unit.code, unit.name_vi, unit.name_en, unit.short_name) if value.strip()}
    return any(_normal(value) in wanted for value in info.units)


def check_signature(data: bytes, kind: str, unit: ReportingUnit | None = None) -> Signature:
    """The document's digital signature, judged by the newest signature in a PDF.
    A valid signature counts as the unit's ("valid") only when its certificate
    names ``unit`` (``signs_for``); a valid one by another organisation is
    "foreign", never shown as signed for the unit."""
    if kind != "pdf":
        return Signature("unverified")
    try:
        found = signatures.verify_pdf(data, trust_roots())
    except signatures.SignatureError as exc:  # no readable signature: not signed, as far as anyone can tell
        return Signature("unsigned", problem=exc.en[:300])
    if not found:
        return Signature("unsigned")
    last = found[-1]
    signer = f"{last.signer}, {last.organisation}".strip(", ")[:300]
    if last.valid and unit is not None and not signs_for(last, unit):
        return Signature("foreign", signer, last.signed_at,
                         f"the certificate names {', '.join(last.units) or 'no organisation'}, "
                         f"not {unit.code} {unit.name_vi}"[:300])
    return Signature("valid" if last.valid else "invalid", signer, last.signed_at, last.problem[:300])


@dataclass(frozen=True)
class Unpacked:
    data: bytes
    filename: str
    meta: dict[str, Any] = field(default_factory=dict)


def is_package(data: bytes) -> bool:
    if not data.startswith(b"PK\x03\x04"):
        return False
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return "envelope.xml" in archive.namelist()
    except zipfile.BadZipFile:
        return False


def unpack(data: bytes) -> Unpacked:
    """The report document carried by an e-document exchange package, with its metadata.
    Raises DocumentError naming what is wrong."""
    if len(data) > MAX_BYTES:
        raise _refused(bilingual(_("the package is too large (at most %(limit)s MB)"),
                                 limit=MAX_BYTES // 1024 // 1024))
    try:
        package = edoc.parse(data)
    except InputError as exc:
        raise _refused(Pair(f"{exc.ref}: {exc.vi}", f"{exc.ref}: {exc.en}")) from None  # nrs.lib's own pair
    documents = [a for a in package.attachments if a.filename.lower().endswith((".pdf", ".docx"))]
    if not documents:
        raise _refused(bilingual(_("the package holds no PDF or DOCX file")))
    meta = package.meta
    return Unpacked(documents[0].data, documents[0].filename, {
        "package_id": package.package_id, "number": meta.number, "symbol": meta.symbol,
        "issued_on": meta.issued_on.isoformat(), "doc_type": meta.doc_type, "urgency": meta.urgency,
        "subject": meta.subject, "signer": meta.signer, "place": meta.place,
        "sender": {"code": package.sender.code, "name": package.sender.name},
        "receivers": [{"code": r.code, "name": r.name} for r in package.receivers]})


# -- the current document of a report version --------------------------------------------

def is_removed(meta: dict[str, Any] | None) -> bool:
    return bool(meta and REMOVED in meta)


def removal(actor: Any, at: datetime) -> dict[str, str]:
    """What Document.meta[REMOVED] holds: who removed it and when."""
    return {"by": str(getattr(actor, "username", "") or ""), "at": at.isoformat()}


def audit_view(document: Any) -> dict[str, Any] | None:
    """A document as the audit log records it (the old and new values of a change)."""
    if document is None:
        return None
    return {"document": document.pk, "filename": document.filename, "kind": document.kind,
            "size": document.size, "sha256": document.sha256, "signature": document.signature,
            "version": getattr(document.version, "number", None)}
