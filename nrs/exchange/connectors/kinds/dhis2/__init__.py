"""DHIS2: a dataValueSets payload (JSON or CSV) from a DHIS2 server's Web API, e.g.
``https://dhis2.example/api/dataValueSets.json?dataSet=…&period=202610&orgUnit=…``.

The payload is handed, as it came, to the DHIS2 importer (nrs.exchange.dhis2.importer),
which translates DHIS2 ids through the admin-edited mapping tables of a partner system and
writes through the same actions. The mapping only names that partner system and, for DHIS2
CSV (which does not carry it), the data set::

    {"system": "DHIS2_BYT", "dataSet": "pBOMPrpg1QX"}
"""

from __future__ import annotations

from collections.abc import Mapping
from importlib import import_module
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from nrs.exchange.connectors.kinds import Kind, Record, register
from nrs.i18n import bilingual
from nrs.lib.errors import InputError

if TYPE_CHECKING:  # pragma: no cover
    from nrs.exchange.connectors.models import Connector
    from nrs.exchange.connectors.writer import Outcome


def _importer() -> Any:
    """The DHIS2 importer, looked up when a run needs it (it lives in a sibling part of the layer)."""
    return import_module("nrs.exchange.dhis2.importer")


class Dhis2(Kind):
    code = "dhis2"
    label = _("DHIS2 (dataValueSets, JSON or CSV)")
    accept = "application/json, application/csv;q=0.9, text/csv;q=0.8"

    def check_mapping(self, mapping: Mapping[str, Any]) -> None:
        if not isinstance(mapping, Mapping):
            raise InputError("mapping", *bilingual(gettext_noop("must be a JSON object")))
        for key, value in mapping.items():
            if key not in ("system", "dataSet") or not isinstance(value, str):
                raise InputError(f"mapping.{key}", *bilingual(gettext_noop("only 'system' and 'dataSet' (strings): "
                                                                           "DHIS2 ids are translated by the DHIS2 "
                                                                           "mapping tables")))

    def parse(self, body: bytes, mapping: Mapping[str, Any]) -> list[Record]:
        raise InputError("kind", *bilingual(gettext_noop("DHIS2 payloads go through the DHIS2 "
                                                         "importer")))

    def store(self, connector: Connector, body: bytes, key: str) -> Outcome:
        from nrs.exchange.connectors.writer import Outcome, position_only

        try:
            importer = _importer()
        except ImportError:
            return Outcome.refused("kind", *bilingual(gettext_noop("the DHIS2 importer is not installed")))
        media_type = "text/csv" if body.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] not in (b"{", b"[") else "application/json"
        mapping = connector.mapping or {}
        summary = importer.import_payload(body, media_type, actor=connector.run_as,
                                          system=str(mapping.get("system", "")),
                                          data_set=str(mapping.get("dataSet", "")), idempotency_key=key)
        stored = summary.imported + summary.updated
        read = stored + summary.ignored
        if not summary.ok:
            first = (summary.conflicts or [{}])[0]
            vi, en = position_only(str(first.get("code", "")), str(first.get("message_vi", "bị từ chối")),
                                   str(first.get("message_en", "refused")))
            return Outcome.refused(str(first.get("object", "body")), vi, en, read=read)
        return Outcome(ok=True, read=read, stored=0 if summary.replayed else stored, replayed=summary.replayed)


KIND = register(Dhis2())
