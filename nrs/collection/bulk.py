"""Bulk import of whole reports (historical series, demo data, benchmarks).

The same validation module checks every row (structure, types, rules); what
differs from check_and_save_values is only the batching: submissions,
versions, transitions and values of many reports are written with bulk inserts
in one transaction per batch, with one audit event per batch. Reports that
already exist are skipped, so an import can be re-run. Outlier checks are not
applied: an import is the history that later outlier checks compare against.
Scale rules are: against the previous period stored, or sent earlier in the import.

A report that already exists is skipped only when the import's values are the ones
stored; one whose values differ is refused (report_differs): changing a submitted or
approved report takes a revision with a reason, never a silent skip or overwrite.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from nrs.accounts import access
from nrs.accounts.access import Perm
from nrs.audit.events import EventType
from nrs.audit.log import record
from nrs.collection import actions, context, copyrows, signals, validation
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
    backfill: bool = False  # a historical report loaded later: never counted late
    ref: str = ""  # where the report was in the request ("line 3"), for errors about it

    def where(self) -> str:
        return self.ref or f"{self.regime.code}/{self.unit.code}/{self.period.sdmx}"


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
        self.reporters: dict[tuple[int, date], set[int]] = {}
        # (indicator, unit, period) -> total sent earlier in this import, for scale rules
        self.sent: dict[tuple[str, str, str], Decimal] = {}
        self.previous: dict[validation.Key, Decimal] = {}

    def check(self, report: Report) -> tuple[list[validation.Clean], list[validation.Issue]]:
        if not self.is_reporter(report):
            return [], [actions.not_a_reporter(report.regime.code, report.unit.code, report.where())]
        form, rules = self._regime(report.regime)
        unit = report.unit
        ctx = validation.Context(
            period=report.period, today=self.today, form=form, rules=rules, backfill=True,
            expected_kind=Frequency(report.regime.frequency).period_kind if report.regime.frequency
            else report.period.kind,
            units=_units(unit, report),
            submission_unit=unit.code)
        issues = validation.check_period(ctx)
        cleans, row_issues = validation.check_rows(report.rows, ctx)
        refs = {clean.key: clean.ref for clean in cleans}
        issues += row_issues + validation.check_rules(validation.merged(ctx, cleans), rules, refs,
                                                      self._previous(report, cleans))
        self._remember(report, cleans, rules)
        return cleans, issues

    def is_reporter(self, report: Report) -> bool:
        """As actions.is_reporter, with each regime's reporters on a day read once."""
        day = actions.reporting_day(report.unit, report.period)
        if day is None:
            return True  # not in the period at all: check_unit says unit_not_valid
        found = self.reporters.get((report.regime.pk, day))
        if found is None:
            found = set(report.regime.reporting_units(day).values_list("pk", flat=True))
            self.reporters[(report.regime.pk, day)] = found
        return report.unit.pk in found

    def load_previous(self, batch: list[Report]) -> None:
        """The stored previous-period totals that the batch's scale rules compare with."""
        wanted: dict[periods.Period, set[validation.Key]] = {}
        for report in batch:
            _form, rules = self._regime(report.regime)
            codes = {rule.indicator for rule in rules if rule.kind == "scale"}
            if codes:
                units = {report.unit.code} | {str(row.org_unit) for row in report.rows if row.org_unit}
                wanted.setdefault(report.period, set()).update((c, u, "") for c in codes for u in units)
        self.previous = {}
        for period, keys in wanted.items():
            self.previous.update({(k[0], k[1], period.sdmx): v
                                  for k, v in context.previous(keys, period).items()})

    def _previous(self, report: Report, cleans: list[validation.Clean]) -> dict[validation.Key, Decimal]:
        last = report.period.shift(-1).sdmx
        found = {}
        for clean in cleans:
            code, unit, breakdown = clean.key
            value = self.sent.get((code, unit, last), self.previous.get((code, unit, report.period.sdmx)))
            if breakdown == "" and value is not None:
                found[clean.key] = value
        return found

    def _remember(self, report: Report, cleans: list[validation.Clean], rules: list[validation.Rule]) -> None:
        scaled = {rule.indicator for rule in rules if rule.kind == "scale"}
        for clean in cleans:
            code, unit, breakdown = clean.key
            if code in scaled and breakdown == "" and clean.value is not None:
                self.sent[(code, unit, report.period.sdmx)] = clean.value

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
        checker.load_previous(batch)
        checked, errors = [], []
        for report in batch:
            cleans, issues = checker.check(report)
            errors += validation.errors(issues)
            stored = existing.get((report.regime.pk, report.unit.pk, report.period.sdmx))
            if stored is None:
                checked.append((report, cleans, issues))
            elif not validation.errors(issues):
                errors += _differs(report, stored, cleans)
        fresh = [report for report, _c, _i in checked]
        result.skipped += len(batch) - len(fresh)
        if errors:
            result.issues = errors
            return False
        try:
            with transaction.atomic():  # a savepoint: a lost race leaves the batch unwritten
                written = _write(checked, actor, result)
        except IntegrityError:
            result.issues = _opened_meanwhile(fresh)
            return False
        result.indicators |= {c.key[0] for _r, cleans, _i in checked for c in cleans}
        result.reports += len(fresh)
        result.values += written
        if fresh:
            record(EventType.VALUES_SAVED, actor=actor, summary=f"bulk import: {len(fresh)} reports",
                   data={"reports": len(fresh), "values": written})
    return True


