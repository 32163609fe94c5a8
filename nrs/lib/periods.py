"""Reporting periods: parse, format, navigate, and schedule them.

Pure: no Django, no database. Every entry path (forms, Excel, API, SDMX,
DHIS2/ADX, federation) names periods through this module.

Kinds and their identifiers:

=========  ==============  ==========  =========================================
kind       SDMX / ISO id   DHIS2 id    meaning
=========  ==============  ==========  =========================================
M          2026-01         202601      a calendar month
Q          2026-Q1         2026Q1      a calendar quarter
S          2026-S1         2026S1      a half year (6 tháng)
N          2026-N1         (none)      the first nine months (9 tháng)
Y          2026            2026        a calendar year
YTD        2026-YTD03      (none)      January to the given month (lũy kế)
=========  ==============  ==========  =========================================

SDMX 2.1 has no nine-month or year-to-date reporting period, and DHIS2 has
neither period type, so ``N`` and ``YTD`` use NRS identifiers in the SDMX
shape (docs/decisions.md explains why an ISO time range was not used).
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from functools import lru_cache

import holidays


class PeriodError(ValueError):
    """A period identifier or rule that cannot be understood."""


class Kind(StrEnum):
    MONTH = "M"
    QUARTER = "Q"
    HALF = "S"
    NINE_MONTHS = "N"
    YEAR = "Y"
    YTD = "YTD"


# How many of each kind fit in a year, and how many months each spans.
_COUNT = {Kind.MONTH: 12, Kind.QUARTER: 4, Kind.HALF: 2, Kind.NINE_MONTHS: 1,
          Kind.YEAR: 1, Kind.YTD: 12}
_MONTHS = {Kind.MONTH: 1, Kind.QUARTER: 3, Kind.HALF: 6, Kind.NINE_MONTHS: 9, Kind.YEAR: 12}

MIN_YEAR, MAX_YEAR = 1900, 2999


@dataclass(frozen=True, order=True, slots=True)
class Period:
    """One reporting period. ``index`` is 1-based within the year.

    For YTD the index is the last month included (YTD 3 = January to March).
    """

    year: int
    kind: Kind
    index: int = 1

    def __post_init__(self) -> None:
        if not MIN_YEAR <= self.year <= MAX_YEAR:
            raise PeriodError(f"year {self.year} is outside {MIN_YEAR}-{MAX_YEAR}")
        if not 1 <= self.index <= _COUNT[self.kind]:
            raise PeriodError(f"{self.kind.name.lower()} index {self.index} is out of range")

    # -- construction -------------------------------------------------------
    @classmethod
    def month(cls, year: int, month: int) -> Period:
        return cls(year, Kind.MONTH, month)

    @classmethod
    def quarter(cls, year: int, quarter: int) -> Period:
        return cls(year, Kind.QUARTER, quarter)

    @classmethod
    def half(cls, year: int, half: int) -> Period:
        return cls(year, Kind.HALF, half)

    @classmethod
    def nine_months(cls, year: int) -> Period:
        return cls(year, Kind.NINE_MONTHS, 1)

    @classmethod
    def annual(cls, year: int) -> Period:
        return cls(year, Kind.YEAR, 1)

    @classmethod
    def ytd(cls, year: int, month: int) -> Period:
        return cls(year, Kind.YTD, month)

    @classmethod
    def containing(cls, kind: Kind, day: date) -> Period:
        """The period of ``kind`` that contains ``day`` (YTD: up to its month)."""
        if kind in (Kind.MONTH, Kind.YTD):
            return cls(day.year, kind, day.month)
        if kind is Kind.NINE_MONTHS:
            return cls.nine_months(day.year)
        return cls(day.year, kind, (day.month - 1) // _MONTHS[kind] + 1)

    # -- calendar -----------------------------------------------------------
    @property
    def first_month(self) -> int:
        if self.kind is Kind.YTD or self.kind is Kind.NINE_MONTHS:
            return 1
        return (self.index - 1) * _MONTHS[self.kind] + 1

    @property
    def last_month(self) -> int:
        if self.kind is Kind.YTD:
            return self.index
        return self.first_month + _MONTHS[self.kind] - 1

    @property
    def start(self) -> date:
        return date(self.year, self.first_month, 1)

    @property
    def end(self) -> date:
        return date(self.year, self.last_month, _last_day(self.year, self.last_month))

    def months(self) -> list[Period]:
        """The months this period spans, in order."""
        return [Period.month(self.year, m) for m in range(self.first_month, self.last_month + 1)]

    def contains(self, other: Period) -> bool:
        return self.start <= other.start and other.end <= self.end

    # -- navigation ---------------------------------------------------------
    def shift(self, steps: int) -> Period:
        """Move by ``steps`` periods of the same kind (across years).

        Kinds with one period a year (N, Y) move by years; YTD moves its end
        month within the calendar, so YTD 1 steps back to YTD 12 of last year.
        """
        per_year = _COUNT[self.kind]
        ordinal = self.year * per_year + (self.index - 1) + steps
        return Period(ordinal // per_year, self.kind, ordinal % per_year + 1)

    def previous(self) -> Period:
        return self.shift(-1)

    def next(self) -> Period:
        return self.shift(1)

    def same_period_last_year(self) -> Period:
        return Period(self.year - 1, self.kind, self.index)

    # -- identifiers --------------------------------------------------------
    @property
    def sdmx(self) -> str:
        match self.kind:
            case Kind.MONTH:
                return f"{self.year:04d}-{self.index:02d}"
            case Kind.QUARTER:
                return f"{self.year:04d}-Q{self.index}"
            case Kind.HALF:
                return f"{self.year:04d}-S{self.index}"
            case Kind.NINE_MONTHS:
                return f"{self.year:04d}-N1"
            case Kind.YEAR:
                return f"{self.year:04d}"
            case Kind.YTD:
                return f"{self.year:04d}-YTD{self.index:02d}"
        raise AssertionError(self.kind)  # pragma: no cover

    @property
    def dhis2(self) -> str:
        match self.kind:
            case Kind.MONTH:
                return f"{self.year:04d}{self.index:02d}"
            case Kind.QUARTER:
                return f"{self.year:04d}Q{self.index}"
            case Kind.HALF:
                return f"{self.year:04d}S{self.index}"
            case Kind.YEAR:
                return f"{self.year:04d}"
        raise PeriodError(f"DHIS2 has no period type for {self.sdmx}")

    def __str__(self) -> str:
        return self.sdmx


def _last_day(year: int, month: int) -> int:
    return calendar.monthrange(year, month)[1]


_SDMX = re.compile(
    r"^(?P<y>\d{4})(?:-(?:(?P<m>\d{2})|M(?P<m2>\d{2})|Q(?P<q>\d)|S(?P<s>\d)|(?P<n>N1)"
    r"|A1|YTD(?P<ytd>\d{2})))?$"
)
_DHIS2 = re.compile(r"^(?P<y>\d{4})(?:(?P<m>\d{2})|Q(?P<q>\d)|S(?P<s>\d))?$")


def _from_match(match: re.Match[str]) -> Period:
    groups = match.groupdict()
    year = int(groups["y"])
    month = groups.get("m") or groups.get("m2")
    if month:
        return Period.month(year, int(month))
    if groups.get("q"):
        return Period.quarter(year, int(groups["q"]))
    if groups.get("s"):
        return Period.half(year, int(groups["s"]))
    if groups.get("n"):
        return Period.nine_months(year)
    if groups.get("ytd"):
        return Period.ytd(year, int(groups["ytd"]))
    return Period.annual(year)


def parse_sdmx(text: str) -> Period:
    """Parse an SDMX/ISO id: 2026-01 (or 2026-M01), 2026-Q1, 2026-S1, 2026 (or 2026-A1)."""
    match = _SDMX.match(text.strip())
    if not match:
        raise PeriodError(f"'{text}' is not an SDMX period id")
    return _from_match(match)


def parse_dhis2(text: str) -> Period:
    """Parse a DHIS2 id: 202601, 2026Q1, 2026S1, 2026."""
    match = _DHIS2.match(text.strip())
    if not match:
        raise PeriodError(f"'{text}' is not a DHIS2 period id")
    return _from_match(match)


def parse(text: str) -> Period:
    """Parse either notation; SDMX is tried first (the two never overlap)."""
    try:
        return parse_sdmx(text)
    except PeriodError:
        pass
    try:
        return parse_dhis2(text)
    except PeriodError:
        raise PeriodError(f"'{text}' is not a period id (e.g. 2026-01, 2026-Q1, 202601)") from None


# -- Labels for people ----------------------------------------------------------

_ROMAN = ("I", "II", "III", "IV")
_MONTH_NAMES_EN = ("January", "February", "March", "April", "May", "June", "July",
                   "August", "September", "October", "November", "December")


def label(period: Period | str, lang: str | None = "vi", *, style: str = "title") -> str:
    """How a person reads ``period`` in ``lang`` ("vi" by default, "en"; "vi-VN", "en-gb" fold).

    Vietnamese: Tháng 10/2026, Quý IV/2026, 6 tháng đầu năm 2026, 6 tháng cuối năm 2026,
    9 tháng năm 2026, 10 tháng năm 2026 (year to date), Năm 2026.
    English: October 2026, Q4 2026, H1 2026, H2 2026, 9 months 2026, January–October 2026
    (year to date), 2026. A string is parsed first (either notation; PeriodError if it is not a
    period). Machine outputs (API, SDMX, CSV, DHIS2) keep ``str(period)``, not this.

    ``style`` changes the Vietnamese only: "title" (above, for headings, cells and axes),
    "inline" (within a sentence: tháng 10/2026, quý IV/2026, năm 2026) and "document" (the
    administrative documents' wording, as their dates are written: tháng 10 năm 2026,
    quý IV năm 2026, năm 2026).
    """
    if style not in _VI_STYLES:
        raise ValueError(f"unknown label style '{style}'")
    if isinstance(period, str):
        period = parse(period)
    if (lang or "vi").split("-")[0].lower() == "en":
        return _label_en(period)
    month_sep, capital = _VI_STYLES[style]
    text = _label_vi(period, month_sep)
    return text if capital else text[0].lower() + text[1:]


# The Vietnamese styles, in one table: what joins a month or a quarter to its year, and whether
# the label starts with a capital letter (a heading) or not (within a sentence).
_VI_STYLES: dict[str, tuple[str, bool]] = {
    "title": ("/", True),  # Tháng 10/2026, Quý IV/2026
    "inline": ("/", False),  # tháng 10/2026, quý IV/2026
    "document": (" năm ", False),  # tháng 10 năm 2026, quý IV năm 2026
}


def _label_vi(period: Period, month_sep: str) -> str:
    year, index = period.year, period.index
    match period.kind:
        case Kind.MONTH:
            return f"Tháng {index}{month_sep}{year}"
        case Kind.QUARTER:
            return f"Quý {_ROMAN[index - 1]}{month_sep}{year}"
        case Kind.HALF:
            return f"6 tháng {'đầu' if index == 1 else 'cuối'} năm {year}"
        case Kind.NINE_MONTHS:
            return f"9 tháng năm {year}"
        case Kind.YTD:
            return f"{index} tháng năm {year}"
        case Kind.YEAR:
            return f"Năm {year}"
    raise AssertionError(period.kind)  # pragma: no cover


def _label_en(period: Period) -> str:
    year, index = period.year, period.index
    match period.kind:
        case Kind.MONTH:
            return f"{_MONTH_NAMES_EN[index - 1]} {year}"
        case Kind.QUARTER:
            return f"Q{index} {year}"
        case Kind.HALF:
            return f"H{index} {year}"
        case Kind.NINE_MONTHS:
            return f"9 months {year}"
        case Kind.YTD:
            if index == 1:
                return f"January {year} (year to date)"
            return f"January–{_MONTH_NAMES_EN[index - 1]} {year}"
        case Kind.YEAR:
            return f"{year}"
    raise AssertionError(period.kind)  # pragma: no cover


# -- Decree 09 cut-off windows ------------------------------------------------

@dataclass(frozen=True, slots=True)
class CutoffRule:
    """A data cut-off window that runs from ``day`` of the month before the
    period's first month to ``day - 1`` of its last month.

    Decree 09/2019/NĐ-CP uses day 15 (15th of the previous month to the 14th);
    a regime may override it (the Government Inspectorate uses 16 → 15).
    ``day=1`` gives the calendar period itself.
    """

    day: int = 15

    def __post_init__(self) -> None:
        if not 1 <= self.day <= 28:
            raise PeriodError(f"cut-off day {self.day} must be between 1 and 28")

    def window(self, period: Period) -> tuple[date, date]:
        if self.day == 1:
            return period.start, period.end
        start_month = period.start - timedelta(days=1)  # a day in the month before
        start = start_month.replace(day=self.day)
        end = date(period.year, period.last_month, self.day - 1)
        return start, end


DECREE_09 = CutoffRule(15)


# -- Deadlines in working days ------------------------------------------------

@lru_cache(maxsize=1)
def vietnam_holidays() -> holidays.HolidayBase:
    """Vietnamese public holidays (Tết included) and substituted working days."""
    return holidays.country_holidays("VN")


def is_working_day(day: date) -> bool:
    return bool(vietnam_holidays().is_working_day(day))


def add_working_days(day: date, count: int) -> date:
    """The ``count``-th working day after ``day`` (0: ``day`` or the next one)."""
    return vietnam_holidays().get_nth_working_day(day, count)


@dataclass(frozen=True, slots=True)
class DeadlineRule:
    """When a report is due, counted from the end of the cut-off window.

    - ``working_days``: ``value`` working days after the cut-off date;
    - ``day_of_month``: no later than day ``value`` of the month that is
      ``month_offset`` months after the cut-off month; a deadline falling on a
      holiday or weekend moves to the next working day.
    """

    kind: str = "working_days"
    value: int = 2
    month_offset: int = 0

    def __post_init__(self) -> None:
        if self.kind not in ("working_days", "day_of_month"):
            raise PeriodError(f"unknown deadline rule '{self.kind}'")
        if self.kind == "working_days" and not 0 <= self.value <= 60:
            raise PeriodError("working days must be between 0 and 60")
        if self.kind == "day_of_month" and not 1 <= self.value <= 28:
            raise PeriodError("day of month must be between 1 and 28")
        if not 0 <= self.month_offset <= 3:
            raise PeriodError("month offset must be between 0 and 3")

    def due(self, cutoff_end: date) -> date:
        if self.kind == "working_days":
            return add_working_days(cutoff_end, self.value)
        month_index = cutoff_end.year * 12 + cutoff_end.month - 1 + self.month_offset
        target = date(month_index // 12, month_index % 12 + 1, self.value)
        if target < cutoff_end:
            raise PeriodError("deadline falls before the cut-off date")
        return add_working_days(target, 0)


@dataclass(frozen=True, slots=True)
class Schedule:
    """The cut-off window and deadline of one period under one regime."""

    period: Period
    cutoff_start: date
    cutoff_end: date
    deadline: date


def schedule(period: Period, cutoff: CutoffRule, deadline: DeadlineRule) -> Schedule:
    start, end = cutoff.window(period)
    return Schedule(period, start, end, deadline.due(end))


def next_schedule(kind: Kind, today: date, cutoff: CutoffRule,
                  deadline: DeadlineRule) -> Schedule:
    """The first period of ``kind`` whose deadline is today or later."""
    period = Period.containing(kind, today).shift(-2)
    while True:
        sched = schedule(period, cutoff, deadline)
        if sched.deadline >= today:
            return sched
        period = period.next()
