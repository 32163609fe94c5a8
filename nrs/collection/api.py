"""Data collection API: data value sets in (JSON, CSV), values out, transitions.

Every operation parses the request, then calls exactly one action.
"""

from collections.abc import Callable
from dataclasses import replace
from datetime import date, datetime
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext_noop as _
from ninja import Field, File, Path, Router, Schema, Status, UploadedFile

from nrs.accounts import access
from nrs.accounts.access import Perm
from nrs.accounts.api_auth import request_token
from nrs.collection import actions, bulk, compliance, excel, idempotency, payloads, queries
from nrs.collection.documents import DocumentError
from nrs.collection.models import Submission
from nrs.collection.payloads import Header, PayloadError, parse_csv, parse_json
from nrs.collection.validation import Row
from nrs.collection.workflow import WorkflowError
from nrs.i18n import Pair, bilingual, error_body
from nrs.lib import moments, periods
from nrs.lib.errors import InputError
from nrs.lib.errors import error_body as error_shape
from nrs.registry.api import ApiError, Detail, IssueOut, Strict, Text
from nrs.registry.models import OrgUnit, Regime

router = Router(tags=["data"])
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

Answer = tuple[int, dict[str, Any]]


def _forbidden() -> dict[str, str]:
    return error_body(_("this org unit is outside your scope"))


VALUE_SET_SCHEMA = {
    "type": "object", "required": ["regime", "orgUnit", "period", "dataValues"],
    "properties": {
        "regime": {"type": "string", "description": "regime code (alias: dataSet)"},
        "orgUnit": {"type": "string", "description": "reporting unit code"},
        "period": {"type": "string", "description": "SDMX (2026-01) or DHIS2 (202601) id"},
        "backfill": {"type": "boolean"},
        "dataValues": {"type": "array", "items": {"type": "object", "properties": {
            "indicator": {"type": "string", "description": "alias: dataElement"},
            "orgUnit": {"type": "string"}, "value": {"type": ["string", "number", "null"]},
            "breakdown": {"type": ["string", "object"]}, "flag": {"type": "string"},
            "comment": {"type": "string"}}}},
    },
}
BODY_DOC = {"requestBody": {"required": True, "content": {
    "application/json": {"schema": VALUE_SET_SCHEMA},
    "text/csv": {"schema": {"type": "string", "description":
                            "columns: indicator,value[,orgUnit,breakdown,flag,comment,period]; "
                            "regime, orgUnit and period as query parameters"}},
    XLSX: {"schema": {"type": "string", "format": "binary",
                      "description": "a filled-in NRS Excel template"}}}}}


class SubmissionOut(Strict):
    id: int
    regime: str
    orgUnit: str
    period: str
    state: str
    version: int


def _error_code() -> Any:
    return Field("error", description='status "error" only: the machine-readable code (ApiError)')


class ValueSetOut(Strict):
    status: str  # ok | error (422: nothing stored)
    code: str = _error_code()  # validation_failed (status error)
    dryRun: bool
    saved: int
    unchanged: int
    issues: list[IssueOut]
    submission: SubmissionOut | None
    replayed: bool | None = None


class BulkOut(Strict):
    status: str
    reports: int
    values: int
    skipped: int
    aggregates: str  # queued | unchanged
    replayed: bool | None = None


class IssuesOut(Strict):
    """Refused with the issues found (a bulk import; a regime, unit or period that is not there)."""

    status: str
    code: str = _error_code()
    issues: list[IssueOut]
    replayed: bool | None = None


class DataValueOut(Strict):
    indicator: str
    orgUnit: str
    period: str
    breakdown: str
    value: str | None  # a decimal written out in full ("90.5"), or null
    flag: str
    comment: str
    version: int
    approvedAt: str | None
    writtenAt: str
    # history=true only
    releasedAt: str | None = None
    reason: str | None = None
    openedBy: str | None = None
    approvedBy: str | None = None


class DataValuesOut(Strict):
    dataValues: list[DataValueOut]


class SubmissionsOut(Strict):
    submissions: list[SubmissionOut]


class DocumentOut(Strict):
    status: str
    document: int
    kind: str
    sha256: str
    size: int
    signature: str
    signer: str
    meta: dict[str, Any]


class CoverageOut(Strict):
    received: int
    total: int


class ComplianceUnitOut(Strict):
    orgUnit: str
    name: str
    status: str
    state: str
    approved: bool
    deadline: str
    submittedAt: str | None
    document: str | None


