"""Reading values: the current one, or the one known on a date."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.core.cache import cache
from django.db.models import Exists, Max, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from nrs.accounts import access
from nrs.accounts.access import Perm
from nrs.accounts.models import Grant
from nrs.collection.context import newest_rows
from nrs.collection.models import DataValue, Document, State, Submission, Transition
from nrs.lib import periods
from nrs.lib.numbers import plain
from nrs.registry.models import OrgUnit, Regime


def values(*, scope: Q, indicators: list[str] | None = None, units: list[str] | None = None,
           period: str | None = None, approved_only: bool = True,
           known_on: datetime | None = None) -> QuerySet[DataValue]:
    """The newest vintage of each key, within ``scope`` (from access.scope_q).

    Approved values only by default; ``known_on`` gives the values as they were
    known at that moment (approved on or before it). Cleared values (None) are
    returned as such.
    """
    rows = _matching(DataValue.objects.filter(scope), indicators, units, period)
    if known_on is not None:
        rows = rows.filter(version__approved_at__lte=known_on)
    elif approved_only:
        rows = rows.filter(version__approved_at__isnull=False)
    return newest_rows(rows).select_related("version__submission").order_by(
        "indicator__code", "org_unit__code", "period", "breakdown")


def beside(unit: str, indicators: list[str], wanted: list[periods.Period], *,
           scope: Q) -> dict[tuple[str, str], DataValue]:
    """The newest stored total of each of ``indicators`` for ``unit`` in each ``wanted`` period,
    by (indicator code, period code): what the entry form shows beside its inputs (the last
    period, the same period last year). Its version tells whether it was approved. One query
    per period, within ``scope``."""
    found: dict[tuple[str, str], DataValue] = {}
    for period in wanted:
        for row in values(scope=scope, indicators=indicators, units=[unit], period=period.sdmx,
                          approved_only=False).filter(breakdown=""):
            found[(row.indicator.code, row.period)] = row
    return found


def _matching(rows: QuerySet[DataValue], indicators: list[str] | None, units: list[str] | None,
              period: str | None) -> QuerySet[DataValue]:
    if indicators:
        rows = rows.filter(indicator__code__in=indicators)
    if units:
        rows = rows.filter(org_unit__code__in=units)
    if period:
        rows = rows.filter(period=period)
    return rows


def as_dict(row: DataValue) -> dict[str, Any]:
    return {
        "indicator": row.indicator.code, "orgUnit": row.org_unit.code, "period": row.period,
        "breakdown": row.breakdown, "value": None if row.value is None else plain(row.value),
        "flag": row.flag, "comment": row.comment, "version": row.version.number,
        "approvedAt": row.version.approved_at.isoformat() if row.version.approved_at else None,
        "writtenAt": row.created_at.isoformat(),
    }


def history(*, scope: Q, indicators: list[str] | None = None, units: list[str] | None = None,
            period: str | None = None) -> list[dict[str, Any]]:
    """Every released version of each value in ``scope``, oldest first: the value, its
    release date (the version's approval, or the real date recorded for a backfill), the
    revision's reason, who opened the version and who approved it."""
    rows = _matching(DataValue.objects.filter(scope, version__approved_at__isnull=False), indicators, units, period)
    rows = rows.select_related("indicator", "org_unit", "version__opened_by").order_by(
        "indicator__code", "org_unit__code", "period", "breakdown", "version__approved_at", "id")[:50_000]
    listed = list(rows)
    approvers = _approvers({row.version.submission_id for row in listed})
    return [{**as_dict(row), "releasedAt": timezone.localtime(row.version.approved_at).isoformat(),
             "reason": row.version.reason,
             "openedBy": row.version.opened_by.username if row.version.opened_by else "",
             "approvedBy": approvers.get((row.version.submission_id, row.version.number), "")}
            for row in listed]


def _approvers(submissions: set[int]) -> dict[tuple[int, int], str]:
    found: dict[tuple[int, int], str] = {}
    for submission, version, username in (Transition.objects.filter(
            submission_id__in=submissions, to_state=State.APPROVED)
            .order_by("at").values_list("submission_id", "version", "actor__username")):
        found[(submission, version)] = username or ""
    return found


def flags(keys: list[tuple[int, int, str]]) -> dict[tuple[int, int, str], str]:
    """The flag (estimate, provisional, revised) of the newest approved value of each
    (indicator id, org unit id, period) total, in one query."""
    if not keys:
        return {}
    wanted = Q(pk__in=[])
    for indicator, unit, period in keys:
        wanted |= Q(indicator_id=indicator, org_unit_id=unit, period=period)
    found: dict[tuple[int, int, str], str] = {}
    for indicator, unit, period, flag in (DataValue.objects.filter(wanted, breakdown="",
                                                                   version__approved_at__isnull=False)
                                          .order_by("id").values_list("indicator_id", "org_unit_id", "period", "flag")):
        found[(indicator, unit, period)] = flag  # the newest vintage wins
    return found


# -- the daily work lists: a reporter's reports, an approver's inbox (issue 20) ---------------

# A report that needs its reporter: not opened yet ("" state), in draft, or sent back.
TO_DO = frozenset({"", State.DRAFT, State.RETURNED})
SOON_DAYS = 31


@dataclass(frozen=True)
class WorkRow:
    """One report on a reporter's list: a regime × unit × period, its state ("" when it
    was never opened), its deadline, and the approver's reason when it was sent back."""

    regime: Regime
    unit: OrgUnit
    period: periods.Period
    deadline: date
    state: str
    reason: str = ""
    overdue: bool = False
    # Counted in the menu: sent back, in draft, overdue, or due within a month (next
    # September's nine-month report is listed, not counted).
    pressing: bool = False

    @property
    def to_do(self) -> bool:
        return self.state in TO_DO

    @property
    def state_label(self) -> str:
        return str(State(self.state).label) if self.state else str(_("Not started"))


@dataclass(frozen=True)
class InboxRow:
    """One report waiting for approval: who sent it, when, and its deadline."""

    submission: Submission
    deadline: date
    submitted_at: datetime | None
    submitted_by: str
    # Separation of duties: the approver entered or sent this version, so another must approve it.
    conflict: bool = False


def worklist(user: Any, today: date) -> list[WorkRow]:
    """The reports ``user`` fills in: this period's report of each regime for each unit they
    hold a reporter's grant on, last period's when it was never sent (overdue), and every report of
    theirs still in draft or sent back. Reports to do first (returned, overdue, then by
    deadline), then the ones sent. One query per regime, one for the reports, one for the
    return reasons."""
    if not access.has_perm(user, Perm.ENTER_DATA):
        return []
    # The units the user reports for: those of their own grants, not every unit below them
    # (a province's reporter does not fill in its communes' reports, though they may).
    entering = [role for role, perms in access.ROLE_PERMS.items() if Perm.ENTER_DATA in perms]
    granted = Grant.objects.active().filter(user=user, role__in=entering).values("org_unit_id")
    units = OrgUnit.objects.current().filter(access.scope_q(user, Perm.ENTER_DATA, ""), pk__in=granted)
    wanted: list[tuple[Regime, OrgUnit, periods.Schedule, bool]] = []
    for regime in Regime.objects.exclude(frequency="").order_by("code"):
        sched = regime.next_schedule(today)
        if sched is None:
            continue
        previous = regime.schedule_for(sched.period.previous())
        for unit in regime.reporting_units(today).filter(pk__in=units.values("pk"))[:50]:
            wanted.append((regime, unit, sched, False))
            wanted.append((regime, unit, previous, True))
    # A superset of the wanted keys (a flat OR of hundreds of keys would hit SQLite's
    # expression depth limit for a national reporter); the dictionary below picks.
    keys = Q(state__in=[State.DRAFT, State.RETURNED])
    if wanted:
        keys |= Q(regime__in={r.pk for r, _u, _s, _l in wanted}, org_unit__in={u.pk for _r, u, _s, _l in wanted},
                  period__in={s.period.sdmx for _r, _u, s, _l in wanted})
    found = {(s.regime_id, s.org_unit_id, s.period): s for s in Submission.objects.filter(
        access.scope_q(user, Perm.ENTER_DATA)).filter(keys).select_related("regime", "org_unit")}
    reasons = _return_reasons([s for s in found.values() if s.state == State.RETURNED])
    rows: list[WorkRow] = []
    seen: set[tuple[int, int, str]] = set()
    for regime, unit, sched, last in wanted:
        key = (regime.pk, unit.pk, sched.period.sdmx)
        report = found.get(key)
        state = report.state if report else ""
        if last and state not in TO_DO:
            continue  # last period's report was sent: nothing to do
        seen.add(key)
        rows.append(WorkRow(regime, unit, sched.period, sched.deadline, state,
                            reasons.get(report.pk, "") if report else "",
                            overdue=state in TO_DO and sched.deadline < today,
                            pressing=_pressing(state, sched.deadline, today)))
    for key, report in found.items():
        if key in seen or report.state not in TO_DO:
            continue
        period = periods.parse(report.period)
        deadline = report.regime.schedule_for(period).deadline if report.regime.frequency else today
        rows.append(WorkRow(report.regime, report.org_unit, period, deadline, report.state,
                            reasons.get(report.pk, ""), overdue=deadline < today,
                            pressing=_pressing(report.state, deadline, today)))
    rows.sort(key=lambda r: (not r.to_do, r.state != State.RETURNED, not r.overdue, r.deadline,
                             r.regime.code, r.unit.code))
    return rows


def _pressing(state: str, deadline: date, today: date) -> bool:
    return state in (State.RETURNED, State.DRAFT) or (state in TO_DO and deadline <= today + timedelta(days=SOON_DAYS))


def _return_reasons(returned: list[Submission]) -> dict[int, str]:
    """The approver's comment on the newest return of each report (one query)."""
    found: dict[int, str] = {}
    for submission, comment in (Transition.objects.filter(submission__in=returned, to_state=State.RETURNED)
                                .order_by("id").values_list("submission_id", "comment")):
        found[submission] = comment
    return found


def _participated(user: Any) -> dict[str, Exists]:
    """Did ``user`` enter values or a document in, or send, each report's current version
    (access.SUBMISSIONS.participants, as subqueries of one query)?"""
    version = {"version__submission": OuterRef("pk"), "version__number": OuterRef("version")}
    return {
        "sent_by_me": Exists(Transition.objects.filter(submission=OuterRef("pk"), version=OuterRef("version"),
                                                       to_state=State.SUBMITTED, actor=user)),
        "entered_by_me": Exists(DataValue.objects.filter(created_by=user, **version)),
        "uploaded_by_me": Exists(Document.objects.filter(uploaded_by=user, **version)),
    }


def _waiting(user: Any) -> QuerySet[Submission]:
    return Submission.objects.filter(access.scope_q(user, Perm.APPROVE), state=State.SUBMITTED)


def inbox(user: Any) -> list[InboxRow]:
    """The reports sent for approval in the units ``user`` approves for, the most urgent first
    (earliest deadline, then the longest waiting); those ``user`` entered or sent are marked, since
    another approver must approve them. Two queries."""
    if not access.has_perm(user, Perm.APPROVE):
        return []
    waiting = list(_waiting(user).annotate(**_participated(user)).select_related("regime", "org_unit"))
    sent: dict[int, tuple[datetime | None, str]] = {}
    for submission, at, username, full_name in (
            Transition.objects.filter(submission__in=waiting, to_state=State.SUBMITTED).order_by("id")
            .values_list("submission_id", "at", "actor__username", "actor__full_name")):
        sent[submission] = (at, full_name or username or "")
    rows = []
    for report in waiting:
        period = periods.parse(report.period)
        deadline = (report.regime.schedule_for(period).deadline if report.regime.frequency
                    else period.end)
        when, by = sent.get(report.pk, (report.first_submitted_at, ""))
        conflict = report.regime.separate_duties and any(
            getattr(report, name) for name in ("sent_by_me", "entered_by_me", "uploaded_by_me"))
        rows.append(InboxRow(report, deadline, when, by, conflict))
    oldest = datetime.min.replace(tzinfo=timezone.get_current_timezone())
    rows.sort(key=lambda r: (r.submitted_at or oldest))
    rows.sort(key=lambda r: r.deadline)
    return rows


def waiting_count(user: Any) -> int:
    """How many reports wait for ``user``'s approval, leaving out those they entered or sent
    themselves (another approver's work): one aggregate query, none without the approve
    permission."""
    if not access.has_perm(user, Perm.APPROVE):
        return 0
    mine = _participated(user)
    return _waiting(user).exclude(
        Q(regime__separate_duties=True) & (Q(mine["sent_by_me"]) | Q(mine["entered_by_me"]) | Q(mine["uploaded_by_me"]))
    ).count()


NAV_TTL = 300  # seconds; a new transition changes the key at once


def nav_counts(user: Any, today: date) -> dict[str, int]:
    """The menu's counts: reports waiting for ``user``'s approval, and reports of theirs to
    fill in (sent back, in draft, overdue or due within a month: WorkRow.pressing). No query
    for users who neither approve nor enter data; otherwise one (the newest transition's id)
    when the counts are cached, keyed by the user, their grants, the day and that id, so any
    submit, approval or return anywhere shows at once."""
    approves, enters = access.has_perm(user, Perm.APPROVE), access.has_perm(user, Perm.ENTER_DATA)
    if not (approves or enters):
        return {"waiting": 0, "mine": 0}
    newest = Transition.objects.aggregate(newest=Max("id"))["newest"] or 0
    grants = hashlib.sha256(repr(sorted(access.roles(user))).encode()
                            + repr(access.scope_q(user, Perm.ENTER_DATA)).encode()
                            + repr(access.scope_q(user, Perm.APPROVE)).encode()).hexdigest()[:16]
    key = f"nrs:nav-counts:{user.pk}:{grants}:{today.isoformat()}:{newest}"
    counts: dict[str, int] | None = cache.get(key)
    if counts is None:
        counts = {"waiting": waiting_count(user) if approves else 0,
                  "mine": sum(1 for row in worklist(user, today) if row.pressing) if enters else 0}
        cache.set(key, counts, NAV_TTL)
    return counts
