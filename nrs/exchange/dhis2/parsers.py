"""Read DHIS2 dataValueSets (JSON, CSV) and ADX XML into ``RemoteValue``s: the other
system's ids, untranslated, each with the place it came from (a JSON path, a CSV line, an
XML element). Anything that is not a well-formed message raises InputError naming that
place, in Vietnamese and English. Pure: no database.

Formats, as DHIS2 documents them:

- JSON: ``{"dataSet", "completeDate", "period", "orgUnit", "attributeOptionCombo",
  "dataValues": [{"dataElement", "categoryOptionCombo", "period", "orgUnit",
  "attributeOptionCombo", "value", "comment", …}]}``; a value's own period, orgUnit and
  attributeOptionCombo override the header's. NRS names (regime, indicator, breakdown)
  are accepted too, as /api/dataValueSets accepts DHIS2's.
- CSV: ``dataelement, period, orgunit, categoryoptioncombo, attributeoptioncombo, value,
  storedby, lastupdated, comment, followup`` by position (DHIS2 reads it so), with or
  without that header row; a header row in another order is read by name.
- ADX (``urn:ihe:qrph:adx:2015``): ``<adx><group orgUnit period dataSet [completeDate]>
  <dataValue dataElement value [DISAGGREGATION=CODE…]><annotation/></dataValue>``; the
  extra attributes of a dataValue are its disaggregation (sorted into ``name=code;…``),
  extra attributes of a group are attribute categories.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring
from django.utils.translation import gettext_noop as _

from nrs.collection.payloads import MAX_ROWS, csv_records, load_json, ragged
from nrs.i18n import bilingual
from nrs.lib import safejson
from nrs.lib.errors import InputError

JSON, CSV, ADX, DXF2 = "application/json", "text/csv", "application/adx+xml", "application/xml"
ADX_NS = "urn:ihe:qrph:adx:2015"
DXF2_NS = "http://dhis2.org/schema/dxf/2.0"
# Import options a message may carry itself (a JSON member, a DXF2 attribute); they win over
# the query's (DHIS2: "Id schemes defined in the XML or JSON payload take precedence").
MESSAGE_OPTIONS = ("idScheme", "dataElementIdScheme", "orgUnitIdScheme", "categoryOptionComboIdScheme",
                   "attributeOptionComboIdScheme", "dataSetIdScheme", "categoryIdScheme",
                   "categoryOptionIdScheme", "dryRun", "importStrategy")
MAX_ID = 200
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")  # and lone surrogates


@dataclass
class RemoteValue:
    """One value as the other system named it."""

    ref: str
    data_element: str
    value: object
    period: str = ""
    org_unit: str = ""
    combo: str = ""
    attribute_combo: str = ""
    data_set: str = ""
    comment: str = ""
    deleted: bool = False  # DHIS2's "deleted": true: a delete of this value, not a value
    refs: dict[str, str] = field(default_factory=dict)  # field -> finer place

    def where(self, name: str) -> str:
        return self.refs.get(name, self.ref)


# -- shared checks --------------------------------------------------------------------

def _text(raw: object, ref: str, *, limit: int = MAX_ID) -> str:
    """An id or a comment: a string (or a number, as DHIS2 exports codes), printable."""
    if raw is None:
        return ""
    if isinstance(raw, bool) or not isinstance(raw, str | int):
        raise InputError(ref, *bilingual(_("must be a string")))
    text = str(raw).strip()
    if len(text) > limit:
        raise InputError(ref, *bilingual(_("longer than %(limit)s characters"),
                                         limit=limit))
    if _CONTROL.search(text):
        raise InputError(ref, *bilingual(_("contains control or invalid characters")))
    return text


def _value(raw: object, ref: str) -> object:
    """Values stay as sent (validation reads numbers); text is checked like other text."""
    if isinstance(raw, str):
        return _text(raw, ref, limit=MAX_ID)
    return raw


def _too_many(ref: str) -> InputError:
    return InputError(ref, *bilingual(_("at most %(max_rows)s values per message"),
                                      max_rows=MAX_ROWS))


def parse(body: bytes, media_type: str) -> list[RemoteValue]:
    """The message's values, by media type (application/json, text/csv, application/adx+xml,
    application/xml for DXF2)."""
    return parse_message(body, media_type)[0]


def parse_message(body: bytes, media_type: str) -> tuple[list[RemoteValue], dict[str, str]]:
    """The message's values and the import options it carries itself (MESSAGE_OPTIONS)."""
    if media_type == JSON:
        return _parse_json(body)
    if media_type == DXF2:
        return parse_dxf2(body)
    readers = {CSV: parse_csv, ADX: parse_adx}
    if media_type not in readers:
        raise InputError("Content-Type", *bilingual(_("unsupported content type '%(media_type)s'"),
                                                    media_type=media_type))
    return readers[media_type](body), {}


