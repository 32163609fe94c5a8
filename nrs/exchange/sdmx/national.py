"""National series under the national area code.

A national figure is reported by an agency (the statistics office's national statistical
series, a ministry's national figure), so it is stored under that agency's org unit. SDMX
users ask for it under the Government's area code (``CP``), as the analytics engine serves
it: a value is keyed under the root's CL_AREA code when it is

- the root's own value;
- the value of the indicator's national source, or else of its responsible agency, on the
  period's last day (Responsibility: TCTK until 2025-02-28, CTK since 2025-03-01);
- any agency's value of an indicator whose level is national.

Every other value (a province's, a commune's, an agency's own figure of a provincial
indicator it is not the source of) keeps its unit's code. Where more than one value stands
for the same national observation, the one with the lowest rank (in the order above) wins.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from nrs.registry.models import Indicator, Level, OrgUnit, Responsibility, ResponsibilityRole

ROOT, SOURCE, RESPONSIBLE, AGENCY = 0, 1, 2, 3  # ranks: who stands for the national figure first


@dataclass(frozen=True)
class Steward:
    """An agency that is an indicator's source or responsible agency for a while."""

    agency: int
    valid_from: date
    valid_to: date | None
    rank: int

    def on(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)


@dataclass(frozen=True)
class NationalAreas:
    code: str  # the root's CL_AREA code ("CP")
    roots: frozenset[int] = frozenset()  # national-level org units (pks)
    agencies: frozenset[int] = frozenset()  # agency-level org units (pks)
    national_indicators: frozenset[int] = frozenset()  # indicators whose level is national (pks)
    stewards: dict[int, list[Steward]] = field(default_factory=dict)  # indicator pk -> its stewards

    def rank(self, indicator: int, unit: int, end: date) -> int | None:
        """How ``unit``'s value of ``indicator`` for a period ending on ``end`` stands for the
        national figure (ROOT, SOURCE, RESPONSIBLE, AGENCY); None: it is the unit's own."""
        if unit in self.roots:
            return ROOT
        if unit not in self.agencies:
            return None
        ranks = [s.rank for s in self.stewards.get(indicator, ()) if s.agency == unit and s.on(end)]
        if ranks:
            return min(ranks)
        return AGENCY if indicator in self.national_indicators else None

    def widen(self, units: list[int]) -> list[int]:
        """The org units whose values a query for ``units`` reads: with the root, the agencies
        too (their national figures are keyed under it)."""
        if self.roots.isdisjoint(units):
            return units
        return [*units, *sorted(self.agencies - set(units))]


def load(area_codes: dict[int, str]) -> NationalAreas | None:
    """The registry's national areas (four small queries); None without a national root."""
    roots = list(OrgUnit.objects.filter(level=Level.NATIONAL, parent__isnull=True)
                 .order_by("-valid_from").values_list("pk", flat=True))
    if not roots or roots[0] not in area_codes:
        return None
    stewards: dict[int, list[Steward]] = defaultdict(list)
    for indicator, agency, valid_from, valid_to, role in Responsibility.objects.values_list(
            "indicator_id", "agency_id", "valid_from", "valid_to", "role"):
        rank = SOURCE if role == ResponsibilityRole.SOURCE else RESPONSIBLE
        stewards[indicator].append(Steward(agency, valid_from, valid_to, rank))
    return NationalAreas(
        code=area_codes[roots[0]], roots=frozenset(roots),
        agencies=frozenset(OrgUnit.objects.filter(level=Level.AGENCY).values_list("pk", flat=True)),
        national_indicators=frozenset(Indicator.objects.filter(level=Level.NATIONAL).values_list("pk", flat=True)),
        stewards=dict(stewards))
