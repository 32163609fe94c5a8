"""SDMX: a data message as SDMX-ML 2.1 (generic or structure-specific) or SDMX-CSV 2.0,
read with sdmx1.

Both readers need the data structure. The mapping declares it: ``dimensions`` are the
series key's dimension ids in order; the time dimension, the measure and the attributes are
the columns ``fields`` names for period, value and comment/flag/breakdown. Example::

    {"dimensions": ["INDICATOR", "REF_AREA"],
     "fields": {"indicator": "INDICATOR", "orgUnit": "REF_AREA", "period": "TIME_PERIOD",
                "value": "OBS_VALUE", "comment": "COMMENT"},
     "codes": {"indicator": {"RS": "RETAIL_SALES"}, "orgUnit": {"VN-HN": "01"}}}

SDMX-ML is checked with defusedxml (no DTD, no entities) before sdmx1 (lxml) reads it.
"""

from __future__ import annotations

import io
from collections.abc import Iterator, Mapping
from typing import Any

import sdmx
from defusedxml import DefusedXmlException
from defusedxml import ElementTree as SafeET
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop
from sdmx.model import v21

from nrs.exchange.connectors.kinds import Kind, Record, check_mapping, records, register
from nrs.i18n import bilingual
from nrs.lib.errors import InputError

ATTRIBUTES = ("comment", "flag", "breakdown")


def _dims(mapping: Mapping[str, Any]) -> list[str]:
    dims = mapping.get("dimensions")
    if not isinstance(dims, list) or not dims or not all(isinstance(d, str) and d for d in dims):
        raise InputError("mapping.dimensions",
                         *bilingual(gettext_noop("needs the list of series key dimensions (e.g. "
                                                 "[\"INDICATOR\", \"REF_AREA\"])")))
    return [str(d) for d in dims]


def structure(mapping: Mapping[str, Any]) -> v21.DataStructureDefinition:
    """The data structure the mapping describes (sdmx1 needs one to read the data)."""
    fields = mapping["fields"]
    dsd = v21.DataStructureDefinition(id="NRS_CONNECTOR")
    dims = _dims(mapping)
    for order, dim in enumerate(dims):
        dsd.dimensions.getdefault(dim, order=order)
    dsd.dimensions.getdefault(fields.get("period", "TIME_PERIOD"), cls=v21.TimeDimension, order=len(dims))
    dsd.measures.getdefault(fields["value"])
    for name in ATTRIBUTES:
        if name in fields and fields[name] not in dims:
            dsd.attributes.getdefault(fields[name])
    return dsd


def _check_xml(body: bytes) -> None:
    try:
        SafeET.fromstring(body, forbid_dtd=True)
    except DefusedXmlException:
        raise InputError("body", *bilingual(gettext_noop("XML with a DTD or entities is refused"))) from None
    except SafeET.ParseError as exc:
        line, col = getattr(exc, "position", (0, 0))
        raise InputError(f"body: line {line}, column {col}", *bilingual(gettext_noop("malformed XML"))) from None


def _observations(message: Any) -> Iterator[dict[str, Any]]:
    for dataset in message.data:
        for obs in dataset.obs:
            item = {key: kv.value for key, kv in obs.key.values.items()}
            item.update({key: av.value for key, av in obs.attached_attribute.items()})
            item["__value__"] = obs.value
            yield item


class Sdmx(Kind):
    code = "sdmx"
    label = _("SDMX (SDMX-ML 2.1 or SDMX-CSV 2.0 data)")
    accept = ("application/vnd.sdmx.structurespecificdata+xml;version=2.1, "
              "application/vnd.sdmx.genericdata+xml;version=2.1, application/vnd.sdmx.data+csv;version=2.0.0")

    def check_mapping(self, mapping: Mapping[str, Any]) -> None:
        check_mapping(mapping)
        _dims(mapping)

    def parse(self, body: bytes, mapping: Mapping[str, Any]) -> list[Record]:
        self.check_mapping(mapping)
        dsd = structure(mapping)
        is_xml = body.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<")
        if is_xml:
            _check_xml(body)
        try:
            message = sdmx.read_sdmx(io.BytesIO(body), format="XML" if is_xml else "csv", structure=dsd)
            items = list(_observations(message))
        except Exception:  # sdmx1 raises many types for bad content; each is the input's fault
            kind = "SDMX-ML" if is_xml else "SDMX-CSV"  # (its messages quote the content: not shown)
            raise InputError("body", *bilingual(gettext_noop("cannot read the %(kind)s data"),
                                                kind=kind)) from None
        value = mapping["fields"]["value"]
        for item in items:  # the measure's value is the observation's, whatever its column is called
            item[value] = item.pop("__value__")
        return records(((f"observation {n}", item) for n, item in enumerate(items, start=1)), mapping)


KIND = register(Sdmx())
