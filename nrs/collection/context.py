"""Build validation.Context from the database: the one bridge between stored
metadata and the pure validation module."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date
from decimal import Decimal

from django.db.models import Max

from nrs.collection import validation
from nrs.collection.models import DataValue, Submission
from nrs.collection.validation import Key
from nrs.lib import periods
from nrs.registry.models import Frequency, Indicator, OrgUnit, Regime, ValidationRule

HISTORY_PERIODS = 24


def indicator_specs(regime: Regime) -> dict[str, validation.IndicatorSpec]:
    specs = {}
    optional = set(regime.optional_indicators.values_list("pk", flat=True))
    for ind in regime.indicators.prefetch_related("breakdowns__codes"):
        breakdowns = {cl.code: frozenset(c.code for c in cl.codes.all()) for cl in ind.breakdowns.all()}
        specs[ind.code] = validation.IndicatorSpec(ind.code, ind.value_type, ind.decimals,
                                                   breakdowns, derived=bool(ind.formula),
                                                   optional=ind.pk in optional)
    return specs


def unit_specs(root: OrgUnit, codes: Iterable[str], period: periods.Period
               ) -> dict[str, validation.UnitSpec]:
    """The units named in a batch, inside ``root``'s subtree; where a code has
    several versions, the one valid in the period."""
    wanted = set(codes) | {root.code}
    found: dict[str, OrgUnit] = {}
    for unit in OrgUnit.objects.subtree(root).filter(code__in=wanted).order_by("valid_from"):
        current = found.get(unit.code)
        if current is None or unit.is_valid_on(period.end):
            found[unit.code] = unit
    return {code: validation.UnitSpec(code, u.valid_from, u.valid_to) for code, u in found.items()}


def rules_for(form: Iterable[str]) -> list[validation.Rule]:
    codes = set(form)
    rules = []
    for rule in ValidationRule.objects.select_related("indicator", "other"):
        terms = tuple(t for t in rule.terms.split(";") if t)
        if not {rule.indicator.code, *terms} <= codes | {rule.other.code if rule.other else ""}:
            continue
        rules.append(validation.Rule(
            code=rule.code, kind=rule.kind, severity=rule.severity, indicator=rule.indicator.code,
            message_vi=rule.message_vi, message_en=rule.message_en, op=rule.operator,
            other=rule.other.code if rule.other else "", minimum=rule.minimum,
            maximum=rule.maximum, terms=terms, equals=rule.equals, tolerance=rule.tolerance))
    return rules


def newest_rows(queryset):  # type: ignore[no-untyped-def]
    """The newest row of each key in ``queryset`` (values are never updated,
    so the highest id of a key is its latest vintage)."""
    latest = (queryset.values("indicator_id", "org_unit_id", "period", "breakdown")
              .annotate(last=Max("id")).values("last"))
    return DataValue.objects.filter(id__in=latest).select_related("indicator", "org_unit")


def existing_rows(submission: Submission | None) -> dict[Key, DataValue]:
    """The submission's current rows (newest per key, across its versions)."""
    if submission is None or submission.pk is None:
        return {}
    rows = newest_rows(DataValue.objects.filter(version__submission=submission))
    return {(r.indicator.code, r.org_unit.code, r.breakdown): r for r in rows}


def history(keys: Iterable[Key], period: periods.Period) -> dict[Key, list[Decimal]]:
    """Approved values of the same keys in the previous periods of the same kind."""
    keys = list(keys)
    if not keys:
        return {}
    earliest = period.shift(-HISTORY_PERIODS)
    rows = DataValue.objects.filter(
        indicator__code__in={k[0] for k in keys}, org_unit__code__in={k[1] for k in keys},
        period_start__gte=earliest.start, period_start__lt=period.start,
        version__approved_at__isnull=False, period__regex=_same_kind(period))
    series: dict[Key, dict[str, tuple[int, Decimal | None]]] = defaultdict(dict)
    for pk, code, unit, brk, per, value in rows.values_list(
            "id", "indicator__code", "org_unit__code", "breakdown", "period", "value"):
        known = series[(code, unit, brk)].get(per)
        if known is None or pk > known[0]:
            series[(code, unit, brk)][per] = (pk, value)
    wanted = set(keys)
    return {key: [v for _pk, v in by_period.values() if v is not None]
            for key, by_period in series.items() if key in wanted}


def previous(keys: Iterable[Key], period: periods.Period) -> dict[Key, Decimal]:
    """The newest approved value of each key in the period just before ``period`` (of
    the same kind): what scale rules compare with."""
    keys = set(keys)
    if not keys:
        return {}
    rows = DataValue.objects.filter(
        indicator__code__in={k[0] for k in keys}, org_unit__code__in={k[1] for k in keys},
        period=period.shift(-1).sdmx, version__approved_at__isnull=False)
    found: dict[Key, tuple[int, Decimal | None]] = {}
    for pk, code, unit, brk, value in rows.values_list("id", "indicator__code", "org_unit__code",
                                                       "breakdown", "value"):
        key = (code, unit, brk)
        if key in keys and (key not in found or pk > found[key][0]):
            found[key] = (pk, value)
    return {key: value for key, (_pk, value) in found.items() if value is not None}


def _same_kind(period: periods.Period) -> str:
    return {
        periods.Kind.MONTH: r"^\d{4}-\d{2}$", periods.Kind.QUARTER: r"^\d{4}-Q\d$",
        periods.Kind.HALF: r"^\d{4}-S\d$", periods.Kind.NINE_MONTHS: r"^\d{4}-N1$",
        periods.Kind.YEAR: r"^\d{4}$", periods.Kind.YTD: r"^\d{4}-YTD\d{2}$",
    }[period.kind]


def build(regime: Regime, unit: OrgUnit, period: periods.Period, *, today: date,
          submission: Submission | None, unit_codes: Iterable[str] = (),
          keys: Iterable[Key] = (), backfill: bool = False) -> validation.Context:
    form = indicator_specs(regime)
    expected = Frequency(regime.frequency).period_kind if regime.frequency else period.kind
    opens = regime.schedule_for(period).cutoff_start if regime.frequency else None
    return validation.Context(
        period=period, expected_kind=expected, today=today, form=form,
        units=unit_specs(unit, unit_codes, period), submission_unit=unit.code,
        backfill=backfill, rules=rules_for(form),
        existing={key: row.value for key, row in existing_rows(submission).items()},
        history=history(keys, period), previous=previous(_totals(form, unit.code, keys), period),
        opens=opens)


def _totals(form: Iterable[str], unit: str, keys: Iterable[Key]) -> set[Key]:
    """The keys rules look at: each form indicator's total for the submission's unit
    and for every unit the batch names."""
    units = {unit} | {key[1] for key in keys}
    return {(code, u, "") for code in form for u in units}


def indicator_ids(codes: Iterable[str]) -> dict[str, int]:
    return dict(Indicator.objects.filter(code__in=set(codes)).values_list("code", "id"))
