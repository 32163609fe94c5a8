"""The one validation module. Pure: plain data in, issues out; no database.

Every entry path (web form, Excel, API, DHIS2/ADX import, federation) turns
its input into ``Row`` objects, asks nrs.collection.context for a
``Context``, and calls the functions here, so no two paths can disagree.

Each issue names where it is (``ref``: a JSON path, an Excel cell, a form
field) and says what is wrong in Vietnamese and in English.
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.utils.translation import gettext_noop as _

from nrs.i18n import Pair, bilingual
from nrs.lib import numbers, periods

ERROR, WARNING = "error", "warning"
MAX_ABS = Decimal("1e17")
OUTLIER_Z = Decimal("3.5")
OUTLIER_MIN_HISTORY = 6
# A number as the API takes it: ASCII digits, a dot decimal, an optional sign and exponent.
# No comma decimal, no thousands separator (",", " ", "_"), no NaN or Infinity.
NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?", re.ASCII)

Key = tuple[str, str, str]  # indicator code, org-unit code, breakdown key


@dataclass(frozen=True)
class Issue:
    ref: str
    field: str
    code: str
    severity: str
    vi: str
    en: str

    def __str__(self) -> str:
        return f"{self.ref}: {self.vi} / {self.en}"

    def as_dict(self) -> dict[str, str]:
        return {"ref": self.ref, "field": self.field, "code": self.code,
                "severity": self.severity, "message_vi": self.vi, "message_en": self.en}


@dataclass
class Row:
    """One value as an entry path received it, before any checking."""

    ref: str
    indicator: object
    org_unit: object
    value: object
    breakdown: object = ""
    flag: object = ""
    comment: object = ""
    refs: dict[str, str] = field(default_factory=dict)  # field -> cell/path, if finer

    def where(self, name: str) -> str:
        return self.refs.get(name, self.ref)


@dataclass(frozen=True)
class Clean:
    """A row that passed the structural checks."""

    ref: str
    key: Key
    value: Decimal | None
    flag: str
    comment: str


@dataclass(frozen=True)
class IndicatorSpec:
    code: str
    value_type: str
    decimals: int
    breakdowns: Mapping[str, frozenset[str]]
    derived: bool = False
    optional: bool = False  # the regime lets a report leave it empty (a staggered release)


@dataclass(frozen=True)
class UnitSpec:
    code: str
    valid_from: date
    valid_to: date | None


@dataclass(frozen=True)
class Rule:
    code: str
    kind: str  # range | compare | sum | scale
    severity: str
    indicator: str
    message_vi: str
    message_en: str
    op: str = ""
    other: str = ""
    minimum: Decimal | None = None
    maximum: Decimal | None = None
    terms: tuple[str, ...] = ()
    equals: Decimal | None = None
    tolerance: Decimal = Decimal(0)


@dataclass
class Context:
    period: periods.Period
    expected_kind: periods.Kind
    today: date
    form: Mapping[str, IndicatorSpec]        # the regime's indicators, by code
    units: Mapping[str, UnitSpec]            # units the submission may carry, by code
    submission_unit: str
    backfill: bool = False
    rules: list[Rule] = field(default_factory=list)
    existing: Mapping[Key, Decimal | None] = field(default_factory=dict)
    history: Mapping[Key, list[Decimal]] = field(default_factory=dict)
    previous: Mapping[Key, Decimal] = field(default_factory=dict)  # the last period's values
    flags: frozenset[str] = frozenset({"estimate", "provisional", "revised", "confidential"})
    opens: date | None = None                # first day values may be entered
    # The period's first and last days, computed once (checked for every row).
    first_day: date = field(init=False)
    last_day: date = field(init=False)

    def __post_init__(self) -> None:
        self.first_day, self.last_day = self.period.start, self.period.end


def _issue(ref: str, name: str, code: str, vi: str, en: str, severity: str = ERROR) -> Issue:
    return Issue(ref, name, code, severity, vi, en)


# -- the period and the unit ------------------------------------------------------------

def check_period(ctx: Context) -> list[Issue]:
    issues = []
    if ctx.period.kind != ctx.expected_kind:
        issues.append(_issue("period", "period", "period_kind",
                             *bilingual(_("period '%(period)s' does not fit the regime's frequency"),
                                        period=ctx.period)))
    opens = ctx.opens or ctx.period.start
    if ctx.today < opens:
        issues.append(_issue("period", "period", "period_not_open",
                             *bilingual(_("period '%(period)s' is not open yet (opens %(opens)s)"),
                                        period=ctx.period, opens=Pair(f"{opens:%d/%m/%Y}", f"{opens:%Y-%m-%d}"))))
    return issues


def check_unit(unit: UnitSpec, ctx: Context, ref: str) -> list[Issue]:
    if unit.valid_from > ctx.last_day or (unit.valid_to is not None and unit.valid_to < ctx.first_day):
        return [_issue(ref, "orgUnit", "unit_not_valid",
                       *bilingual(_("org unit '%(unit)s' does not exist in period %(period)s"),
                                  unit=unit.code, period=ctx.period))]
    if unit.valid_to is not None and unit.valid_to < ctx.today and not ctx.backfill:
        return [_issue(ref, "orgUnit", "unit_ended",
                       *bilingual(_("org unit '%(unit)s' ended on %(ended)s; data for it is "
                                    "accepted only as an explicit historical backfill"),
                                  unit=unit.code, ended=Pair(f"{unit.valid_to:%d/%m/%Y}", f"{unit.valid_to}")))]
    return []


# -- one row ------------------------------------------------------------------------

def parse_breakdown(raw: object, spec: IndicatorSpec) -> tuple[str, str | None, str | None]:
    """Canonical breakdown key, or an error (vi, en). Accepts "" / None (total),
    a mapping {"SEX": "F"}, or text "SEX=F;URBAN_RURAL=URBAN"."""
    if raw in (None, "", {}):
        return "", None, None
    pairs: dict[str, str] = {}
    if isinstance(raw, Mapping):
        pairs = {str(k): str(v) for k, v in raw.items()}
    elif isinstance(raw, str):
        for part in raw.split(";"):
            name, sep, code = part.partition("=")
            if not sep:
                return "", *bilingual(_("breakdown '%(breakdown)s' is malformed"), breakdown=raw)
            pairs[name.strip()] = code.strip()
    else:
        return "", *bilingual(_("breakdown must be text or an object"))
    for name, code in pairs.items():
        if name not in spec.breakdowns:
            return ("", *bilingual(_("indicator %(indicator)s has no breakdown '%(breakdown)s'"),
                                   indicator=spec.code, breakdown=name))
        if code not in spec.breakdowns[name]:
            return "", *bilingual(_("code '%(code)s' is not in breakdown %(breakdown)s"), code=code, breakdown=name)
    return ";".join(f"{k}={pairs[k]}" for k in sorted(pairs)), None, None


def parse_value(raw: object, spec: IndicatorSpec) -> tuple[Decimal | None, str, str]:
    """The value as a Decimal (None: cleared), or an error (vi, en)."""
    if raw is None or raw == "":
        return None, "", ""
    if isinstance(raw, bool) or not isinstance(raw, (int, float, str, Decimal)):
        return None, *bilingual(_("the value must be a number"))
    value, vi, en = read_number(raw)
    if value is None:
        return None, vi, en
    exponent = value.as_tuple().exponent
    places = -exponent if isinstance(exponent, int) and exponent < 0 else 0
    if spec.value_type == "integer" and value != value.to_integral_value():
        return None, *bilingual(_("this indicator takes whole numbers"))
    if spec.value_type != "integer" and places > spec.decimals:
        return None, *bilingual(_("at most %(decimals)s decimal places"), decimals=spec.decimals)
    return value, "", ""


def read_number(raw: int | float | str | Decimal) -> tuple[Decimal | None, str, str]:
    """Exactly the number written, or an error (vi, en): a comma decimal or a thousands
    separator is refused, never truncated or guessed; NaN and Infinity are not numbers."""
    text = raw if isinstance(raw, str) else repr(raw) if isinstance(raw, float) else str(raw)
    text = text.strip()
    if text.startswith("="):
        return None, *bilingual(_("formulas are not accepted, only values"))
    if not NUMBER.fullmatch(text):
        return None, *bilingual(_("the value '%(value)s' is not a number: use a dot as the decimal mark and no "
                                  "thousands separators (e.g. 185000.5)"), value=text)
    value = Decimal(text)
    if abs(value) >= MAX_ABS:
        return None, *bilingual(_("the value is too large"))
    return value, "", ""


def check_row(row: Row, ctx: Context) -> tuple[Clean | None, list[Issue]]:
    code = str(row.indicator or "").strip()
    spec = ctx.form.get(code)
    if spec is None:
        return None, [_issue(row.where("indicator"), "indicator", "indicator_not_in_regime",
                             *bilingual(_("indicator '%(indicator)s' is not in this regime's form"),
                                        indicator=code))]
    if spec.derived:
        return None, [_issue(row.where("indicator"), "indicator", "indicator_derived",
                             *bilingual(_("indicator '%(indicator)s' is derived; it is computed, not entered"),
                                        indicator=code))]
    unit_code = str(row.org_unit or ctx.submission_unit).strip()
    unit = ctx.units.get(unit_code)
    if unit is None:
        return None, [_issue(row.where("orgUnit"), "orgUnit", "unit_unknown",
                             *bilingual(_("org unit '%(unit)s' is unknown or outside this report"),
                                        unit=unit_code))]
    issues = check_unit(unit, ctx, row.where("orgUnit"))
    breakdown, bvi, ben = parse_breakdown(row.breakdown, spec)
    if bvi:
        issues.append(_issue(row.where("breakdown"), "breakdown", "breakdown_invalid", bvi, ben or ""))
    value, vvi, ven = parse_value(row.value, spec)
    if vvi:
        issues.append(_issue(row.where("value"), "value", "value_invalid", vvi, ven))
    flag = str(row.flag or "").strip()
    if flag and flag not in ctx.flags:
        issues.append(_issue(row.where("flag"), "flag", "flag_unknown",
                             *bilingual(_("unknown flag '%(flag)s'"), flag=flag)))
    if issues:
        return None, issues
    return Clean(row.ref, (code, unit_code, breakdown), value, flag, str(row.comment or "")), []


def check_rows(rows: Iterable[Row], ctx: Context) -> tuple[list[Clean], list[Issue]]:
    """Structural checks of every row, plus duplicates within the batch."""
    cleans: list[Clean] = []
    issues: list[Issue] = []
    seen: dict[Key, str] = {}
    for row in rows:
        clean, row_issues = check_row(row, ctx)
        issues.extend(row_issues)
        if clean is None:
            continue
        if clean.key in seen:
            issues.append(_issue(clean.ref, "indicator", "duplicate_row",
                                 *bilingual(_("duplicates %(ref)s (same indicator, unit, breakdown)"),
                                            ref=seen[clean.key])))
            continue
        seen[clean.key] = clean.ref
        cleans.append(clean)
    return cleans, issues


# -- rules declared as data ----------------------------------------------------------

_OPS = {"<=": lambda a, b: a <= b, "<": lambda a, b: a < b, ">=": lambda a, b: a >= b,
        ">": lambda a, b: a > b, "==": lambda a, b: a == b}


def merged(ctx: Context, cleans: Iterable[Clean]) -> dict[Key, Decimal | None]:
    """The submission's values after this batch: existing ones, overlaid."""
    values = dict(ctx.existing)
    for clean in cleans:
        values[clean.key] = clean.value
    return values


