"""Turn request bodies (JSON, CSV) into a header and validation.Rows.

Accepts NRS names and the DHIS2 dataValueSets names (dataSet, dataElement,
orgUnit, period, value, comment). Raises PayloadError, in both languages,
for anything that is not a well-formed payload.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext_noop as _

from nrs.collection.validation import Row
from nrs.i18n import Pair, bilingual
from nrs.lib import safejson
from nrs.lib.errors import InputError

MAX_ROWS = 100_000


class PayloadError(InputError):
    """A request body that is not a well-formed data value set."""


@dataclass
class Header:
    regime: str
    org_unit: str
    period: str
    backfill: bool = False
    rows: list[Row] = field(default_factory=list)


def _text(item: dict[str, Any], names: tuple[str, ...], ref: str, required: bool = True) -> str:
    for name in names:
        value = item.get(name)
        if value is not None:
            if type(value) is str:  # the usual case, first
                return value.strip()
            if not isinstance(value, str | int) or isinstance(value, bool):
                raise PayloadError(f"{ref}.{name}", *bilingual(_("'%(name)s' must be a string"), name=name))
            return str(value).strip()
    if required:
        raise PayloadError(f"{ref}.{names[0]}", *bilingual(_("missing field '%(name)s'"), name=names[0]))
    return ""


def parse_json(body: bytes) -> Header:
    return header_from(_load(body))


def _load(body: bytes) -> Any:
    try:
        return load_json(body.decode("utf-8"))
    except safejson.TooDeep as exc:
        raise PayloadError(exc.ref, exc.vi, exc.en) from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise PayloadError("body", *bilingual(_("malformed JSON: %(error)s"), error=exc)) from None


def _no_constant(name: str) -> Any:
    raise PayloadError("body", *bilingual(_("malformed JSON: '%(name)s' is not a number"), name=name))


def load_json(text: str) -> Any:
    """JSON with its numbers read exactly (Decimal, never a binary float) and NaN,
    Infinity and -Infinity refused: a value is stored as it was written or not at all.
    Raises safejson.TooDeep, json.JSONDecodeError or PayloadError."""
    safejson.check_depth(text)
    try:
        return json.loads(text, parse_float=Decimal, parse_constant=_no_constant)
    except RecursionError:
        raise safejson.depth_error() from None


def header_from(data: Any, row_prefix: str = "") -> Header:
    """A parsed JSON data value set (an object) into a header and rows; each row's
    ref starts with ``row_prefix`` (a bulk body's "line N: ")."""
    if not isinstance(data, dict):
        raise PayloadError("body", *bilingual(_("the body must be a JSON object")))
    header = Header(regime=_text(data, ("regime", "dataSet"), "body"),
                    org_unit=_text(data, ("orgUnit",), "body"),
                    period=_text(data, ("period",), "body"))
    backfill = data.get("backfill", False)
    if not isinstance(backfill, bool):
        raise PayloadError("body.backfill", *bilingual(_("'backfill' must be true or false")))
    header.backfill = backfill
    values = data.get("dataValues")
    if not isinstance(values, list):
        raise PayloadError("body.dataValues", *bilingual(_("'dataValues' must be an array")))
    if len(values) > MAX_ROWS:
        raise PayloadError("body.dataValues", *bilingual(_("at most %(max)s values per request"), max=MAX_ROWS))
    header.rows = [_json_row(item, n, header, row_prefix) for n, item in enumerate(values)]
    return header


def _json_row(item: Any, n: int, header: Header, prefix: str) -> Row:
    ref = f"dataValues[{n}]"
    if not isinstance(item, dict):
        raise PayloadError(ref, *bilingual(_("each value must be an object")))
    period = _text(item, ("period",), ref, required=False)
    if period and period != header.period:
        raise PayloadError(f"{ref}.period",
                           *bilingual(_("period '%(period)s' differs from the report's period"), period=period))
    return Row(ref=prefix + ref, indicator=_text(item, ("indicator", "dataElement"), ref),
               org_unit=_text(item, ("orgUnit",), ref, required=False) or header.org_unit,
               value=item.get("value"), breakdown=item.get("breakdown", ""),
               flag=item.get("flag", ""), comment=item.get("comment", ""))


MAX_SETS = 20_000
STATES = ("submitted", "approved")


@dataclass
class BulkSet:
    """One line of a bulk body: a data value set and the state to store it in."""

    line: int
    header: Header
    state: str


def parse_ndjson(body: bytes) -> list[BulkSet]:
    """Newline-delimited JSON: one data value set per line, as /dataValueSets
    takes it, plus ``status`` (submitted or approved). Row refs name the line."""
    lines = [(n, raw) for n, raw in enumerate(body.split(b"\n"), start=1) if raw.strip()]
    if not lines:
        raise PayloadError("body", *bilingual(_("the body is empty")))
    if len(lines) > MAX_SETS:
        raise PayloadError("body", *bilingual(_("at most %(max)s data value sets per request"), max=MAX_SETS))
    sets = [_bulk_line(n, raw) for n, raw in lines]
    if sum(len(s.header.rows) for s in sets) > MAX_ROWS:
        raise PayloadError("body", *bilingual(_("at most %(max)s values per request"), max=MAX_ROWS))
    return sets


def _bulk_line(n: int, raw: bytes) -> BulkSet:
    try:
        data = _load(raw)  # parsed once: the header and the status come from the same object
        header = header_from(data, row_prefix=f"line {n}: ")
    except PayloadError as exc:
        raise PayloadError(f"line {n}: {exc.ref}",
                           *bilingual(_("line %(line)s: %(error)s"), line=n, error=Pair(exc.vi, exc.en))) from None
    state = data.get("status", "submitted")
    if state not in STATES:
        raise PayloadError(f"line {n}: status",
                           *bilingual(_("line %(line)s: 'status' must be submitted or approved"), line=n))
    return BulkSet(line=n, header=header, state=state)


CSV_COLUMNS = {"indicator": ("indicator", "dataelement"), "orgUnit": ("orgunit",),
               "value": ("value",), "breakdown": ("breakdown",), "flag": ("flag",),
               "comment": ("comment",), "period": ("period",)}


def parse_csv(body: bytes, regime: str, org_unit: str, period: str) -> Header:
    if not (regime and org_unit and period):
        raise PayloadError("query", *bilingual(_("CSV needs the query parameters regime, orgUnit and period")))
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise PayloadError("body", *bilingual(_("CSV must be UTF-8"))) from None
    records = csv_records(text)
    names = [name.strip().lower() for name in next(records, (1, []))[1]]
    column = {key: next((names.index(a) for a in aliases if a in names), None)
              for key, aliases in CSV_COLUMNS.items()}
    if column["indicator"] is None or column["value"] is None:
        raise PayloadError("line 1", *bilingual(_("CSV needs the columns 'indicator' and 'value'")))
    header = Header(regime=regime, org_unit=org_unit, period=period)
    for line, cells in records:
        header.rows.append(_csv_row(cells, f"line {line}", column, len(names), header))
    return header


def csv_records(text: str) -> Iterator[tuple[int, list[str]]]:
    """(the physical line a record starts on, its cells) of each non-blank record: a
    quoted cell may span lines, and blank lines still count. Raises PayloadError."""
    reader = csv.reader(io.StringIO(text))
    start = 1
    try:
        for cells in reader:
            if cells:
                yield start, cells
            start = reader.line_num + 1
    except csv.Error as exc:
        raise PayloadError(f"line {start}",
                           *bilingual(_("line %(line)s: malformed CSV: %(error)s"), line=start, error=exc)) from None


def ragged(ref: str, found: int, expected: int, against: tuple[str, str] | None = None) -> PayloadError:
    """A CSV row with more or fewer cells than it should have (a comma decimal such as
    185000,5 splits a value into two cells): refused, never read by position. ``against``
    names what the row is compared with, (vi, en); the header by default."""
    what = Pair(*against) if against else bilingual(_("the header"))
    return PayloadError(ref, *bilingual(
        _("%(ref)s: %(found)s cells where %(against)s has %(expected)s (a decimal comma? "
          "use a dot, or quote the cell)"),
        ref=Pair(ref.replace("line", "dòng"), ref), found=found, against=what, expected=expected))


def _csv_row(cells: list[str], ref: str, column: dict[str, int | None], width: int,
             header: Header) -> Row:
    if len(cells) != width:
        raise ragged(ref, len(cells), width)
    if len(header.rows) >= MAX_ROWS:
        raise PayloadError(ref, *bilingual(_("at most %(max)s rows"), max=MAX_ROWS))

    def cell(key: str) -> str:
        index = column[key]
        return cells[index].strip() if index is not None else ""

    if cell("period") and cell("period") != header.period:
        raise PayloadError(ref, *bilingual(_("period '%(period)s' differs from the report's period"),
                                           period=cell("period")))
    return Row(ref=ref, indicator=cell("indicator"), org_unit=cell("orgUnit") or header.org_unit,
               value=cell("value"), breakdown=cell("breakdown"), flag=cell("flag"),
               comment=cell("comment"))
