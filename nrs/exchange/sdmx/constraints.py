"""SDMX 2.1 content constraints of NRS's dataflows.

- Allowed (``CC_<dataflow>``, the ``contentconstraint`` resource and a dataflow's parent in
  ``references``): what the catalogue says the dataflow covers. INDICATOR: the indicators of
  the dataflow's area; FREQ: their frequencies; REF_AREA: every unit (every version, ended
  ones too) of the reporting regimes that carry those indicators, by their reporting scope,
  the agencies responsible for or the source of them, and the national area (national
  figures are keyed under it, nrs.exchange.sdmx.national); a breakdown dimension: the codes
  of its codelist if one of the indicators is broken down by it, and ``_T`` (the total).
- Partial item schemes (``detail=referencepartial``, what a .Stat Data Explorer asks for):
  the codelists a dataflow references, cut to the codes its allowed constraint allows.
- Actual (the ``availableconstraint`` resource): the cube region of the data a query really
  selects, in the caller's scope, with the time range its observations cover.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime, time
from typing import Any

from sdmx.model import common
from sdmx.model import v21 as m

from nrs.exchange.sdmx.structures import FREQ_OF_KIND, TIME, TOTAL, VERSION, Structures, names
from nrs.lib import periods
from nrs.registry.models import (
    Frequency,
    Indicator,
    Level,
    OrgUnit,
    OrgUnitKind,
    Regime,
    ReporterScope,
    Responsibility,
)

ALLOWED_PREFIX = "CC_"
AVAILABLE_ID = "CC_AVAILABLE"


def _freq_codes(frequency: str, published: str) -> set[str]:
    found = set()
    for code in [frequency, *published.split(";")]:
        if code in Frequency.values:
            kind = Frequency(code).period_kind
            if kind in FREQ_OF_KIND:
                found.add(FREQ_OF_KIND[kind])
    return found


def _scope_units(regime: Regime) -> Iterable[int]:
    """Every version of the units a regime's reporting scope names (ended ones too: their
    history is exported)."""
    units = OrgUnit.objects.all()
    match regime.reporter_scope:
        case ReporterScope.ALL_PROVINCES:
            units = units.filter(level=Level.PROVINCE)
        case ReporterScope.ALL_MINISTRIES:
            units = units.filter(kind__in=[OrgUnitKind.MINISTRY, OrgUnitKind.MINISTERIAL_AGENCY])
        case ReporterScope.ALL_COMMUNES:
            units = units.filter(level=Level.COMMUNE)
        case _:
            units = units.filter(pk__in=regime.reporters.values("pk"))
    return units.values_list("pk", flat=True)


def coverage(structures: Structures) -> dict[str, dict[str, list[str]]]:
    """Per dataflow, per dimension (TIME_PERIOD excluded), the codes the catalogue allows,
    in codelist order."""
    indicators = list(Indicator.objects.values_list("pk", "code", "area", "frequency", "frequencies"))
    area_of = {pk: area for pk, _code, area, _f, _p in indicators}
    wanted: dict[int, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for _pk, code, area, frequency, published in indicators:
        wanted[area]["INDICATOR"].add(code)
        wanted[area]["FREQ"] |= _freq_codes(frequency, published)
    for pk, breakdown in Indicator.breakdowns.through.objects.values_list("indicator_id", "codelist__code"):
        wanted[area_of[pk]][breakdown] |= set(structures.codelist_of(breakdown).items)
    scope_cache: dict[int, list[int]] = {}
    for regime in Regime.objects.all():
        areas = {area_of[pk] for pk in regime.indicators.values_list("pk", flat=True)}
        if not areas:
            continue
        if regime.pk not in scope_cache:
            scope_cache[regime.pk] = list(_scope_units(regime))
        codes = {structures.area_codes[pk] for pk in scope_cache[regime.pk] if pk in structures.area_codes}
        for area in areas:
            wanted[area]["REF_AREA"] |= codes
    for indicator, agency in Responsibility.objects.values_list("indicator_id", "agency_id"):
        if agency in structures.area_codes:
            wanted[area_of[indicator]]["REF_AREA"].add(structures.area_codes[agency])
    roots = OrgUnit.objects.filter(level=Level.NATIONAL, parent__isnull=True).values_list("pk", flat=True)
    national = {structures.area_codes[pk] for pk in roots if pk in structures.area_codes}
    found: dict[str, dict[str, list[str]]] = {}
    for flow, area in structures.flow_areas.items():
        allowed = wanted.get(area, {})
        region: dict[str, list[str]] = {}
        for dim in structures.dimension_ids:
            codes = set(allowed.get(dim, set()))
            if dim == "REF_AREA" and allowed:
                codes |= national
            if dim in structures.breakdowns:
                codes.add(TOTAL)
            region[dim] = [c for c in structures.codelist_of(dim).items if c in codes]
        found[flow] = region
    return found


def _constraint(ident: str, vi: str, en: str, structures: Structures, flow: str, role: common.ConstraintRoleType,
                region: common.CubeRegion) -> m.ContentConstraint:
    return m.ContentConstraint(
        id=ident, name=names(vi, en), maintainer=structures.agency, version=VERSION, is_final=True,
        is_external_reference=False, role=common.ConstraintRole(role=role),
        content={structures.dataflows[flow]}, data_content_region=[region])


def _selection(structures: Structures, dim: str, codes: Iterable[str]) -> m.MemberSelection:
    return m.MemberSelection(values_for=structures.dsd.dimensions.get(dim),
                             values=[m.MemberValue(value=code) for code in codes])


def allowed(structures: Structures,
            cover: dict[str, dict[str, list[str]]] | None = None) -> dict[str, m.ContentConstraint]:
    """The allowed content constraint of each dataflow, by its id (CC_<dataflow>)."""
    cover = cover if cover is not None else coverage(structures)
    found = {}
    for flow, region in cover.items():
        ident = ALLOWED_PREFIX + flow
        cube = common.CubeRegion(included=True, member={
            structures.dsd.dimensions.get(dim): _selection(structures, dim, codes) for dim, codes in region.items()})
        dataflow = structures.dataflows[flow]
        vi, en = dataflow.name.localizations["vi"], dataflow.name.localizations["en"]
        found[ident] = _constraint(ident, f"Phạm vi của {vi}", f"Coverage of {en}", structures, flow,
                                   common.ConstraintRoleType.allowable, cube)
    return found


def _moment(day: date) -> datetime:
    return datetime.combine(day, time.min)


def actual(structures: Structures, flow: str, keys: Iterable[tuple[tuple[str, ...], str]],
           wanted: list[frozenset[str] | None], component: str | None) -> m.ContentConstraint | None:
    """The Actual content constraint of the observations ``keys`` (series key, TIME_PERIOD)
    of ``flow`` for a query of ``wanted`` codes per dimension (None: any): per dimension, the
    codes of the observations that match the query, and also those that match every part
    but that dimension's (availableconstraint's mode=available: pass the observations of
    the whole flow); TIME_PERIOD: from the first matching period's first day to the last
    one's last day. Only ``component`` if given. None if no observation matches."""
    dims = structures.dimension_ids
    used: dict[str, set[str]] = {d: set() for d in dims}
    first: date | None = None
    last: date | None = None
    for key, period in keys:
        misses = [i for i, (code, codes) in enumerate(zip(key, wanted, strict=True))
                  if codes is not None and code not in codes]
        if len(misses) == 1:
            used[dims[misses[0]]].add(key[misses[0]])
        if misses:
            continue
        for dim, code in zip(dims, key, strict=True):
            used[dim].add(code)
        start, end = _span(period)
        first = start if first is None or start < first else first
        last = end if last is None or end > last else last
    if first is None or last is None:
        return None
    member: dict[common.DimensionComponent, common.BaseMemberSelection] = {}
    for dim in dims:
        if component in (None, dim):
            codes = [c for c in structures.codelist_of(dim).items if c in used[dim]]
            member[structures.dsd.dimensions.get(dim)] = _selection(structures, dim, codes)
    if component in (None, TIME):
        # sdmx1's writer names a selection's element by its component's class; TIME_PERIOD
        # is a KeyValue with a TimeRange in SDMX-ML 2.1, so a plain Dimension stands for it.
        time_dim = m.Dimension(id=TIME)
        member[time_dim] = m.MemberSelection(values_for=time_dim, values=[m.RangePeriod(
            start=common.StartPeriod(is_inclusive=True, period=_moment(first)),
            end=common.EndPeriod(is_inclusive=True, period=_moment(last)))])
    return _constraint(AVAILABLE_ID, "Số liệu có sẵn", "Available data", structures, flow,
                       common.ConstraintRoleType.actual, common.CubeRegion(included=True, member=member))


