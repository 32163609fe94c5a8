"""Periods as people read them, in the active language: {{ period|period_label }}.

"2026-Q4" shows as "Quý IV/2026" on Vietnamese pages and "Q4 2026" on English ones;
``{{ period|period_label:"inline" }}`` within a sentence ("cho kỳ quý IV/2026"). Links, form
values, data attributes and machine outputs keep the period's code (``period.sdmx``).
"""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.translation import get_language

from nrs.lib.periods import Period, PeriodError, label

register = template.Library()


@register.filter
def period_label(value: Any, style: str = "title") -> str:
    """The label of a Period or a period code in the active language; anything else
    (empty, not a period) is shown as it is."""
    if value in (None, ""):
        return ""
    try:
        return label(value if isinstance(value, Period) else str(value), get_language(), style=style)
    except PeriodError:
        return str(value)
