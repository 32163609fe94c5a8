"""Plotly figures (as JSON for the page) and SVG sparklines, built on the server.

Pages never load Plotly from outside: plotly.min.js comes from the plotly
wheel and the world topojson from npm, both as static files. The province map
is the committed GeoJSON (nrs/static/nrs/map), with Hoàng Sa and Trường Sa
drawn as part of Đà Nẵng and Khánh Hòa and labelled.
"""

from __future__ import annotations

import json
import textwrap
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

import plotly.graph_objects as go
from django.templatetags.static import static
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from nrs.analytics.queries import Point
from nrs.lib.numbers import separators, written
from nrs.lib.periods import label as period_label

MAP_DIR = Path(__file__).resolve().parent.parent / "static" / "nrs" / "map"
COLOURS = [[0.0, "#c6dbef"], [0.5, "#4292c6"], [1.0, "#08306b"]]  # the lightest still stands out
NO_DATA = "#e5e5e5"


@lru_cache(maxsize=1)
def archipelagos() -> list[dict[str, Any]]:
    return json.loads((MAP_DIR / "archipelagos.json").read_text(encoding="utf-8"))


def _english() -> bool:
    return (get_language() or "vi").startswith("en")


def plotly_separators() -> str:
    """Plotly's ``separators`` for the active language: decimal then thousands (vi ",.", en ".,"),
    so axis ticks and the map's colour bar read 1.073.036,7 on Vietnamese pages."""
    decimal_sep, group_sep = separators(get_language())
    return decimal_sep + group_sep


def shown(values: list[Decimal | None], decimals: int) -> list[str]:
    """Each value as the page writes it (nrs.lib.numbers: half away from zero to ``decimals``),
    for hover text: Plotly's own d3 formats round binary floats, not the figure."""
    lang = get_language()
    return [written(v, decimals, lang) if v is not None else "" for v in values]


# Tick labels of axes and colour bars: grouped, without trailing zeros (the separators are the layout's).
TICKS = ",~f"


def source_line(source: Any = None, *, provinces: bool = False, unit: Any = None) -> str:
    """What a chart's caption names as its source, as the overview's cards do: the agency whose
    own figure stands, else the provinces' reports (a figure computed over them), else the unit."""
    if source is not None:
        return f"{_('Source')}: {source.name}"
    if provinces or unit is None:
        return _("Source: the provinces' reports")
    return f"{_('Source')}: {unit.name}"


def as_of(known_on: datetime | None, refreshed: datetime | None) -> str:
    """The day the figures are as of (dd/mm/yyyy): "as known on" that day, else the store's
    refresh the page shows, else today."""
    moment = known_on or refreshed
    day = timezone.localtime(moment).date() if moment is not None else timezone.localdate()
    return day.strftime("%d/%m/%Y")


# Caption lines wrap so that they fit a phone's chart (about 360 px): characters per line.
TITLE_WRAP, NOTE_WRAP = 44, 58


def _wrapped(text: str, width: int) -> list[str]:
    return textwrap.wrap(text, width, break_long_words=False, break_on_hyphens=False) or [""]


def captioned(layout: dict[str, Any], title: str, source: str, as_of: str) -> dict[str, Any]:
    """``layout`` with the chart's title (name, place, unit) and a line naming the source and the
    date the figures are as of: Plotly's PNG (modebar or the page's button) draws the layout, so
    an exported chart says what it shows, where from and when (issue 20, part 8).

    Plotly wraps neither titles nor annotations: long lines are broken here to fit a phone's
    chart, and both go in the title, from the figure's left edge (an annotation can only start
    at the plot's, right of the axis labels). The top margin makes room for every line."""
    heading = _wrapped(title, TITLE_WRAP)
    note = _wrapped(f"{source} · {_('Figures as of %(at)s') % {'at': as_of}}", NOTE_WRAP)
    small = [f'<span style="font-size:11px;color:#555">{line}</span>' for line in note]
    margin = dict(layout.get("margin") or {})
    margin["t"] = max(margin.get("t", 0), 8 + 19 * len(heading) + 15 * len(note) + 10)
    return {**layout, "margin": margin,
            "title": {"text": "<br>".join([*heading, *small]), "x": 0, "xanchor": "left", "xref": "container",
                      "y": 1, "yanchor": "top", "yref": "container", "font": {"size": 14},
                      # Plotly draws a multi-line title anchored at the top about 13 px above it
                      "pad": {"t": 16, "l": 8}}}


PARTIAL = "#c77700"


