"""Points in time as users write them: "as known on" a day, and release dates."""

from __future__ import annotations

from datetime import datetime, time

from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from nrs.lib.errors import InputError


def known_on(name: str, text: str) -> datetime | None:
    """``knownOn`` and the like: a bare date is the END of that day in NRS's time zone
    (Asia/Ho_Chi_Minh), so that "as known on 2026-12-07" includes what was approved that
    day; a date-time without an offset is in NRS's time zone too. Blank: None."""
    if not text:
        return None
    day = parse_date(text) if len(text) == 10 else None
    moment = datetime.combine(day, time.max) if day is not None else _datetime(text)
    if moment is None:
        raise InputError(name, f"{name} phải là ngày (2026-01-31) hoặc ngày giờ ISO "
                               "(2026-01-31T17:00:00+07:00)",
                         f"{name} must be a date (2026-01-31) or an ISO date-time "
                         "(2026-01-31T17:00:00+07:00)")
    return timezone.make_aware(moment) if timezone.is_naive(moment) else moment


def _datetime(text: str) -> datetime | None:
    try:
        return parse_datetime(text)
    except ValueError:  # well formed but out of range (2026-13-40T…)
        return None


def release(name: str, text: str) -> datetime | None:
    """A release date: a bare date is the START of that day in NRS's time zone (released
    that day, so "as known on" that day includes it); a date-time as given. Blank: None."""
    if not text:
        return None
    day = parse_date(text) if len(text) == 10 else None
    moment = datetime.combine(day, time.min) if day is not None else _datetime(text)
    if moment is None:
        raise InputError(name, f"{name} phải là ngày (2024-03-29) hoặc ngày giờ ISO",
                         f"{name} must be a date (2024-03-29) or an ISO date-time")
    return timezone.make_aware(moment) if timezone.is_naive(moment) else moment
