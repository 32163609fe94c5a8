"""Number formatting."""

from decimal import Decimal


def plain(value: Decimal) -> str:
    """A Decimal without exponent or trailing zeros: 100, 90.5, -0.25."""
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "") else text