def _flag(raw: object, ref: str) -> bool:
    """A DHIS2 boolean (true/false, as JSON or as text)."""
    if raw is None or raw == "":
        return False
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, str) and raw.strip().lower() in ("true", "false"):
        return raw.strip().lower() == "true"
    raise InputError(ref, *bilingual(_("must be true or false")))


# -- JSON -----------------------------------------------------------------------------

_JSON_FIELDS = {  # our field: the names DHIS2 (first) and NRS use for it
    "data_set": ("dataSet", "regime"), "period": ("period",), "org_unit": ("orgUnit",),
    "attribute_combo": ("attributeOptionCombo",),
}
_JSON_VALUE_FIELDS = {
    "data_element": ("dataElement", "indicator"), "combo": ("categoryOptionCombo", "breakdown"),
    "period": ("period",), "org_unit": ("orgUnit",),
    "attribute_combo": ("attributeOptionCombo",), "comment": ("comment",),
}


def _pick(item: dict[str, Any], names: tuple[str, ...], ref: str) -> tuple[str, str]:
    """(text, the JSON path it came from) of the first name present."""
    for name in names:
        if item.get(name) is not None:
            where = f"{ref}.{name}" if ref else name
            limit = 2000 if name == "comment" else MAX_ID
            return _text(item[name], where, limit=limit), where
    return "", f"{ref}.{names[0]}" if ref else names[0]


def parse_json(body: bytes) -> list[RemoteValue]:
    return _parse_json(body)[0]


def _parse_json(body: bytes) -> tuple[list[RemoteValue], dict[str, str]]:
    try:
        data = load_json(body.decode("utf-8"))  # numbers exact; NaN and Infinity refused
    except safejson.TooDeep as exc:
        raise InputError(exc.ref, exc.vi, exc.en) from None
    except InputError:  # NaN or Infinity: already says where and why
        raise
    except ValueError as exc:  # malformed JSON, bad UTF-8, a number of over 4,300 digits
        raise InputError("body", *bilingual(_("malformed JSON: %(error)s"), error=exc)) from None
    if not isinstance(data, dict):
        raise InputError("body", *bilingual(_("the body must be a JSON object")))
    header = {key: _pick(data, names, "") for key, names in _JSON_FIELDS.items()}
    items = data.get("dataValues")
    if not isinstance(items, list):
        raise InputError("dataValues", *bilingual(_("'dataValues' must be an array")))
    if len(items) > MAX_ROWS:
        raise _too_many("dataValues")
    options = {name: _text(data[name], name) for name in MESSAGE_OPTIONS if data.get(name) is not None}
    return [_json_value(item, n, header) for n, item in enumerate(items)], options