def check_rules(values: Mapping[Key, Decimal | None], rules: Iterable[Rule],
                refs: Mapping[Key, str], previous: Mapping[Key, Decimal] | None = None) -> list[Issue]:
    """Range, comparison, sum and scale rules over each org unit's totals; scale rules
    compare with ``previous``, the same keys' values of the last period."""
    issues = []
    units = {unit for (_code, unit, breakdown) in values if breakdown == ""}
    for rule in rules:
        for unit in sorted(units):
            if rule.kind == "scale":
                issue = _check_scale(rule, (rule.indicator, unit, ""), values, refs, previous or {})
            else:
                issue = _check_rule(rule, unit, values, refs)
            if issue is not None:
                issues.append(issue)
    return issues


def off_scale(value: Decimal, last: Decimal | None, factor: Decimal) -> bool:
    """More than ``factor`` times, or less than 1/``factor`` of, the last value (in
    size). Zero on either side says nothing about the scale."""
    if last is None or last == 0 or value == 0:
        return False
    ratio = abs(value) / abs(last)
    return ratio > factor or ratio * factor < 1


def _check_scale(rule: Rule, key: Key, values: Mapping[Key, Decimal | None], refs: Mapping[Key, str],
                 previous: Mapping[Key, Decimal]) -> Issue | None:
    value, last = values.get(key), previous.get(key)
    if value is None or rule.maximum is None or not off_scale(value, last, rule.maximum):
        return None
    factor = f"{rule.maximum.normalize():f}"
    return _issue(refs.get(key, f"{rule.indicator}@{key[1]}"), "value", f"rule:{rule.code}",
                  *bilingual(_("%(rule)s (value %(value)s, last period %(last)s: more than %(factor)s times "
                               "apart; a unit-scale slip?)"),
                             rule=Pair(rule.message_vi, rule.message_en), value=value, last=last, factor=factor),
                  rule.severity)


