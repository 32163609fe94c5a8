"""Web entry: one grid per regime × unit × period, saved through the same
action and validation as the API and Excel."""

from __future__ import annotations

import csv
from collections import defaultdict
from decimal import Decimal
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy
from django.views.decorators.http import require_http_methods

from nrs.accounts import access
from nrs.accounts.access import Perm
from nrs.collection import actions, compliance, context, excel, files, queries
from nrs.collection.documents import DocumentError
from nrs.collection.models import Document, Flag, State, Submission
from nrs.collection.validation import Issue, Row
from nrs.collection.workflow import STEPS, WorkflowError
from nrs.i18n import Pair, bilingual
from nrs.lib import csvsafe, numbers, periods
from nrs.lib.numbers import plain
from nrs.registry.models import Area, OrgUnit, Regime

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
    if request.method == "POST" and request.POST.get("action") == "cell":
        return _save_cell(request, regime, unit, period)
    issues: list[Issue] = []
    message, typed = "", False
    if request.method == "POST":
        issues, message, typed = _posted(request, regime, unit, period)
    return _render(request, regime, unit, period, issues, message, typed=typed)


def _posted(request: HttpRequest, regime: Regime, unit: OrgUnit,
            period: periods.Period) -> tuple[list[Issue], str, bool]:
    """A form post: its issues, its message, and whether the values typed were left unstored
    (a refused save, or a submit whose values were refused: the grid then shows them as typed)."""
    action = request.POST.get("action", "save")
    if action in ("save", "submit"):
        rows, unreadable = _rows(request, regime, unit, period)
        if unreadable:  # nothing is stored; the other rows are still checked, to say everything at once
            checked = actions.check_and_save_values(regime, unit, period, rows, actor=request.user,
                                                    dry_run=True) if rows else None
            return unreadable + (checked.issues if checked else []), "", True
        # Submitting sends the form's values first: what the reporter sees is what is sent.
        if rows or action == "save":
            result = actions.check_and_save_values(regime, unit, period, rows, actor=request.user)
            if not result.ok:
                return result.issues, "", True
            if action == "save":
                return result.issues, f"saved:{result.saved}", False
    issues, message = _handle_post(request, regime, unit, period)
    return issues, message, False


def _handle_post(request: HttpRequest, regime: Regime, unit: OrgUnit,
                 period: periods.Period) -> tuple[list[Issue], str]:
    action = request.POST.get("action", "save")
    if action == "attach":
        return _attach(request, regime, unit, period)
    if action == "excel":
        return _excel_upload(request, regime, unit, period)
    submission = Submission.objects.filter(regime=regime, org_unit=unit, period=period.sdmx).first()
    if submission is None:
        if action in STEPS:
            return [Issue("form", "state", "nothing_entered", "error",
                          *bilingual(_("no value has been entered yet")))], ""
        raise Http404
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
        if exc.issues:
            return exc.issues, ""
        # A missing reason points at the comment box; any other refusal is the report's.
        ref = "comment" if STEPS[action].needs_comment and not comment.strip() else "form"
        return [Issue(ref, "state", "workflow", "error", exc.vi, exc.en)], ""
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


# -- the grid: values typed in the user's language, one row per indicator -----------------

def _lang(request: HttpRequest) -> str:
    return getattr(request, "LANGUAGE_CODE", "") or "vi"


def _editable_text(value: Decimal | None, lang: str) -> str:
    """A stored value as the user types it: grouped and with the decimal mark of ``lang``, every
    stored decimal kept (12.50 is stored as 12.5 and shown "12,5"), an ASCII minus."""
    if value is None:
        return ""
    places = len(plain(value).partition(".")[2])
    return numbers.written(value, places, lang, minus="-")


def _unreadable(indicator: Any, raw: str, lang: str) -> Issue:
    """The bilingual error for a number the form cannot read exactly in ``lang``, naming its
    cell; the example is written the way the page reads numbers (1.234,5 or 1,234.5)."""
    vi, en = bilingual(_("%(indicator)s: “%(text)s” cannot be read as a number; write it like %(example)s"),
                       indicator=Pair(indicator.name_vi, indicator.name_en), text=raw,
                       example=numbers.written(Decimal("1234.5"), 1, lang))
    return Issue(indicator.code, "value", "value_invalid", "error", vi, en)


