"""CSV cells that spreadsheets will not run as formulas (CSV/formula injection)."""

from __future__ import annotations

_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def cell(value: object) -> str:
    """Text for a CSV cell: a leading formula character is neutralised with a quote,
    except for plain numbers such as -12.5."""
    text = "" if value is None else str(value)
    if text.startswith(_TRIGGERS) and not _is_number(text):
        return "'" + text
    return text


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
