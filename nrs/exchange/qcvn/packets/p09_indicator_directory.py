"""9. Indicator directory (danh mục chỉ tiêu): the catalogue, about 200 indicators in the nine
areas of Decision 293/QĐ-TTg, with units, aggregation rules, breakdowns and the agency
responsible for each today."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, Q
from django.utils import timezone
from ninja import Schema
from pydantic import Field

from nrs.exchange.qcvn import params
from nrs.exchange.qcvn.common import QcvnAgency, QcvnMeasureOut, Text, codes, measure_out, names
from nrs.exchange.qcvn.envelope import agency
from nrs.exchange.qcvn.registry import Caller, PacketType, register
from nrs.registry.models import Indicator, Responsibility


class QcvnIndicatorDirectoryParams(Schema):
    area: Text = Field("", description="only this group (packet 11), 1 to 9")


class QcvnIndicatorOut(Schema):
    code: str
    name_vi: str
    name_en: str
    group: int = Field(description="the area of Decision 293 (packet 11)")
    unit: QcvnMeasureOut
    valueType: str
    decimals: int
    frequency: str = Field(description="M, Q, S, N or Y")
    lowestLevel: str
    aggregationOverUnits: str = Field(description="sum, wmean (weighted by 'weight') or none")
    weight: str | None
    aggregationOverTime: str = Field(description="sum, avg, last or none")
    breakdowns: list[str]
    formula: str = Field(description="for derived indicators: arithmetic over indicator codes")
    headline: bool
    description_vi: str
    description_en: str
    source: str = Field(description="where the definition comes from")
    responsibleAgency: QcvnAgency | None = Field(description="the agency responsible today")


class QcvnIndicatorDirectoryPayload(Schema):
    count: int
    indicators: list[QcvnIndicatorOut]


@register
class IndicatorDirectory(PacketType):
    code, key = "09", "indicator_directory"
    name_vi, name_en = "Danh mục chỉ tiêu", "Indicator directory"
    summary = "The indicator catalogue"
    Params, Payload = QcvnIndicatorDirectoryParams, QcvnIndicatorDirectoryPayload

    def build(self, caller: Caller, query: Any) -> dict[str, Any]:
        area = params.area(query.area)
        today = timezone.localdate()
        live = Responsibility.objects.filter(valid_from__lte=today).filter(
            Q(valid_to__isnull=True) | Q(valid_to__gte=today)).select_related("agency")
        found = Indicator.objects.select_related("unit", "weight").prefetch_related(
            "breakdowns", Prefetch("responsibilities", queryset=live, to_attr="live")).order_by("area", "code")
        if area is not None:
            found = found.filter(area=area)
        rows = [indicator_out(i) for i in found]
        return {"count": len(rows), "indicators": rows}


def indicator_out(i: Indicator) -> dict[str, Any]:
    live = getattr(i, "live", [])
    return {
        **names(i), "group": i.area,
        "unit": measure_out(i), "valueType": i.value_type, "decimals": i.decimals,
        "frequency": i.frequency, "lowestLevel": i.level, "aggregationOverUnits": i.ou_aggregation,
        "weight": i.weight.code if i.weight is not None else None,
        "aggregationOverTime": i.time_aggregation,
        "breakdowns": codes(i.breakdowns.all()), "formula": i.formula,
        "headline": i.headline, "description_vi": i.description_vi, "description_en": i.description_en,
        "source": i.source, "responsibleAgency": agency(live[0].agency) if live else None,
    }
