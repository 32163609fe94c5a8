"""The SDMX 2.1 structures of NRS, built from the registry with sdmx1's information model.

One agency (the Government Office, ``VN_VPCP``) maintains everything, at version 1.0:

- codelists: CL_FREQ, CL_AREA (every org unit version, ended ones too: ``area_ids`` says
  which code each gets), CL_INDICATOR, CL_UNIT_MEASURE, CL_OBS_STATUS and one CL_<code> per
  breakdown codelist (with ``_T``, the total);
- one concept scheme, CS_NRS;
- one DSD, DSD_NRS: FREQ, INDICATOR, REF_AREA, one dimension per breakdown, TIME_PERIOD;
  attributes UNIT_MEASURE, DECIMALS, OBS_STATUS; primary measure OBS_VALUE;
- one dataflow per indicator area (Decision 293's nine areas), DF_<AREA NAME>.

The structures are rebuilt from the registry on each request: the registry changes rarely,
but when it does the export must follow at once (docs/exchange.md has the timing).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from django.utils import translation
from sdmx.model import common
from sdmx.model import v21 as m

from nrs.lib import periods
from nrs.registry.models import ORIGIN, Area, Codelist, Indicator, Level, MeasureUnit, OrgUnit

AGENCY_ID = "VN_VPCP"
VERSION = "1.0"
DSD_ID = "DSD_NRS"
TOTAL = "_T"  # the SDMX convention for "total" in a breakdown dimension
FIXED_DIMENSIONS = ("FREQ", "INDICATOR", "REF_AREA")
TIME = "TIME_PERIOD"

# Period kind -> SDMX frequency code. N (nine months) has no SDMX code: ours, documented.
FREQ_OF_KIND = {periods.Kind.YEAR: "A", periods.Kind.HALF: "S", periods.Kind.QUARTER: "Q",
                periods.Kind.MONTH: "M", periods.Kind.NINE_MONTHS: "N"}
FREQ_NAMES = {
    "A": ("Hằng năm", "Annual"), "S": ("Sáu tháng", "Half-yearly"),
    "Q": ("Hằng quý", "Quarterly"), "M": ("Hằng tháng", "Monthly"),
    "N": ("Chín tháng (NRS)", "Nine months (NRS)"),
}
# DataValue.flag -> OBS_STATUS (SDMX's cross-domain codes where one fits; R and C are ours).
OBS_STATUS = {"": "A", "estimate": "E", "provisional": "P", "revised": "R", "confidential": "C"}
OBS_STATUS_NAMES = {
    "A": ("Giá trị bình thường", "Normal value"), "E": ("Ước tính", "Estimated value"),
    "P": ("Sơ bộ", "Provisional value"), "R": ("Đã điều chỉnh", "Revised value"),
    "C": ("Mật", "Confidential value"),
}
CONCEPTS = {
    "FREQ": ("Tần suất", "Frequency"),
    "INDICATOR": ("Chỉ tiêu", "Indicator"),
    "REF_AREA": ("Đơn vị báo cáo", "Reference area (org unit)"),
    TIME: ("Kỳ báo cáo", "Time period"),
    "OBS_VALUE": ("Giá trị", "Observation value"),
    "UNIT_MEASURE": ("Đơn vị tính", "Unit of measure"),
    "DECIMALS": ("Số chữ số thập phân", "Decimals"),
    "OBS_STATUS": ("Tình trạng số liệu", "Observation status"),
}
# The org-unit levels in CL_AREA: the Government, its agencies, provinces, the districts
# (all ended on 2025-06-30) and communes.
AREA_LEVELS = (Level.NATIONAL, Level.AGENCY, Level.PROVINCE, Level.DISTRICT, Level.COMMUNE)
# Annotations of a CL_AREA code: the unit's first and last day (ISO dates, in AnnotationTitle).
VALID_FROM, VALID_TO = "VALID_FROM", "VALID_TO"


def names(vi: str, en: str) -> dict[str, str]:
    return {"vi": vi, "en": en}


def area_label(area: int, language: str) -> str:
    with translation.override(language):
        return str(Area(area).label)


def flow_id(area: int) -> str:
    return f"DF_{Area(area).name}"


@dataclass
class Structures:
    """Everything the export publishes, with lookups the data side needs."""

    agency: m.Agency
    codelists: dict[str, m.Codelist]
    concepts: m.ConceptScheme
    dsd: m.DataStructureDefinition
    dataflows: dict[str, m.DataflowDefinition]
    flow_areas: dict[str, int]
    breakdowns: list[str] = field(default_factory=list)  # breakdown dimension ids, in order
    area_codes: dict[int, str] = field(default_factory=dict)  # org unit pk -> CL_AREA code

    @property
    def dimension_ids(self) -> list[str]:
        return [*FIXED_DIMENSIONS, *self.breakdowns]

    def codelist_of(self, dimension: str) -> m.Codelist:
        found = self.dsd.dimensions.get(dimension).local_representation
        assert found is not None and found.enumerated is not None
        return found.enumerated  # type: ignore[no-any-return]

    def area_units(self, codes: Iterable[str]) -> list[int]:
        """The org units (pks) that CL_AREA ``codes`` stand for."""
        wanted = set(codes)
        return [pk for pk, code in self.area_codes.items() if code in wanted]


def _maintained(cls: type, ident: str, vi: str, en: str, agency: m.Agency, **kw: object) -> object:
    return cls(id=ident, name=names(vi, en), maintainer=agency, version=VERSION, is_final=True,
               is_external_reference=False, **kw)


def _codelist(ident: str, vi: str, en: str, agency: m.Agency,
              codes: Iterable[tuple[str, str, str]]) -> m.Codelist:
    codelist = _maintained(m.Codelist, ident, vi, en, agency)
    assert isinstance(codelist, m.Codelist)
    for code, code_vi, code_en in codes:
        codelist.append(m.Code(id=code, name=names(code_vi, code_en)))
    return codelist


def area_ids(units: Iterable[tuple[int, str, date]]) -> dict[int, str]:
    """The CL_AREA code of each unit version (pk, NRS code, valid_from): its NRS code, unless
    a newer version has the same code (the statistics office reused codes in 2025); then
    ``code@valid_from``, the registry's natural key: the old Ninh Bình is ``37@1900-01-01``,
    the new one ``37``."""
    units = list(units)
    newest: dict[str, date] = {}
    for _pk, code, valid_from in units:
        newest[code] = max(valid_from, newest.get(code, valid_from))
    return {pk: code if valid_from == newest[code] else f"{code}@{valid_from.isoformat()}"
            for pk, code, valid_from in units}


def _validity(valid_from: date, valid_to: date | None) -> list[m.Annotation]:
    """VALID_FROM (unless the unit predates NRS's records: ORIGIN) and VALID_TO (if ended)."""
    found = []
    for kind, day in ((VALID_FROM, None if valid_from == ORIGIN else valid_from), (VALID_TO, valid_to)):
        if day is not None:
            found.append(m.Annotation(id=kind, type=kind, title=day.isoformat()))
    return found


def _area_codelist(agency: m.Agency, validity: bool) -> tuple[m.Codelist, dict[int, str]]:
    """CL_AREA: every version of the org units, ended ones too, each under its parent
    (communes under their district or province, agencies under the Government), with
    its ``validity`` as annotations; and the code of each unit (pk -> code)."""
    codelist = _codelist("CL_AREA", "Đơn vị hành chính và cơ quan", "Org units (areas and agencies)",
                         agency, [])
    units = list(OrgUnit.objects.filter(level__in=AREA_LEVELS).order_by("path").values_list(
        "pk", "code", "valid_from", "valid_to", "name_vi", "name_en", "parent_id"))
    codes = area_ids((pk, code, valid_from) for pk, code, valid_from, *_rest in units)
    by_pk: dict[int, m.Code] = {}
    for pk, _code, valid_from, valid_to, name_vi, name_en, parent_id in units:
        item = m.Code(id=codes[pk], name=names(name_vi, name_en),
                      annotations=_validity(valid_from, valid_to) if validity else [])
        parent = by_pk.get(parent_id)
        if parent is not None:
            item.parent = parent
            parent.child.append(item)
        codelist.append(item)
        by_pk[pk] = item
    return codelist, codes


def _concept_scheme(agency: m.Agency, breakdowns: list[Codelist]) -> m.ConceptScheme:
    scheme = _maintained(m.ConceptScheme, "CS_NRS", "Khái niệm của NRS", "NRS concepts", agency)
    assert isinstance(scheme, m.ConceptScheme)
    for ident, (vi, en) in CONCEPTS.items():
        scheme.append(m.Concept(id=ident, name=names(vi, en)))
    for codelist in breakdowns:
        scheme.append(m.Concept(id=codelist.code, name=names(codelist.name_vi, codelist.name_en)))
    return scheme


def _enumerated(codelist: m.Codelist) -> common.Representation:
    return common.Representation(enumerated=codelist)


def _dsd(agency: m.Agency, scheme: m.ConceptScheme, codelists: dict[str, m.Codelist],
         breakdowns: list[str]) -> m.DataStructureDefinition:
    dsd = _maintained(m.DataStructureDefinition, DSD_ID, "Cấu trúc số liệu NRS",
                      "NRS data structure", agency)
    assert isinstance(dsd, m.DataStructureDefinition)
    # sdmx1 leaves the component lists' ids empty, which the 2.1 schema refuses.
    dsd.dimensions.id, dsd.attributes.id, dsd.measures.id = (
        "DimensionDescriptor", "AttributeDescriptor", "MeasureDescriptor")
    lists = {"FREQ": "CL_FREQ", "INDICATOR": "CL_INDICATOR", "REF_AREA": "CL_AREA",
             **{code: f"CL_{code}" for code in breakdowns}}
    for order, (ident, cl_id) in enumerate(lists.items()):
        dsd.dimensions.append(m.Dimension(id=ident, order=order, concept_identity=scheme[ident],
                                          local_representation=_enumerated(codelists[cl_id])))
    dsd.dimensions.append(m.TimeDimension(
        id=TIME, order=len(lists), concept_identity=scheme[TIME],
        local_representation=common.Representation(non_enumerated=[
            common.Facet(value_type=common.FacetValueType.observationalTimePeriod)])))
    observation = m.PrimaryMeasureRelationship()
    for ident, codelist in (("UNIT_MEASURE", "CL_UNIT_MEASURE"), ("DECIMALS", None),
                            ("OBS_STATUS", "CL_OBS_STATUS")):
        attribute = m.DataAttribute(id=ident, concept_identity=scheme[ident], related_to=observation,
                                    usage_status=m.UsageStatus.conditional)
        if codelist:
            attribute.local_representation = _enumerated(codelists[codelist])
        dsd.attributes.append(attribute)
    dsd.measures.append(m.PrimaryMeasure(id="OBS_VALUE", concept_identity=scheme["OBS_VALUE"]))
    return dsd


def build(*, validity: bool = True) -> Structures:
    """All structures, from the registry as it is now. Without ``validity``, CL_AREA's codes
    lack their VALID_FROM/VALID_TO annotations: data messages do not need them, and 14,000
    annotations take as long to build as the codes."""
    agency = m.Agency(id=AGENCY_ID, name=names("Văn phòng Chính phủ", "Government Office"))
    breakdown_lists = list(Codelist.objects.order_by("code").prefetch_related("codes"))
    area_list, area_codes = _area_codelist(agency, validity)
    codelists = {
        "CL_FREQ": _codelist("CL_FREQ", "Tần suất", "Frequency", agency,
                             [(c, vi, en) for c, (vi, en) in FREQ_NAMES.items()]),
        "CL_AREA": area_list,
        "CL_INDICATOR": _codelist("CL_INDICATOR", "Chỉ tiêu kinh tế - xã hội", "Socio-economic indicators",
                                  agency, Indicator.objects.order_by("code")
                                  .values_list("code", "name_vi", "name_en")),
        "CL_UNIT_MEASURE": _codelist("CL_UNIT_MEASURE", "Đơn vị tính", "Units of measure", agency,
                                     MeasureUnit.objects.order_by("code")
                                     .values_list("code", "name_vi", "name_en")),
        "CL_OBS_STATUS": _codelist("CL_OBS_STATUS", "Tình trạng số liệu", "Observation status", agency,
                                   [(c, vi, en) for c, (vi, en) in OBS_STATUS_NAMES.items()]),
    }
    for breakdown in breakdown_lists:
        codes = [(TOTAL, "Tổng số", "Total")] + [(c.code, c.name_vi, c.name_en) for c in breakdown.codes.all()]
        codelists[f"CL_{breakdown.code}"] = _codelist(f"CL_{breakdown.code}", breakdown.name_vi,
                                                      breakdown.name_en, agency, codes)
    scheme = _concept_scheme(agency, breakdown_lists)
    breakdowns = [b.code for b in breakdown_lists]
    dsd = _dsd(agency, scheme, codelists, breakdowns)
    dataflows, flow_areas = {}, {}
    for area in Area:
        ident = flow_id(area.value)
        flow = _maintained(m.DataflowDefinition, ident, area_label(area.value, "vi"),
                           area_label(area.value, "en"), agency, structure=dsd)
        assert isinstance(flow, m.DataflowDefinition)
        dataflows[ident], flow_areas[ident] = flow, area.value
    return Structures(agency, codelists, scheme, dsd, dataflows, flow_areas, breakdowns, area_codes)
