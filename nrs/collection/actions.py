"""The one write path for reported data. The web form, Excel, the API, imports
and federation all call these; each runs in one transaction with its audit event.

- check_and_save_values(): validate a batch, then write it (or nothing);
- submit_submission(), approve_submission(), return_submission(),
  revise_submission(): the workflow, each transition stored as a row;
- attach_document() (which also replaces) and remove_document(): the text report.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, cast

from django.core.files.base import ContentFile
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_noop as _

from nrs.accounts import access
from nrs.accounts.access import Perm
from nrs.audit.events import EventType
from nrs.audit.log import record
from nrs.collection import context, documents, signals, validation
from nrs.collection.models import (
    DataValue,
    Document,
    State,
    Submission,
    SubmissionVersion,
    Transition,
)
from nrs.collection.validation import Issue, Row
from nrs.collection.workflow import STEPS, WorkflowError, check_duties
from nrs.i18n import Pair, bilingual
from nrs.lib import periods
from nrs.registry.models import OrgUnit, Regime


@dataclass
class SaveResult:
    submission: Submission | None
    saved: int = 0
    unchanged: int = 0
    issues: list[Issue] = field(default_factory=list)
    dry_run: bool = False

    @property
    def ok(self) -> bool:
        return not validation.errors(self.issues)


# The namespace of the per-report advisory locks ("NRSS"); the second key is a hash of the report.
_REPORT_LOCK = 0x4E525353


def _locked_submission(regime: Regime, unit: OrgUnit, period: periods.Period) -> Submission | None:
    """The report for regime × unit × period, locked until the transaction ends, or
    None when there is none yet. Insert-or-get: on PostgreSQL a lock on the report's
    key (held to the end of the transaction) comes first, so of two first writes at
    once the second waits here and then finds the report the first one opened,
    instead of inserting a duplicate (IntegrityError submission_uniq). SQLite
    serialises write transactions already (BEGIN IMMEDIATE)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, hashtext(%s))",
                           [_REPORT_LOCK, f"{regime.pk}/{unit.pk}/{period.sdmx}"])
    return (Submission.objects.select_for_update(of=("self",))
            .filter(regime=regime, org_unit=unit, period=period.sdmx).first())


def _open_submission(regime: Regime, unit: OrgUnit, period: periods.Period, *, actor: Any,
                     backfill: bool) -> Submission:
    submission = Submission.objects.create(regime=regime, org_unit=unit, period=period.sdmx,
                                           period_start=period.start, backfill=backfill)
    SubmissionVersion.objects.create(submission=submission, number=1, opened_by=_user(actor))
    Transition.objects.create(submission=submission, version=1, from_state="",
                              to_state=State.DRAFT, actor=_user(actor))
    return submission


def _user(actor: Any) -> Any:
    return actor if getattr(actor, "pk", None) else None


def check_and_save_values(regime: Regime, unit: OrgUnit, period: periods.Period,
                          rows: Iterable[Row], *, actor: Any, token: Any = None,
                          dry_run: bool = False, backfill: bool = False,
                          today: date | None = None) -> SaveResult:
    """Validate ``rows`` for regime × unit × period and store them as new rows
    of the submission's current version. Nothing is stored when any row has an
    error, or on a dry run. Raises PermissionDenied outside the actor's scope."""
    access.require(actor, Perm.ENTER_DATA, unit, token=token)
    rows = list(rows)
    today = today or timezone.localdate()
    not_listed = reporter_issue(regime, unit, period)
    if not_listed is not None:
        return SaveResult(None, issues=[not_listed], dry_run=dry_run)
    with transaction.atomic():
        submission = _locked_submission(regime, unit, period)
        if submission is not None and not submission.is_editable:
            return SaveResult(submission, issues=[_locked_issue(submission)], dry_run=dry_run)
        ctx = context.build(regime, unit, period, today=today, submission=submission,
                            unit_codes={str(r.org_unit) for r in rows if r.org_unit},
                            keys=_row_keys(rows, unit), backfill=backfill)
        cleans, issues = _validate(rows, ctx)
        if validation.errors(issues) or dry_run:
            return SaveResult(submission, issues=issues, dry_run=dry_run)
        if submission is None:
            submission = _open_submission(regime, unit, period, actor=actor, backfill=backfill)
        saved, unchanged = _write(submission, cleans, period, actor=actor)
        if saved:
            record(EventType.VALUES_SAVED, actor=actor, org_unit=unit, obj=submission,
                   summary=f"{submission}: {saved} values",
                   data={"saved": saved, "unchanged": unchanged, "version": submission.version})
        return SaveResult(submission, saved=saved, unchanged=unchanged, issues=issues)


