"""Points in time as users write them: "as known on" a day, and release dates.

Pure (no Django): NRS's time zone is Viet Nam's, the same as settings.TIME_ZONE.
"""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from nrs.lib.errors import InputError

VIET_NAM = ZoneInfo("Asia/Ho_Chi_Minh")


def known_on(name: str, text: str) -> datetime | None:
    """``knownOn`` and the like: a bare date is the END of that day in Viet Nam (so "as known
    on 2026-12-07" includes what was approved that day); a date-time without an offset is in
    Viet Nam's time too. Blank: None."""
    return _moment(name, text, time.max, "2026-01-31")


def release(name: str, text: str) -> datetime | None:
    """A release date: a bare date is the START of that day in Viet Nam (released that day,
    so "as known on" that day includes it); a date-time as given. Blank: None."""
    return _moment(name, text, time.min, "2024-03-29")


def _moment(name: str, text: str, at: time, example: str) -> datetime | None:
    if not text:
        return None
    moment = _parse(text.strip(), at)
    if moment is None:
        raise InputError(name, f"{name} phải là ngày ({example}) hoặc ngày giờ ISO ({example}T17:00:00+07:00)",
                         f"{name} must be a date ({example}) or an ISO date-time ({example}T17:00:00+07:00)")
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=VIET_NAM)


def _parse(text: str, at: time) -> datetime | None:
    try:
        if len(text) == 10:
            return datetime.combine(date.fromisoformat(text), at)
        if "T" not in text and " " not in text:
            return None
        return datetime.fromisoformat(text)
    except ValueError:  # malformed, or out of range (2026-13-40)
        return None
