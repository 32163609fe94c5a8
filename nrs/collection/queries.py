"""Reading values: the current one, or the one known on a date."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from nrs.collection.context import newest_rows
from nrs.collection.models import DataValue, State, Transition
from nrs.lib.numbers import plain


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
