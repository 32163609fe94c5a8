"""Figures inside messages and tables written the page's way (issue 20, part 5): the outlier
warning's score, and release dates on the indicator page."""

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from nrs.analytics.templatetags.nrs_analytics import iso_moment
from nrs.collection.validation import Clean, check_outliers


def test_the_outlier_score_is_written_in_each_language() -> None:
    key = ("EXPORT_TOTAL", "01", "")
    history = [Decimal(v) for v in ("100", "102", "98", "101", "99", "103", "97")]
    # robust z = 0.6745 × (5000 − 100) / 2 = 1652.525 → 1.652,5 / 1,652.5
    [issue] = check_outliers([Clean("EXPORT_TOTAL", key, Decimal("5000"), "", "")], {key: history})
    assert "(z = 1.652,5)" in issue.vi
    assert "robust z = 1,652.5" in issue.en


def test_release_moments_read_as_local_days() -> None:
    moment = iso_moment("2026-10-27T20:30:00+00:00")  # 03:30 on the 28th in Hà Nội
    assert isinstance(moment, datetime)
    assert moment.astimezone(ZoneInfo("Asia/Ho_Chi_Minh")).date().isoformat() == "2026-10-28"
    assert iso_moment("not a date") == "not a date"
