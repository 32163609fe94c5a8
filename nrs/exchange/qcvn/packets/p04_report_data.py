"""4. Report data (dữ liệu báo cáo): one report's values, the newest vintage of each, with
the version they belong to and when it was approved."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext_noop as _
from ninja import Schema
from pydantic import AwareDatetime, Field

from nrs.accounts.access import Perm
from nrs.collection.context import newest_rows
from nrs.collection.models import DataValue, Submission
from nrs.exchange.qcvn import params
from nrs.exchange.qcvn.common import (
    QcvnReportBasisParams,
    QcvnReportOut,
    QcvnValueOut,
    approved_only,
    basis,
    local,
    report_out,
    value_out,
)
from nrs.exchange.qcvn.registry import Caller, PacketType, Refused, outside_scope, register
from nrs.i18n import bilingual


class QcvnVintageOut(Schema):
    version: int = Field(description="the newest version the values come from")
    approvedAt: AwareDatetime | None = Field(description="when it was approved; null: not yet")


class QcvnReportDataPayload(Schema):
    report: QcvnReportOut
    basis: str = Field(description="approved: the approved values; current: the current version's")
    vintage: QcvnVintageOut
    values: list[QcvnValueOut]


def basis_report(caller: Caller, query: Any) -> tuple[Submission, bool]:
    """The report the query names, after the scope check on its unit: approved values need
    VIEW_DATA, the current (unapproved) version VIEW_UNAPPROVED."""
    approved = params.flag(query.approved, "approved", True)
    _regime, unit, _period, submission = params.submission(query.regime, query.orgUnit, query.period)
    if not caller.may(Perm.VIEW_DATA if approved else Perm.VIEW_UNAPPROVED, unit):
        raise outside_scope()
    if submission is None:
        raise Refused(404, *bilingual(_("there is no report for this regime, unit and period")), "period")
    if approved and not submission.versions.filter(approved_at__isnull=False).exists():
        raise Refused(404, *bilingual(_("the report has not been approved")), "approved")
    return submission, approved


def report_values(submission: Submission, approved: bool) -> QuerySet[DataValue]:
    rows = approved_only(DataValue.objects.filter(version__submission=submission), approved)
    return newest_rows(rows).select_related("version").order_by(
        "indicator__code", "org_unit__code", "breakdown")


@register
class ReportData(PacketType):
    code, key = "04", "report_data"
    name_vi, name_en = "Dữ liệu báo cáo", "Report data"
    summary = "One report's values (approved, or the current version)"
    data = True
    Params, Payload = QcvnReportBasisParams, QcvnReportDataPayload

    def build(self, caller: Caller, query: Any) -> dict[str, Any]:
        submission, approved = basis_report(caller, query)
        versions = submission.versions.order_by("-number")
        if approved:
            versions = versions.filter(approved_at__isnull=False)
        version = versions.first()
        assert version is not None  # every submission has version 1; approved was checked
        return {"report": report_out(submission), "basis": basis(approved),
                "vintage": {"version": version.number, "approvedAt": local(version.approved_at)},
                "values": [value_out(row) for row in report_values(submission, approved)]}
