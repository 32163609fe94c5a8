"""2. Report form (biểu mẫu): a regime's data form, its indicators with their measurement
units, value types and breakdowns, as a form definition."""

from __future__ import annotations

from typing import Any

from ninja import Schema
from pydantic import Field

from nrs.exchange.qcvn import params
from nrs.exchange.qcvn.common import REGIME, QcvnCodelistOut, QcvnMeasureOut, Text, codelist_out, codes, measure_out
from nrs.exchange.qcvn.registry import Caller, PacketType, register
from nrs.registry.models import Codelist


class QcvnReportFormParams(Schema):
    regime: Text = REGIME


class QcvnFieldOut(Schema):
    """One line of the form: an indicator (a row of the NRS Excel template)."""

    order: int
    indicator: str
    name_vi: str
    name_en: str
    unit: QcvnMeasureOut
    valueType: str = Field(description="integer or decimal")
    decimals: int
    lowestLevel: str = Field(description="the lowest level reporting it: province, commune…")
    breakdowns: list[str] = Field(description="codelist codes (packet 12); values may be broken down by them")
    derived: bool = Field(description="computed by NRS from the formula, not entered")
    formula: str


class QcvnReportFormPayload(Schema):
    regime: str
    name_vi: str
    name_en: str
    frequency: str | None
    content: str = Field(description="text, data or both: 'text' has no data form")
    fields: list[QcvnFieldOut]
    breakdowns: list[QcvnCodelistOut] = Field(description="the codelists the fields use, with their codes")


@register
class ReportForm(PacketType):
    code, key = "02", "report_form"
    name_vi, name_en = "Biểu mẫu báo cáo", "Report form"
    summary = "A regime's data form: indicators, units, breakdowns"
    Params, Payload = QcvnReportFormParams, QcvnReportFormPayload

    def build(self, caller: Caller, query: Any) -> dict[str, Any]:
        regime = params.regime(query.regime)
        indicators = list(regime.indicators.select_related("unit").prefetch_related("breakdowns")
                          .order_by("area", "code"))
        used = sorted({b.code for i in indicators for b in i.breakdowns.all()})
        lists = Codelist.objects.filter(code__in=used).prefetch_related("codes").order_by("code")
        return {
            "regime": regime.code, "name_vi": regime.name_vi, "name_en": regime.name_en,
            "frequency": regime.frequency or None, "content": regime.content,
            "fields": [{"order": n, "indicator": i.code, "name_vi": i.name_vi, "name_en": i.name_en,
                        "unit": measure_out(i), "valueType": i.value_type, "decimals": i.decimals,
                        "lowestLevel": i.level, "breakdowns": codes(i.breakdowns.all()),
                        "derived": i.is_derived, "formula": i.formula}
                       for n, i in enumerate(indicators, start=1)],
            "breakdowns": [codelist_out(c) for c in lists],
        }