def _check_rule(rule: Rule, unit: str, values: Mapping[Key, Decimal | None],
                refs: Mapping[Key, str]) -> Issue | None:
    key = (rule.indicator, unit, "")
    here = refs.get(key, f"{rule.indicator}@{unit}")
    value = values.get(key)
    failed = False
    if rule.kind == "range" and value is not None:
        failed = ((rule.minimum is not None and value < rule.minimum)
                  or (rule.maximum is not None and value > rule.maximum))
    elif rule.kind == "compare" and value is not None:
        other = values.get((rule.other, unit, ""))
        failed = other is not None and not _OPS[rule.op](value, other)
    elif rule.kind == "sum":
        parts = [v for term in rule.terms if (v := values.get((term, unit, ""))) is not None]
        target = values.get((rule.other, unit, "")) if rule.other else rule.equals
        if len(parts) == len(rule.terms) and target is not None:
            failed = abs(sum(parts, Decimal(0)) - target) > rule.tolerance
    if not failed:
        return None
    return _issue(here, "value", f"rule:{rule.code}", rule.message_vi, rule.message_en,
                  rule.severity)


# -- outliers against the unit's own history -------------------------------------------

def robust_z(value: Decimal, history: list[Decimal]) -> Decimal | None:
    """0.6745 (x − median) / MAD, or None when the history is too short or flat."""
    if len(history) < OUTLIER_MIN_HISTORY:
        return None
    median = statistics.median(history)
    mad = statistics.median([abs(x - median) for x in history])
    if mad == 0:
        return None
    return Decimal("0.6745") * (value - median) / mad


