"""Numbers: exact text for machines, and numbers written the way each language writes them.

One rounding rule everywhere a figure is shown (pages, charts, API display fields, documents):
half away from zero to the indicator's decimals (−9.789 → −9.79 → "−9,8" at one decimal;
87.58 → "87,6"), never truncation. Vietnamese writes 1.073.036,7; English writes 1,073,036.7.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

# (decimal separator, thousands separator) per language; Vietnamese by default.
SEPARATORS = {"vi": (",", "."), "en": (".", ",")}
MINUS = "\u2212"


def plain(value: Decimal) -> str:
    """A Decimal without exponent or trailing zeros: 100, 90.5, -0.25."""
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "") else text


def rounded(value: Decimal | int | float | str, decimals: int) -> Decimal:
    """``value`` rounded half away from zero to ``decimals`` places (ROUND_HALF_UP is away from zero)."""
    number = value if isinstance(value, Decimal) else Decimal(str(value))
    exponent = Decimal(1).scaleb(-decimals) if decimals > 0 else Decimal(1)
    result = number.quantize(exponent, rounding=ROUND_HALF_UP)
    return result + 0 if result.is_zero() else result  # no "-0"


def separators(lang: str | None) -> tuple[str, str]:
    """The (decimal, thousands) separators of a language code such as "vi" or "en-gb"."""
    return SEPARATORS.get((lang or "vi").split("-")[0].lower(), SEPARATORS["vi"])


def written(value: Decimal | int | float | str, decimals: int, lang: str | None = "vi", *,
            minus: str = MINUS) -> str:
    """``value`` rounded to ``decimals`` and written in ``lang``: 1.073.036,7 or 1,073,036.7."""
    number = rounded(value, decimals)
    decimal_sep, group_sep = separators(lang)
    text = format(abs(number), "f")
    whole, _, fraction = text.partition(".")
    groups: list[str] = []
    while len(whole) > 3:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    groups.insert(0, whole)
    body = group_sep.join(groups) + (decimal_sep + fraction if fraction else "")
    return (minus if number < 0 else "") + body


def _local_pattern(decimal_sep: str, group_sep: str) -> re.Pattern[str]:
    d, g = re.escape(decimal_sep), re.escape(group_sep)
    return re.compile(rf"[+-]?(?:\d{{1,3}}(?:{g}\d{{3}})+|\d+)(?:{d}\d+)?")


_PATTERNS = {lang: _local_pattern(*seps) for lang, seps in SEPARATORS.items()}


def parse_local(text: str, lang: str | None = "vi") -> Decimal:
    """A number typed in ``lang``'s way, read exactly, or ValueError.

    Vietnamese: "1.234,5", "1234,5", "-12"; English: "1,234.5". Thousands separators must group by
    three, so "1.23,4" and, in Vietnamese, "1234.5" are refused: a number is never guessed.
    """
    cleaned = text.strip().replace("\u00a0", "").replace(" ", "").replace(MINUS, "-")
    code = (lang or "vi").split("-")[0].lower()
    code = code if code in _PATTERNS else "vi"
    decimal_sep, group_sep = SEPARATORS[code]
    if _PATTERNS[code].fullmatch(cleaned):
        normal = cleaned.replace(group_sep, "").replace(decimal_sep, ".")
    else:
        raise ValueError(text)
    try:
        return Decimal(normal)
    except InvalidOperation as exc:  # pragma: no cover - the patterns admit only digits
        raise ValueError(text) from exc
