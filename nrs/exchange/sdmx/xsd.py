"""The DSD-specific XML schema of structure-specific data (SDMX 2.1, section 3 of the
SDMX-ML guidelines): the types a data message's ``xsi:type="ns1:DataSetType"`` names,
derived by restriction from the official base types, with each dimension and attribute an
XML attribute whose values are its codelist's codes.

The official schemas leave the data set, series and observation types abstract; together
with this one they validate a whole data message (tests/test_sdmx.py does), and a partner
can fetch it at /sdmx/schema/… as the SDMX REST ``schema`` resource.
"""

from __future__ import annotations

from typing import Any

from lxml import etree

from nrs.exchange.sdmx.structures import TIME, Structures

XS = "http://www.w3.org/2001/XMLSchema"
NS_BASE = "http://www.sdmx.org/resources/sdmxml/schemas/v2_1/data/structurespecific"
NS_COMMON = "http://www.sdmx.org/resources/sdmxml/schemas/v2_1/common"
ALL_DIMENSIONS = "AllDimensions"


def _el(parent: Any, tag: str, **attrib: str) -> Any:
    return etree.SubElement(parent, f"{{{XS}}}{tag}", **attrib)


def _restricted(schema: Any, name: str) -> Any:
    """A complexType ``name`` restricting the base type of the same name; returns the
    restriction element to fill."""
    kind = _el(schema, "complexType", name=name)
    return _el(_el(kind, "complexContent"), "restriction", base=f"dsd:{name}")


def _codes_type(schema: Any, name: str, codes: list[str]) -> str:
    simple = _el(schema, "simpleType", name=name)
    restriction = _el(simple, "restriction", base="common:IDType")
    for code in codes:
        _el(restriction, "enumeration", value=code)
    return name


def _attribute(parent: Any, name: str, kind: str, required: bool) -> None:
    _el(parent, "attribute", name=name, type=kind, use="required" if required else "optional")


def build(structures: Structures, namespace: str, dim_at_obs: str, base_location: str = "") -> bytes:
    """The schema for data sets of the DSD with ``dim_at_obs`` at the observation level
    (TIME_PERIOD: series of observations; AllDimensions: flat observations).
    ``base_location`` is where SDMXDataStructureSpecific.xsd and SDMXCommon.xsd are."""
    schema = etree.Element(f"{{{XS}}}schema", nsmap={"xs": XS, "dsd": NS_BASE, "common": NS_COMMON,
                                                      "ns1": namespace},
                           targetNamespace=namespace, elementFormDefault="qualified",
                           attributeFormDefault="unqualified")
    prefix = base_location.rstrip("/") + "/" if base_location else ""
    _el(schema, "import", namespace=NS_COMMON, schemaLocation=f"{prefix}SDMXCommon.xsd")
    _el(schema, "import", namespace=NS_BASE, schemaLocation=f"{prefix}SDMXDataStructureSpecific.xsd")
    types = {d: _codes_type(schema, f"{d}Type", list(structures.codelist_of(d).items))
             for d in structures.dimension_ids}
    for attribute in structures.dsd.attributes:
        representation = attribute.local_representation
        if representation is not None and representation.enumerated is not None:
            types[attribute.id] = _codes_type(schema, f"{attribute.id}Type",
                                              list(representation.enumerated.items))
    flat = dim_at_obs == ALL_DIMENSIONS

    dataset = _restricted(schema, "DataSetType")
    sequence = _el(dataset, "sequence")
    _el(sequence, "element", ref="common:Annotations", minOccurs="0")
    _el(sequence, "element", name="DataProvider", type="common:DataProviderReferenceType",
        form="unqualified", minOccurs="0")
    choice = _el(sequence, "choice", minOccurs="0")
    _el(choice, "element", name="Obs" if flat else "Series", type="ns1:ObsType" if flat else "ns1:SeriesType",
        form="unqualified", maxOccurs="unbounded")

    if not flat:
        series = _restricted(schema, "SeriesType")
        inner = _el(series, "sequence")
        _el(inner, "element", ref="common:Annotations", minOccurs="0")
        _el(inner, "element", name="Obs", type="ns1:ObsType", form="unqualified", minOccurs="0",
            maxOccurs="unbounded")
        for dim in structures.dimension_ids:
            _attribute(series, dim, f"ns1:{types[dim]}", True)
        _el(series, "attribute", name=TIME, use="prohibited")

    obs = _restricted(schema, "ObsType")
    _el(_el(obs, "sequence"), "element", ref="common:Annotations", minOccurs="0")
    if flat:
        for dim in structures.dimension_ids:
            _attribute(obs, dim, f"ns1:{types[dim]}", True)
    _attribute(obs, TIME, "common:ObservationalTimePeriodType", True)
    for attribute in structures.dsd.attributes:
        kind = f"ns1:{types[attribute.id]}" if attribute.id in types else "xs:string"
        _attribute(obs, attribute.id, kind, False)
    _attribute(obs, "OBS_VALUE", "xs:decimal", False)
    return bytes(etree.tostring(schema, encoding="utf-8", xml_declaration=True))