def _rows(request: HttpRequest, regime: Regime, unit: OrgUnit, period: periods.Period,
          only: str | None = None) -> tuple[list[Row], list[Issue]]:
    """The rows the form posted (``only``: one indicator's), each value read in the user's
    language (parse_local: "1.234,5" in Vietnamese, "1,234.5" in English), and an error for
    each value that cannot be read exactly. A field that was not posted is left as stored."""
    lang = _lang(request)
    submission = Submission.objects.filter(regime=regime, org_unit=unit, period=period.sdmx).first()
    existing = context.existing_rows(submission) if submission else {}
    indicators = regime.indicators.filter(formula="")
    if only is not None:
        indicators = indicators.filter(code=only)
    rows: list[Row] = []
    unreadable: list[Issue] = []
    for indicator in indicators.order_by("code"):
        code = indicator.code
        if not any(f"{prefix}-{code}" in request.POST for prefix in "vfc"):
            continue
        had = existing.get((code, unit.code, ""))
        raw = request.POST.get(f"v-{code}", "" if had is None else _editable_text(had.value, lang)).strip()
        flag = request.POST.get(f"f-{code}", had.flag if had else "")
        comment = request.POST.get(f"c-{code}", had.comment if had else "").strip()
        if raw == "" and (had is None or had.value is None) and not comment:
            continue
        value: Decimal | None = None
        if raw:
            try:
                value = numbers.parse_local(raw, lang)
            except ValueError:
                unreadable.append(_unreadable(indicator, raw, lang))
                continue
        rows.append(Row(ref=code, indicator=code, org_unit=unit.code, value=value,
                        flag=flag, comment=comment))
    return rows, unreadable


# -- autosave: one cell (a row's value, flag and comment) through the one write path ----------

def _save_cell(request: HttpRequest, regime: Regime, unit: OrgUnit,
               period: periods.Period) -> HttpResponse:
    """Save one row of the grid as a draft value (htmx, on change), through
    actions.check_and_save_values: one transaction, audited, a new vintage; never a
    submission. Answers with the row's state: saved, or why it was not."""
    code = request.POST.get("cell", "")
    indicator = regime.indicators.filter(formula="", code=code).select_related("unit").first()
    if indicator is None:
        raise Http404
    rows, issues = _rows(request, regime, unit, period, only=code)
    saved = False
    if not issues and rows:
        result = actions.check_and_save_values(regime, unit, period, rows, actor=request.user)
        issues, saved = result.issues, result.ok
    elif not issues:
        saved = True  # nothing to store: a blank row that never held a value
    submission = Submission.objects.filter(regime=regime, org_unit=unit, period=period.sdmx).first()
    names = dict(regime.indicators.values_list("code", "name_en" if _lang(request).startswith("en") else "name_vi"))
    cell_issues = [_named(issue, code, names) for issue in issues]
    # The unreadable-number message names its cell already: "Not saved" need not repeat it.
    named = any(i["code"] == "value_invalid" and i["en"].startswith(indicator.name_en) for i in cell_issues)
    return render(request, "collection/_cell.html", {
        "code": code, "indicator": indicator, "saved": saved, "issues": cell_issues, "named": named,
        "error": any(i.severity == "error" for i in issues), "submission": submission,
        "oob": True})


def _named(issue: Issue, code: str, names: dict[str, str]) -> dict[str, str]:
    """An issue of one cell's save, as shown under it: another row's issue (a rule across
    indicators) names that row."""
    other = issue.ref.split("@")[0]
    return {"code": issue.code, "severity": issue.severity, "vi": issue.vi, "en": issue.en,
            "other": names.get(other, "") if other != code else ""}


# -- the page ------------------------------------------------------------------------------

# What a refused action says first, on the page (issue 20, part 2).
REFUSED = {"save": _("Nothing was saved: correct the values marked below."),
           "submit": _("The report was not sent for approval."),
           "approve": _("The report was not approved."),
           "return": _("The report was not returned."),
           "revise": _("No revision was opened."),
           "excel": _("Nothing was saved from the workbook."),
           "attach": _("The file was not attached.")}
# The summary's lines: how many rows have each kind of problem (the rows are linked).
PROBLEMS = {
    "outlier": ngettext_lazy("%(count)s outlier needs a comment", "%(count)s outliers need a comment", "count"),
    "required_missing": ngettext_lazy("%(count)s required value is missing",
                                      "%(count)s required values are missing", "count"),
    "value_invalid": ngettext_lazy("%(count)s value cannot be read", "%(count)s values cannot be read", "count"),
    "rule": ngettext_lazy("%(count)s value breaks a validation rule",
                          "%(count)s values break a validation rule", "count"),
    "rule_warning": ngettext_lazy("%(count)s value should be checked", "%(count)s values should be checked",
                                  "count"),
    "other": ngettext_lazy("%(count)s other problem in the rows", "%(count)s other problems in the rows", "count"),
}


def _kind(issue: Issue) -> str:
    if issue.code.startswith("rule:"):
        return "rule" if issue.severity == "error" else "rule_warning"
    return issue.code if issue.code in PROBLEMS else "other"


