"""1. Reporting regime (chế độ báo cáo): a registry.Regime under Decree 09/2019/NĐ-CP."""

from __future__ import annotations

from datetime import date
from typing import Any

from ninja import Schema
from pydantic import Field

from nrs.exchange.qcvn import params
from nrs.exchange.qcvn.common import REGIME, QcvnAgency, QcvnScheduleOut, Text, schedule_out
from nrs.exchange.qcvn.envelope import agency
from nrs.exchange.qcvn.registry import Caller, PacketType, register
from nrs.registry.models import Regime


class QcvnReportingRegimeParams(Schema):
    regime: Text = REGIME
    on: Text = Field("", description="the reporting units in force on this date (YYYY-MM-DD; default today)")


class QcvnCutoffOut(Schema):
    day: int = Field(description="the window runs from this day of the month before the period "
                                 "to the day before it in the period's last month (Decree 09: 15)")


class QcvnDeadlineOut(Schema):
    kind: str = Field(description="working_days (after cut-off) or day_of_month")
    value: int
    monthOffset: int = Field(description="day_of_month: months after the cut-off month")


class QcvnReportingRegimePayload(Schema):
    code: str
    name_vi: str
    name_en: str
    type: str = Field(description="periodic, thematic or adhoc (Decree 09)")
    content: str = Field(description="text, data or both")
    frequency: str | None = Field(description="M, Q, S (half year), N (nine months), Y; null: ad hoc")
    cutoff: QcvnCutoffOut
    deadline: QcvnDeadlineOut
    approvalRequired: bool
    legalBasis: str
    recipient: QcvnAgency | None = Field(description="who receives the reports; null: each unit's parent")
    reporterScope: str = Field(description="list, all_provinces, all_ministries or all_communes")
    reportingUnitsOn: date
    reportingUnits: list[QcvnAgency]
    indicatorCount: int = Field(description="the data form's indicators (packet 02)")
    nextPeriod: QcvnScheduleOut | None = Field(description="the first period whose deadline is not past")


@register
class ReportingRegime(PacketType):
    code, key = "01", "reporting_regime"
    name_vi, name_en = "Chế độ báo cáo", "Reporting regime"
    summary = "A reporting regime: frequency, cut-off, deadline, reporting units"
    Params, Payload = QcvnReportingRegimeParams, QcvnReportingRegimePayload

    def build(self, caller: Caller, query: Any) -> dict[str, Any]:
        regime = params.regime(query.regime)
        on = params.day(query.on, "on")
        return regime_out(regime, on)


def regime_out(regime: Regime, on: date) -> dict[str, Any]:
    upcoming = regime.next_schedule(on)
    units = regime.reporting_units(on).order_by("code", "valid_from")
    return {
        "code": regime.code, "name_vi": regime.name_vi, "name_en": regime.name_en,
        "type": regime.regime_type, "content": regime.content, "frequency": regime.frequency or None,
        "cutoff": {"day": regime.cutoff_day},
        "deadline": {"kind": regime.deadline_kind, "value": regime.deadline_value,
                     "monthOffset": regime.deadline_month_offset},
        "approvalRequired": regime.approval_required, "legalBasis": regime.legal_basis,
        "recipient": agency(regime.recipient), "reporterScope": regime.reporter_scope,
        "reportingUnitsOn": on, "reportingUnits": [agency(u) for u in units],
        "indicatorCount": regime.indicators.count(),
        "nextPeriod": schedule_out(regime, upcoming.period) if upcoming else None,
    }
