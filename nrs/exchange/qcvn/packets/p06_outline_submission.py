"""6. Outline submission (báo cáo đề cương): the text part of a report, the documents
attached to it (collection.Document). The file itself is not carried: its name, type, size,
SHA-256, signature check and e-document metadata are (docs/exchange.md)."""

from __future__ import annotations

from typing import Any

from ninja import Schema
from pydantic import AwareDatetime, Field

from nrs.collection.models import Document
from nrs.exchange.qcvn.common import (
    QcvnReportBasisParams,
    QcvnReportOut,
    approved_only,
    basis,
    local,
    report_out,
)
from nrs.exchange.qcvn.packets.p04_report_data import basis_report
from nrs.exchange.qcvn.registry import Caller, PacketType, register


class QcvnDocumentOut(Schema):
    version: int
    filename: str
    kind: str = Field(description="pdf or docx")
    size: int
    sha256: str
    uploadedAt: AwareDatetime
    uploadedBy: str | None = Field(description="user name")
    signature: str = Field(description=("valid, foreign (validly signed by another organisation "
                                         "than the reporting unit), invalid, unsigned or unverified (DOCX)"))
    signer: str
    signedAt: AwareDatetime | None
    signatureProblem: str
    current: bool = Field(description="the newest document of its version: the one that counts")
    meta: dict[str, Any] = Field(description="from an e-document package: number, symbol, date, "
                                             "type, urgency, subject, signer, sender, receivers")


class QcvnOutlineSubmissionPayload(Schema):
    report: QcvnReportOut
    basis: str
    documents: list[QcvnDocumentOut]


@register
class OutlineSubmission(PacketType):
    code, key = "06", "outline_submission"
    name_vi, name_en = "Báo cáo đề cương", "Outline submission"
    summary = "The text part of one report: its attached documents"
    data = True
    Params, Payload = QcvnReportBasisParams, QcvnOutlineSubmissionPayload

    def build(self, caller: Caller, query: Any) -> dict[str, Any]:
        submission, approved = basis_report(caller, query)
        documents = list(approved_only(Document.objects.filter(version__submission=submission), approved)
                         .select_related("version", "uploaded_by").order_by("version__number", "uploaded_at", "id"))
        newest = {d.version.number: d.pk for d in documents}  # ordered: the last of each wins
        return {"report": report_out(submission), "basis": basis(approved),
                "documents": [_document(d, newest[d.version.number] == d.pk) for d in documents]}


def _document(d: Document, current: bool) -> dict[str, Any]:
    return {"version": d.version.number, "filename": d.filename, "kind": d.kind, "size": d.size,
            "sha256": d.sha256, "uploadedAt": local(d.uploaded_at),
            "uploadedBy": d.uploaded_by.username if d.uploaded_by else None,
            "signature": d.signature, "signer": d.signer, "signedAt": local(d.signed_at),
            "signatureProblem": d.signature_problem, "current": current, "meta": d.meta or {}}
