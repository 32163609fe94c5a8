"""13. KPI data (dữ liệu chỉ tiêu): approved values by indicator × unit × period, the newest
approved vintage of each, within the caller's scope. The figures as reported; the dashboards'
aggregates (sums over units and time) are not part of this packet."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_noop as _
from ninja import Schema
from pydantic import Field

from nrs.accounts.access import Perm
from nrs.collection.context import newest_rows
from nrs.collection.models import DataValue
from nrs.exchange.qcvn import params
from nrs.exchange.qcvn.common import QcvnValueOut, Text, value_out
from nrs.exchange.qcvn.packets.p10_kpi_set import set_indicators
from nrs.exchange.qcvn.registry import Caller, PacketType, register
from nrs.i18n import bilingual
from nrs.lib.errors import InputError
from nrs.registry.models import OrgUnit

MAX_VALUES = 50_000


class QcvnKpiDataParams(Schema):
    indicator: Text = Field("", description="indicator codes, comma-separated (or kpiSet)")
    kpiSet: Text = Field("", description="a KPI set of packet 10 instead of indicator, e.g. HEADLINE")
    orgUnit: Text = Field("", description="unit codes, comma-separated; default: all in your scope")
    period: Text = Field("", description="one period id, e.g. 2026-10")
    startPeriod: Text = Field("", description="periods starting on or after this one's start")
    endPeriod: Text = Field("", description="periods starting on or before this one's end")


class QcvnKpiDataPayload(Schema):
    indicators: list[str]
    count: int
    truncated: bool = Field(description=f"more than {MAX_VALUES} values matched: narrow the query")
    values: list[QcvnValueOut]


@register
class KpiData(PacketType):
    code, key = "13", "kpi_data"
    name_vi, name_en = "Dữ liệu chỉ tiêu", "KPI data"
    summary = "Approved values by indicator × unit × period"
    data = True
    Params, Payload = QcvnKpiDataParams, QcvnKpiDataPayload

    def build(self, caller: Caller, query: Any) -> dict[str, Any]:
        codes = _indicators(query)
        rows = DataValue.objects.filter(caller.scope(Perm.VIEW_DATA), indicator__code__in=codes,
                                        version__approved_at__isnull=False)
        units = _units(query.orgUnit)
        if units:
            rows = rows.filter(org_unit__code__in=units)
        rows = _periods(rows, query)
        found = list(newest_rows(rows).select_related("version").order_by(
            "indicator__code", "org_unit__code", "period_start", "period", "breakdown")[:MAX_VALUES + 1])
        return {"indicators": codes, "count": min(len(found), MAX_VALUES),
                "truncated": len(found) > MAX_VALUES, "values": [value_out(r) for r in found[:MAX_VALUES]]}


def _indicators(query: Any) -> list[str]:
    if query.indicator.strip() and query.kpiSet.strip():
        raise InputError("kpiSet", *bilingual(_("give either indicator or kpiSet, not both")))
    if query.kpiSet.strip():
        return set_indicators(query.kpiSet.strip())
    found = [i.code for i in params.indicators(query.indicator)]
    if not found:
        raise InputError("indicator", *bilingual(_("the parameter 'indicator' (or 'kpiSet') is "
                                                   "required")))
    return found


def _units(text: str) -> list[str]:
    """The unit codes asked for; a code no unit ever had is a mistake worth naming."""
    wanted = params.codes(text, "orgUnit")
    known = set(OrgUnit.objects.filter(code__in=wanted).values_list("code", flat=True))
    unknown = [c for c in wanted if c not in known]
    if unknown:
        raise InputError("orgUnit", *bilingual(_("unknown org unit: %(units)s"),
                                               units=', '.join(unknown[:5])))
    return wanted


def _periods(rows: Any, query: Any) -> Any:
    one = params.optional_period(query.period, "period")
    if one is not None:
        return rows.filter(period=one.sdmx)
    start = params.optional_period(query.startPeriod, "startPeriod")
    end = params.optional_period(query.endPeriod, "endPeriod")
    if start is not None and end is not None and end.end < start.start:
        raise InputError("endPeriod", *bilingual(_("endPeriod must not precede startPeriod")))
    if start is not None:
        rows = rows.filter(period_start__gte=start.start)
    if end is not None:
        rows = rows.filter(period_start__lte=end.end)
    return rows
