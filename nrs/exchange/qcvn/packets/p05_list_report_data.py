"""5. List-type report data (dữ liệu báo cáo dạng danh sách): one regime and period, many
reporting units: a table form with a row per report and a cell per value."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.db.models import Exists, OuterRef
from ninja import Schema
from pydantic import AwareDatetime, Field

from nrs.accounts.access import Perm
from nrs.collection.context import newest_rows
from nrs.collection.models import DataValue, Submission, SubmissionVersion
from nrs.exchange.qcvn import params
from nrs.exchange.qcvn.common import APPROVED, PERIOD, REGIME, QcvnPeriodOut, Text, basis, local, period_out
from nrs.exchange.qcvn.registry import Caller, PacketType, register
from nrs.lib.numbers import plain

MAX_REPORTS = 5_000


class QcvnListReportDataParams(Schema):
    regime: Text = REGIME
    period: Text = PERIOD
    orgUnit: Text = Field("", description="only reports of this unit and the units under it; "
                                          "default: every report in your scope")
    approved: Text = APPROVED


class QcvnCellOut(Schema):
    indicator: str
    orgUnit: str
    breakdown: str
    value: str | None
    flag: str


class QcvnRowOut(Schema):
    orgUnit: str = Field(description="the reporting unit's code")
    name_vi: str
    name_en: str
    state: str
    version: int
    approvedAt: AwareDatetime | None
    cells: list[QcvnCellOut]


class QcvnListReportDataPayload(Schema):
    regime: str
    period: QcvnPeriodOut
    basis: str
    columns: list[str] = Field(description="the form's indicators, in order")
    rows: list[QcvnRowOut]


@register
class ListReportData(PacketType):
    code, key = "05", "list_report_data"
    name_vi, name_en = "Dữ liệu báo cáo dạng danh sách", "List-type report data"
    summary = "The values of many units' reports for one regime and period, as a table"
    data = True
    Params, Payload = QcvnListReportDataParams, QcvnListReportDataPayload

    def build(self, caller: Caller, query: Any) -> dict[str, Any]:
        regime = params.regime(query.regime)
        period = params.period(query.period)
        approved = params.flag(query.approved, "approved", True)
        reports = Submission.objects.filter(
            caller.scope(Perm.VIEW_DATA if approved else Perm.VIEW_UNAPPROVED),
            regime=regime, period=period.sdmx).select_related("org_unit")
        if query.orgUnit.strip():
            under = params.unit(query.orgUnit, on=period.end)
            reports = reports.filter(org_unit__path__startswith=under.path)
        values = DataValue.objects.filter(version__submission__in=reports)
        if approved:
            reports = reports.filter(Exists(SubmissionVersion.objects.filter(
                submission=OuterRef("pk"), approved_at__isnull=False)))
            values = values.filter(version__approved_at__isnull=False)
        found = list(reports.order_by("org_unit__code")[:MAX_REPORTS])
        cells: dict[int, list[DataValue]] = defaultdict(list)
        for row in newest_rows(values).select_related("version").order_by(
                "indicator__code", "org_unit__code", "breakdown"):
            cells[row.version.submission_id].append(row)
        return {"regime": regime.code, "period": period_out(period),
                "basis": basis(approved),
                "columns": [i.code for i in regime.indicators.order_by("area", "code")],
                "rows": [_row(s, cells[s.pk], approved) for s in found]}


def _row(report: Submission, values: list[DataValue], approved: bool) -> dict[str, Any]:
    stamps = [v.version.approved_at for v in values if v.version.approved_at]
    version = max((v.version.number for v in values), default=report.version)
    return {"orgUnit": report.org_unit.code, "name_vi": report.org_unit.name_vi,
            "name_en": report.org_unit.name_en, "state": report.state, "version": version,
            "approvedAt": local(max(stamps)) if stamps else None,
            "cells": [{"indicator": v.indicator.code, "orgUnit": v.org_unit.code, "breakdown": v.breakdown,
                       "value": None if v.value is None else plain(v.value), "flag": v.flag}
                      for v in values]}
