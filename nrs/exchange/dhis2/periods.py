"""Periods as DHIS2 and ADX name them, parsed into nrs.lib.periods (never tabulated).

DHIS2 ids: 2026 (year), 2026S1, 2026Q3, 202610; NRS/SDMX ids (2026-10, 2026-Q3) too.
ADX (ISO 8601 start/duration): 2026-10-01/P1M, 2026-07-01/P3M, 2026-01-01/P6M,
2026-01-01/P9M (our nine months), 2026-01-01/P1Y (or P12M).

The DHIS2 kinds we have no equivalent for (weeks, days, bi-months, financial years,
six-months starting in April…) are refused by name, so the sender knows it is the period
type and not a typo. Pure: no database.
"""

from __future__ import annotations

import re
from datetime import date

from django.utils.translation import gettext_noop as _

from nrs.i18n import Pair, bilingual
from nrs.lib import periods
from nrs.lib.errors import InputError

_ISO = re.compile(r"^(?P<y>\d{4})-(?P<m>\d{2})-(?P<d>\d{2})/P(?P<n>\d{1,3})(?P<unit>[YMWD])$")

# DHIS2 period types NRS does not collect, by the shape of their ids: (pattern, message msgid).
_UNSUPPORTED = [
    (re.compile(r"^\d{8}$"), _("NRS has no daily periods")),
    (re.compile(r"^\d{4}(Wed|Thu|Sat|Sun)?W\d{1,2}$"), _("NRS has no weekly periods")),
    (re.compile(r"^\d{4}BiW\d{1,2}$"), _("NRS has no bi-weekly periods")),
    (re.compile(r"^\d{6}B$"), _("NRS has no bi-monthly periods")),
    (re.compile(r"^\d{4}(April|July|Oct|Nov)$"), _("NRS has no financial-year periods")),
    (re.compile(r"^\d{4}(April|Nov)S\d$"), _("NRS has no six-monthly (non-calendar) periods")),
]

# Months (duration) an ADX period may span, the period kind, and the months it may start in.
_SPANS = {1: (periods.Kind.MONTH, range(1, 13)), 3: (periods.Kind.QUARTER, (1, 4, 7, 10)),
          6: (periods.Kind.HALF, (1, 7)), 9: (periods.Kind.NINE_MONTHS, (1,)),
          12: (periods.Kind.YEAR, (1,))}


def _refuse(ref: str, text: str, vi: str, en: str) -> InputError:
    return InputError(ref, *bilingual(_("period '%(period)s': %(error)s"), period=text, error=Pair(vi, en)))


def _unsupported(text: str, ref: str) -> InputError | None:
    for pattern, message in _UNSUPPORTED:
        if pattern.match(text):
            return _refuse(ref, text, *bilingual(message))
    return None


def parse_iso(text: str, ref: str) -> periods.Period:
    """An ADX period: a start date and a duration that together make one of our kinds."""
    match = _ISO.match(text)
    if not match:
        raise _refuse(ref, text, *bilingual(_("not an ISO 8601 start/duration (e.g. "
                                              "2026-10-01/P1M)")))
    try:
        start = date(int(match["y"]), int(match["m"]), int(match["d"]))
    except ValueError:
        raise _refuse(ref, text, *bilingual(_("the start date does not exist"))) from None
    months = int(match["n"]) * {"Y": 12, "M": 1}.get(match["unit"], 0)
    if months == 0:
        raise _refuse(ref, text, *bilingual(_("NRS has no periods in weeks or days")))
    kind, starts = _SPANS.get(months, (None, ()))
    if kind is None or start.day != 1 or start.month not in starts:
        raise _refuse(ref, text, *bilingual(_("does not match an NRS month, quarter, half year, "
                                              "nine months or year")))
    try:
        return periods.Period.containing(kind, start)
    except periods.PeriodError as exc:
        raise _refuse(ref, text, str(exc), str(exc)) from None


def parse_id(text: str, ref: str) -> periods.Period:
    """A DHIS2 period id (202610, 2026Q3, 2026S1, 2026), an NRS id (2026-10), or an ADX
    start/duration, whichever it is."""
    text = text.strip()
    if "/" in text:
        return parse_iso(text, ref)
    refused = _unsupported(text, ref)
    if refused is not None:
        raise refused
    try:
        return periods.parse(text)
    except periods.PeriodError:
        raise _refuse(ref, text, *bilingual(_("not a DHIS2 period id (202610, 2026Q3, 2026S1, "
                                              "2026) or an ISO 8601 period (2026-10-01/P1M)"))) from None