def _json_value(item: object, n: int, header: dict[str, tuple[str, str]]) -> RemoteValue:
    ref = f"dataValues[{n}]"
    if not isinstance(item, dict):
        raise InputError(ref, *bilingual(_("each value must be an object")))
    found = {key: _pick(item, names, ref) for key, names in _JSON_VALUE_FIELDS.items()}
    for key, (text, where) in header.items():  # a value's own period/orgUnit/… win
        if not found.get(key, ("", ""))[0]:
            found[key] = (text, where)
    if not found["data_element"][0]:
        raise InputError(f"{ref}.dataElement", *bilingual(_("missing 'dataElement'")))
    texts: dict[str, Any] = {key: text for key, (text, _w) in found.items()}
    value = RemoteValue(ref=ref, value=_value(item.get("value"), f"{ref}.value"),
                        deleted=_flag(item.get("deleted"), f"{ref}.deleted"), **texts)
    value.refs = {key: where for key, (_t, where) in found.items()} | {"value": f"{ref}.value"}
    return value


# -- CSV ------------------------------------------------------------------------------

CSV_COLUMNS = ("dataelement", "period", "orgunit", "categoryoptioncombo", "attributeoptioncombo",
               "value", "storedby", "lastupdated", "comment", "followup")
_CSV_FIELDS = {"dataelement": "data_element", "period": "period", "orgunit": "org_unit",
               "categoryoptioncombo": "combo", "attributeoptioncombo": "attribute_combo",
               "value": "value", "comment": "comment", "dataset": "data_set", "deleted": "deleted"}


def parse_csv(body: bytes) -> list[RemoteValue]:
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError("body", *bilingual(_("CSV must be UTF-8"))) from None
    if "\x00" in text:
        raise InputError("body", *bilingual(_("CSV contains a NUL character")))
    try:
        lines = [(n, cells) for n, cells in csv_records(text) if any(cell.strip() for cell in cells)]
    except InputError as exc:
        raise InputError(exc.ref, exc.vi, exc.en) from None
    if len(lines) > MAX_ROWS + 1:
        raise _too_many(f"line {MAX_ROWS + 2}")
    columns: tuple[str, ...] | list[str] = CSV_COLUMNS
    if lines and lines[0][1][0].strip().lower() in ("dataelement", "data_element"):
        columns = [name.strip().lower().replace("_", "") for name in lines[0][1]]
        if "dataelement" not in columns or "value" not in columns:
            raise InputError("line 1", *bilingual(_("CSV needs the columns 'dataelement' and 'value'")))
        width = len(columns)
        lines = lines[1:]
    else:  # by position: every row as wide as the first, and no wider than DHIS2's columns
        width = len(lines[0][1]) if lines else 0
        if width > len(CSV_COLUMNS):
            raise ragged(f"line {lines[0][0]}", width, len(CSV_COLUMNS),
                         bilingual(_("DHIS2's CSV format")))
    for line, cells in lines:
        if len(cells) != width:
            raise ragged(f"line {line}", len(cells), width, bilingual(_("the header")) if
                         columns is not CSV_COLUMNS else bilingual(_("the first row")))
    return [_csv_value(cells, line, columns) for line, cells in lines]


def _csv_value(cells: list[str], line: int, columns: Sequence[str]) -> RemoteValue:
    ref = f"line {line}"
    found: dict[str, Any] = {}
    for name, cell in zip(columns, cells, strict=False):
        key = _CSV_FIELDS.get(name)
        if key == "deleted":
            found[key] = _flag(cell, f"{ref}, {name}")
        elif key is not None:
            limit = 2000 if key == "comment" else MAX_ID
            found[key] = _text(cell, f"{ref}, {name}", limit=limit)
    if not found.get("data_element"):
        raise InputError(f"{ref}, dataelement", *bilingual(_("missing the data element (dataelement)")))
    value = RemoteValue(ref=ref, **{"value": "", **found})
    value.refs = {key: f"{ref}, {name}" for name, key in _CSV_FIELDS.items()}
    return value


# -- ADX ------------------------------------------------------------------------------

_GROUP_FIELDS = {"orgUnit": "org_unit", "period": "period", "dataSet": "data_set"}
_GROUP_IGNORED = {"completeDate"}
_VALUE_RESERVED = {"dataElement", "value"}