class ComplianceOut(Strict):
    regime: str
    period: str
    summary: dict[str, int]
    coverage: CoverageOut
    units: list[ComplianceUnitOut]


# What a write answers: its own body, a bilingual refusal, or Ninja's 422 for a parameter.
REFUSED = ApiError | Detail


def _on_line(line: int, message: Pair) -> Pair:
    return bilingual(_("line %(line)s: %(error)s"), line=line, error=message)


def _issue(ref: str, vi: str, en: str) -> Answer:
    return 422, {"status": "error", "code": "validation_failed",
                 "issues": [{"ref": ref, "field": ref, "code": "invalid", "severity": "error",
                             "message_vi": vi, "message_en": en}]}


def _parse(request: HttpRequest, regime: str, org_unit: str, period: str) -> Header:
    content_type = request.headers.get("Content-Type", "").split(";")[0].strip().lower()
    if content_type == "text/csv":
        return parse_csv(request.body, regime, org_unit, period)
    if content_type == XLSX:
        try:
            parsed = excel.parse_upload(request.body)
        except excel.ExcelError as exc:
            raise PayloadError(exc.ref, exc.vi, exc.en) from None
        return Header(regime=parsed.regime, org_unit=parsed.org_unit, period=parsed.period,
                      rows=parsed.rows)
    return parse_json(request.body)


def _resolve(header: Header) -> tuple[Regime, OrgUnit, periods.Period] | Answer:
    regime = Regime.objects.filter(code=header.regime).first()
    if regime is None:
        return _issue("regime", *bilingual(_("unknown regime '%(regime)s'"), regime=header.regime))
    try:
        period = periods.parse(header.period)
    except periods.PeriodError as exc:
        return _issue("period", *bilingual(_("invalid period: %(error)s"), error=exc))
    unit = _version_on(list(OrgUnit.objects.filter(code=header.org_unit).order_by("-valid_from")), period)
    if unit is None:
        return _issue("orgUnit", *bilingual(_("unknown org unit '%(unit)s'"), unit=header.org_unit))
    return regime, unit, period


def _version_on(versions: list[OrgUnit], period: periods.Period) -> OrgUnit | None:
    """Of a code's unit versions (newest first), the one valid at the period's end; else the one
    unit that became the newest whole and existed then (the statistics office CTK sends its
    series from 2020, kept under TCTK before 2025-03); else the newest."""
    found = next((u for u in versions if u.is_valid_on(period.end)), None)
    if found is None and versions:
        found = _predecessor_on(versions[0], period.end)
    return found or next(iter(versions), None)


def _as_filed(rows: list[Row], sent: str, unit: OrgUnit) -> list[Row]:
    """Rows for the code sent, filed under the predecessor that reported in the period."""
    if unit.code == sent:
        return rows
    return [replace(row, org_unit=unit.code) if row.org_unit == sent else row for row in rows]


def _predecessor_on(unit: OrgUnit, day: date) -> OrgUnit | None:
    """The unit that became ``unit`` whole (lineage of share 1, followed back) and existed on
    ``day``, if exactly one did (a merger of several is no single reporter)."""
    frontier, seen = [unit.pk], {unit.pk}
    for _depth in range(5):
        found = list(OrgUnit.objects.filter(successor_links__successor_id__in=frontier,
                                            successor_links__share=1).exclude(pk__in=seen))
        valid = [u for u in found if u.is_valid_on(day)]
        if valid:
            return valid[0] if len(valid) == 1 else None
        frontier = [u.pk for u in found]
        seen.update(frontier)
        if not frontier:
            return None
    return None


def _save(request: HttpRequest, header: Header, dry_run: bool) -> Answer:
    resolved = _resolve(header)
    if not isinstance(resolved[0], Regime):
        return resolved  # type: ignore[return-value]
    regime, unit, period = resolved  # type: ignore[misc]
    try:
        result = actions.check_and_save_values(
            regime, unit, period, _as_filed(header.rows, header.org_unit, unit), actor=request.user,
            token=request_token(request),
            dry_run=dry_run, backfill=header.backfill)
    except PermissionDenied:
        return 403, _forbidden()
    body: dict[str, Any] = {
        "status": "ok" if result.ok else "error", **({} if result.ok else {"code": "validation_failed"}),
        "dryRun": dry_run,
        "saved": result.saved, "unchanged": result.unchanged,
        "issues": [issue.as_dict() for issue in result.issues],
        "submission": _submission(result.submission) if result.submission else None,
    }
    return (200 if result.ok else 422), body


