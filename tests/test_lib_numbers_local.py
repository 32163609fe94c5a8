"""Numbers written and read the Vietnamese and English way; one rounding rule (issue 20, part 5).

Expected strings are written out by hand from the issue's examples, not computed by the code."""

from decimal import Decimal

import pytest

from nrs.lib.numbers import parse_local, rounded, written


@pytest.mark.parametrize(("value", "decimals", "vi", "en"), [
    ("1073036.7", 1, "1.073.036,7", "1,073,036.7"),
    ("-9.789", 1, "\u22129,8", "\u22129.8"),       # truncation showed −9,7
    ("87.58", 1, "87,6", "87.6"),                 # truncation showed 87,5
    ("66.45", 1, "66,5", "66.5"),                 # half away from zero, not to even
    ("-0.05", 1, "\u22120,1", "\u22120.1"),
    ("-0.04", 1, "0,0", "0.0"),                   # never "−0,0"
    ("2247.2", 1, "2.247,2", "2,247.2"),
    ("999.95", 1, "1.000,0", "1,000.0"),
    ("123456789", 0, "123.456.789", "123,456,789"),
    ("0.125", 2, "0,13", "0.13"),
])
def test_written(value: str, decimals: int, vi: str, en: str) -> None:
    assert written(Decimal(value), decimals, "vi") == vi
    assert written(Decimal(value), decimals, "en") == en


def test_rounded_half_away_from_zero() -> None:
    assert rounded(Decimal("2.5"), 0) == 3
    assert rounded(Decimal("-2.5"), 0) == -3
    assert rounded(Decimal("0.125"), 2) == Decimal("0.13")


@pytest.mark.parametrize(("text", "lang", "expected"), [
    ("1.234,5", "vi", "1234.5"), ("1234,5", "vi", "1234.5"), ("1.234", "vi", "1234"),
    ("-12", "vi", "-12"), ("\u221212,5", "vi", "-12.5"), (" 1.073.036,7 ", "vi", "1073036.7"),
    ("1,234.5", "en", "1234.5"), ("1234.5", "en", "1234.5"), ("1,234", "en", "1234"),
])
def test_parse_local(text: str, lang: str, expected: str) -> None:
    assert parse_local(text, lang) == Decimal(expected)


@pytest.mark.parametrize(("text", "lang"), [
    ("1.23,4", "vi"), ("1234.5", "vi"), ("1,234.5", "vi"), ("1,2,3", "vi"), ("", "vi"), ("abc", "vi"),
    ("1.234,5", "en"), ("1,23", "en"), ("NaN", "en"), ("1e5", "en"), ("12.", "en"),
])
def test_parse_local_refuses_what_it_cannot_read_exactly(text: str, lang: str) -> None:
    with pytest.raises(ValueError):
        parse_local(text, lang)