def _xml(body: bytes, where: str = "adx") -> Element:
    """The root element, read by defusedxml with DTDs forbidden: XXE, entity expansion
    (billion laughs) and external references never reach a parser that would follow them."""
    try:
        return fromstring(body, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException:
        raise InputError(where, *bilingual(_("the XML carries a DTD, entities or external references: "
                                             "refused"))) from None
    except ParseError as exc:
        line, column = getattr(exc, "position", (0, 0))
        raise InputError(f"{where}: line {line}, column {column}", *bilingual(_("malformed XML"))) from None


def _local(tag: str) -> tuple[str, str]:
    namespace, _sep, name = tag[1:].partition("}") if tag.startswith("{") else ("", "", tag)
    return namespace, name


def parse_adx(body: bytes) -> list[RemoteValue]:
    root = _xml(body)
    if _local(root.tag) != (ADX_NS, "adx"):
        raise InputError("adx", *bilingual(_("the root element must be <adx xmlns=\"%(adx_ns)s\">"),
                                           adx_ns=ADX_NS))
    found: list[RemoteValue] = []
    for g, group in enumerate(_children(root, "group", "adx"), start=1):
        where = f"group[{g}]"
        header = _group_header(group, where)
        for v, element in enumerate(_children(group, "dataValue", where), start=1):
            found.append(_adx_value(element, f"{where}/dataValue[{v}]", header, where))
            if len(found) > MAX_ROWS:
                raise _too_many(f"{where}/dataValue[{v}]")
    return found


def _children(parent: Element, name: str, where: str) -> list[Element]:
    children = list(parent)
    for n, child in enumerate(children, start=1):
        if _local(str(child.tag)) != (ADX_NS, name):
            raise InputError(f"{where}/*[{n}]", *bilingual(_("only <%(name)s> elements are allowed here"),
                                                           name=name))
    return children


def _group_header(group: Element, where: str) -> dict[str, Any]:
    header: dict[str, Any] = {}
    for name, raw in group.attrib.items():
        if name in _GROUP_FIELDS:
            header[_GROUP_FIELDS[name]] = _text(raw, f"{where}/@{name}")
        elif name not in _GROUP_IGNORED and not name.startswith("{"):
            raise InputError(f"{where}/@{name}",
                             *bilingual(_("NRS has no attribute dimension '%(name)s'"),
                                        name=name))
    for required in ("orgUnit", "period"):
        if not header.get(_GROUP_FIELDS[required]):
            raise InputError(f"{where}/@{required}", *bilingual(_("missing attribute '%(required)s'"),
                                                                required=required))
    return header


def _adx_value(element: Element, ref: str, header: dict[str, Any], group: str) -> RemoteValue:
    attrs = {name: raw for name, raw in element.attrib.items() if not name.startswith("{")}
    code = _text(attrs.get("dataElement"), f"{ref}/@dataElement")
    if not code:
        raise InputError(f"{ref}/@dataElement", *bilingual(_("missing attribute 'dataElement'")))
    if "value" not in attrs:
        raise InputError(f"{ref}/@value", *bilingual(_("missing attribute 'value'")))
    combo = ";".join(f"{name}={_text(attrs[name], f'{ref}/@{name}')}"
                     for name in sorted(attrs) if name not in _VALUE_RESERVED)
    comment = ""
    for n, child in enumerate(element, start=1):
        if _local(str(child.tag)) != (ADX_NS, "annotation"):
            raise InputError(f"{ref}/*[{n}]", *bilingual(_("only an <annotation> element is allowed here")))
        comment = _text(child.text or "", f"{ref}/annotation", limit=2000)
    value = RemoteValue(ref=ref, data_element=code, value=_text(attrs["value"], f"{ref}/@value"),
                        combo=combo, comment=comment, **header)
    value.refs = {"data_element": f"{ref}/@dataElement", "value": f"{ref}/@value",
                  "combo": ref, "comment": f"{ref}/annotation",
                  **{key: f"{group}/@{name}" for name, key in _GROUP_FIELDS.items()}}
    return value


# -- DXF2 XML (DHIS2's own dataValueSet) ------------------------------------------------

_DXF2_SET = {"dataSet": "data_set", "period": "period", "orgUnit": "org_unit",
             "attributeOptionCombo": "attribute_combo"}
_DXF2_VALUE = {"dataElement": "data_element", "categoryOptionCombo": "combo", "period": "period",
               "orgUnit": "org_unit", "attributeOptionCombo": "attribute_combo", "comment": "comment"}
# Attributes DHIS2 writes that say nothing NRS stores (who, when, follow-up), or that it
# checks elsewhere (completeDate: NRS's workflow decides when a report is complete).
_DXF2_IGNORED = {"completeDate", "storedBy", "created", "lastUpdated", "followup", "followUp"}


def parse_dxf2(body: bytes) -> tuple[list[RemoteValue], dict[str, str]]:
    """``<dataValueSet xmlns="http://dhis2.org/schema/dxf/2.0" dataSet period orgUnit …>
    <dataValue dataElement categoryOptionCombo value comment deleted …/></dataValueSet>``,
    read by defusedxml with DTDs and entities forbidden, as ADX is. An attribute NRS does not
    know is refused by name, never dropped."""
    root = _xml(body, "dataValueSet")
    if _local(root.tag) != (DXF2_NS, "dataValueSet"):
        raise InputError("dataValueSet", *bilingual(
            _("the root element must be <dataValueSet xmlns=\"%(ns)s\">"), ns=DXF2_NS))
    header: dict[str, str] = {}
    options: dict[str, str] = {}
    for name, raw in root.attrib.items():
        if name in _DXF2_SET:
            header[_DXF2_SET[name]] = _text(raw, f"dataValueSet/@{name}")
        elif name in MESSAGE_OPTIONS:
            options[name] = _text(raw, f"dataValueSet/@{name}")
        elif name not in _DXF2_IGNORED and not name.startswith("{"):
            raise InputError(f"dataValueSet/@{name}",
                             *bilingual(_("unknown attribute '%(name)s'"), name=name))
    found: list[RemoteValue] = []
    for n, element in enumerate(root, start=1):
        ref = f"dataValueSet/dataValue[{n}]"
        if _local(str(element.tag)) != (DXF2_NS, "dataValue"):
            raise InputError(f"dataValueSet/*[{n}]",
                             *bilingual(_("only <%(name)s> elements are allowed here"), name="dataValue"))
        found.append(_dxf2_value(element, ref, header))
        if len(found) > MAX_ROWS:
            raise _too_many(ref)
    return found, options


def _dxf2_value(element: Element, ref: str, header: dict[str, str]) -> RemoteValue:
    texts = dict(header)
    deleted = False
    for name, raw in element.attrib.items():
        where = f"{ref}/@{name}"
        if name in _DXF2_VALUE:
            texts[_DXF2_VALUE[name]] = _text(raw, where, limit=2000 if name == "comment" else MAX_ID)
        elif name == "deleted":
            deleted = _flag(raw, where)
        elif name != "value" and name not in _DXF2_IGNORED and not name.startswith("{"):
            raise InputError(where, *bilingual(_("unknown attribute '%(name)s'"), name=name))
    if not texts.get("data_element"):
        raise InputError(f"{ref}/@dataElement", *bilingual(_("missing attribute 'dataElement'")))
    value = RemoteValue(ref=ref, value=_value(element.attrib.get("value"), f"{ref}/@value"),
                        deleted=deleted, data_element=texts.pop("data_element"))
    for key, text in texts.items():
        setattr(value, key, text)
    value.refs = {key: (f"{ref}/@{name}" if name in element.attrib else
                        f"dataValueSet/@{name}" if key in header else ref)
                  for name, key in _DXF2_VALUE.items()} | {"value": f"{ref}/@value"}
    return value