def reporting_day(unit: OrgUnit, period: periods.Period) -> date | None:
    """The day the regime's reporter list is read for ``unit`` and ``period``: the
    period's last day, or the unit's last day if it ended within the period; None when
    the unit does not exist in the period (validation says so: unit_not_valid)."""
    if unit.valid_from > period.end or (unit.valid_to is not None and unit.valid_to < period.start):
        return None
    return min(period.end, unit.valid_to or period.end)


def reporter_issue(regime: Regime, unit: OrgUnit, period: periods.Period,
                   ref: str = "orgUnit") -> Issue | None:
    """The not_a_reporter error, or None when the unit is one of the regime's
    reporting units (compared by pk: each version of a listed unit is listed)."""
    day = reporting_day(unit, period)
    if day is None or regime.reporting_units(day).filter(pk=unit.pk).exists():
        return None
    return not_a_reporter(regime.code, unit.code, ref)


def not_a_reporter(regime: str, unit: str, ref: str = "orgUnit") -> Issue:
    return Issue(ref, "orgUnit", "not_a_reporter", validation.ERROR,
                 *bilingual(_("org unit %(unit)s is not a listed reporter of regime %(regime)s"),
                            unit=unit, regime=regime))


def _row_keys(rows: list[Row], unit: OrgUnit) -> list[validation.Key]:
    return [(str(r.indicator), str(r.org_unit or unit.code), str(r.breakdown or ""))
            for r in rows if isinstance(r.breakdown, str | type(None))]


def _validate(rows: list[Row], ctx: validation.Context) -> tuple[list[validation.Clean], list[Issue]]:
    issues = validation.check_period(ctx)
    cleans, row_issues = validation.check_rows(rows, ctx)
    issues += row_issues
    refs = {clean.key: clean.ref for clean in cleans}
    issues += validation.check_rules(validation.merged(ctx, cleans), ctx.rules, refs, ctx.previous)
    issues += validation.check_outliers(cleans, ctx.history)
    return cleans, issues


def _state(submission: Submission) -> Pair:
    """The state as a word: its label in Vietnamese (lazy: rendered inside bilingual), its code in English."""
    return Pair(cast(str, State(submission.state).label), submission.state)


def _locked_issue(submission: Submission) -> Issue:
    return Issue("submission", "state", "submission_locked", validation.ERROR,
                 *bilingual(_("the report is %(state)s and cannot be edited; open a revision"),
                            state=_state(submission)))


def _write(submission: Submission, cleans: list[validation.Clean], period: periods.Period, *,
           actor: Any) -> tuple[int, int]:
    existing = context.existing_rows(submission)
    version = submission.versions.get(number=submission.version)
    ids = context.indicator_ids(c.key[0] for c in cleans)
    units = dict(OrgUnit.objects.filter(code__in={c.key[1] for c in cleans})
                 .filter(pk__in=OrgUnit.objects.subtree(submission.org_unit).valid_on(period.end))
                 .values_list("code", "id"))
    new_rows = []
    for clean in cleans:
        old = existing.get(clean.key)
        if old is not None and (old.value, old.flag, old.comment) == (clean.value, clean.flag,
                                                                     clean.comment):
            continue
        code, unit_code, breakdown = clean.key
        new_rows.append(DataValue(
            version=version, indicator_id=ids[code], org_unit_id=units[unit_code],
            period=period.sdmx, period_start=period.start, breakdown=breakdown,
            value=clean.value, flag=clean.flag, comment=clean.comment, created_by=_user(actor)))
    DataValue.objects.bulk_create(new_rows, batch_size=1000)
    return len(new_rows), len(cleans) - len(new_rows)


# -- workflow -------------------------------------------------------------------------

def _transition(submission: Submission, action: str, *, actor: Any, token: Any = None,
                comment: str = "", today: date | None = None,
                at: datetime | None = None, released_at: datetime | None = None) -> Submission:
    step = STEPS[action]
    access.require(actor, step.perm, submission.org_unit, token=token)
    with transaction.atomic():
        # Only the report's row: locking its unit and regime too would make the aggregate
        # worker's commit (its cells' foreign keys) wait for this transaction.
        locked = Submission.objects.select_for_update(of=("self",)).select_related("regime", "org_unit").get(
            pk=submission.pk)
        if locked.state not in step.sources:
            raise WorkflowError(*bilingual(_("cannot %(action)s a report that is %(state)s"),
                                           action=action, state=_state(locked)))
        if step.needs_comment and not comment.strip():
            raise WorkflowError(*bilingual(_("a reason is required")))
        check_duties(locked, action, actor=actor, token=token)
        if action == "submit":
            _check_complete(locked, today or timezone.localdate())
        _apply(locked, action, step.target, actor=actor, comment=comment, at=at, released_at=released_at)
        if action == "submit" and not locked.regime.approval_required:
            _apply(locked, "approve", State.APPROVED, actor=None, at=at,
                   comment="{} / {}".format(*bilingual(_("auto-approved"))))
    return locked


