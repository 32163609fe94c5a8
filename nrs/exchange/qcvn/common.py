"""Pieces several packets share: the text parameters, and the shapes of a unit, a period,
a report (submission), a value, an indicator and a breakdown, with their builders; and the
list-building helpers (named items, sorted codes, the approved basis)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any, TypeVar

from django.db.models import Model, QuerySet
from django.utils import timezone
from ninja import Schema
from pydantic import AwareDatetime, Field

from nrs.collection.models import DataValue, Submission
from nrs.exchange.qcvn.envelope import QcvnAgency
from nrs.lib import periods
from nrs.lib.numbers import plain
from nrs.registry.api import Text
from nrs.registry.models import Codelist, Indicator, Regime

__all__ = ["QcvnAgency", "Text"]
M = TypeVar("M", bound=Model)

REGIME = Field("", description="regime code, e.g. PROV_KTXH_M")
ORG_UNIT = Field("", description="reporting unit code, e.g. 01 (Hà Nội)")
PERIOD = Field("", description="period id, SDMX (2026-10, 2026-Q3) or DHIS2 (202610)")
APPROVED = Field("", description="true (default): the approved version; false: the current one, "
                                 "draft or submitted (needs the unapproved-data permission)")


class QcvnReportParams(Schema):
    regime: Text = REGIME
    orgUnit: Text = ORG_UNIT
    period: Text = PERIOD


class QcvnReportBasisParams(QcvnReportParams):
    approved: Text = APPROVED


class QcvnPeriodOut(Schema):
    id: str = Field(description="SDMX / ISO id, e.g. 2026-10")
    dhis2: str | None = Field(description="DHIS2 id, e.g. 202610; null for nine months")
    start: date
    end: date


class QcvnScheduleOut(QcvnPeriodOut):
    cutoffStart: date = Field(description="first day of the data cut-off window")
    cutoffEnd: date = Field(description="data cut-off date (chốt số liệu)")
    deadline: date = Field(description="submission deadline (working days, holidays counted)")


class QcvnReportOut(Schema):
    """One report: a regime × reporting unit × period (an NRS submission)."""

    id: int
    regime: str
    orgUnit: QcvnAgency
    period: QcvnPeriodOut
    state: str = Field(description="draft, submitted, approved or returned")
    version: int = Field(description="the current version (a revision opens the next)")
    deadline: date
    firstSubmittedAt: AwareDatetime | None


class QcvnValueOut(Schema):
    indicator: str
    orgUnit: str = Field(description="the unit the value is for (a province or one of its communes)")
    period: str
    breakdown: str = Field(description="'' for the total, else CODELIST=CODE;CODELIST=CODE")
    value: str | None = Field(description="decimal as text; null: cleared")
    flag: str = Field(description="'', estimate, provisional, revised or confidential")
    comment: str
    version: int = Field(description="the report version that wrote this vintage")
    approvedAt: AwareDatetime | None = Field(description="the vintage: when its version was approved")
    writtenAt: AwareDatetime


class QcvnCodeOut(Schema):
    code: str
    name_vi: str
    name_en: str
    order: int


class QcvnCodelistOut(Schema):
    code: str
    name_vi: str
    name_en: str
    codes: list[QcvnCodeOut]


class QcvnMeasureOut(Schema):
    code: str
    name_vi: str
    name_en: str


def named(code: str | int, name_vi: str, name_en: str, **more: Any) -> dict[str, Any]:
    """An item of a list: its code and both names, then ``more``, in that order."""
    return {"code": code, "name_vi": name_vi, "name_en": name_en, **more}


def names(row: Any, **more: Any) -> dict[str, Any]:
    """``named`` for a row with code, name_vi and name_en (a unit, a codelist, a code)."""
    return named(row.code, row.name_vi, row.name_en, **more)


def codes(rows: Iterable[Any]) -> list[str]:
    """The sorted codes of rows already fetched (prefetched: no query)."""
    return sorted(row.code for row in rows)


def catalogue_codes(indicators: Iterable[Indicator]) -> list[str]:
    """Indicator codes in catalogue order (area, then code), of rows already fetched."""
    return [i.code for i in sorted(indicators, key=lambda i: (i.area, i.code))]


def basis(approved: bool) -> str:
    """A data packet's "basis": the approved vintage, or the current version."""
    return "approved" if approved else "current"


def approved_only(rows: QuerySet[M], approved: bool) -> QuerySet[M]:
    """Rows hanging off a report version (values, documents), of approved versions only
    when ``approved``."""
    return rows.filter(version__approved_at__isnull=False) if approved else rows


def period_out(period: periods.Period) -> dict[str, Any]:
    try:
        dhis2: str | None = period.dhis2
    except periods.PeriodError:
        dhis2 = None
    return {"id": period.sdmx, "dhis2": dhis2, "start": period.start, "end": period.end}


def schedule_out(regime: Regime, period: periods.Period) -> dict[str, Any]:
    sched = regime.schedule_for(period)
    return {**period_out(period), "cutoffStart": sched.cutoff_start, "cutoffEnd": sched.cutoff_end,
            "deadline": sched.deadline}


def local(moment: datetime | None) -> datetime | None:
    return None if moment is None else timezone.localtime(moment)


def report_out(submission: Submission) -> dict[str, Any]:
    period = periods.parse_sdmx(submission.period)
    return {"id": submission.pk, "regime": submission.regime.code, "orgUnit": names(submission.org_unit),
            "period": period_out(period), "state": submission.state, "version": submission.version,
            "deadline": submission.regime.schedule_for(period).deadline,
            "firstSubmittedAt": local(submission.first_submitted_at)}


def value_out(row: DataValue) -> dict[str, Any]:
    return {"indicator": row.indicator.code, "orgUnit": row.org_unit.code, "period": row.period,
            "breakdown": row.breakdown, "value": None if row.value is None else plain(row.value),
            "flag": row.flag, "comment": row.comment, "version": row.version.number,
            "approvedAt": local(row.version.approved_at), "writtenAt": local(row.created_at)}


def codelist_out(codelist: Codelist) -> dict[str, Any]:
    return names(codelist, codes=[names(c, order=c.order) for c in codelist.codes.all()])


def measure_out(indicator: Indicator) -> dict[str, Any]:
    return names(indicator.unit)
