"""3. Outline form (đề cương): the template of a regime's text report.

NRS keeps the outline as one text per language on the regime (Regime.outline_vi/en);
its sections are not modelled as structured fields (docs/exchange.md)."""

from __future__ import annotations

from typing import Any

from ninja import Schema
from pydantic import Field

from nrs.exchange.qcvn import params
from nrs.exchange.qcvn.common import REGIME, Text
from nrs.exchange.qcvn.registry import Caller, PacketType, register
from nrs.registry.models import RegimeContent

# What attach_document accepts as the text part (nrs.collection.documents).
FORMATS = ["application/pdf",
           "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
           "application/vnd.nrs.edoc+zip"]


class QcvnOutlineFormParams(Schema):
    regime: Text = REGIME


class QcvnOutlineFormPayload(Schema):
    regime: str
    name_vi: str
    name_en: str
    textRequired: bool = Field(description="the regime's content is text or both: a report is "
                                           "not complete without its text part")
    outline_vi: str = Field(description="the outline template, as text")
    outline_en: str
    acceptedMediaTypes: list[str] = Field(description="PDF (signature verified), DOCX, or an "
                                                      "e-document package holding one")
    signatureExpected: bool = Field(description="Decree 09: an electronic report carries the "
                                                "digital signature of the authorised person")


@register
class OutlineForm(PacketType):
    code, key = "03", "outline_form"
    name_vi, name_en = "Đề cương báo cáo", "Outline form"
    summary = "A regime's outline template for the text report"
    Params, Payload = QcvnOutlineFormParams, QcvnOutlineFormPayload

    def build(self, caller: Caller, query: Any) -> dict[str, Any]:
        regime = params.regime(query.regime)
        text = regime.content in (RegimeContent.TEXT, RegimeContent.BOTH)
        return {"regime": regime.code, "name_vi": regime.name_vi, "name_en": regime.name_en,
                "textRequired": text, "outline_vi": regime.outline_vi, "outline_en": regime.outline_en,
                "acceptedMediaTypes": FORMATS, "signatureExpected": text}
