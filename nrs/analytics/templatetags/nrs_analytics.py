"""Number formatting for dashboards, in the active language (vi: 1.234,5; en: 1,234.5)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import template
from django.utils.formats import number_format

register = template.Library()


@register.simple_tag
def num(value: Any, decimals: int = 1) -> str:
    if value in (None, ""):
        return "–"
    return number_format(Decimal(str(value)), decimal_pos=int(decimals), use_l10n=True, force_grouping=True)


@register.simple_tag
def change(value: Any, unit: str = "%") -> str:
    """A signed change: +5,2 % or −0,3 điểm (pp)."""
    if value in (None, ""):
        return "–"
    number = Decimal(str(value))
    sign = "+" if number > 0 else ("−" if number < 0 else "±")
    return f"{sign}{number_format(abs(number), decimal_pos=1, use_l10n=True, force_grouping=True)} {unit}"


@register.filter
def trend(value: Any) -> str:
    """A CSS class for the direction of a change."""
    if value in (None, ""):
        return "flat"
    number = Decimal(str(value))
    return "up" if number > 0 else ("down" if number < 0 else "flat")
