"""Bulk import of whole reports (historical series, demo data, benchmarks).

The same validation module checks every row (structure, types, rules); what
differs from check_and_save_values is only the batching: submissions,
versions, transitions and values of many reports are written with bulk inserts
in one transaction per batch, with one audit event per batch. Reports that
already exist are skipped, so an import can be re-run. Outlier checks are not
applied: an import is the history that later outlier checks compare against.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from nrs.accounts import access
from nrs.accounts.access import Perm
from nrs.audit.events import EventType
from nrs.audit.log import record
from nrs.collection import context, copyrows, signals, validation
from nrs.collection.models import DataValue, State, Submission, SubmissionVersion, Transition
from nrs.lib import periods
from nrs.registry.models import Frequency, OrgUnit, Regime

BATCH = 200
# Values and transitions go in as plain rows (copyrows): the ORM's per-object
# cost was half of a bulk import's time.
VALUE_COLUMNS = ("version_id", "indicator_id", "org_unit_id", "period", "period_start", "breakdown", "value",
                 "flag", "comment", "created_by_id", "created_at")
TRANSITION_COLUMNS = ("submission_id", "version", "from_state", "to_state", "actor_id", "at", "comment")
SUBMISSION_COLUMNS = ("regime_id", "org_unit_id", "period", "period_start", "state", "version", "backfill",
                      "created_at", "first_submitted_at")
VERSION_COLUMNS = ("submission_id", "number", "reason", "opened_by_id", "opened_at", "approved_at")


@dataclass
class Report:
    regime: Regime
    unit: OrgUnit
    period: periods.Period
    rows: list[validation.Row]
    state: str = State.APPROVED
    submitted_at: datetime | None = None
    approved_at: datetime | None = None
    comment: str = ""


@dataclass
class BulkResult:
    reports: int = 0
    values: int = 0
    skipped: int = 0
    issues: list[validation.Issue] = field(default_factory=list)
    indicators: set[str] = field(default_factory=set)  # the indicators stored
    # period -> (indicators, unit ids) of the approved values stored: what the
    # aggregate store refreshes; and the submissions left awaiting approval.
    touched: dict[str, tuple[set[str], set[int]]] = field(default_factory=dict)
    submitted: list[int] = field(default_factory=list)

    def note(self, report: Report, submission: int, values: list[tuple[Any, ...]],
             codes: dict[int, str]) -> None:
        """``submission``: its id; ``values``: rows in VALUE_COLUMNS order."""
        if report.state == State.SUBMITTED:
            self.submitted.append(submission)
        elif report.state == State.APPROVED:
            indicators, units = self.touched.setdefault(report.period.sdmx, (set(), set()))
            indicators.update(codes[row[1]] for row in values)
            units.update(row[2] for row in values)


class _Checker:
    """Per-regime validation context, built once and reused for every report."""

    def __init__(self, today: date) -> None:
        self.today = today
        self.cache: dict[int, tuple[dict[str, validation.IndicatorSpec], list[validation.Rule]]] = {}

    def check(self, report: Report) -> tuple[list[validation.Clean], list[validation.Issue]]:
        form, rules = self._regime(report.regime)
        unit = report.unit
        ctx = validation.Context(
            period=report.period, today=self.today, form=form, rules=rules, backfill=True,
            expected_kind=Frequency(report.regime.frequency).period_kind,
            units=_units(unit, report),
            submission_unit=unit.code)
        issues = validation.check_period(ctx)
        cleans, row_issues = validation.check_rows(report.rows, ctx)
        refs = {clean.key: clean.ref for clean in cleans}
        issues += row_issues + validation.check_rules(validation.merged(ctx, cleans), rules, refs)
        return cleans, issues

    def _regime(self, regime: Regime) -> tuple[dict[str, validation.IndicatorSpec],
                                               list[validation.Rule]]:
        if regime.pk not in self.cache:
            form = context.indicator_specs(regime)
            self.cache[regime.pk] = (form, context.rules_for(form))
        return self.cache[regime.pk]


def _units(unit: OrgUnit, report: Report) -> dict[str, validation.UnitSpec]:
    """The report's unit; and, when rows name units below it, those (one query)."""
    named = {str(row.org_unit) for row in report.rows if row.org_unit and str(row.org_unit) != unit.code}
    if named:
        return context.unit_specs(unit, named, report.period)
    return {unit.code: validation.UnitSpec(unit.code, unit.valid_from, unit.valid_to)}


def _unit_ids(report: Report, cleans: list[validation.Clean]) -> dict[str, int]:
    ids = {report.unit.code: report.unit.pk}
    named = {c.key[1] for c in cleans} - set(ids)
    if named:
        for unit in (OrgUnit.objects.subtree(report.unit).filter(code__in=named)
                     .valid_on(report.period.end)):
            ids[unit.code] = unit.pk
    return ids