@router.post("/dataValueSets", response={200: ValueSetOut, 400: REFUSED, 403: REFUSED,
                                          422: ValueSetOut | IssuesOut | REFUSED},
             openapi_extra=BODY_DOC, exclude_unset=True)
def post_data_value_set(request: HttpRequest, dryRun: bool = False, regime: Text = "",
                        orgUnit: Text = "", period: Text = "") -> Status[dict[str, Any]]:
    """Store a set of values for one regime × unit × period, atomically: all or
    nothing. `dryRun=true` validates without storing. An `Idempotency-Key`
    header makes a retried request take effect exactly once."""
    return Status(*_post_value_set(request, dryRun, regime, orgUnit, period))


def _post_value_set(request: HttpRequest, dry_run: bool, regime: str, org_unit: str,
                    period: str) -> Answer:
    try:
        header = _parse(request, regime, org_unit, period)
    except PayloadError as exc:
        return 400, exc.as_dict()
    key = request.headers.get("Idempotency-Key", "")
    if not key or dry_run:
        return _save(request, header, dry_run)
    fingerprint = idempotency.request_hash(request.method or "POST", request.get_full_path(),
                                           request.body)
    return idempotency.run_once(request.user, key, fingerprint,
                                lambda: _save(request, header, dry_run))


BULK_DOC = {"requestBody": {"required": True, "content": {"application/x-ndjson": {"schema": {
    "type": "string", "description": "one data value set per line (the /dataValueSets JSON object), "
    "with \"status\": \"submitted\" (default) or \"approved\" (needs approval rights)"}}}}}


@router.post("/dataValueSets/bulk", response={200: BulkOut, 400: REFUSED, 403: REFUSED,
                                               422: IssuesOut | REFUSED},
             openapi_extra=BULK_DOC, exclude_unset=True)
def post_bulk(request: HttpRequest) -> Status[dict[str, Any]]:
    """Many whole reports in one request (history, a system's backlog): every
    value is validated as on /dataValueSets, and the request is stored all or
    nothing, in one transaction. Reports that already exist are skipped. The
    aggregates (dashboards, /api/analytics) follow within seconds, in the
    background: `meta.pendingImports` of /api/analytics counts imports not yet in them.
    An `Idempotency-Key` header makes a retried request take effect once."""
    try:
        sets = payloads.parse_ndjson(request.body)
    except PayloadError as exc:
        return Status(400, exc.as_dict())
    key = request.headers.get("Idempotency-Key", "")
    if not key:
        return Status(*_bulk(request, sets))
    fingerprint = idempotency.request_hash(request.method or "POST", request.get_full_path(),
                                           request.body)
    return Status(*idempotency.run_once(request.user, key, fingerprint, lambda: _bulk(request, sets)))


def _bulk(request: HttpRequest, sets: list[payloads.BulkSet]) -> Answer:
    reports = _bulk_reports(sets)
    if not isinstance(reports, list):
        return reports
    try:
        result = bulk.import_all_or_nothing(reports, actor=request.user, today=timezone.localdate(),
                                            token=request_token(request), defer=True)
    except PermissionDenied:
        return 403, _forbidden()
    if result.issues:
        return 422, {"status": "error", "code": "validation_failed",
                     "issues": [i.as_dict() for i in result.issues]}
    # The aggregates follow in the background (decision 35); GET /api/analytics says
    # how many imports are still being aggregated (meta.pendingImports).
    return 200, {"status": "ok", "reports": result.reports, "values": result.values,
                 "skipped": result.skipped, "aggregates": "queued" if result.values else "unchanged"}


def _bulk_reports(sets: list[payloads.BulkSet]) -> list[bulk.Report] | Answer:
    """Each line's regime, unit and period resolved (units in one query)."""
    regimes = {r.code: r for r in Regime.objects.filter(code__in={s.header.regime for s in sets})}
    units: dict[str, list[OrgUnit]] = {}
    for version in OrgUnit.objects.filter(code__in={s.header.org_unit for s in sets}).order_by("-valid_from"):
        units.setdefault(version.code, []).append(version)
    now, reports = timezone.now(), []
    for item in sets:
        where, header = f"line {item.line}", item.header
        if header.regime not in regimes:
            return _issue(f"{where}: regime", *_on_line(item.line, bilingual(_("unknown regime '%(regime)s'"),
                                                                           regime=header.regime)))
        try:
            period = periods.parse(header.period)
        except periods.PeriodError as exc:
            return _issue(f"{where}: period", *_on_line(item.line, bilingual(_("invalid period: %(error)s"),
                                                                           error=exc)))
        unit = _version_on(units.get(header.org_unit, []), period)
        if unit is None:
            return _issue(f"{where}: orgUnit", *_on_line(item.line, bilingual(_("unknown org unit '%(unit)s'"),
                                                                            unit=header.org_unit)))
        reports.append(bulk.Report(regime=regimes[header.regime], unit=unit, period=period,
                                   rows=_as_filed(header.rows, header.org_unit, unit),
                                   state=item.state, submitted_at=now, ref=where, backfill=header.backfill,
                                   approved_at=now if item.state == "approved" else None))
    return reports


