"""7. Report status (trạng thái báo cáo): one report's state, its versions and every
workflow step with who took it, when, and their comment."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_noop as _
from ninja import Schema
from pydantic import AwareDatetime, Field

from nrs.accounts.access import Perm
from nrs.exchange.qcvn import params
from nrs.exchange.qcvn.common import QcvnReportOut, QcvnReportParams, local, report_out
from nrs.exchange.qcvn.registry import Caller, PacketType, Refused, outside_scope, register
from nrs.i18n import bilingual


class QcvnActor(Schema):
    username: str
    fullName: str


class QcvnVersionOut(Schema):
    number: int
    reason: str = Field(description="why it was opened (a revision's reason)")
    openedAt: AwareDatetime
    openedBy: QcvnActor | None
    approvedAt: AwareDatetime | None


class QcvnTransitionOut(Schema):
    version: int
    fromState: str = Field(description="'' for the first step")
    toState: str
    at: AwareDatetime
    actor: QcvnActor | None = Field(description="null: done by NRS itself (auto-approval)")
    comment: str


class QcvnReportStatusPayload(Schema):
    report: QcvnReportOut
    late: bool | None = Field(description="first submitted after the deadline; null: not submitted")
    versions: list[QcvnVersionOut]
    transitions: list[QcvnTransitionOut]


def _actor(user: Any) -> dict[str, str] | None:
    return None if user is None else {"username": user.username, "fullName": user.full_name}


@register
class ReportStatus(PacketType):
    code, key = "07", "report_status"
    name_vi, name_en = "Trạng thái báo cáo", "Report status"
    summary = "One report's state, versions and workflow history"
    data = True
    Params, Payload = QcvnReportParams, QcvnReportStatusPayload

    def build(self, caller: Caller, query: Any) -> dict[str, Any]:
        _regime, unit, _period, submission = params.submission(query.regime, query.orgUnit, query.period)
        if not caller.may(Perm.VIEW_UNAPPROVED, unit):
            raise outside_scope()
        if submission is None:
            raise Refused(404, *bilingual(_("there is no report for this regime, unit and period")), "period")
        report = report_out(submission)
        first = local(submission.first_submitted_at)
        return {
            "report": report, "late": None if first is None else first.date() > report["deadline"],
            "versions": [{"number": v.number, "reason": v.reason, "openedAt": local(v.opened_at),
                          "openedBy": _actor(v.opened_by), "approvedAt": local(v.approved_at)}
                         for v in submission.versions.select_related("opened_by").order_by("number")],
            "transitions": [{"version": t.version, "fromState": t.from_state, "toState": t.to_state,
                             "at": local(t.at), "actor": _actor(t.actor), "comment": t.comment}
                            for t in submission.transitions.select_related("actor").order_by("id")],
        }
