"""Periods as people read them, in the active language: {{ period|period_label }}.

"2026-Q4" shows as "Quý IV/2026" on Vietnamese pages and "Q4 2026" on English ones;
``{{ period|period_label:"inline" }}`` within a sentence ("cho kỳ quý IV/2026"). Links, form
values, data attributes and machine outputs keep the period's code (``period.sdmx``).
"""

from __future__ import annotations

import re
from typing import Any

from django import template
from django.utils.text import Truncator
from django.utils.translation import get_language, gettext_lazy, ngettext
from django.utils.translation import gettext as _

from nrs.lib.periods import Period, PeriodError, label
from nrs.registry.models import OrgUnit, Regime

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


# -- why the figures were last recomputed ("figures as of 10:02 (…)") ---------------------------------

# The reasons nrs.analytics.receivers, pending and refresh store, in English codes for the log:
# "approve PROV_KTXH_M · 01 · 2026-10", "submit … (preview)", "bulk import of 3 reports", "rebuild".
_REPORT_REASON = re.compile(r"^(?:(?P<action>approve|submit|return|import) )?(?P<regime>[A-Za-z0-9_.-]+) · "
                            r"(?P<unit>[A-Za-z0-9_.-]+) · (?P<period>\S+)(?P<preview> \(preview\))?$")
_BULK_REASON = re.compile(r"^bulk import of (?P<count>\d+) reports?$")
_ACTIONS = {
    "approve": gettext_lazy("approval of %(regime)s, %(unit)s, %(period)s"),
    "submit": gettext_lazy("submission of %(regime)s, %(unit)s, %(period)s"),
    "return": gettext_lazy("return of %(regime)s, %(unit)s, %(period)s"),
    "import": gettext_lazy("import of %(regime)s, %(unit)s, %(period)s"),
    None: gettext_lazy("%(regime)s, %(unit)s, %(period)s"),
}


@register.filter
def refresh_reason(reason: str) -> str:
    """A refresh's stored reason in the reader's words: "phê duyệt Báo cáo tình hình kinh tế - xã hội
    hằng tháng của UBND tỉnh, thành phố, Thành phố Hà Nội, tháng 10/2026" for "approve PROV_KTXH_M ·
    01 · 2026-10"; a reason of another shape is shown as it is (shortened)."""
    text = (reason or "").strip()
    if match := _REPORT_REASON.match(text):
        try:
            period = label(match["period"], get_language(), style="inline")
        except PeriodError:
            return Truncator(text).chars(60)
        said = str(_ACTIONS[match["action"]]) % {
            "regime": _regime_name(match["regime"]), "unit": _unit_name(match["unit"]),
            "period": period}
        return str(_("%(what)s (preview)") % {"what": said}) if match["preview"] else said
    if match := _BULK_REASON.match(text):
        count = int(match["count"])
        return ngettext("bulk import of %(count)s report", "bulk import of %(count)s reports", count) % {
            "count": count}
    if text in ("rebuild", "nrs aggregates"):
        return str(_("full recomputation"))
    return Truncator(text).chars(60)


def _regime_name(code: str) -> str:
    regime = Regime.objects.filter(code=code).first()
    return str(regime.name) if regime is not None else code


def _unit_name(code: str) -> str:
    """The current unit of that code, else the newest that had it (a province merged away), else the code."""
    unit = (OrgUnit.objects.filter(code=code, valid_to__isnull=True).first()
            or OrgUnit.objects.filter(code=code).order_by("-valid_to").first())
    return str(unit.name) if unit is not None else code
