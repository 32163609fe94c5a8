"""Web entry: one grid per regime × unit × period, saved through the same
action and validation as the API and Excel."""

from __future__ import annotations

import csv
from collections import defaultdict
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from nrs.accounts import access
from nrs.accounts.access import Perm
from nrs.collection import actions, compliance, context, excel, files, queries
from nrs.collection.documents import DocumentError
from nrs.collection.models import Document, Flag, State, Submission
from nrs.collection.validation import Issue, Row
from nrs.collection.workflow import WorkflowError
from nrs.lib import csvsafe, periods
from nrs.lib.numbers import plain
from nrs.registry.models import OrgUnit, Regime

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _access_report(request: HttpRequest, regime_code: str, unit_code: str, period_id: str
                   ) -> tuple[Regime, OrgUnit, periods.Period]:
    """The regime, unit version and period a report URL names, once the user may
    see that unit's unapproved data (404 for unknown ones, 403 outside scope)."""
    regime = get_object_or_404(Regime, code=regime_code)
    try:
        period = periods.parse(period_id)
    except periods.PeriodError:
        raise Http404 from None
    versions = list(OrgUnit.objects.filter(code=unit_code).order_by("-valid_from"))
    unit = next((u for u in versions if u.is_valid_on(period.end)), None)
    if unit is None:
        raise Http404
    if not access.has_perm(request.user, Perm.VIEW_UNAPPROVED, unit):
        raise PermissionDenied
    return regime, unit, period


@login_required
def my_reports(request: HttpRequest) -> HttpResponse:
    """A signed-in user's work: with ``?view=inbox``, the reports waiting for their
    approval; otherwise the reports they fill in (due, overdue, in draft, sent back, sent),
    each with its state, its deadline and, when sent back, the approver's reason."""
    today = timezone.localdate()
    if request.GET.get("view") == "inbox":
        return render(request, "collection/inbox.html", {
            "rows": queries.inbox(request.user), "today": today,
            "can_approve": access.has_perm(request.user, Perm.APPROVE)})
    return render(request, "collection/my_reports.html", {
        "rows": queries.worklist(request.user, today), "today": today, "states": State,
        "can_enter": access.has_perm(request.user, Perm.ENTER_DATA),
        "can_approve": access.has_perm(request.user, Perm.APPROVE)})


@login_required
@require_http_methods(["GET", "POST"])
def report_form(request: HttpRequest, regime_code: str, unit_code: str, period_id: str
                ) -> HttpResponse:
    regime, unit, period = _access_report(request, regime_code, unit_code, period_id)
    issues: list[Issue] = []
    message = ""
    if request.method == "POST":
        issues, message = _handle_post(request, regime, unit, period)
    return _render(request, regime, unit, period, issues, message)


def _handle_post(request: HttpRequest, regime: Regime, unit: OrgUnit,
                 period: periods.Period) -> tuple[list[Issue], str]:
    action = request.POST.get("action", "save")
    if action == "attach":
        return _attach(request, regime, unit, period)
    if action == "excel":
        return _excel_upload(request, regime, unit, period)
    if action == "save":
        result = actions.check_and_save_values(regime, unit, period, _rows(request, regime, unit),
                                               actor=request.user)
        if not result.ok:
            return result.issues, ""
        return result.issues, f"saved:{result.saved}"
    submission = get_object_or_404(Submission, regime=regime, org_unit=unit, period=period.sdmx)
    comment = request.POST.get("comment", "")
    steps = {"submit": lambda: actions.submit_submission(submission, actor=request.user),
             "approve": lambda: actions.approve_submission(submission, actor=request.user,
                                                           comment=comment),
             "return": lambda: actions.return_submission(submission, actor=request.user,
                                                         comment=comment),
             "revise": lambda: actions.revise_submission(submission, actor=request.user,
                                                         reason=comment)}
    if action not in steps:
        raise Http404
    try:
        steps[action]()
    except WorkflowError as exc:
        return exc.issues or [Issue("form", "state", "workflow", "error", exc.vi, exc.en)], ""
    return [], f"done:{action}"


