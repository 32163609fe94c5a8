"""12. Breakdowns (phân tổ): the codelists (registry.Codelist) and their codes, with the
indicators broken down by each."""

from __future__ import annotations

from typing import Any

from ninja import Schema
from pydantic import Field

from nrs.exchange.qcvn.common import QcvnCodeOut, codelist_out, codes
from nrs.exchange.qcvn.registry import Caller, PacketType, register
from nrs.registry.models import Codelist


class QcvnBreakdownOut(Schema):
    code: str
    name_vi: str
    name_en: str
    codes: list[QcvnCodeOut]
    indicators: list[str] = Field(description="indicators whose values may be broken down by it")


class QcvnBreakdownsPayload(Schema):
    breakdowns: list[QcvnBreakdownOut]
    keyFormat: str = Field(description="how a value names its breakdown (packets 04, 05, 13)")


@register
class Breakdowns(PacketType):
    code, key = "12", "breakdowns"
    name_vi, name_en = "Phân tổ", "Breakdowns"
    summary = "The breakdown codelists and their codes"
    Payload = QcvnBreakdownsPayload

    def build(self, caller: Caller, query: Any) -> dict[str, Any]:
        lists = Codelist.objects.prefetch_related("codes", "indicator_set").order_by("code")
        return {"breakdowns": [{**codelist_out(c), "indicators": codes(c.indicator_set.all())}
                               for c in lists],
                "keyFormat": "'' for the total; else CODELIST=CODE pairs joined by ';', sorted by codelist"}
