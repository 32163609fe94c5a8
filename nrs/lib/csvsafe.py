"""CSV cells that spreadsheets will not run as formulas (CSV/formula injection).

Every CSV and XLSX export writes its text cells through ``cell`` (docs/security.md)."""

from __future__ import annotations

import re

_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
# A plain decimal number such as -12.5 or +3e4: left alone, so it stays a number. Python's
# float() would also accept "-inf", "nan" and "-1_000", which a spreadsheet reads as formulas.
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


def cell(value: object) -> str:
    """Text for a CSV cell: a leading formula character is neutralised with a quote,
    except for plain numbers such as -12.5."""
    text = "" if value is None else str(value)
    if text.startswith(_TRIGGERS) and not _NUMBER.fullmatch(text):
        return "'" + text
    return text


def is_formula(text: str) -> bool:
    """Would a spreadsheet treat this cell text as a formula? (For tests and checks.)"""
    return text.startswith(_TRIGGERS) and not _NUMBER.fullmatch(text)
