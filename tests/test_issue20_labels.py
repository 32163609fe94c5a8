"""Issue 20, part 5: periods, statuses and reasons as people read them, in their language.

Pages, charts and documents say "Quý IV/2026", "Tháng 10/2026", "Đã duyệt"; machine
outputs (links, form values, CSV code columns, the API) keep "2026-Q4", "2026-10", "approved".
The expected strings are written by hand.
"""

from __future__ import annotations

from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.utils import translation

from nrs.analytics import charts
from nrs.analytics.rollup import Cell
from nrs.lib.periods import Period


def _point(period: Period, value: str):  # type: ignore[no-untyped-def]
    return SimpleNamespace(period=period, cell=Cell(Decimal(value), n=2), value=Decimal(value))


def test_the_series_chart_reads_periods_as_labels_not_codes() -> None:
    points = [_point(Period.month(2026, 9), "10"), _point(Period.month(2026, 10), "12")]
    with translation.override("vi"):
        figure = charts.series_figure(points, "x", "tỷ đồng", partial={"2026-10": "2/34"})  # type: ignore[arg-type]
    trace = figure["data"][0]
    assert list(trace["x"]) == ["Tháng 9/2026", "Tháng 10/2026"]
    # The partial figure is still found by its code and drawn as an orange diamond.
    assert list(trace["marker"]["symbol"]) == ["circle", "diamond"]
    with translation.override("en"):
        figure = charts.series_figure(points, "x", "VND bn")  # type: ignore[arg-type]
    assert list(figure["data"][0]["x"]) == ["September 2026", "October 2026"]
