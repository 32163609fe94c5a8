"""knownOn and release dates as users write them (issue 17: `knownOn=2026-12-07` excluded an
approval made that day, because a bare date was read as its first instant)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from nrs.lib import moments
from nrs.lib.errors import InputError

VN = timezone(timedelta(hours=7))


@pytest.mark.engine_independent
@pytest.mark.parametrize(("text", "expected"), [
    ("2026-12-07", datetime(2026, 12, 7, 23, 59, 59, 999999, tzinfo=VN)),  # the end of that day in Viet Nam
    ("2026-12-07T09:00:00", datetime(2026, 12, 7, 9, 0, tzinfo=VN)),
    ("2026-12-07T02:00:00Z", datetime(2026, 12, 7, 9, 0, tzinfo=VN)),
    ("2026-12-07T09:00:00+07:00", datetime(2026, 12, 7, 9, 0, tzinfo=VN)),
])
def test_known_on(text: str, expected: datetime) -> None:
    assert moments.known_on("knownOn", text) == expected


@pytest.mark.engine_independent
def test_an_approval_made_that_day_is_known_on_that_day() -> None:
    approved = datetime(2026, 12, 7, 16, 30, tzinfo=VN)
    assert approved <= moments.known_on("knownOn", "2026-12-07")  # type: ignore[operator]
    assert moments.release("releasedAt", "2024-03-29") == datetime(2024, 3, 29, tzinfo=VN)


@pytest.mark.engine_independent
@pytest.mark.parametrize("text", ["07/12/2026", "2026-13-40", "yesterday", "2026-12-07T25:00", "20261207"])
def test_bad_dates_name_the_field(text: str) -> None:
    with pytest.raises(InputError) as found:
        moments.known_on("knownOn", text)
    assert found.value.ref == "knownOn" and "knownOn" in found.value.vi