def _span(period: str) -> tuple[date, date]:
    """The first and last day of a TIME_PERIOD as messages write it (2026-09, 2026-01-01/P9M)."""
    if "/" in period:
        start = date.fromisoformat(period.split("/")[0])
        return start, periods.Period.nine_months(start.year).end
    parsed = periods.parse_sdmx(period)
    return parsed.start, parsed.end


def partial(objects: list[Any], chosen: list[Any], allowed_constraints: Iterable[Any]) -> list[Any]:
    """``detail=referencepartial``: each codelist among ``objects`` that a chosen dataflow's
    allowed constraint restricts, cut to the codes allowed (``isPartial``); the rest as they
    are. A codelist that was itself asked for stays whole."""
    flows = [obj for obj in chosen if isinstance(obj, m.DataflowDefinition)]
    keep: dict[str, set[str]] = defaultdict(set)
    for constraint in allowed_constraints:
        if not any(flow in constraint.content for flow in flows):
            continue
        for dimension, selection in constraint.data_content_region[0].member.items():
            codelist = dimension.local_representation.enumerated
            keep[codelist.id] |= {value.value for value in selection.values}
    return [_cut(obj, keep[obj.id]) if (isinstance(obj, m.Codelist) and obj.id in keep
                                        and all(obj is not c for c in chosen)) else obj
            for obj in objects]


def _cut(codelist: m.Codelist, codes: set[str]) -> m.Codelist:
    """A partial copy of ``codelist`` holding ``codes``, with their hierarchy among themselves
    (the cached original is shared between requests and stays untouched)."""
    copies = {code.id: common.Code(id=code.id, name=code.name, description=code.description,
                                   annotations=list(code.annotations))
              for code in codelist.items.values() if code.id in codes}
    for code in codelist.items.values():
        parent = code.parent
        if code.id in copies and isinstance(parent, common.Code) and parent.id in copies:
            copies[code.id].parent = copies[parent.id]
            copies[parent.id].child.append(copies[code.id])
    cut = m.Codelist(id=codelist.id, name=codelist.name, description=codelist.description,
                     maintainer=codelist.maintainer, version=codelist.version, is_final=codelist.is_final,
                     is_external_reference=False, is_partial=True)
    for copy in copies.values():
        cut.append(copy)
    return cut