@dataclass
class _Stored:
    """A report already in the database: its id, state and current values."""

    pk: int
    state: str
    values: dict[validation.Key, tuple[Any, str]] = field(default_factory=dict)  # (value, flag)


def _existing(batch: list[Report]) -> dict[tuple[int, int, str], _Stored]:
    found = Submission.objects.filter(regime_id__in={r.regime.pk for r in batch},
                                      org_unit_id__in={r.unit.pk for r in batch},
                                      period__in={r.period.sdmx for r in batch})
    stored = {(regime, unit, period): _Stored(pk, state) for pk, regime, unit, period, state
              in found.values_list("pk", "regime_id", "org_unit_id", "period", "state")}
    if stored:
        by_pk = {s.pk: s for s in stored.values()}
        newest = (DataValue.objects.filter(version__submission_id__in=by_pk)
                  .values("version__submission_id", "indicator_id", "org_unit_id", "breakdown")
                  .annotate(last=Max("id")).values("last"))
        for sid, code, unit, breakdown, value, flag in DataValue.objects.filter(id__in=newest).values_list(
                "version__submission_id", "indicator__code", "org_unit__code", "breakdown", "value", "flag"):
            by_pk[sid].values[(code, unit, breakdown)] = (value, flag)
    return stored


def _opened_meanwhile(fresh: list[Report]) -> list[validation.Issue]:
    """The batch lost a first-write race: another import or the web form opened one of its
    reports after this batch looked (issue 18, finding 13). Nothing of the batch is written;
    a resend finds the report and skips it if identical, or names how it differs."""
    taken = set(Submission.objects.filter(
        regime_id__in={r.regime.pk for r in fresh}, org_unit_id__in={r.unit.pk for r in fresh},
        period__in={r.period.sdmx for r in fresh}).values_list("regime_id", "org_unit_id", "period"))
    report = next((r for r in fresh if (r.regime.pk, r.unit.pk, r.period.sdmx) in taken), fresh[0])
    name = f"{report.regime.code} {report.unit.code} {report.period.sdmx}"
    return [validation.Issue(
        report.where(), "report", "concurrent_write", validation.ERROR,
        f"báo cáo {name} vừa được tạo bởi một lần ghi khác trong lúc nhập; lô này chưa được ghi: "
        "hãy gửi lại (báo cáo giống hệt sẽ được bỏ qua)",
        f"the report {name} was opened by another write during this import; this batch was not "
        "written: send it again (an identical report is then skipped)")]


def _differs(report: Report, stored: _Stored, cleans: list[validation.Clean]) -> list[validation.Issue]:
    """Nothing when the resent report's values are the stored ones (it is skipped); else
    the report_differs error naming the indicators that differ."""
    changed = sorted({c.key[0] for c in cleans if stored.values.get(c.key, (None, ""))
                      != (c.value, c.flag) and not (c.value is None and c.key not in stored.values)})
    if not changed:
        return []
    names = ", ".join(changed[:5]) + (", …" if len(changed) > 5 else "")
    return [validation.Issue(
        report.where(), "value", "report_differs", validation.ERROR,
        f"báo cáo {report.regime.code} {report.unit.code} {report.period.sdmx} đã có (trạng thái "
        f"'{stored.state}') với số liệu khác ({names}); không ghi đè: hãy mở phiên bản mới có ghi rõ lý do "
        f"(POST /api/submissions/{stored.pk}/revise) rồi gửi số liệu sửa tới /api/dataValueSets",
        f"the report {report.regime.code} {report.unit.code} {report.period.sdmx} already exists "
        f"({stored.state}) with different values ({names}); it is not overwritten: open a revision "
        f"with a reason (POST /api/submissions/{stored.pk}/revise), then send the corrected values "
        "to /api/dataValueSets")]


def _write(checked: list[tuple[Report, list[validation.Clean], list[validation.Issue]]],
           actor: Any, result: BulkResult) -> int:
    user = actor.pk if getattr(actor, "pk", None) else None
    at = timezone.now()
    submissions = copyrows.insert_with_ids(Submission, SUBMISSION_COLUMNS, [
        (r.regime.pk, r.unit.pk, r.period.sdmx, r.period.start, r.state, 1, r.backfill, at, r.submitted_at)
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