def _attach(request: HttpRequest, regime: Regime, unit: OrgUnit,
            period: periods.Period) -> tuple[list[Issue], str]:
    upload = request.FILES.get("document")
    if upload is None:
        return [Issue("document", "document", "document_missing", "error",
                      "hãy chọn tệp PDF hoặc DOCX", "choose a PDF or DOCX file")], ""
    try:
        actions.attach_document(regime, unit, period, upload.read(), upload.name or "report",
                                actor=request.user)
    except (DocumentError, WorkflowError) as exc:
        return [Issue("document", "document", "document_invalid", "error", exc.vi, exc.en)], ""
    return [], "done:attach"


def _excel_upload(request: HttpRequest, regime: Regime, unit: OrgUnit,
                  period: periods.Period) -> tuple[list[Issue], str]:
    upload = request.FILES.get("workbook")
    if upload is None:
        return [Issue("workbook", "workbook", "workbook_missing", "error",
                      "hãy chọn tệp Excel (.xlsx)", "choose an Excel file (.xlsx)")], ""
    try:
        parsed = excel.parse_upload(upload.read())
        parsed.check_target(regime.code, unit.code, period.sdmx)
    except excel.ExcelError as exc:
        issue = Issue(exc.ref, "workbook", "workbook_invalid", "error", exc.vi, exc.en)
        request.nrs_upload = excel.upload_result([issue])  # type: ignore[attr-defined]
        return [], ""  # shown by collection/_upload_result.html: errors apart from warnings
    result = actions.check_and_save_values(regime, unit, period, parsed.rows, actor=request.user)
    request.nrs_upload = excel.upload_result(result.issues, result.saved)  # type: ignore[attr-defined]
    return [], f"saved:{result.saved}" if result.ok else ""


@login_required
def excel_template(request: HttpRequest, regime_code: str, unit_code: str, period_id: str
                   ) -> HttpResponse:
    """The Excel template, prefilled with the report's current values."""
    regime, unit, period = _access_report(request, regime_code, unit_code, period_id)
    submission = Submission.objects.filter(regime=regime, org_unit=unit, period=period.sdmx).first()
    existing = {key[0]: row.value for key, row in context.existing_rows(submission).items()
                if key[1] == unit.code and key[2] == ""}
    data = excel.build_template(regime, unit, period, existing=existing,
                                language=request.LANGUAGE_CODE)  # type: ignore[attr-defined]
    response = HttpResponse(data, content_type=XLSX)
    response["Content-Disposition"] = (f'attachment; filename="{regime.code}_{unit.code}_'
                                       f'{period.sdmx}.xlsx"')
    return response


def _rows(request: HttpRequest, regime: Regime, unit: OrgUnit) -> list[Row]:
    submission = Submission.objects.filter(regime=regime, org_unit=unit).first()
    existing = context.existing_rows(submission) if submission else {}
    rows = []
    for code in regime.indicators.filter(formula="").values_list("code", flat=True):
        raw = request.POST.get(f"v-{code}", "").strip()
        flag = request.POST.get(f"f-{code}", "")
        comment = request.POST.get(f"c-{code}", "").strip()
        had = existing.get((code, unit.code, ""))
        if raw == "" and (had is None or had.value is None) and not comment:
            continue
        rows.append(Row(ref=code, indicator=code, org_unit=unit.code, value=raw or None,
                        flag=flag, comment=comment))
    return rows


def _render(request: HttpRequest, regime: Regime, unit: OrgUnit, period: periods.Period,
            issues: list[Issue], message: str) -> HttpResponse:
    submission = (Submission.objects.filter(regime=regime, org_unit=unit, period=period.sdmx)
                  .prefetch_related("transitions__actor").first())
    existing = context.existing_rows(submission) if submission else {}
    by_code: dict[str, list[Issue]] = defaultdict(list)
    general: list[Issue] = []
    form_codes = set(regime.indicators.values_list("code", flat=True))
    for issue in issues:
        code = issue.ref.split("@")[0]
        (by_code[code] if code in form_codes else general).append(issue)
    posted = request.POST if request.method == "POST" and not message else None
    grid = [_grid_row(ind, existing.get((ind.code, unit.code, "")), by_code.get(ind.code, []), posted)
            for ind in regime.indicators.filter(formula="").select_related("unit").order_by("area", "code")]
    sched = regime.schedule_for(period) if regime.frequency else None
    data: dict[str, Any] = {
        "regime": regime, "unit": unit, "period": period, "submission": submission, "grid": grid,
        "general": general, "message": message, "schedule": sched, "flags": Flag.choices,
        "editable": submission is None or submission.is_editable,
        "can_enter": access.has_perm(request.user, Perm.ENTER_DATA, unit),
        "can_approve": access.has_perm(request.user, Perm.APPROVE, unit),
        "states": State, "warnings": [i for i in issues if i.severity == "warning"],
        "documents": Document.objects.filter(version__submission=submission).select_related(
            "version").order_by("-id") if submission else [],
        "needs_document": regime.content in ("text", "both"),
    }
    template = "collection/_form.html" if request.htmx else "collection/report_form.html"  # type: ignore[attr-defined]
    return render(request, template, data)


