"""The analytics API: figures by indicator, unit (and level below it), period
range and comparisons, as JSON or CSV. Each answer says what it was computed from."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext_noop as _
from ninja import Field, Router, Schema, Status
from pydantic import BaseModel, ConfigDict

from nrs.accounts import access
from nrs.accounts.access import Perm
from nrs.accounts.api_auth import request_token
from nrs.analytics import coverage, disclosure, pending, queries
from nrs.analytics.models import Basis
from nrs.i18n import Pair, bilingual, error_body
from nrs.lib import csvsafe, moments, periods
from nrs.lib.errors import InputError
from nrs.lib.numbers import plain, written
from nrs.registry.api import ApiError, Text
from nrs.registry.models import Indicator, Level, OrgUnit

router = Router(tags=["analytics"])
MAX_ROWS = 100_000
KINDS = {k.value for k in periods.Kind}


@dataclass
class Question:
    indicators: list[Indicator]
    unit: OrgUnit
    level: str
    kind: str
    start: periods.Period | None
    end: periods.Period | None
    compare: list[str]
    basis: str
    known_on: datetime | None
    as_was: bool
    display: str = ""  # "vi" or "en": each row also carries its figures written for people


def _known_on(text: str) -> datetime | None:
    return moments.known_on("knownOn", text)


def _period(name: str, text: str) -> periods.Period | None:
    if not text:
        return None
    try:
        return periods.parse(text)
    except periods.PeriodError as exc:
        raise InputError(name, *bilingual(_("%(name)s: invalid period (%(error)s)"), name=name, error=exc),
                         code="invalid_period") from None


DISPLAY_LANGUAGES = ("vi", "en")
# Display fields (``display=vi|en``): figures at the indicator's decimals; changes and
# percentages at one decimal, as the dashboards show them. perCapita has no display field.
DISPLAY_VALUES = ("value", "lastYear", "previous", "ytd", "plan")
DISPLAY_PERCENTS = ("yoy", "prevChange", "sharePct", "planPct", "planGap")
PERCENT_DECIMALS = 1


def parse_question(*, indicator: str, orgUnit: str, level: str, kind: str, start: str, end: str,
                   compare: str, basis: str, knownOn: str, asWas: bool, display: str = "") -> Question:
    codes = [c.strip() for c in indicator.split(",") if c.strip()]
    if not codes:
        raise InputError("indicator", *bilingual(_("at least one indicator code is required")))
    found = {i.code: i for i in Indicator.objects.filter(code__in=codes).select_related("unit")}
    missing = [c for c in codes if c not in found]
    if missing:
        raise InputError("indicator", *bilingual(_("unknown indicator: %(codes)s"), codes=", ".join(missing)))
    unit = OrgUnit.objects.filter(code=orgUnit or "CP").order_by("-valid_from").first()
    if unit is None:
        raise InputError("orgUnit", *bilingual(_("unknown org unit '%(unit)s'"), unit=orgUnit))
    if level and level not in Level.values:
        raise InputError("level", *bilingual(_("invalid level: %(level)s"), level=level))
    if kind and kind not in KINDS:
        raise InputError("kind", *bilingual(_("invalid period kind: %(kind)s"), kind=kind))
    wanted = [c for c in compare.split(",") if c]
    if bad := [c for c in wanted if c not in queries.COMPARISONS]:
        hint = Pair("", f" (use {', '.join(queries.COMPARISONS)})")  # the list, in English only
        raise InputError("compare", *bilingual(_("unknown comparison: %(codes)s%(hint)s"),
                                               codes=", ".join(bad), hint=hint))
    if basis not in ("approved", "preview"):
        raise InputError("basis", *bilingual(_("basis must be approved or preview")))
    if display and display not in DISPLAY_LANGUAGES:
        raise InputError("display", *bilingual(_("display must be vi or en")))
    return Question([found[c] for c in codes], unit, level, kind, _period("start", start), _period("end", end),
                    wanted, Basis.PREVIEW if basis == "preview" else Basis.APPROVED, _known_on(knownOn), asWas,
                    display)


def answer(question: Question, user: Any, token: Any = None) -> dict[str, Any]:
    """The rows and what they were computed from. Raises PermissionDenied."""
    perm = Perm.VIEW_UNAPPROVED if question.basis == Basis.PREVIEW else Perm.VIEW_DATA
    access.require(user, perm, question.unit, token=token)
    reader = queries.Reader(question.basis, question.known_on)
    scope: Q = access.scope_q(user, perm, field="", token=token)
    on = question.end.end if (question.as_was and question.end) else None
    units = queries.units_at(question.unit, question.level, on=on, scope=scope)
    since = question.start.same_period_last_year().start if question.start else date(1900, 1, 1)
    reader.prefetch([i.code for i in question.indicators] + [queries.POPULATION],
                    {u.pk for u in units} | {u.parent_id for u in units if u.parent_id}, since)
    rows = []
    censuses: dict[int, coverage.Census] = {}
    shown = disclosure.Disclosure(user, perm, token=token)  # decision 38: no share of an unreadable whole
    for indicator in question.indicators:
        kind = question.kind or indicator.frequency
        for unit in units:
            points = queries.series(indicator, unit, kind, reader, start=question.start, end=question.end,
                                    compare_with=question.compare)
            for point in points:
                shown.redact_share(unit, point.extra)
            covered = _coverage(censuses, reader, indicator, unit, points)
            rows += [_row(point, covered.get(point.period.sdmx), question.display) for point in points]
            if len(rows) > MAX_ROWS:
                raise InputError("query", *bilingual(_("more than %(limit)s rows; narrow the period range"),
                                                     limit=MAX_ROWS), code="too_many_rows")
    return {"meta": _meta(question, reader, rows), "rows": rows}


def _coverage(censuses: dict[int, coverage.Census], reader: queries.Reader, indicator: Indicator, unit: OrgUnit,
              points: list[queries.Point]) -> dict[str, coverage.Coverage]:
    """Coverage of a national figure computed over the provinces ("n of N", or complete where
    its source's own figure stands), by period; none for a national indicator's figure (its
    source's alone) or another unit's. One census per unit, shared by the indicators."""
    if unit.level != Level.NATIONAL or indicator.level == Level.NATIONAL or not points:
        return {}
    census = censuses.setdefault(unit.pk, coverage.Census(reader, unit))
    return census.of(indicator, [p.period for p in points])


def _row(point: queries.Point, covered: coverage.Coverage | None = None, display: str = "") -> dict[str, Any]:
    row: dict[str, Any] = {
        "indicator": point.indicator.code, "orgUnit": point.unit.code, "orgUnitName": point.unit.name,
        "period": point.period.sdmx, "value": point.value, "rebuilt": bool(point.cell and point.cell.rebuilt),
        "reportedValues": point.cell.n if point.cell else 0}
    if covered is not None:
        row["coverage"] = {"reported": covered.reported, "expected": covered.expected,
                           "complete": covered.complete}
    row.update(point.extra)
    if display:
        row["display"] = shown(row, point.indicator.decimals, display)
    return {k: plain(v) if isinstance(v, Decimal) else v for k, v in row.items()}


def shown(row: dict[str, Any], decimals: int, lang: str) -> dict[str, str]:
    """A row's figures written for people in ``lang`` (1.073.036,7 / 1,073,036.7), rounded half
    away from zero like the pages (nrs.lib.numbers); the row's own fields stay exact."""
    out: dict[str, str] = {}
    for names, places in ((DISPLAY_VALUES, decimals), (DISPLAY_PERCENTS, PERCENT_DECIMALS)):
        for name in names:
            if isinstance(row.get(name), Decimal):
                out[name] = written(row[name], places, lang)
    return out


def _source(indicator: Indicator, question: Question) -> dict[str, str] | None:
    """The indicator's national source (else its responsible agency) on the last day asked
    about (today without an end): the agency whose own figure is the national figure."""
    day = question.end.end if question.end else timezone.localdate()
    found = coverage.sources_of(indicator, day)
    if not found:
        return None
    return {"code": found[0].code, "name_vi": found[0].name_vi, "name_en": found[0].name_en}


def _meta(question: Question, reader: queries.Reader, rows: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "basis": "preview" if question.basis == Basis.PREVIEW else "approved",
        "knownOn": question.known_on.isoformat() if question.known_on else None,
        # the language of the rows' display fields, if asked (display=vi|en)
        "display": question.display or None,
        "computedFrom": ("reported values approved by knownOn, recomputed with the aggregation rules"
                         if reader.known_on else "the aggregate store, kept current on every approval"),
        **queries.freshness(),
        # bulk imports whose values are stored but not yet in the figures (decision 35)
        "pendingImports": pending.open_count(),
        "reportedValues": sum(r["reportedValues"] for r in rows),
        "rebuiltRows": sum(1 for r in rows if r["rebuilt"]),
        "rules": {i.code: {"overUnits": i.ou_aggregation, "overTime": i.time_aggregation,
                           "weight": i.weight.code if i.weight else None, "formula": i.formula or None,
                           "unit": i.unit.code, "frequency": i.frequency, "kind": i.kind,
                           # display fields round half away from zero to these decimals
                           "decimals": i.decimals,
                           # per cent ("pct") or percentage points ("pp"), by the indicator's kind
                           "comparison": queries.comparisons(i)} for i in question.indicators},
        # the agency whose national figure stands (docs/domain.md, "frequencies and sources")
        "source": {i.code: _source(i, question) for i in question.indicators},
        "rows": len(rows),
    }


def flat(row: dict[str, Any]) -> dict[str, Any]:
    """A row for a table (CSV, XLSX): a nested object's fields as their own columns
    (``coverage`` -> coverageReported, coverageExpected, coverageComplete)."""
    out: dict[str, Any] = {}
    for key, value in row.items():
        if isinstance(value, dict):
            out.update({key + name[:1].upper() + name[1:]: part for name, part in value.items()})
        else:
            out[key] = value
    return out


def to_csv(result: dict[str, Any]) -> str:
    rows = [flat(row) for row in result["rows"]]
    columns = list(dict.fromkeys(k for row in rows for k in row)) or ["indicator", "orgUnit", "period", "value"]
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(columns)
    for row in rows:
        writer.writerow([csvsafe.cell(row.get(c)) for c in columns])
    return out.getvalue()


class AnalyticsCoverageOut(Schema):
    """How many of the units expected reported a national figure computed over the provinces."""

    reported: int
    expected: int
    complete: bool


class AnalyticsRowOut(BaseModel):  # pydantic's own: a ninja Schema drops undeclared keys
    """One figure. Besides the fields below, a row carries those of each comparison asked for
    (lastYear, yoy, previous, prevChange, ytd, share, sharePct, perCapita, plan, planPct, planGap):
    decimals written out in full, as strings."""

    model_config = ConfigDict(extra="allow")

    indicator: str
    orgUnit: str
    orgUnitName: str
    period: str
    value: str | None
    rebuilt: bool
    reportedValues: int
    coverage: AnalyticsCoverageOut | None = None
    display: dict[str, str] | None = Field(None, description="display=vi|en: the figures written for people")


class AnalyticsSourceOut(Schema):
    code: str
    name_vi: str
    name_en: str


class AnalyticsMetaOut(BaseModel):
    """What the rows were computed from (and the freshness of the aggregate store)."""

    model_config = ConfigDict(extra="allow")

    basis: str
    knownOn: str | None
    display: str | None
    computedFrom: str
    refreshId: int
    refreshedAt: str | None
    reason: str
    pendingImports: int
    reportedValues: int
    rebuiltRows: int
    rules: dict[str, dict[str, Any]]
    source: dict[str, AnalyticsSourceOut | None]
    rows: int


class AnalyticsOut(Schema):
    meta: AnalyticsMetaOut
    rows: list[AnalyticsRowOut]


CSV_ANSWER = {"responses": {200: {"description": "the figures (format=json, the default; format=csv: "
                                                 "one row per figure, nested objects as their own columns)",
                                  "content": {"text/csv": {"schema": {"type": "string"}}}}}}


@router.get("/analytics", response={200: AnalyticsOut, 400: ApiError, 403: ApiError}, exclude_unset=True,
            openapi_extra=CSV_ANSWER)
def get_analytics(request: HttpRequest, indicator: Text, orgUnit: Text = "CP", level: Text = "", kind: Text = "",
                  start: Text = "", end: Text = "", compare: Text = "", basis: Text = "approved",
                  knownOn: Text = "", asWas: bool = False, format: Text = "json", display: Text = "") -> Any:
    """Figures for one or more indicators (comma-separated codes) for `orgUnit`,
    or for its units at `level` (province, commune): every period of `kind`
    (M, Q, S, N, Y, YTD; default the indicator's frequency) from `start` to
    `end`. `compare`: yoy, prev, ytd, share, percapita, plan. `basis=preview`
    includes submitted values; `knownOn` answers as known on that date.
    `asWas=true` lists the units as they were at `end` instead of today's (whose
    history before July 2025 is rebuilt from their predecessors). `format=csv`.
    `display=vi` (or `en`) adds to each row a `display` object: its figures written for people
    (1.073.036,7), rounded half away from zero to the indicator's decimals (changes and
    percentages to one), as the dashboards show them; the other fields stay exact."""
    try:
        question = parse_question(indicator=indicator, orgUnit=orgUnit, level=level, kind=kind, start=start,
                                  end=end, compare=compare, basis=basis, knownOn=knownOn, asWas=asWas,
                                  display=display)
        result = answer(question, request.user, request_token(request))
    except InputError as exc:
        return Status(400, exc.as_dict())
    except PermissionDenied:
        return Status(403, {**error_body(_("this org unit is outside your scope")), "code": "forbidden"})
    if format == "csv":
        response = HttpResponse(to_csv(result), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="nrs-analytics.csv"'
        return response
    return Status(200, result)