def import_reports(reports: Iterable[Report], *, actor: Any, today: date, token: Any = None,
                   rebuild: bool = False, defer: bool = False,
                   progress: Callable[[int], None] = lambda n: None) -> BulkResult:
    """Validate and store whole reports. A batch with any error stores nothing
    and stops the import; its issues are returned. Call it inside
    ``transaction.atomic()`` and roll back on issues for all or nothing.
    The aggregates are refreshed for what was stored; ``rebuild`` asks for the
    touched indicators to be rebuilt from scratch instead (faster for a whole
    history into an empty store, as the demo does); ``defer`` asks for the
    refresh to be queued for the background worker, in this transaction."""
    checker = _Checker(today)
    result = BulkResult()
    batch: list[Report] = []
    for report in reports:
        batch.append(report)
        if len(batch) >= BATCH:
            if not _flush(batch, checker, actor, result, token):
                break
            progress(len(batch))
            batch = []
    else:
        if batch and _flush(batch, checker, actor, result, token):
            progress(len(batch))
    if result.indicators:
        with transaction.atomic():
            signals.reports_imported.send(sender=Submission, indicators=result.indicators,
                                          reports=result.reports,
                                          touched=None if rebuild else result.touched,
                                          submitted=result.submitted, defer=defer, values=result.values)
    return result


def import_all_or_nothing(reports: Iterable[Report], *, actor: Any, today: date,
                          token: Any = None, defer: bool = False) -> BulkResult:
    """import_reports in one transaction: any error stores nothing at all."""
    with transaction.atomic():
        result = import_reports(reports, actor=actor, today=today, token=token, defer=defer)
        if result.issues:
            transaction.set_rollback(True)
            result.reports = result.values = result.skipped = 0
    return result


def _flush(batch: list[Report], checker: _Checker, actor: Any, result: BulkResult, token: Any) -> bool:
    for report in batch:
        access.require(actor, Perm.ENTER_DATA, report.unit, token=token)
        if report.state == State.APPROVED:
            access.require(actor, Perm.APPROVE, report.unit, token=token)
    with transaction.atomic():
        existing = _existing(batch)
        fresh = [r for r in batch if (r.regime.pk, r.unit.pk, r.period.sdmx) not in existing]
        result.skipped += len(batch) - len(fresh)
        checked = [(report, *checker.check(report)) for report in fresh]
        errors = [i for _r, _c, issues in checked for i in validation.errors(issues)]
        if errors:
            result.issues = errors
            return False
        written = _write(checked, actor, result)
        result.indicators |= {c.key[0] for _r, cleans, _i in checked for c in cleans}
        result.reports += len(fresh)
        result.values += written
        if fresh:
            record(EventType.VALUES_SAVED, actor=actor, summary=f"bulk import: {len(fresh)} reports",
                   data={"reports": len(fresh), "values": written})
    return True


def _existing(batch: list[Report]) -> set[tuple[int, int, str]]:
    found = Submission.objects.filter(regime_id__in={r.regime.pk for r in batch},
                                      org_unit_id__in={r.unit.pk for r in batch},
                                      period__in={r.period.sdmx for r in batch})
    return set(found.values_list("regime_id", "org_unit_id", "period"))


def _write(checked: list[tuple[Report, list[validation.Clean], list[validation.Issue]]],
           actor: Any, result: BulkResult) -> int:
    user = actor.pk if getattr(actor, "pk", None) else None
    at = timezone.now()
    submissions = copyrows.insert_with_ids(Submission, SUBMISSION_COLUMNS, [
        (r.regime.pk, r.unit.pk, r.period.sdmx, r.period.start, r.state, 1, True, at, r.submitted_at)
        for r, _c, _i in checked])
    versions = copyrows.insert_with_ids(SubmissionVersion, VERSION_COLUMNS, [
        (s, 1, "", user, at, r.approved_at) for s, (r, _c, _i) in zip(submissions, checked, strict=True)])
    copyrows.insert_rows(Transition, TRANSITION_COLUMNS, (
        step for s, (r, _c, _i) in zip(submissions, checked, strict=True) for step in _transitions(s, r, user, at)))
    ids = context.indicator_ids(c.key[0] for _r, cleans, _i in checked for c in cleans)
    codes = {pk: code for code, pk in ids.items()}
    values: list[tuple[Any, ...]] = []
    for s, v, (r, cleans, _i) in zip(submissions, versions, checked, strict=True):
        units = _unit_ids(r, cleans)
        mine = [(v, ids[c.key[0]], units[c.key[1]], r.period.sdmx, r.period.start, c.key[2], c.value,
                 c.flag, c.comment, user, at) for c in cleans]
        result.note(r, s, mine, codes)
        values += mine
    copyrows.insert_rows(DataValue, VALUE_COLUMNS, values)
    return len(values)


PATHS: dict[str, list[str]] = {
    State.DRAFT: [State.DRAFT],
    State.SUBMITTED: [State.DRAFT, State.SUBMITTED],
    State.RETURNED: [State.DRAFT, State.SUBMITTED, State.RETURNED],
    State.APPROVED: [State.DRAFT, State.SUBMITTED, State.APPROVED]}


def _transitions(submission: int, report: Report, user: int | None, at: datetime) -> list[tuple[Any, ...]]:
    """The workflow steps that lead to the report's state, as TRANSITION_COLUMNS rows."""
    path = PATHS[report.state]
    return [(submission, 1, source, target, user, at,
             report.comment if target == State.RETURNED else "bulk import")
            for source, target in zip(["", *path], path, strict=False)]