def check_outliers(cleans: Iterable[Clean], history: Mapping[Key, list[Decimal]]) -> list[Issue]:
    issues = []
    for clean in cleans:
        if clean.value is None:
            continue
        z = robust_z(clean.value, history.get(clean.key, []))
        if z is not None and abs(z) > OUTLIER_Z:
            issues.append(_issue(
                clean.ref, "value", "outlier",
                *bilingual(_("unusual against this unit's history (robust z = %(z)s); check it and "
                             "explain in a comment"),
                           z=Pair(numbers.written(z, 1, "vi"), numbers.written(z, 1, "en"))), WARNING))
    return issues


def unacknowledged(issues: Iterable[Issue], comments: Mapping[str, str]) -> list[Issue]:
    """Outlier warnings whose value carries no comment: they block submission."""
    return [i for i in issues if i.code == "outlier" and not comments.get(i.ref, "").strip()]


# -- completeness (on submit) --------------------------------------------------------

def check_required(values: Mapping[Key, Decimal | None], ctx: Context) -> list[Issue]:
    missing = [code for code, spec in ctx.form.items()
               if not spec.derived and not spec.optional and values.get((code, ctx.submission_unit, "")) is None]
    return [_issue(f"{code}@{ctx.submission_unit}", "value", "required_missing",
                   *bilingual(_("no value for indicator %(indicator)s"), indicator=code))
            for code in sorted(missing)]


def errors(issues: Iterable[Issue]) -> list[Issue]:
    return [i for i in issues if i.severity == ERROR]
