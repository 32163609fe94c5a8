import itertools
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from nrs.lib import periods
from nrs.lib.periods import CutoffRule, DeadlineRule, Kind, Period, PeriodError

years = st.integers(min_value=1990, max_value=2100)


@st.composite
def any_period(draw) -> Period:  # type: ignore[no-untyped-def]
    kind = draw(st.sampled_from(list(Kind)))
    count = {Kind.MONTH: 12, Kind.QUARTER: 4, Kind.HALF: 2, Kind.NINE_MONTHS: 1,
             Kind.YEAR: 1, Kind.YTD: 12}[kind]
    return Period(draw(years), kind, draw(st.integers(1, count)))


@pytest.mark.parametrize(("text", "sdmx", "dhis2"), [
    ("2026-01", "2026-01", "202601"),
    ("2026-M01", "2026-01", "202601"),
    ("202601", "2026-01", "202601"),
    ("2026-Q1", "2026-Q1", "2026Q1"),
    ("2026Q4", "2026-Q4", "2026Q4"),
    ("2026-S1", "2026-S1", "2026S1"),
    ("2026S2", "2026-S2", "2026S2"),
    ("2026", "2026", "2026"),
    ("2026-A1", "2026", "2026"),
])
def test_parses_both_notations(text: str, sdmx: str, dhis2: str) -> None:
    period = periods.parse(text)
    assert period.sdmx == sdmx
    assert period.dhis2 == dhis2


@pytest.mark.parametrize("text", ["2026-13", "2026-Q5", "2026-S3", "26-01", "2026-1", "",
                                  "2026W01", "202613", "2026-YTD13", "abc"])
def test_rejects_bad_ids(text: str) -> None:
    with pytest.raises(PeriodError):
        periods.parse(text)


def test_nine_months_and_ytd_have_no_dhis2_id() -> None:
    assert Period.nine_months(2026).sdmx == "2026-N1"
    assert Period.ytd(2026, 3).sdmx == "2026-YTD03"
    with pytest.raises(PeriodError):
        _ = Period.nine_months(2026).dhis2


def test_navigation() -> None:
    assert Period.month(2026, 1).previous() == Period.month(2025, 12)
    assert Period.quarter(2026, 1).previous() == Period.quarter(2025, 4)
    assert Period.half(2026, 2).previous() == Period.half(2026, 1)
    assert Period.annual(2026).previous() == Period.annual(2025)
    assert Period.month(2026, 3).same_period_last_year() == Period.month(2025, 3)
    assert [m.index for m in Period.quarter(2026, 3).months()] == [7, 8, 9]
    assert len(Period.nine_months(2026).months()) == 9
    assert Period.ytd(2026, 5).end == date(2026, 5, 31)
    assert Period.month(2024, 2).end == date(2024, 2, 29)


@pytest.mark.parametrize(("period", "start", "end"), [
    (Period.month(2026, 3), date(2026, 2, 15), date(2026, 3, 14)),
    (Period.month(2026, 1), date(2025, 12, 15), date(2026, 1, 14)),
    (Period.quarter(2026, 2), date(2026, 3, 15), date(2026, 6, 14)),
    (Period.half(2026, 1), date(2025, 12, 15), date(2026, 6, 14)),
    (Period.half(2026, 2), date(2026, 6, 15), date(2026, 12, 14)),
    (Period.nine_months(2026), date(2025, 12, 15), date(2026, 9, 14)),
    (Period.annual(2026), date(2025, 12, 15), date(2026, 12, 14)),
])
def test_decree_09_windows(period: Period, start: date, end: date) -> None:
    assert periods.DECREE_09.window(period) == (start, end)


def test_cutoff_override_inspectorate_16_to_15() -> None:
    assert CutoffRule(16).window(Period.month(2026, 3)) == (date(2026, 2, 16), date(2026, 3, 15))
    assert CutoffRule(1).window(Period.month(2026, 3)) == (date(2026, 3, 1), date(2026, 3, 31))