@router.get("/dataValues", response={200: DataValuesOut, 400: REFUSED}, exclude_unset=True)
def get_data_values(request: HttpRequest, indicator: Text = "", orgUnit: Text = "",
                    period: Text = "", approved: bool = True, knownOn: Text = "",
                    history: bool = False) -> Status[dict[str, Any]]:
    """Current values (the newest vintage of each key) in the caller's scope.
    `approved=false` includes drafts and submitted values; `knownOn` (a date: the end of
    that day in Viet Nam; or an ISO date-time) gives the values as known then;
    `history=true` lists every released version of each value, with its release date,
    reason and who opened and approved it."""
    try:
        known_on = moments.known_on("knownOn", knownOn)
    except InputError as exc:
        return Status(400, exc.as_dict())
    perm = Perm.VIEW_DATA if approved else Perm.VIEW_UNAPPROVED
    scope = access.scope_q(request.user, perm, token=request_token(request))
    if history:
        return Status(200, {"dataValues": queries.history(
            scope=scope, indicators=[c for c in indicator.split(",") if c],
            units=[c for c in orgUnit.split(",") if c], period=period or None)})
    rows = queries.values(scope=scope, indicators=[c for c in indicator.split(",") if c],
                          units=[c for c in orgUnit.split(",") if c], period=period or None,
                          approved_only=approved, known_on=known_on)
    return Status(200, {"dataValues": [queries.as_dict(row) for row in rows[:50_000]]})


class TransitionIn(Schema):
    comment: Text = ""
    # approve only: a historical version's real release date (needs the backfill permission)
    releasedAt: Text = ""


def _submission(submission: Submission) -> dict[str, Any]:
    return {"id": submission.pk, "regime": submission.regime.code,
            "orgUnit": submission.org_unit.code, "period": submission.period,
            "state": submission.state, "version": submission.version}


@router.post("/submissions/{submission_id}/{action}",
             response={200: SubmissionOut, 400: REFUSED, 403: REFUSED, 404: REFUSED, 409: REFUSED, 422: REFUSED},
             exclude_unset=True)
def post_transition(request: HttpRequest, action: Text, payload: TransitionIn,
                    submission_id: int = Path(..., ge=1, le=2**31 - 1)) -> Status[dict[str, Any]]:
    """Workflow: action is submit, approve, return or revise (return and revise
    need a comment)."""
    try:
        released = moments.release("releasedAt", payload.releasedAt)
    except InputError as exc:
        return Status(422, exc.as_dict())
    if released is not None and action != "approve":
        return Status(422, InputError("releasedAt",
                                      *bilingual(_("a release date is recorded on approval only"))).as_dict())
    return Status(*once(request, request.body,
                        lambda: _transition(request, submission_id, action, payload.comment, released)))


def once(request: HttpRequest, body: bytes, work: Callable[[], Answer]) -> Answer:
    """``work`` done once per Idempotency-Key (nrs.collection.idempotency): the same key and
    request again get the first answer back, with "replayed": true. No key: done each time."""
    key = request.headers.get("Idempotency-Key", "")
    if not key:
        return work()
    fingerprint = idempotency.request_hash(request.method or "POST", request.get_full_path(), body)
    return idempotency.run_once(request.user, key, fingerprint, work)


def _transition(request: HttpRequest, submission_id: int, action: str, comment: str,
                released: datetime | None = None) -> Answer:
    steps: dict[str, Callable[..., Submission]] = {
        "submit": actions.submit_submission, "approve": actions.approve_submission,
             "return": actions.return_submission, "revise": actions.revise_submission}
    if action not in steps:
        return 404, error_body(_("unknown action '%(action)s'"), action=action)
    submission = get_object_or_404(Submission.objects.select_related("org_unit", "regime"),
                                   pk=submission_id)
    token = request_token(request)
    if not access.has_perm(request.user, Perm.VIEW_UNAPPROVED, submission.org_unit, token=token):
        return 404, error_body(_("not found"))
    keyword = "reason" if action == "revise" else "comment"
    extra = {"released_at": released} if released is not None else {}
    try:
        done = steps[action](submission, actor=request.user, token=token,
                             **{keyword: comment}, **extra)
    except PermissionDenied:
        return 403, _forbidden()
    except WorkflowError as exc:
        return (422 if exc.issues else 409), error_shape(exc, issues=[issue.as_dict() for issue in exc.issues])
    return 200, _submission(done)


