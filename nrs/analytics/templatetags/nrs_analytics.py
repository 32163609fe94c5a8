"""Number formatting for dashboards, in the active language (vi: 1.073.036,7; en: 1,073,036.7).

Every figure goes through nrs.lib.numbers: one rounding rule (half away from zero to the
indicator's decimals) and the language's separators. Not Django's number_format: it truncates
decimals ("-9.789" -> "-9,7") and Vietnamese formats have no thousands grouping.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django import template
from django.utils import timezone
from django.utils.translation import get_language

from nrs.lib.numbers import MINUS, rounded, written

register = template.Library()
DASH = "–"


def _number(value: Any) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value))
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


@register.simple_tag
def num(value: Any, decimals: int = 1) -> str:
    """A figure rounded half away from zero to ``decimals`` and written in the active language."""
    number = _number(value)
    if number is None:
        return DASH
    return written(number, int(decimals), get_language())


@register.simple_tag
def change(value: Any, unit: str = "%", decimals: int = 1) -> str:
    """A signed change: +5,2 % or −0,3 điểm (pp); ±0,0 when it rounds to nothing."""
    number = _number(value)
    if number is None:
        return DASH
    shown = rounded(number, int(decimals))
    sign = "+" if shown > 0 else (MINUS if shown < 0 else "±")
    return f"{sign}{written(abs(shown), int(decimals), get_language())} {unit}"


@register.filter
def trend(value: Any) -> str:
    """A CSS class for the direction of a change, as it is written: one that rounds to ±0,0 is flat."""
    number = _number(value)
    if number is None:
        return "flat"
    shown = rounded(number, 1)
    return "up" if shown > 0 else ("down" if shown < 0 else "flat")


@register.filter
def iso_moment(value: Any) -> Any:
    """An ISO 8601 date-time text (an API field such as releasedAt) as a local datetime, for
    the ``date`` filter; anything unreadable passes through unchanged."""
    if not isinstance(value, str) or not value:
        return value
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return value
    return timezone.localtime(moment) if timezone.is_aware(moment) else moment