def _apply(submission: Submission, action: str, target: str, *, actor: Any, comment: str,
           at: datetime | None = None, released_at: datetime | None = None) -> None:
    source = submission.state
    now = at or timezone.now()
    if action == "revise":
        submission.version += 1
        SubmissionVersion.objects.create(submission=submission, number=submission.version,
                                         reason=comment, opened_by=_user(actor))
    if action == "approve":
        SubmissionVersion.objects.filter(submission=submission, number=submission.version).update(
            approved_at=released_at or now)  # the version's release date: the vintage of its values
    if action == "submit" and submission.first_submitted_at is None:
        submission.first_submitted_at = now
    submission.state = target
    # State, version and first submission time are the pointer; history is in Transition.
    submission.save(update_fields=["state", "version", "first_submitted_at"])
    Transition.objects.create(submission=submission, version=submission.version,
                              from_state=source, to_state=target, actor=_user(actor),
                              comment=comment)
    record(EventType.SUBMISSION_TRANSITION, actor=actor, org_unit=submission.org_unit,
           obj=submission, summary=f"{submission}: {source} → {target}",
           data={"action": action, "version": submission.version, "comment": comment,
                 **({"releasedAt": released_at.isoformat()} if released_at else {})})
    signals.submission_changed.send(sender=Submission, submission=submission, action=action)


def _check_complete(submission: Submission, today: date) -> None:
    """On submit: required values, rules, and acknowledged outliers."""
    period = periods.parse_sdmx(submission.period)
    rows = context.existing_rows(submission)
    ctx = context.build(submission.regime, submission.org_unit, period, today=today,
                        submission=submission, unit_codes={k[1] for k in rows},
                        keys=list(rows), backfill=submission.backfill)
    values = {key: row.value for key, row in rows.items()}
    refs = {key: f"{key[0]}@{key[1]}" for key in rows}
    not_listed = reporter_issue(submission.regime, submission.org_unit, period)
    issues = _document_issues(submission) + validation.check_required(values, ctx) + validation.errors(
        validation.check_rules(values, ctx.rules, refs, ctx.previous))
    issues += [not_listed] if not_listed is not None else []
    cleans = [validation.Clean(refs[k], k, r.value, r.flag, r.comment) for k, r in rows.items()]
    comments = {refs[k]: r.comment for k, r in rows.items()}
    issues += validation.unacknowledged(validation.check_outliers(cleans, ctx.history), comments)
    if issues:
        raise WorkflowError(*bilingual(_("the report cannot be submitted yet")), issues)


def submit_submission(submission: Submission, *, actor: Any, token: Any = None,
                      comment: str = "", today: date | None = None,
                      at: datetime | None = None) -> Submission:
    """``at``: when it was sent, if not now (imports of reports sent earlier, tests)."""
    return _transition(submission, "submit", actor=actor, token=token, comment=comment,
                       today=today, at=at)


def approve_submission(submission: Submission, *, actor: Any, token: Any = None,
                       comment: str = "", released_at: datetime | None = None) -> Submission:
    """``released_at``: the real release date of a historical version (a backfill of a
    statistics office's past releases); needs the backfill permission, is audited, and
    is refused in the future or before the period's data cut-off. "As known on" reads it."""
    if released_at is not None:
        access.require(actor, Perm.BACKFILL, submission.org_unit, token=token)
        _check_release(submission, released_at)
    return _transition(submission, "approve", actor=actor, token=token, comment=comment,
                       released_at=released_at)


def _check_release(submission: Submission, released_at: datetime) -> None:
    if timezone.is_naive(released_at):
        raise WorkflowError(*bilingual(_("the release date needs a time zone")))
    if released_at > timezone.now():
        raise WorkflowError(*bilingual(_("the release date cannot be in the future")))
    period = periods.parse_sdmx(submission.period)
    cutoff = submission.regime.schedule_for(period).cutoff_end if submission.regime.frequency else period.end
    if timezone.localtime(released_at).date() < cutoff:
        day = timezone.localtime(released_at)
        raise WorkflowError(*bilingual(
            _("release date %(day)s is before the period's data cut-off (%(cutoff)s)"),
            day=Pair(f"{day:%d/%m/%Y}", f"{day:%Y-%m-%d}"),
            cutoff=Pair(f"{period} ({cutoff:%d/%m/%Y})", f"{cutoff:%Y-%m-%d}")))


