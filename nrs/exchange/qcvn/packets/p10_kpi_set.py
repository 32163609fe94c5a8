"""10. KPI set (bộ chỉ tiêu): a named set of indicators.

Three kinds of set, all derived from the registry (none is stored on its own):
- ``QD293``: the whole catalogue, which is NRS's rendering of the Decision 293/QĐ-TTg list;
- ``HEADLINE``: the headline KPIs the national overview shows (Indicator.headline);
- ``REGIME.<code>``: the indicators of one regime's data form.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_noop as _
from ninja import Schema
from pydantic import Field

from nrs.exchange.qcvn.common import Text, catalogue_codes, named
from nrs.exchange.qcvn.registry import Caller, PacketType, register
from nrs.i18n import bilingual
from nrs.lib.errors import InputError
from nrs.registry.models import Indicator, Regime

REGIME_PREFIX = "REGIME."


class QcvnKpiSetParams(Schema):
    set: Text = Field("", description="one set: QD293, HEADLINE or REGIME.<regime code>; default: all")


class QcvnKpiSetOut(Schema):
    code: str
    name_vi: str
    name_en: str
    basis: str = Field(description="decision293, headline or regime")
    indicators: list[str]


class QcvnKpiSetPayload(Schema):
    sets: list[QcvnKpiSetOut]


@register
class KpiSet(PacketType):
    code, key = "10", "kpi_set"
    name_vi, name_en = "Bộ chỉ tiêu", "KPI set"
    summary = "Sets of indicators: Decision 293, the headline KPIs, each regime's form"
    Params, Payload = QcvnKpiSetParams, QcvnKpiSetPayload

    def build(self, caller: Caller, query: Any) -> dict[str, Any]:
        wanted = query.set.strip()
        found = all_sets() if not wanted else [one_set(wanted)]
        return {"sets": found}


def _catalogue(headline: bool = False) -> list[str]:
    found = Indicator.objects.order_by("area", "code")
    if headline:
        found = found.filter(headline=True)
    return list(found.values_list("code", flat=True))


def _regime_set(regime: Regime) -> dict[str, Any]:
    return named(REGIME_PREFIX + regime.code, f"Chỉ tiêu của {regime.name_vi}", f"Indicators of {regime.name_en}",
                 basis="regime", indicators=catalogue_codes(regime.indicators.all()))


def _fixed(code: str) -> dict[str, Any]:
    if code == "QD293":
        return named(code, "Bộ chỉ tiêu phục vụ chỉ đạo, điều hành (Quyết định 293/QĐ-TTg)",
                     "Indicators for the Government's direction (Decision 293/QĐ-TTg)",
                     basis="decision293", indicators=_catalogue())
    return named(code, *bilingual(_("Headline KPIs")), basis="headline", indicators=_catalogue(headline=True))


def all_sets() -> list[dict[str, Any]]:
    regimes = Regime.objects.prefetch_related("indicators").order_by("code")
    # The indicators come prefetched (one query for every regime), hence all() and sorted().
    return [_fixed("QD293"), _fixed("HEADLINE")] + [_regime_set(r) for r in regimes if r.indicators.all()]


def one_set(code: str) -> dict[str, Any]:
    if code in ("QD293", "HEADLINE"):
        return _fixed(code)
    regime = Regime.objects.filter(code=code.removeprefix(REGIME_PREFIX)).first() \
        if code.startswith(REGIME_PREFIX) else None
    if regime is None:
        raise InputError("set", *bilingual(_("unknown KPI set '%(code)s' (QD293, HEADLINE, "
                                             "REGIME.<regime code>)"),
                                           code=code))
    return _regime_set(regime)


def set_indicators(code: str) -> list[str]:
    """The codes of one set (packet 13 takes a set instead of a list of indicators)."""
    try:
        return list(one_set(code)["indicators"])
    except InputError:
        raise InputError("kpiSet", *bilingual(_("unknown KPI set '%(code)s'"), code=code)) from None

