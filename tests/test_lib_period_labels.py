"""Period labels for people (issue 20, part 5): "Quý IV/2026", not "2026-Q4".

The expected strings are written by hand from the issue's examples.
"""

import pytest

from nrs.lib.periods import Period, PeriodError, label


@pytest.mark.parametrize(
    ("period", "vi", "en"),
    [
        (Period.month(2026, 10), "Tháng 10/2026", "October 2026"),
        (Period.month(2027, 1), "Tháng 1/2027", "January 2027"),
        (Period.quarter(2026, 1), "Quý I/2026", "Q1 2026"),
        (Period.quarter(2026, 2), "Quý II/2026", "Q2 2026"),
        (Period.quarter(2026, 3), "Quý III/2026", "Q3 2026"),
        (Period.quarter(2026, 4), "Quý IV/2026", "Q4 2026"),
        (Period.half(2026, 1), "6 tháng đầu năm 2026", "H1 2026"),
        (Period.half(2026, 2), "6 tháng cuối năm 2026", "H2 2026"),
        (Period.nine_months(2027), "9 tháng năm 2027", "9 months 2027"),
        (Period.ytd(2026, 10), "10 tháng năm 2026", "January–October 2026"),
        (Period.ytd(2026, 2), "2 tháng năm 2026", "January–February 2026"),
        (Period.annual(2026), "Năm 2026", "2026"),
    ],
)
def test_labels_per_language(period, vi, en):
    assert label(period, "vi") == vi
    assert label(period, "en") == en


def test_default_language_is_vietnamese_and_regional_codes_fold():
    assert label(Period.quarter(2026, 4)) == "Quý IV/2026"
    assert label(Period.quarter(2026, 4), None) == "Quý IV/2026"
    assert label(Period.quarter(2026, 4), "en-gb") == "Q4 2026"
    assert label(Period.quarter(2026, 4), "vi-VN") == "Quý IV/2026"
    # An unknown language falls back to Vietnamese, the UI's first language.
    assert label(Period.quarter(2026, 4), "fr") == "Quý IV/2026"


def test_identifiers_are_read_in_either_notation():
    assert label("2026-Q4", "vi") == "Quý IV/2026"
    assert label("2027-N1", "vi") == "9 tháng năm 2027"
    assert label("2026-YTD10", "en") == "January–October 2026"
    assert label("202610", "vi") == "Tháng 10/2026"
    assert label("2026", "en") == "2026"


def test_a_one_month_year_to_date_is_not_mistaken_for_the_month():
    assert label("2026-YTD01", "vi") == "1 tháng năm 2026"
    assert label("2026-YTD01", "en") == "January 2026 (year to date)"


def test_bad_identifier_raises():
    with pytest.raises(PeriodError):
        label("2026-X9", "vi")


def test_codes_are_unchanged():
    # Machine identifiers keep their shape (API, SDMX, CSV, DHIS2).
    assert str(Period.quarter(2026, 4)) == "2026-Q4"
    assert Period.nine_months(2027).sdmx == "2027-N1"


@pytest.mark.parametrize(
    ("code", "inline", "document"),
    [
        ("2026-10", "tháng 10/2026", "tháng 10 năm 2026"),
        ("2026-Q4", "quý IV/2026", "quý IV năm 2026"),
        ("2026-S1", "6 tháng đầu năm 2026", "6 tháng đầu năm 2026"),
        ("2026-S2", "6 tháng cuối năm 2026", "6 tháng cuối năm 2026"),
        ("2026-N1", "9 tháng năm 2026", "9 tháng năm 2026"),
        ("2026-YTD10", "10 tháng năm 2026", "10 tháng năm 2026"),
        ("2026", "năm 2026", "năm 2026"),
    ],
)
def test_vietnamese_within_a_sentence_and_in_documents(code, inline, document):
    assert label(code, "vi", style="inline") == inline
    assert label(code, "vi", style="document") == document


def test_styles_leave_english_alone_and_refuse_unknown_names():
    assert label("2026-10", "en", style="inline") == "October 2026"
    assert label("2026-Q4", "en", style="document") == "Q4 2026"
    with pytest.raises(ValueError):
        label("2026-Q4", "vi", style="loud")
