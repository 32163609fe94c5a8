"""Compliance: who reported on time, late, not at all, or was sent back.

Read-only. The expected reporters come from the regime (its reporting units on
the period's last day), never from what was submitted, so a unit that never
opened a report still shows up as missing.

Statuses of one expected unit for one regime × period:

- ``on_time``: first submitted (local date, Asia/Ho_Chi_Minh) on or before the deadline;
- ``late``: first submitted after the deadline;
- ``returned``: sent back by the approver, awaiting resubmission;
- ``missing``: no submission, or a draft never submitted, once the deadline has passed;
- ``pending``: the same before the deadline (today <= deadline).

Timeliness always counts from the *first* submission: a report that was
submitted, approved and then reopened for revision (a draft again) keeps the
status its first submission earned. ``approved`` is reported separately.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import Q
from django.utils import timezone

from nrs.collection.documents import REMOVED
from nrs.collection.models import DataValue, Document, State, Submission
from nrs.lib import periods
from nrs.registry.models import Indicator, OrgUnit, Regime

ON_TIME = "on_time"
LATE = "late"
RETURNED = "returned"
MISSING = "missing"
PENDING = "pending"
BACKFILL = "backfill"  # a historical report loaded later: never late
STATUSES = (ON_TIME, LATE, RETURNED, MISSING, PENDING, BACKFILL)


@dataclass(frozen=True)
class Status:
    """One row of the compliance matrix: one expected reporting unit."""

    org_unit_id: int
    org_unit_code: str
    org_unit_name: str
    status: str
    state: str  # the submission's state, "" when there is none
    submitted_at: datetime | None  # first submission
    deadline: date
    approved: bool
    submission_id: int | None
    # For regimes with a text report: the newest document's signature (valid, foreign,
    # invalid, unsigned, unverified), or "none" when no document is attached; "" for data-only regimes.
    document: str = ""

    @property
    def state_label(self) -> str:
        """The submission's state as people read it ("Đã duyệt", "Approved"); "" when there is none."""
        return str(State(self.state).label) if self.state in State.values else self.state


def _period(period: periods.Period | str) -> periods.Period:
    return periods.parse(period) if isinstance(period, str) else period


def expected_units(regime: Regime, period: periods.Period | str, *, scope: Q | None = None) -> list[OrgUnit]:
    """The units that must report ``period`` under ``regime``, by code (one query)."""
    units = regime.reporting_units(_period(period).end)
    if scope is not None:
        units = units.filter(scope)
    return list(units.only("id", "code", "name_vi", "name_en").order_by("code"))


def _submissions(regime: Regime, period: periods.Period) -> dict[int, Submission]:
    rows = (Submission.objects.filter(regime=regime, period=period.sdmx)
            .only("id", "org_unit_id", "state", "first_submitted_at", "backfill"))
    return {row.org_unit_id: row for row in rows}


def status_of(submission: Submission | None, deadline: date, today: date) -> str:
    """The status of one unit given its submission (or None)."""
    if submission is not None and submission.state == State.RETURNED:
        return RETURNED
    if submission is None or submission.first_submitted_at is None:
        return PENDING if today <= deadline else MISSING
    if submission.backfill:
        return BACKFILL
    return ON_TIME if timezone.localtime(submission.first_submitted_at).date() <= deadline else LATE


def _row(unit: OrgUnit, submission: Submission | None, deadline: date, today: date,
         signed: dict[int, str] | None = None) -> Status:
    return Status(
        org_unit_id=unit.pk, org_unit_code=unit.code, org_unit_name=unit.name,
        status=status_of(submission, deadline, today),
        state=submission.state if submission else "",
        submitted_at=submission.first_submitted_at if submission else None,
        deadline=deadline,
        approved=bool(submission and submission.state == State.APPROVED),
        submission_id=submission.pk if submission else None,
        document="" if signed is None else (signed.get(submission.pk, "none") if submission else "none"))


def matrix(regime: Regime, period: periods.Period | str, *, today: date | None = None,
           scope: Q | None = None) -> list[Status]:
    """One Status per expected unit of ``regime`` for ``period``, ordered by unit code.

    ``scope`` is a Q on OrgUnit (e.g. ``access.scope_q(user, Perm.VIEW_COMPLIANCE, field="")``).
    Two queries: the expected units and the regime's submissions for the period.
    """
    period = _period(period)
    deadline = regime.schedule_for(period).deadline
    today = today or timezone.localdate()
    submissions = _submissions(regime, period)
    signed = _signatures(submissions.values()) if regime.content in ("text", "both") else None
    return [_row(unit, submissions.get(unit.pk), deadline, today, signed)
            for unit in expected_units(regime, period, scope=scope)]


def _signatures(submissions: Iterable[Submission]) -> dict[int, str]:
    """The newest document's signature status of each submission (one query)."""
    found: dict[int, str] = {}
    for submission_id, signature in (Document.objects.filter(version__submission__in=list(submissions))
                                     .exclude(meta__has_key=REMOVED).order_by("id")
                                     .values_list("version__submission_id", "signature")):
        found[submission_id] = signature
    return found


def summary(rows: list[Status]) -> dict[str, int]:
    """How many rows have each status (every status present, zero included)."""
    counts = dict.fromkeys(STATUSES, 0)
    for row in rows:
        counts[row.status] += 1
    return counts


def coverage(period_id: str, *, approved_only: bool = True, scope: Q | None = None) -> tuple[int, int]:
    """(indicators with at least one non-null value for the period, indicators in the catalogue):
    "N of the 206 indicators received for period P". ``approved_only`` counts only values of
    approved versions. ``scope`` (a Q on OrgUnit, as for ``matrix``) counts only values of the
    units in it: a province's coordinator learns nothing of the nation's (decision 38); None
    counts every unit's (national briefings, whose callers hold a national grant)."""
    values = DataValue.objects.filter(period=periods.parse(period_id).sdmx, value__isnull=False)
    if scope is not None:
        values = values.filter(org_unit__in=OrgUnit.objects.filter(scope).values("pk"))
    if approved_only:
        values = values.filter(version__approved_at__isnull=False)
    received = values.values("indicator_id").distinct().count()
    return received, Indicator.objects.count()
