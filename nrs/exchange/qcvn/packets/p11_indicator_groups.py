"""11. Indicator groups (nhóm chỉ tiêu): the nine areas of Decision 293/QĐ-TTg."""

from __future__ import annotations

from typing import Any

from django.utils import translation
from ninja import Schema
from pydantic import Field

from nrs.exchange.qcvn.common import named
from nrs.exchange.qcvn.registry import Caller, PacketType, register
from nrs.registry.models import Area, Indicator


class QcvnGroupOut(Schema):
    code: int = Field(description="1 to 9, the area's number in Decision 293")
    name_vi: str
    name_en: str
    indicators: list[str]


class QcvnIndicatorGroupsPayload(Schema):
    groups: list[QcvnGroupOut]


@register
class IndicatorGroups(PacketType):
    code, key = "11", "indicator_groups"
    name_vi, name_en = "Nhóm chỉ tiêu", "Indicator groups"
    summary = "The nine areas of Decision 293 and their indicators"
    Payload = QcvnIndicatorGroupsPayload

    def build(self, caller: Caller, query: Any) -> dict[str, Any]:
        members: dict[int, list[str]] = {area: [] for area in Area.values}
        for area, code in Indicator.objects.order_by("area", "code").values_list("area", "code"):
            members.setdefault(area, []).append(code)
        return {"groups": [named(area.value, _label(area, "vi"), _label(area, "en"), indicators=members[area.value])
                           for area in Area]}


def _label(area: Area, language: str) -> str:
    """The area's name in ``language``, from the project's translation catalogue."""
    with translation.override(language):
        return str(area.label)