@router.get("/submissions", response={200: SubmissionsOut}, exclude_unset=True)
def list_submissions(request: HttpRequest, regime: Text = "", period: Text = "",
                     orgUnit: Text = "") -> Status[dict[str, Any]]:
    scope = access.scope_q(request.user, Perm.VIEW_UNAPPROVED, token=request_token(request))
    found = Submission.objects.filter(scope).select_related("regime", "org_unit")
    if regime:
        found = found.filter(regime__code=regime)
    if period:
        found = found.filter(period=period)
    if orgUnit:
        found = found.filter(org_unit__code=orgUnit)
    return Status(200, {"submissions": [_submission(s) for s in found.order_by("id")[:10_000]]})


@router.post("/documents", response={200: DocumentOut, 400: REFUSED, 403: REFUSED, 409: REFUSED,
                                     422: IssuesOut | REFUSED}, exclude_unset=True)
def post_document(request: HttpRequest, regime: Text, orgUnit: Text, period: Text,
                  file: File[UploadedFile]) -> Status[dict[str, Any]]:
    """Attach the text report (signed PDF or DOCX) to regime × unit × period."""
    content, name = file.read(), file.name or "report"
    return Status(*once(request, name.encode() + b"\n" + content,
                        lambda: _attach(request, regime, orgUnit, period, content, name)))


def _attach(request: HttpRequest, regime: str, org_unit: str, period: str, content: bytes, name: str) -> Answer:
    resolved = _resolve(Header(regime=regime, org_unit=org_unit, period=period))
    if not isinstance(resolved[0], Regime):
        return resolved  # type: ignore[return-value]
    found_regime, unit, found_period = resolved  # type: ignore[misc]
    try:
        document = actions.attach_document(found_regime, unit, found_period, content, name,
                                           actor=request.user, token=request_token(request))
    except PermissionDenied:
        return 403, _forbidden()
    except DocumentError as exc:
        return 400, error_shape(exc)
    except WorkflowError as exc:  # with issues (not a reporter): 422; a locked report: 409
        return (422 if exc.issues else 409), error_shape(exc, issues=[issue.as_dict() for issue in exc.issues])
    return 200, {"status": "ok", "document": document.pk, "kind": document.kind,
                 "sha256": document.sha256, "size": document.size, "signature": document.signature,
                 "signer": document.signer, "meta": document.meta}


@router.get("/compliance", response={200: ComplianceOut, 400: REFUSED, 403: REFUSED, 404: REFUSED},
            exclude_unset=True)
def get_compliance(request: HttpRequest, regime: Text, period: Text) -> Status[dict[str, Any]]:
    """Expected reporters of a regime for a period, each on time, late, returned,
    missing or not yet due, within the caller's scope; plus indicator coverage."""
    token = request_token(request)
    if not access.has_perm(request.user, Perm.VIEW_COMPLIANCE, token=token):
        return Status(403, _forbidden())
    found = Regime.objects.filter(code=regime).first()
    if found is None:
        return Status(404, error_body(_("unknown regime '%(regime)s'"), regime=regime))
    try:
        parsed = periods.parse(period)
    except periods.PeriodError as exc:
        return Status(400, error_body(_("invalid period: %(error)s"), error=exc))
    scope = access.scope_q(request.user, Perm.VIEW_COMPLIANCE, field="", token=token)
    rows = compliance.matrix(found, parsed, scope=scope)
    received, total = compliance.coverage(parsed.sdmx, scope=scope)
    return Status(200, {
        "regime": found.code, "period": parsed.sdmx, "summary": compliance.summary(rows),
        "coverage": {"received": received, "total": total},
        "units": [{"orgUnit": r.org_unit_code, "name": r.org_unit_name, "status": r.status,
                   "state": r.state, "approved": r.approved, "deadline": r.deadline.isoformat(),
                   "submittedAt": r.submitted_at.isoformat() if r.submitted_at else None,
                   "document": r.document or None}
                  for r in rows]})
