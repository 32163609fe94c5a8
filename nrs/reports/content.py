"""What a briefing document says, computed once and rendered twice (DOCX and PDF).

The figures come from the dashboards' aggregation (nrs.analytics.queries), so a
document and the dashboard always agree. Nothing here writes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.utils import translation
from django.utils.translation import gettext as _

from nrs.analytics import coverage, queries
from nrs.collection import compliance
from nrs.lib.numbers import written
from nrs.lib.periods import Kind, Period
from nrs.registry.models import Area, Indicator, Level, OrgUnit, Regime

# Alerts: a change this large against last year is unusual; a plan this far behind the pace of the year.
UNUSUAL_CHANGE = Decimal(15)
BEHIND_PLAN = Decimal(10)


@dataclass(frozen=True)
class Row:
    code: str
    name: str
    unit: str
    decimals: int
    value: Decimal | None
    last_year: Decimal | None
    change: Decimal | None
    change_unit: str  # "%" or "pp"
    ytd: Decimal | None
    plan_pct: Decimal | None
    reports: int
    rebuilt: bool
    headline: bool = False
    coverage: str = ""  # "29/34" where the national figure is partial; "" when complete


@dataclass(frozen=True)
class Section:
    area: int
    title: str
    rows: list[Row]


@dataclass(frozen=True)
class Late:
    regime: str
    unit: str
    status: str  # late | missing | returned
    deadline: date


@dataclass(frozen=True)
class RegimeSummary:
    regime: str
    expected: int
    on_time: int
    late: int
    missing: int
    returned: int


@dataclass
class Content:
    period: Period
    language: str
    unit: OrgUnit
    sections: list[Section]
    annex: list[Late]
    summary: list[RegimeSummary] = field(default_factory=list)
    alerts: list[str] = field(default_factory=list)

    def figure(self, code: str) -> Row | None:
        return next((r for s in self.sections for r in s.rows if r.code == code), None)


def _row(indicator: Indicator, unit: OrgUnit, period: Period, reader: queries.Reader,
         census: coverage.Census) -> Row | None:
    cell = reader.get(indicator.code, unit.pk, period.sdmx)
    if cell is None:
        return None
    extra = queries.compare(indicator, unit, period, cell, reader, ["yoy", "ytd", "plan"])
    covered = census.of(indicator, [period])[period.sdmx]
    partial = not covered.complete
    ytd = extra.get("ytd")
    return Row(indicator.code, indicator.name, indicator.unit.name, indicator.decimals, cell.value,
               extra.get("lastYear"), None if partial else extra.get("yoy"), extra.get("yoyUnit", "%"),
               ytd if ytd != cell.value else None, extra.get("planPct"), cell.n, cell.rebuilt, indicator.headline,
               f"{covered.reported}/{covered.expected}" if partial else "")


def _kind(period: Period) -> str:
    return Kind.YTD.value if period.kind is Kind.YTD else period.kind.value


def sections(unit: OrgUnit, period: Period, reader: queries.Reader) -> list[Section]:
    """One section per indicator area, with every indicator that has a figure for the period."""
    indicators = list(Indicator.objects.select_related("unit").order_by("area", "-headline", "code"))
    reader.prefetch([i.code for i in indicators], [unit.pk], Period.annual(period.year - 1).start)
    found, census = [], coverage.Census(reader, unit)
    for area in Area:
        rows = [r for i in indicators if i.area == area.value and (r := _row(i, unit, period, reader, census))]
        if rows:
            found.append(Section(area.value, str(area.label), rows))
    return found


LISTED_UNITS = 200  # regimes with more expected units (communes) are summarised, not listed


def annex(period: Period, today: date) -> tuple[list[RegimeSummary], list[Late]]:
    """For each regime of the period's kind: how many reported on time, late, or not at all;
    and, where the reporters are few enough to list (ministries, provinces), who."""
    summaries, late = [], []
    kind = {Kind.MONTH: "M", Kind.QUARTER: "Q", Kind.HALF: "S", Kind.NINE_MONTHS: "N", Kind.YEAR: "Y"}.get(period.kind)
    for regime in Regime.objects.filter(frequency=kind).order_by("code") if kind else []:
        rows = compliance.matrix(regime, period, today=today)
        counts = compliance.summary(rows)
        summaries.append(RegimeSummary(regime.name, len(rows), counts[compliance.ON_TIME], counts[compliance.LATE],
                                       counts[compliance.MISSING], counts[compliance.RETURNED]))
        if len(rows) <= LISTED_UNITS:
            late += [Late(regime.name, row.org_unit_name, row.status, row.deadline) for row in rows
                     if row.status in (compliance.LATE, compliance.MISSING, compliance.RETURNED)]
    return summaries, late


def alerts(content: Content) -> list[str]:
    """Indicators off the pace of their annual plan, and unusual changes against last year."""
    pace = Decimal(content.period.last_month * 100) / 12
    found = []
    for row in (r for s in content.sections for r in s.rows):
        if row.plan_pct is not None and row.plan_pct < pace - BEHIND_PLAN:
            found.append(_("%(name)s: %(pct)s%% of the annual plan, behind the pace of the year (%(pace)s%%)")
                         % {"name": row.name, "pct": _fmt(row.plan_pct), "pace": _fmt(pace)})
        if row.change is not None and row.change_unit == "%" and abs(row.change) >= UNUSUAL_CHANGE:
            found.append(_("%(name)s: %(change)s%% against the same period last year")
                         % {"name": row.name, "change": _fmt(row.change, signed=True)})
    return found


def _fmt(value: Decimal, signed: bool = False) -> str:
    """One decimal, rounded half away from zero and written in the active language, as the
    document's tables write it (render.fmt): an alert and its table never disagree."""
    text = written(abs(value) if signed else value, 1, translation.get_language())
    if not signed or text.strip("0,.") == "":
        return text
    return ("+" if value > 0 else "−") + text


def build(period: Period, *, language: str = "vi", today: date, unit: OrgUnit | None = None) -> Content:
    """The content of the socio-economic situation report (and the leaders' brief) for ``period``."""
    with translation.override(language):
        unit = unit or OrgUnit.objects.current().get(parent__isnull=True, level=Level.NATIONAL)
        reader = queries.Reader()
        summaries, late = annex(period, today)
        content = Content(period, language, unit, sections(unit, period, reader), late, summaries)
        content.alerts = alerts(content)
    return content