def _summary(issues: list[Issue], by_code: dict[str, list[Issue]], names: dict[str, str],
             refused: bool) -> list[dict[str, Any]]:
    """The summary's groups: one line per kind of problem, with links to its rows. After a
    save that went through, only warnings (outliers to explain, rules to check) are listed."""
    groups: dict[str, list[str]] = defaultdict(list)
    for code, row_issues in by_code.items():
        for issue in row_issues:
            if not refused and issue.severity == "error":
                continue
            kind = _kind(issue)
            if code not in groups[kind]:
                groups[kind].append(code)
    order = list(PROBLEMS)
    return [{"kind": kind, "label": PROBLEMS[kind] % {"count": len(codes)},
             "rows": [{"code": c, "name": names.get(c, c)} for c in codes]}
            for kind, codes in sorted(groups.items(), key=lambda item: order.index(item[0]))]


def _render(request: HttpRequest, regime: Regime, unit: OrgUnit, period: periods.Period,
            issues: list[Issue], message: str, typed: bool = False) -> HttpResponse:
    """The page, or its form alone for htmx. ``typed``: the values posted were not stored (a
    refused save or submit), so the grid shows them as typed."""
    lang = _lang(request)
    submission = (Submission.objects.filter(regime=regime, org_unit=unit, period=period.sdmx)
                  .prefetch_related("transitions__actor").first())
    existing = context.existing_rows(submission) if submission else {}
    by_code: dict[str, list[Issue]] = defaultdict(list)
    general: list[Issue] = []
    form_codes = set(regime.indicators.values_list("code", flat=True))
    for issue in issues:
        code = issue.ref.split("@")[0]
        (by_code[code] if code in form_codes else general).append(issue)
    action = request.POST.get("action", "save") if request.method == "POST" else ""
    refused = bool(issues) and not message
    posted = request.POST if typed and refused else None
    indicators = list(regime.indicators.filter(formula="").select_related("unit").order_by("area", "code"))
    previous, last_year = period.previous(), period.same_period_last_year()
    beside = queries.beside(unit.code, [i.code for i in indicators], [previous, last_year],
                            scope=access.scope_q(request.user, Perm.VIEW_UNAPPROVED))
    sections: list[dict[str, Any]] = []
    for indicator in indicators:
        if not sections or sections[-1]["area"] != indicator.area:
            sections.append({"area": indicator.area, "label": Area(indicator.area).label, "rows": []})
        sections[-1]["rows"].append(_grid_row(
            indicator, existing.get((indicator.code, unit.code, "")), by_code.get(indicator.code, []),
            posted, lang, [beside.get((indicator.code, p.sdmx)) for p in (previous, last_year)]))
    names = {i.code: i.name for i in regime.indicators.all()}
    editable = submission is None or submission.is_editable
    can_enter = access.has_perm(request.user, Perm.ENTER_DATA, unit)
    sched = regime.schedule_for(period) if regime.frequency else None
    data: dict[str, Any] = {
        "regime": regime, "unit": unit, "period": period, "submission": submission,
        "sections": sections, "grid": [row for s in sections for row in s["rows"]],
        "previous": periods.label(previous, lang), "last_year": periods.label(last_year, lang),
        "general": general, "message": message, "schedule": sched, "flags": Flag.choices,
        "refused": REFUSED.get(action, REFUSED["save"]) if refused else "",
        "summary": _summary(issues, by_code, names, refused),
        "editable": editable, "can_enter": can_enter, "live": editable and can_enter,
        "can_approve": access.has_perm(request.user, Perm.APPROVE, unit),
        "states": State, "warnings": [i for i in issues if i.severity == "warning"],
        "documents": Document.objects.filter(version__submission=submission).select_related(
            "version").order_by("-id") if submission else [],
        "needs_document": regime.content in ("text", "both"),
        "example": numbers.written(Decimal("1234.5"), 1, lang),
    }
    template = "collection/_form.html" if request.htmx else "collection/report_form.html"  # type: ignore[attr-defined]
    return render(request, template, data)


def _grid_row(indicator: Any, row: Any, issues: list[Issue], posted: Any, lang: str,
              beside: list[Any]) -> dict[str, Any]:
    code = indicator.code
    stored = {"value": "" if row is None else _editable_text(row.value, lang),
              "flag": row.flag if row else "", "comment": row.comment if row else ""}
    shown = dict(stored)
    if posted is not None:
        shown = {"value": posted.get(f"v-{code}", stored["value"]), "flag": posted.get(f"f-{code}", stored["flag"]),
                 "comment": posted.get(f"c-{code}", stored["comment"])}
    return {"indicator": indicator, **shown,
            # Typed but not stored (a refused save): leaving the page warns.
            "dirty": any(shown[k].strip() != stored[k].strip() for k in stored),
            "beside": [_reference(value, indicator, lang) for value in beside],
            "issues": issues, "error": any(i.severity == "error" for i in issues)}


def _reference(row: Any, indicator: Any, lang: str) -> dict[str, Any] | None:
    """A value beside the input (last period, same period last year), written in the page's
    language to the indicator's decimals; ``approved`` False for one not approved yet."""
    if row is None or row.value is None:
        return None
    return {"text": numbers.written(row.value, indicator.decimals, lang),
            "approved": row.version.approved_at is not None}


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
