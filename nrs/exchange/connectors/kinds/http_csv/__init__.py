"""HTTP CSV: a UTF-8 CSV file with a header line, one value a line.

``mapping.fields`` names the columns. Example::

    {"fields": {"indicator": "chi_tieu", "orgUnit": "don_vi", "period": "ky", "value": "gia_tri"},
     "codes": {"orgUnit": {"HN": "01"}}}
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from nrs.exchange.connectors.kinds import Kind, Record, column, records, register
from nrs.i18n import bilingual
from nrs.lib.errors import InputError

MAX_ROWS = 100_000


def read_csv(body: bytes, required: list[str]) -> list[tuple[str, dict[str, Any]]]:
    """(line ref, {column: cell}) for each line; the header must have the ``required`` columns."""
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError("body", *bilingual(gettext_noop("CSV must be UTF-8"))) from None
    reader = csv.DictReader(io.StringIO(text))
    header = [name.strip() for name in reader.fieldnames or []]
    missing = [name for name in required if name not in header]
    if missing:
        raise InputError("line 1", *bilingual(gettext_noop("the column '%(missing)s' is missing"),
                                              missing=missing[0]))
    reader.fieldnames = header
    found = []
    try:
        for line, row in enumerate(reader, start=2):
            if line > MAX_ROWS + 1:
                raise InputError(f"line {line}", *bilingual(gettext_noop("at most %(max_rows)s rows"),
                                                            max_rows=MAX_ROWS))
            if None in row:
                raise InputError(f"line {line}", *bilingual(gettext_noop("the line has more cells than the header")))
            found.append((f"line {line}", dict(row)))
    except csv.Error:  # the place only: the run log never quotes fetched content
        raise InputError(f"line {reader.line_num}", *bilingual(gettext_noop("malformed CSV"))) from None
    return found


class HttpCsv(Kind):
    code = "http_csv"
    label = _("HTTP CSV (one value a line)")
    accept = "text/csv"

    def parse(self, body: bytes, mapping: Mapping[str, Any]) -> list[Record]:
        fields = mapping.get("fields", {}) if isinstance(mapping, Mapping) else {}
        lines = read_csv(body, [str(v) for v in fields.values()] if isinstance(fields, Mapping) else [])
        return records(lines, mapping, column)


KIND = register(HttpCsv())
