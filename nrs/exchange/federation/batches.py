"""The batch format "nrs-federation/1": what a node signs and the national node reads.

A batch is one canonical JSON object (signing.canonical):

    {"format": "nrs-federation/1", "node": "HN", "batch": "<uuid>", "sequence": 7,
     "createdAt": "<ISO>", "submissions": [
        {"source": {"submission": 812, "version": 2}, "regime": "XA_KTXH_M",
         "orgUnit": "00004", "period": "2026-03", "backfill": false,
         "approvedAt": "<ISO>", "values": [{"indicator": "…", "orgUnit": "…",
         "breakdown": "", "value": "12.5", "flag": "", "comment": ""}],
         "document": null | {"filename": "…", "sha256": "…", "data": "<base64>"}}]}

parse() checks the shape only and names the field of anything wrong; what the values
mean is checked by the collection write path on import.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_noop as _

from nrs.collection.validation import Row
from nrs.i18n import bilingual
from nrs.lib import safejson
from nrs.lib.errors import InputError

FORMAT = "nrs-federation/1"
MAX_SUBMISSIONS = 1000
MAX_VALUES = 100_000


@dataclass
class Document:
    filename: str
    data: bytes


@dataclass
class Entry:
    ref: str
    source_submission: int
    source_version: int
    regime: str
    org_unit: str
    period: str
    backfill: bool
    approved_at: datetime
    rows: list[Row] = field(default_factory=list)
    document: Document | None = None


@dataclass
class Batch:
    node: str
    batch_id: str
    sequence: int
    entries: list[Entry]


def _bad(ref: str, vi: str, en: str) -> InputError:
    return InputError(ref, vi, en)


def _get(obj: dict[str, Any], name: str, kind: type | tuple[type, ...], ref: str) -> Any:
    value = obj.get(name)
    if not isinstance(value, kind) or (kind is not bool and isinstance(value, bool)):
        raise _bad(f"{ref}.{name}" if ref else name, *bilingual(_("'%(name)s' is missing or of the wrong "
                                                                  "type"),
                                                                name=name))
    return value


def _text(obj: dict[str, Any], name: str, ref: str, *, blank: bool = False) -> str:
    value = _get(obj, name, str, ref)
    if not blank and not value.strip():
        raise _bad(f"{ref}.{name}" if ref else name, *bilingual(_("'%(name)s' is empty"),
                                                                name=name))
    return str(value)


def _object(value: Any, ref: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _bad(ref, *bilingual(_("must be a JSON object")))
    return value


def parse(body: bytes) -> Batch:
    """The batch in ``body``, or InputError naming the first bad field."""
    try:
        data = _object(safejson.loads(body.decode("utf-8")), "body")
    except safejson.TooDeep as exc:
        raise _bad(exc.ref, exc.vi, exc.en) from None
    except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        raise _bad("body", *bilingual(_("malformed JSON: %(error)s"), error=exc)) from None
    if data.get("format") != FORMAT:
        raise _bad("format", *bilingual(_("the batch format must be '%(format)s'"),
                                        format=FORMAT))
    items = _get(data, "submissions", list, "")
    if len(items) > MAX_SUBMISSIONS:
        raise _bad("submissions", *bilingual(_("at most %(max_submissions)s submissions per batch"),
                                             max_submissions=MAX_SUBMISSIONS))
    sequence = _get(data, "sequence", int, "")
    if sequence < 1:
        raise _bad("sequence", *bilingual(_("the sequence must be positive")))
    batch_id = _text(data, "batch", "")
    if len(batch_id) > 64:
        raise _bad("batch", *bilingual(_("the batch id is at most 64 characters")))
    return Batch(node=_text(data, "node", ""), batch_id=batch_id, sequence=sequence,
                 entries=[_entry(_object(item, f"submissions[{n}]"), f"submissions[{n}]")
                          for n, item in enumerate(items)])


def _entry(item: dict[str, Any], ref: str) -> Entry:
    source = _object(item.get("source"), f"{ref}.source")
    number, version = (_get(source, "submission", int, f"{ref}.source"),
                       _get(source, "version", int, f"{ref}.source"))
    if number < 1 or version < 1 or number > 2**62 or version > 2**31:
        raise _bad(f"{ref}.source", *bilingual(_("invalid source submission")))
    approved_at = parse_datetime(_text(item, "approvedAt", ref))
    if approved_at is None or approved_at.tzinfo is None:
        raise _bad(f"{ref}.approvedAt", *bilingual(_("approvedAt must be an ISO date-time with "
                                                     "an offset")))
    values = _get(item, "values", list, ref)
    if len(values) > MAX_VALUES:
        raise _bad(f"{ref}.values", *bilingual(_("at most %(max_values)s values"),
                                               max_values=MAX_VALUES))
    entry = Entry(ref=ref, source_submission=number, source_version=version,
                  regime=_text(item, "regime", ref), org_unit=_text(item, "orgUnit", ref),
                  period=_text(item, "period", ref), backfill=_get(item, "backfill", bool, ref),
                  approved_at=approved_at)
    entry.rows = [_row(_object(value, f"{ref}.values[{n}]"), f"{ref}.values[{n}]")
                  for n, value in enumerate(values)]
    if item.get("document") is not None:
        entry.document = _document(_object(item["document"], f"{ref}.document"), f"{ref}.document")
    return entry


def _row(value: dict[str, Any], ref: str) -> Row:
    amount = value.get("value")
    if amount is not None and not isinstance(amount, str):
        raise _bad(f"{ref}.value", *bilingual(_("the value must be a numeric string or null")))
    return Row(ref=ref, indicator=_text(value, "indicator", ref), org_unit=_text(value, "orgUnit", ref),
               value=amount, breakdown=_text(value, "breakdown", ref, blank=True),
               flag=_text(value, "flag", ref, blank=True), comment=_text(value, "comment", ref, blank=True))


def _document(doc: dict[str, Any], ref: str) -> Document:
    try:
        data = base64.b64decode(_text(doc, "data", ref), validate=True)
    except binascii.Error:
        raise _bad(f"{ref}.data", *bilingual(_("the document is not base64"))) from None
    if hashlib.sha256(data).hexdigest() != _text(doc, "sha256", ref).lower():
        raise _bad(f"{ref}.sha256", *bilingual(_("the document's SHA-256 does not match")))
    return Document(filename=_text(doc, "filename", ref), data=data)
