"""The released figures the explorer shows, all read through scope.public_q: the national
series (the root's value, or the agency's that stands for it: nrs/exchange/sdmx/national.py),
the provinces' figures of a period, a figure's revision history release by release, and the
release calendar (dates only for what is still under embargo)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.core.cache import cache
from django.db.models import Q
from django.utils import timezone

from nrs.analytics.queries import Reader
from nrs.collection import queries
from nrs.collection.models import DataValue
from nrs.exchange.public.models import Publication, Release, levels_down_to
from nrs.exchange.public.scope import public_q
from nrs.exchange.sdmx import national
from nrs.lib import periods
from nrs.registry.models import Indicator, Level, OrgUnit


@dataclass(frozen=True)
class Figure:
    unit: OrgUnit
    period: periods.Period
    value: Decimal | None
    flag: str


@dataclass(frozen=True)
class Step:
    """One release of a figure: what was public from ``release.release_at``."""

    release: Release
    value: Decimal | None
    flag: str
    approved_at: datetime | None
    changed: bool  # from the release before


def publications() -> list[Publication]:
    return list(Publication.objects.filter(active=True).select_related("indicator", "indicator__unit"))


def publication(code: str) -> Publication | None:
    return (Publication.objects.filter(active=True, indicator__code=code)
            .select_related("indicator", "indicator__unit").first())


def _released(indicator: Indicator, now: datetime, levels: list[str], period: str | None = None) -> list[DataValue]:
    where = public_q(now) & Q(indicator=indicator, breakdown="", org_unit__level__in=levels)
    return list(queries.values(scope=where, period=period).select_related("org_unit"))


def _root() -> OrgUnit | None:
    return OrgUnit.objects.filter(level=Level.NATIONAL, parent__isnull=True).order_by("-valid_from").first()


def national_series(indicator: Indicator, now: datetime | None = None, *, newest_only: bool = False) -> list[Figure]:
    """The national figure of each released period of the indicator's own frequency, oldest first
    (``newest_only``: computed over the provinces for the newest released period only)."""
    now = now or timezone.now()
    root = _root()
    if root is None:
        return []
    areas = national.load({root.pk: root.code})
    best: dict[str, tuple[int, DataValue]] = {}
    for row in _released(indicator, now, [Level.NATIONAL, Level.AGENCY]):
        try:
            period = periods.parse_sdmx(row.period)
        except ValueError:
            continue
        if period.kind.value != indicator.frequency:
            continue
        rank = areas.rank(indicator.pk, row.org_unit_id, period.end) if areas else None
        if rank is None:
            continue
        if row.period not in best or rank < best[row.period][0]:
            best[row.period] = (rank, row)
    figures = [Figure(row.org_unit, periods.parse_sdmx(code), row.value, row.flag) for code, (_r, row) in best.items()]
    missing = [code for code in released_periods(indicator, now) if code not in best]
    if newest_only:
        newest = released_periods(indicator, now)[:1]
        missing = [code for code in newest if code in missing]
    figures += _computed(indicator, root, missing, now)
    return sorted(figures, key=lambda f: f.period.start)


def _computed(indicator: Indicator, root: OrgUnit, wanted: list[str], now: datetime) -> list[Figure]:
    """The national figure of each of ``wanted`` computed over the provinces (no agency reports
    it) by the analytics engine as known at the period's last passed release: the same vintages
    public_q serves, so a revision approved after that release stays out of it."""
    found = []
    for code in wanted:
        period = periods.parse_sdmx(code)
        if period.kind.value != indicator.frequency:
            continue
        last = (Release.objects.filter(publication__indicator=indicator, publication__active=True, period=code,
                                       release_at__lte=now).order_by("-release_at").first())
        if last is None:
            continue
        value = _as_known(indicator, root, code, last.release_at)
        if value is not None:
            found.append(Figure(root, period, value, ""))
    return found


COMPUTED_TTL = 3600  # seconds: a figure as known at a past moment changes only with a backfill


def _as_known(indicator: Indicator, root: OrgUnit, period: str, moment: datetime) -> Decimal | None:
    """The engine's national figure of ``period`` as known at ``moment`` (cached: recomputing it
    reads every province's vintages)."""
    key = f"nrs-public-national:{indicator.pk}:{root.pk}:{period}:{moment.timestamp()}"
    cached = cache.get(key)
    if cached is not None:
        return None if cached == "" else Decimal(cached)
    cell = Reader(known_on=moment).cells([indicator.code], [root.pk], periods=[period]).get(
        (indicator.code, root.pk, period))
    value = None if cell is None or cell.value is None else cell.value
    cache.set(key, "" if value is None else str(value), COMPUTED_TTL)
    return value


def province_figures(indicator: Indicator, period: str, now: datetime | None = None) -> list[Figure]:
    """The provinces' released figures of ``period`` (when the publication goes down to them)."""
    now = now or timezone.now()
    return sorted((Figure(row.org_unit, periods.parse_sdmx(row.period), row.value, row.flag)
                   for row in _released(indicator, now, [Level.PROVINCE], period)),
                  key=lambda f: f.unit.code)


def released_periods(indicator: Indicator, now: datetime | None = None) -> list[str]:
    """The periods with a passed release, newest first."""
    now = now or timezone.now()
    codes = (Release.objects.filter(publication__indicator=indicator, publication__active=True, release_at__lte=now)
             .values_list("period", flat=True).distinct())
    return sorted(set(codes), key=lambda code: periods.parse_sdmx(code).start, reverse=True)


def calendar(indicator: Indicator) -> list[Release]:
    return list(Release.objects.filter(publication__indicator=indicator, publication__active=True)
                .order_by("release_at"))


def history(indicator: Indicator, unit: OrgUnit, period: str, now: datetime | None = None) -> list[Step]:
    """The figure at each release of ``period`` that has passed: the newest vintage approved on
    or before that release (the same rule as public_q, release by release)."""
    now = now or timezone.now()
    publication_ = publication(indicator.code)
    if publication_ is None or unit.level not in _levels(publication_):
        return []
    releases = [r for r in calendar(indicator) if r.period == period and r.release_at <= now]
    vintages = list(DataValue.objects.filter(
        indicator=indicator, org_unit=unit, period=period, breakdown="", version__approved_at__isnull=False)
        .select_related("version").order_by("id"))
    if not vintages and unit.level == Level.NATIONAL:
        return _computed_history(indicator, unit, period, releases)
    steps: list[Step] = []
    previous: DataValue | None = None
    for release in releases:
        known = [v for v in vintages if v.version.approved_at is not None
                 and v.version.approved_at <= release.release_at]
        if not known:
            continue
        current = known[-1]
        steps.append(Step(release, current.value, current.flag, current.version.approved_at,
                          changed=previous is not None and previous.value != current.value))
        previous = current
    return steps


def _levels(publication_: Publication) -> list[str]:
    return levels_down_to(publication_.min_level)


def _computed_history(indicator: Indicator, root: OrgUnit, period: str, releases: list[Release]) -> list[Step]:
    """A national figure computed over the provinces, release by release (as known at each)."""
    steps: list[Step] = []
    for release in releases:
        value = _as_known(indicator, root, period, release.release_at)
        if value is None:
            continue
        steps.append(Step(release, value, "", None, changed=bool(steps) and steps[-1].value != value))
    return steps