def test_deadline_skips_tet() -> None:
    # Cut-off 14/02/2026 (Saturday); Tết holidays run 16-20/02/2026.
    due = DeadlineRule("working_days", 2).due(date(2026, 2, 14))
    assert due == date(2026, 2, 24)
    assert DeadlineRule("working_days", 1).due(date(2026, 2, 13)) == date(2026, 2, 23)


def test_deadline_day_of_month_moves_off_holidays() -> None:
    # 02/09 is National Day: a "no later than the 2nd" deadline moves on.
    rule = DeadlineRule("day_of_month", 2, month_offset=0)
    assert rule.due(date(2025, 9, 1)) == date(2025, 9, 3)
    assert DeadlineRule("day_of_month", 20).due(date(2026, 3, 14)) == date(2026, 3, 20)


def test_substituted_saturday_is_a_working_day() -> None:
    assert periods.is_working_day(date(2025, 4, 26))  # worked in exchange for 02/05/2025
    assert not periods.is_working_day(date(2025, 5, 2))


@given(any_period())
def test_sdmx_roundtrip(period: Period) -> None:
    assert periods.parse_sdmx(period.sdmx) == period
    assert periods.parse(period.sdmx) == period


@given(any_period())
def test_dhis2_roundtrip(period: Period) -> None:
    try:
        text = period.dhis2
    except PeriodError:
        assert period.kind in (Kind.NINE_MONTHS, Kind.YTD)
        return
    assert periods.parse_dhis2(text) == period


@given(any_period(), st.integers(-50, 50))
def test_shift_is_invertible(period: Period, steps: int) -> None:
    assert period.shift(steps).shift(-steps) == period
    assert period.next().previous() == period


@given(any_period())
def test_months_tile_the_period(period: Period) -> None:
    months = period.months()
    assert months[0].start == period.start
    assert months[-1].end == period.end
    for a, b in itertools.pairwise(months):
        assert a.end + timedelta(days=1) == b.start
    assert all(period.contains(m) for m in months)


@given(any_period())
def test_same_period_last_year_is_a_year_back(period: Period) -> None:
    last = period.same_period_last_year()
    assert last.kind == period.kind and last.index == period.index
    assert last.year == period.year - 1


@given(st.integers(1990, 2100), st.integers(1, 12), st.integers(2, 28))
def test_monthly_windows_are_contiguous(year: int, month: int, day: int) -> None:
    rule = CutoffRule(day)
    this = Period.month(year, month)
    _, end = rule.window(this)
    start_next, _ = rule.window(this.next())
    assert end + timedelta(days=1) == start_next


@given(any_period(), st.integers(0, 10))
def test_deadline_is_a_working_day_after_cutoff(period: Period, days: int) -> None:
    sched = periods.schedule(period, periods.DECREE_09, DeadlineRule("working_days", days))
    assert sched.deadline >= sched.cutoff_end
    assert periods.is_working_day(sched.deadline)


@given(st.dates(min_value=date(1995, 1, 1), max_value=date(2095, 12, 31)),
       st.sampled_from([Kind.MONTH, Kind.QUARTER, Kind.HALF, Kind.YEAR]))
def test_next_schedule_is_the_first_open_one(today: date, kind: Kind) -> None:
    rule = DeadlineRule("working_days", 2)
    sched = periods.next_schedule(kind, today, periods.DECREE_09, rule)
    assert sched.deadline >= today
    earlier = periods.schedule(sched.period.previous(), periods.DECREE_09, rule)
    assert earlier.deadline < today


@given(st.dates(min_value=date(1995, 1, 1), max_value=date(2095, 12, 31)))
def test_containing(day: date) -> None:
    for kind in (Kind.MONTH, Kind.QUARTER, Kind.HALF, Kind.YEAR):
        period = Period.containing(kind, day)
        assert period.start <= day <= period.end