def return_submission(submission: Submission, *, actor: Any, token: Any = None,
                      comment: str) -> Submission:
    return _transition(submission, "return", actor=actor, token=token, comment=comment)


def revise_submission(submission: Submission, *, actor: Any, token: Any = None,
                      reason: str) -> Submission:
    return _transition(submission, "revise", actor=actor, token=token, comment=reason)


def _document_issues(submission: Submission) -> list[Issue]:
    if submission.regime.content not in ("text", "both") or not submission.regime.document_required:
        return []
    if Document.objects.filter(version__submission=submission).exclude(
            meta__has_key=documents.REMOVED).exists():
        return []
    return [Issue("document", "document", "document_missing", validation.ERROR,
                  *bilingual(_("this regime needs the text report attached (PDF/DOCX)")))]


def attach_document(regime: Regime, unit: OrgUnit, period: periods.Period, data: bytes,
                    filename: str, *, actor: Any, token: Any = None) -> Document:
    """Attach the outline report to the current, editable version (opening the
    submission if needed). Raises DocumentError or WorkflowError."""
    access.require(actor, Perm.ENTER_DATA, unit, token=token)
    not_listed = reporter_issue(regime, unit, period)
    if not_listed is not None:
        raise WorkflowError(not_listed.vi, not_listed.en, [not_listed])
    meta: dict[str, Any] = {}
    if documents.is_package(data):  # from the e-document exchange platform
        unpacked = documents.unpack(data)
        data, filename, meta = unpacked.data, unpacked.filename, unpacked.meta
    kind = documents.sniff(data, filename)
    signature = documents.check_signature(data, kind, unit)
    with transaction.atomic():
        submission = _locked_submission(regime, unit, period) or _open_submission(
            regime, unit, period, actor=actor, backfill=False)
        if not submission.is_editable:
            raise _document_locked(submission)
        version = submission.versions.get(number=submission.version)
        replaced = _current_document(submission)
        safe_name = filename.replace("/", "_").replace("\\", "_")[-200:] or f"report.{kind}"
        document = Document(version=version, filename=safe_name, kind=kind, size=len(data),
                            sha256=hashlib.sha256(data).hexdigest(), uploaded_by=_user(actor),
                            signature=signature.status, signer=signature.signer, signed_at=signature.signed_at,
                            signature_problem=signature.problem, meta=meta)
        document.file.save(f"{submission.pk}-v{version.number}.{kind}", ContentFile(data),
                           save=False)
        document.save()
        record(EventType.VALUES_SAVED, actor=actor, org_unit=unit, obj=submission,
               summary=f"{submission}: document {safe_name}",
               data={"document": document.pk, "sha256": document.sha256, "signature": signature.status,
                     "signer": signature.signer, "package": meta.get("package_id", ""),
                     "old": documents.audit_view(replaced), "new": documents.audit_view(document)})
    return document


def _current_document(submission: Submission) -> Document | None:
    """The text report that counts: the newest not removed of the current version."""
    return (Document.objects.filter(version__submission=submission, version__number=submission.version)
            .exclude(meta__has_key=documents.REMOVED).select_related("version").order_by("-id").first())


def _document_locked(submission: Submission) -> WorkflowError:
    return WorkflowError(*bilingual(
        _("the report has been submitted (it is %(state)s): its text report can no longer be "
          "replaced or removed; open a revision to change it"), state=_state(submission)))


def remove_document(document: Document, *, actor: Any, token: Any = None) -> Document:
    """Remove the report's text document before submission (a wrong or damaged file). The row
    and its file are kept for the audit trail, marked removed; the event holds the old value.
    Raises PermissionDenied outside the actor's scope, WorkflowError once submitted."""
    unit = document.version.submission.org_unit
    access.require(actor, Perm.ENTER_DATA, unit, token=token)
    with transaction.atomic():
        submission = Submission.objects.select_for_update(of=("self",)).select_related(
            "regime", "org_unit").get(pk=document.version.submission_id)
        if not submission.is_editable:
            raise _document_locked(submission)
        locked = Document.objects.select_for_update(of=("self",)).select_related("version").get(pk=document.pk)
        if documents.is_removed(locked.meta) or locked.version.number != submission.version:
            raise WorkflowError(*bilingual(
                _("this file is not part of the report's version in progress, or was removed")))
        before = documents.audit_view(locked)
        locked.meta = {**locked.meta, documents.REMOVED: documents.removal(actor, timezone.now())}
        locked.save(update_fields=["meta"])
        record(EventType.VALUES_SAVED, actor=actor, org_unit=unit, obj=submission,
               summary=f"{submission}: document {locked.filename} removed",
               data={"document": locked.pk, "removed": True, "old": before, "new": None})
    return locked
