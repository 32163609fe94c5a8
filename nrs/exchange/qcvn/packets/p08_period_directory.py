"""8. Report-period directory (danh mục kỳ báo cáo): the periods of a regime in a year,
each with its data cut-off window and deadline, from the regime's rules (nrs.lib.periods)."""

from __future__ import annotations

from typing import Any

from ninja import Schema
from pydantic import Field

from nrs.exchange.qcvn import params
from nrs.exchange.qcvn.common import REGIME, QcvnScheduleOut, Text, schedule_out
from nrs.exchange.qcvn.registry import Caller, PacketType, register
from nrs.lib import periods
from nrs.registry.models import Frequency


class QcvnReportPeriodDirectoryParams(Schema):
    regime: Text = REGIME
    year: Text = Field("", description="calendar year (default: this year)")


class QcvnReportPeriodDirectoryPayload(Schema):
    regime: str
    frequency: str | None = Field(description="null: an ad hoc regime, which has no periods")
    year: int
    cutoffDay: int
    deadlineRule: str = Field(description="e.g. working_days:2 or day_of_month:20+0")
    periods: list[QcvnScheduleOut]


@register
class PeriodDirectory(PacketType):
    code, key = "08", "report_period_directory"
    name_vi, name_en = "Danh mục kỳ báo cáo", "Report-period directory"
    summary = "A regime's periods in a year with their cut-off windows and deadlines"
    Params, Payload = QcvnReportPeriodDirectoryParams, QcvnReportPeriodDirectoryPayload

    def build(self, caller: Caller, query: Any) -> dict[str, Any]:
        regime = params.regime(query.regime)
        year = params.year(query.year)
        found: list[dict[str, Any]] = []
        if regime.frequency:
            first = periods.Period.containing(Frequency(regime.frequency).period_kind,
                                              periods.Period.annual(year).start)
            found = [schedule_out(regime, p) for p in _periods_of_year(first)]
        rule = f"{regime.deadline_kind}:{regime.deadline_value}"
        if regime.deadline_kind == "day_of_month":
            rule += f"+{regime.deadline_month_offset}"
        return {"regime": regime.code, "frequency": regime.frequency or None, "year": year,
                "cutoffDay": regime.cutoff_day, "deadlineRule": rule, "periods": found}


def _periods_of_year(first: periods.Period) -> list[periods.Period]:
    """From the year's first period to the one ending in December (nine months: just one)."""
    found, period = [first], first
    while period.end.month != 12 and period.kind is not periods.Kind.NINE_MONTHS:
        period = period.next()
        found.append(period)
    return found