def series_figure(points: list[Point], title: str, unit_label: str,
                  partial: Mapping[str, str] | None = None, *, decimals: int = 1, place: str = "",
                  source: str = "", as_of: str = "") -> dict[str, Any]:
    """A line over time; rebuilt figures (before the 2025 merger) drawn hollow; partial
    national figures (``partial``: period -> "n/N") drawn as orange diamonds, never as a dip.
    Hover text is the figure as the page writes it; ``place``, ``source`` and ``as_of`` caption
    the chart (and so its PNG)."""
    partial = partial or {}
    codes = [p.period.sdmx for p in points]
    x = [period_label(p.period, get_language()) for p in points]  # "Tháng 10/2026", not "2026-10"
    y = [float(p.value) if p.value is not None else None for p in points]
    rebuilt = [bool(p.cell and p.cell.rebuilt) for p in points]
    reports, incomplete = _("reports"), _("partial")
    fig = go.Figure(go.Scatter(
        x=x, y=y, mode="lines+markers", name=title, line={"color": "#0b5394", "width": 2},
        marker={"size": [9 if p in partial else 6 for p in codes],
                "color": [PARTIAL if p in partial else "#0b5394" for p in codes],
                "symbol": ["diamond" if p in partial else "circle-open" if r else "circle"
                           for p, r in zip(codes, rebuilt, strict=True)]},
        text=[f"{incomplete} {partial[p.period.sdmx]}" if p.period.sdmx in partial
              else f"{p.cell.n if p.cell else 0} {reports}" for p in points],
        customdata=shown([p.value for p in points], decimals),
        hovertemplate=f"%{{x}}: %{{customdata}} {_plain(unit_label)} (%{{text}})<extra></extra>"))
    fig.update_layout(margin={"l": 50, "r": 10, "t": 10, "b": 40}, height=320, yaxis_title=unit_label,
                      xaxis={"type": "category", "nticks": 12}, yaxis={"tickformat": TICKS},
                      separators=plotly_separators(), plot_bgcolor="#fff", paper_bgcolor="#fff")
    out = fig.to_plotly_json()
    if source or as_of:
        name = " · ".join(part for part in (title, place) if part)
        out["layout"] = captioned(out["layout"], f"{name} ({unit_label})", source, as_of)
    return out


def _plain(text: str) -> str:
    """Text for a Plotly template: a literal "%{" would start a placeholder."""
    return text.replace("%{", "%​{")


def map_figure(points: list[Point], unit_label: str, *, decimals: int = 1, title: str = "",
               source: str = "", as_of: str = "") -> dict[str, Any]:
    """A choropleth of the provinces, with both archipelagos labelled; the colour bar's ticks in
    the page's language, hover text as the page writes the figure; captioned like series_figure."""
    english = _english()
    geojson = static("nrs/map/vn-provinces-34.geojson")
    with_values = [p for p in points if p.value is not None]
    missing = _("no figure")
    # Every province first, in grey: one without a figure is shown as such, never left out.
    fig = go.Figure(go.Choropleth(
        geojson=geojson, featureidkey="properties.code", locations=[p.unit.code for p in points],
        z=[0] * len(points), text=[f"{p.unit.name}: {missing}" for p in points],
        colorscale=[[0, NO_DATA], [1, NO_DATA]], showscale=False, marker_line_color="#ffffff",
        marker_line_width=0.6, hovertemplate="%{text}<extra></extra>", name="provinces"))
    fig.add_trace(go.Choropleth(
        geojson=geojson, featureidkey="properties.code", locations=[p.unit.code for p in with_values],
        z=[float(p.value or 0) for p in with_values], text=[p.unit.name for p in with_values],
        customdata=shown([p.value for p in with_values], decimals),
        colorscale=COLOURS, marker_line_color="#ffffff", marker_line_width=0.6,
        colorbar={"title": {"text": unit_label}, "thickness": 12, "tickformat": TICKS}, name="values",
        hovertemplate=f"%{{text}}: %{{customdata}} {_plain(unit_label)}<extra></extra>"))
    labels = archipelagos()
    fig.add_trace(go.Scattergeo(
        lon=[a["lon"] for a in labels], lat=[a["lat"] for a in labels], mode="text",
        text=[a["name_en"] if english else a["name_vi"] for a in labels], textfont={"size": 11, "color": "#333"},
        hoverinfo="text", showlegend=False, name="archipelagos"))
    fig.update_geos(fitbounds="locations", visible=False, projection_type="mercator",
                    lonaxis_range=[101.5, 117.5], lataxis_range=[7.5, 23.5])
    fig.update_layout(
        margin={"l": 0, "r": 0, "t": 0, "b": 0}, height=560, paper_bgcolor="#fff", separators=plotly_separators(),
        annotations=[{"text": _("Boundaries are approximate (Natural Earth, merged along the 2025 reorganisation)."),
                      "showarrow": False, "x": 0, "y": 0, "xref": "paper", "yref": "paper",
                      "font": {"size": 10, "color": "#555"}, "xanchor": "left"}])
    out = fig.to_plotly_json()
    if source or as_of:
        out["layout"] = captioned(out["layout"], f"{title} ({unit_label})" if title else unit_label, source, as_of)
    return out


def sparkline(values: list[Decimal | None], width: int = 120, height: int = 32) -> str:
    """An inline SVG polyline (no script), gaps where a value is missing."""
    known = [float(v) for v in values if v is not None]
    if len(known) < 2:
        return ""
    low, high = min(known), max(known)
    span = (high - low) or 1.0
    step = width / max(len(values) - 1, 1)
    segments: list[list[str]] = []
    current: list[str] = []
    for i, value in enumerate(values):
        if value is None:
            if current:
                segments.append(current)
            current = []
            continue
        current.append(f"{i * step:.1f},{height - 2 - (float(value) - low) / span * (height - 4):.1f}")
    if current:
        segments.append(current)
    lines = "".join(f'<polyline points="{" ".join(s)}" fill="none" stroke="#0b5394" stroke-width="1.5"/>'
                    for s in segments if len(s) > 1)
    return (f'<svg class="spark" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
            f'role="img" aria-hidden="true">{lines}</svg>')


def plot_config() -> dict[str, Any]:
    """Plotly's config: local topojson, PNG download, no logo, no outside links."""
    return {"topojsonURL": static("topojson/"), "displaylogo": False, "responsive": True,
            "showLink": False,
            # the modebar's PNG at the size of the page's PNG button, whatever the screen: the caption fits
            "toImageButtonOptions": {"format": "png", "scale": 2, "width": 1200, "height": 700}}
