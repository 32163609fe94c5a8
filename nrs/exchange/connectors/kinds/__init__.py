"""The registry of connector kinds: one folder per kind, each the same shape.

A kind is a small class (``Kind`` below) with

- ``fetch(connector) -> bytes``: read the upstream (HTTP GET, with the connector's
  credentials; a failure raises FetchError and the run is retried with backoff);
- ``parse(body, mapping) -> list[Record]``: turn the bytes into records (indicator, org unit,
  period, value, comment…) with the mapping's field names and code translations applied;
  bad content raises InputError naming the row and the field;
- ``store(connector, body, key)``: by default parse, then the one write path
  (nrs.exchange.connectors.writer → nrs.collection.actions); a kind whose format has its own
  importer (DHIS2) overrides it.

Adding a kind: docs/exchange.md, "Adding a connector kind".
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from importlib import import_module
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext_noop as _

from nrs.collection.validation import Row
from nrs.exchange.connectors import http, secretbox
from nrs.exchange.connectors.http import FetchError
from nrs.i18n import bilingual
from nrs.lib.errors import InputError

if TYPE_CHECKING:  # pragma: no cover
    from nrs.exchange.connectors.models import Connector
    from nrs.exchange.connectors.writer import Outcome

# The fields a record may carry, as the mapping names them (NRS's API names).
FIELDS = ("indicator", "orgUnit", "period", "value", "comment", "breakdown", "flag")
REQUIRED = ("indicator", "value")
MAPPING_KEYS = frozenset({"records", "fields", "codes", "period", "dimensions"})


@dataclass
class Record:
    """One value read from upstream, its codes already translated to NRS codes."""

    period: str
    row: Row


class Kind:
    """The shape every kind follows; subclasses set code, label, accept and parse()."""

    code = ""
    label: Any = ""
    accept = "*/*"  # the Accept header of the GET

    def fetch(self, connector: Connector) -> bytes:
        headers = {"Accept": self.accept, **auth_header(connector)}
        answer = http.request(connector.url, headers=headers)
        if not 200 <= answer.status < 300:
            raise FetchError("url", *bilingual(_("the upstream answered HTTP %(status)s"),
                                               status=answer.status))
        return answer.body

    def parse(self, body: bytes, mapping: Mapping[str, Any]) -> list[Record]:
        raise NotImplementedError

    def check_mapping(self, mapping: Mapping[str, Any]) -> None:
        """Refuse a mapping this kind cannot use (the admin form shows the message)."""
        check_mapping(mapping)

    def store(self, connector: Connector, body: bytes, key: str) -> Outcome:
        from nrs.exchange.connectors import writer

        try:
            records = self.parse(body, connector.mapping or {})
        except InputError as exc:
            return writer.Outcome.refused(exc.ref, exc.vi, exc.en)
        return writer.write(connector, records, key)


def auth_header(connector: Connector) -> dict[str, str]:
    secret = secretbox.unseal(connector.sealed_secret)
    if connector.auth == "basic":
        return {"Authorization": http.basic(connector.username, secret)}
    if connector.auth == "bearer":
        return {"Authorization": f"Bearer {secret}"}
    return {}


# -- the mapping ------------------------------------------------------------------------------

def _bad(ref: str, vi: str, en: str) -> InputError:
    return InputError(f"mapping.{ref}" if ref else "mapping", vi, en)


def check_mapping(mapping: Mapping[str, Any]) -> None:
    """The common shape: {"fields": {field: source name}, "codes": {field: {theirs: ours}},
    "period": fixed period, "records": where the list is, "dimensions": [SDMX dims]}."""
    if not isinstance(mapping, Mapping):
        raise _bad("", *bilingual(_("must be a JSON object")))
    unknown = sorted(set(mapping) - MAPPING_KEYS)
    if unknown:
        raise _bad(unknown[0], *bilingual(_("unsupported key '%(unknown)s'"),
                                          unknown=unknown[0]))
    fields = mapping.get("fields", {})
    if not isinstance(fields, Mapping) or not all(isinstance(v, str) and v for v in fields.values()):
        raise _bad("fields", *bilingual(_("must map field names to source column names")))
    for name in fields:
        if name not in FIELDS:
            raise _bad(f"fields.{name}", *bilingual(_("unsupported field '%(name)s'"),
                                                    name=name))
    for name in REQUIRED:
        if name not in fields:
            raise _bad(f"fields.{name}", *bilingual(_("the field '%(name)s' is missing"),
                                                    name=name))
    if "period" not in fields and not isinstance(mapping.get("period"), str):
        raise _bad("period", *bilingual(_("needs a 'period' field or a fixed period")))
    codes = mapping.get("codes", {})
    if not isinstance(codes, Mapping):
        raise _bad("codes", *bilingual(_("must be a JSON object")))
    for name, table in codes.items():
        if name not in FIELDS or not isinstance(table, Mapping) or not all(
                isinstance(k, str) and isinstance(v, str) for k, v in table.items()):
            raise _bad(f"codes.{name}", *bilingual(_("must map source codes to NRS codes")))


def dotted(ref: str, source: str) -> str:
    return f"{ref}.{source}"


def column(ref: str, source: str) -> str:
    return f"{ref}, {source}"


def records(items: Iterable[tuple[str, Mapping[str, Any]]], mapping: Mapping[str, Any],
            cell: Callable[[str, str], str] = dotted) -> list[Record]:
    """Source items (ref, {source name: value}) to records, through the mapping; ``cell``
    names one field of one item in errors (JSON: "body/items/3.amount"; CSV: "line 4, amount")."""
    check_mapping(mapping)
    fields: Mapping[str, str] = mapping["fields"]
    codes: Mapping[str, Mapping[str, str]] = mapping.get("codes", {})
    found = []
    for ref, item in items:
        refs = {name: cell(ref, source) for name, source in fields.items()}
        values = {name: _field(item, source, refs[name], name in REQUIRED and name != "value")
                  for name, source in fields.items()}
        for name, table in codes.items():
            if name in values and values[name] not in (None, ""):
                values[name] = _translate(table, values[name], refs[name], name)
        period = values.get("period") or mapping.get("period", "")
        row = Row(ref=ref, indicator=values["indicator"], org_unit=values.get("orgUnit") or "",
                  value=values["value"], breakdown=values.get("breakdown") or "",
                  flag=values.get("flag") or "", comment=values.get("comment") or "",
                  refs=refs)
        found.append(Record(period=str(period), row=row))
    return found


def _field(item: Mapping[str, Any], source: str, ref: str, required: bool) -> Any:
    value = item.get(source)
    if isinstance(value, (dict, list)):
        raise InputError(ref, *bilingual(_("'%(source)s' must be a single value"),
                                         source=source))
    if required and value in (None, ""):
        raise InputError(ref, *bilingual(_("'%(source)s' is missing"), source=source))
    return value.strip() if isinstance(value, str) else value


def _translate(table: Mapping[str, str], value: Any, ref: str, name: str) -> str:
    """The NRS code for the source's; an unknown code is named by its place only (the run
    log never quotes fetched content)."""
    text = str(value)
    if text not in table:
        raise InputError(ref, *bilingual(_("the code of %(name)s is not in the mapping table"),
                                         name=name))
    return table[text]


# -- the registry -------------------------------------------------------------------------------

FOLDERS = ("http_json", "http_csv", "sdmx", "dhis2")
KINDS: dict[str, Kind] = {}


def register(kind: Kind) -> Kind:
    if kind.code in KINDS and KINDS[kind.code] is not kind:
        raise ValueError(f"connector kind {kind.code!r} is already registered")
    KINDS[kind.code] = kind
    return kind


def get(code: str) -> Kind:
    try:
        return load()[code]
    except KeyError:
        raise InputError("kind", *bilingual(_("unknown connector kind '%(code)s'"),
                                            code=code)) from None


def load() -> dict[str, Kind]:
    """Import every kind's folder: each registers its ``KIND`` on import (once; Python caches
    the modules)."""
    for folder in FOLDERS:
        import_module(f"{__name__}.{folder}")
    return KINDS


def choices() -> list[tuple[str, Any]]:
    return [(code, kind.label) for code, kind in load().items()]