def _grid_row(indicator: Any, row: Any, issues: list[Issue], posted: Any) -> dict[str, Any]:
    code = indicator.code
    value = "" if row is None or row.value is None else plain(row.value)
    if posted is not None:
        value = posted.get(f"v-{code}", value)
    return {"indicator": indicator, "value": value,
            "flag": posted.get(f"f-{code}", "") if posted is not None else (row.flag if row else ""),
            "comment": posted.get(f"c-{code}", "") if posted is not None else (row.comment if row else ""),
            "issues": issues, "error": any(i.severity == "error" for i in issues)}


STATUS_LABELS = {"on_time": _("On time"), "late": _("Late"), "returned": _("Returned"),
                 "missing": _("Missing"), "pending": _("Not due yet"),
                 "backfill": _("Historical backfill")}


@login_required
def compliance_page(request: HttpRequest) -> HttpResponse:
    """Who reported on time, late, not at all, or was sent back — for one regime
    and period, in the coordinator's or leader's scope."""
    if not access.has_perm(request.user, Perm.VIEW_COMPLIANCE):
        raise PermissionDenied
    regimes = Regime.objects.exclude(frequency="").order_by("code")
    regime = regimes.filter(code=request.GET.get("regime", "PROV_KTXH_M")).first() or regimes.first()
    today = timezone.localdate()
    try:
        period = periods.parse(request.GET["period"]) if request.GET.get("period") else None
    except periods.PeriodError:
        period = None
    if regime is not None and period is None:
        period = regime.next_schedule(today).period.previous()  # type: ignore[union-attr]
    scope = access.scope_q(request.user, Perm.VIEW_COMPLIANCE, field="")
    rows = compliance.matrix(regime, period, today=today, scope=scope) if regime and period else []
    wanted = request.GET.get("status", "")
    shown = [r for r in rows if not wanted or r.status == wanted]
    if request.GET.get("format") in ("csv", "xlsx"):
        return _compliance_csv(shown, regime, period, xlsx=request.GET["format"] == "xlsx")
    received, total = compliance.coverage(period.sdmx, scope=scope) if period else (0, 0)
    return render(request, "collection/compliance.html", {
        "regimes": regimes, "regime": regime, "period": period, "rows": shown,
        "summary": compliance.summary(rows), "labels": STATUS_LABELS, "status": wanted,
        "received": received, "total": total})


def _compliance_csv(rows: list[compliance.Status], regime: Any, period: Any, *, xlsx: bool = False) -> HttpResponse:
    response = HttpResponse(files.BOM, content_type="text/csv; charset=utf-8")  # BOM: Excel reads UTF-8
    response["Content-Disposition"] = f'attachment; filename="compliance_{regime.code}_{period}.csv"'
    writer = csv.writer(response)
    writer.writerow(["org_unit", "name", "status", "state", "submitted_at", "deadline", "approved", "document",
                     "status_label", "state_label"])  # codes for machines, then the reader's words
    for r in rows:
        writer.writerow([csvsafe.cell(v) for v in (
            r.org_unit_code, r.org_unit_name, r.status, r.state,
            timezone.localtime(r.submitted_at).isoformat() if r.submitted_at else "",
            r.deadline.isoformat(), "yes" if r.approved else "no", r.document,
            str(STATUS_LABELS.get(r.status, r.status)), r.state_label)])
    if xlsx:  # the same table as a spreadsheet
        return files.xlsx_from_csv(response.content.decode("utf-8"), f"compliance_{regime.code}_{period}.xlsx")
    return response
