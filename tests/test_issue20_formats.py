"""Numbers written the Vietnamese way on the dashboards (issue 20, part 5), with one rounding
rule (half away from zero to the indicator's decimals), and chart PNGs that carry their title,
unit, source and date (part 8). Expected strings are written by hand."""

from __future__ import annotations

import base64
import html as html_lib
import json
import os
import re
import struct
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import plotly
import pytest
from django.conf import settings
from django.core.cache import cache
from django.test import Client
from django.utils import translation

from nrs.accounts import actions as account_actions
from nrs.accounts.models import Role
from nrs.analytics.templatetags.nrs_analytics import change, num, trend
from nrs.collection import bulk
from nrs.collection.validation import Row
from nrs.lib import periods
from nrs.registry.models import Indicator, Regime, Target
from tests.conftest import current

REGIME = "PROV_KTXH_M"
T0 = datetime(2026, 10, 10, tzinfo=UTC)
MINUS = "\u2212"

# Hà Nội's retail sales (VND bn, one decimal): September 2026 and September 2025, and
# January to August 2026 at 100,000 each (the year to date is 1,873,036.7).
NOW, LAST_YEAR, EARLIER = "1073036.7", "1189500", "100000"  # yoy: (1073036.7 / 1189500 - 1) * 100 = -9.7909...
TARGET = "2138660"  # plan: 1873036.7 / 2138660 * 100 = 87.5799... (87.6, never 87.5)


# -- the template tags ---------------------------------------------------------------------

@pytest.mark.parametrize(("lang", "value", "decimals", "expected"), [
    ("vi", "1073036.65", 1, "1.073.036,7"),
    ("en", "1073036.65", 1, "1,073,036.7"),
    ("vi", "87.58", 1, "87,6"),
    ("vi", "-9.789", 1, f"{MINUS}9,8"),
    ("en", "-9.789", 1, f"{MINUS}9.8"),
    ("vi", "2247.25", 1, "2.247,3"),
    ("vi", "1073036.5", 0, "1.073.037"),
    ("vi", "0.05", 1, "0,1"),
    ("vi", "-0.04", 1, "0,0"),
])
def test_num_writes_the_active_language_rounded_half_away_from_zero(lang: str, value: str, decimals: int,
                                                                     expected: str) -> None:
    with translation.override(lang):
        assert num(Decimal(value), decimals) == expected
        assert num(value, decimals) == expected  # a string from the API reads the same


@pytest.mark.parametrize(("lang", "value", "unit", "expected"), [
    ("vi", "-9.789", "%", f"{MINUS}9,8 %"),
    ("en", "-9.789", "%", f"{MINUS}9.8 %"),
    ("vi", "12345.65", "%", "+12.345,7 %"),
    ("vi", "0.04", "điểm", "±0,0 điểm"),
    ("vi", "0.05", "điểm", "+0,1 điểm"),
])
def test_change_is_signed_grouped_and_rounded(lang: str, value: str, unit: str, expected: str) -> None:
    with translation.override(lang):
        assert change(Decimal(value), unit) == expected


@pytest.mark.parametrize(("value", "css"), [("-9.789", "down"), ("0.04", "flat"), ("-0.04", "flat"),
                                            ("0.05", "up"), (None, "flat")])
def test_the_trend_follows_the_change_as_written(value: str | None, css: str) -> None:
    assert trend(value) == css


def test_missing_values_stay_a_dash() -> None:
    assert num(None) == "–" and num("") == "–" and change(None) == "–"


# -- rendered pages --------------------------------------------------------------------------

@pytest.fixture
def figures(make_user):  # type: ignore[no-untyped-def]
    """Hà Nội's retail sales, September 2025 and January to September 2026, approved, and its 2026 plan."""
    cache.clear()
    service = make_user("svc-formats", "system", "CP")
    account_actions.grant_role(service, Role.APPROVER, current("CP"))
    hanoi = current("01")
    months = [(f"2026-{m:02d}", EARLIER) for m in range(1, 9)]
    for period, value in [("2025-09", LAST_YEAR), *months, ("2026-09", NOW)]:
        report = bulk.Report(regime=Regime.objects.get(code=REGIME), unit=hanoi,
                             period=periods.parse_sdmx(period),
                             rows=[Row(ref="r", indicator="RETAIL_SALES", org_unit=hanoi.code, value=value)],
                             state="approved", submitted_at=T0, approved_at=T0)
        result = bulk.import_reports([report], actor=service, today=date(2026, 11, 20))
        assert not result.issues, result.issues
    Target.objects.create(indicator=Indicator.objects.get(code="RETAIL_SALES"), org_unit=hanoi, year=2026,
                          value=Decimal(TARGET))
    cache.clear()
    return hanoi


def _get(user, lang: str, url: str, **params: str) -> str:  # type: ignore[no-untyped-def]
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = lang
    client.force_login(user)
    response = client.get(url, params)
    assert response.status_code == 200, response.status_code
    return html_lib.unescape(response.content.decode())


def _card(page: str, code: str) -> str:
    start = page.index(f'data-indicator="{code}"')
    return page[start:page.index("</a>", start)]


def _row(page: str, code: str) -> str:
    start = page.index(f'<tr data-indicator="{code}"')
    return page[start:page.index("</tr>", start)]


def _figure(page: str, name: str) -> dict:  # type: ignore[type-arg]
    found = re.search(rf'<script id="{name}" type="application/json">(.*?)</script>', page, re.S)
    assert found is not None, name
    return json.loads(found.group(1))


@pytest.mark.django_db
@pytest.mark.parametrize(("lang", "value", "yoy", "plan"), [
    ("vi", "1.073.036,7", f"{MINUS}9,8 %", "87,6 %"),
    ("en", "1,073,036.7", f"{MINUS}9.8 %", "87.6 %"),
])
def test_the_overview_card_is_written_in_the_pages_language(figures, leader, lang: str, value: str,  # type: ignore[no-untyped-def]
                                                            yoy: str, plan: str) -> None:
    card = _card(_get(leader, lang, "/dashboard/", unit="01"), "RETAIL_SALES")
    assert f"{value} <span" in card, card
    assert yoy in card and plan in card, card
    assert "1073036" not in card and "9,7 %" not in card and "87,5 %" not in card


@pytest.mark.django_db
@pytest.mark.parametrize(("lang", "value", "yoy"), [
    ("vi", "1.073.036,7", f"{MINUS}9,8 %"),
    ("en", "1,073,036.7", f"{MINUS}9.8 %"),
])
def test_the_province_profile_is_written_in_the_pages_language(figures, leader, lang: str, value: str,  # type: ignore[no-untyped-def]
                                                               yoy: str) -> None:
    row = _row(_get(leader, lang, "/dashboard/province/01/"), "RETAIL_SALES")
    assert f'<td class="num">{value}</td>' in row, row
    assert yoy in row, row


@pytest.mark.django_db
@pytest.mark.parametrize(("lang", "value", "separators"), [
    ("vi", "1.073.036,7", ",."),
    ("en", "1,073,036.7", ".,"),
])
def test_the_indicator_page_and_its_chart_are_written_in_the_pages_language(figures, leader, lang: str,  # type: ignore[no-untyped-def]
                                                                            value: str, separators: str) -> None:
    page = _get(leader, lang, "/dashboard/indicator/RETAIL_SALES/", unit="01")
    series = _figure(page, "series-fig")
    assert series["layout"]["separators"] == separators
    trace = series["data"][0]
    # The hover shows the figure as the page writes it (one rounding rule), not Plotly's own rounding.
    assert value in trace["customdata"], trace["customdata"]
    assert "%{customdata}" in trace["hovertemplate"]
    assert trace["y"][-1] == pytest.approx(1073036.7)  # the plotted value stays exact


@pytest.mark.django_db
@pytest.mark.parametrize(("lang", "value", "separators"), [
    ("vi", "1.073.036,7", ",."),
    ("en", "1,073,036.7", ".,"),
])
def test_the_map_legend_and_hover_follow_the_pages_language(figures, leader, lang: str, value: str,  # type: ignore[no-untyped-def]
                                                            separators: str) -> None:
    page = _get(leader, lang, "/dashboard/indicator/RETAIL_SALES/", period="2026-09")
    fig = _figure(page, "map-fig")
    # The colorbar's tick labels are drawn by Plotly with the layout's separators: "2.247,2" in Vietnamese.
    assert fig["layout"]["separators"] == separators
    values = next(t for t in fig["data"] if t.get("name") == "values")
    assert "," in values["colorbar"]["tickformat"]  # grouped thousands
    assert any(value in text for text in values["customdata"]), values["customdata"]
    assert "%{customdata}" in values["hovertemplate"]


@pytest.mark.django_db
@pytest.mark.parametrize(("lang", "source", "as_of"), [
    ("vi", "Nguồn", "Số liệu tính đến"),
    ("en", "Source", "Figures as of"),
])
def test_every_chart_carries_title_unit_source_and_date_for_its_png(figures, leader, lang: str, source: str,  # type: ignore[no-untyped-def]
                                                                    as_of: str) -> None:
    """Plotly's PNG (the modebar's camera and the page's PNG button) draws the layout: the
    title, unit, source and date must be in it, not only in the page around the chart."""
    hanoi_page = _get(leader, lang, "/dashboard/indicator/RETAIL_SALES/", unit="01")
    national_page = _get(leader, lang, "/dashboard/indicator/RETAIL_SALES/", period="2026-09")
    name = "Tổng mức bán lẻ hàng hóa và doanh thu dịch vụ tiêu dùng" if lang == "vi" else \
        "Retail sales of goods and consumer services"
    unit = "tỷ đồng" if lang == "vi" else "VND billion"
    hanoi = "Hà Nội" if lang == "vi" else "Ha Noi"
    month = "Tháng 9/2026" if lang == "vi" else "September 2026"
    for fig, place in ((_figure(hanoi_page, "series-fig"), hanoi), (_figure(national_page, "map-fig"), month)):
        layout = fig["layout"]
        # long lines are wrapped for phones; the source line is a smaller part of the title
        title = re.sub(r"<[^>]+>", " ", layout["title"]["text"].replace("<br>", " "))
        title = " ".join(title.split())
        assert name in title and unit in title and place in title, title
        notes = title
        assert f"{source}:" in notes and as_of in notes, notes
        assert re.search(r"\d{2}/\d{2}/\d{4}", notes), notes  # the date the figures are as of


@pytest.mark.django_db
@pytest.mark.parametrize(("lang", "first", "second"), [
    ("vi", "1.073.036,7", "1.073.100,3"),
    ("en", "1,073,036.7", "1,073,100.3"),
])
def test_releases_and_revisions_are_written_in_the_pages_language(figures, leader, monkeypatch, lang: str,  # type: ignore[no-untyped-def]
                                                                  first: str, second: str) -> None:
    """The table of released versions showed the stored text ("1073036.7")."""
    from nrs.analytics import views

    released = [{"version": 1, "value": "1073036.7", "releasedAt": "2026-10-10T00:00:00+00:00", "reason": "",
                 "approvedBy": "svc"},
                {"version": 2, "value": "1073100.25", "releasedAt": "2026-10-20T00:00:00+00:00", "reason": "r",
                 "approvedBy": "svc"}]
    monkeypatch.setattr(views, "_history", lambda *args: released)
    page = _get(leader, lang, "/dashboard/indicator/RETAIL_SALES/", unit="01")
    table = page[page.index('data-testid="history"'):]
    table = table[:table.index("</table>")]
    assert f'<td class="num">{first}</td>' in table and f'<td class="num">{second}</td>' in table, table


# -- the analytics API: exact values for machines, display fields rounded the pages' way ---------------

def _api(user, **params: str):  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client.get("/api/analytics", {"indicator": "RETAIL_SALES", "orgUnit": "01", "start": "2026-09",
                                         "end": "2026-09", "compare": "yoy,plan,ytd", **params})


@pytest.mark.django_db
@pytest.mark.parametrize(("lang", "value", "yoy", "plan", "ytd"), [
    ("vi", "1.073.036,7", f"{MINUS}9,8", "87,6", "1.873.036,7"),
    ("en", "1,073,036.7", f"{MINUS}9.8", "87.6", "1,873,036.7"),
])
def test_the_api_display_fields_round_like_the_pages(figures, leader, lang: str, value: str, yoy: str,  # type: ignore[no-untyped-def]
                                                     plan: str, ytd: str) -> None:
    response = _api(leader, display=lang)
    assert response.status_code == 200, response.content
    body = response.json()
    row = body["rows"][0]
    # Machines keep exact numbers: the raw fields are untouched.
    assert row["value"] == "1073036.7" and row["ytd"] == "1873036.7"
    assert Decimal(row["yoy"]).quantize(Decimal("0.0001")) == Decimal("-9.7909")
    assert Decimal(row["planPct"]).quantize(Decimal("0.0001")) == Decimal("87.5799")
    assert row["display"] == {"value": value, "lastYear": "1.189.500,0" if lang == "vi" else "1,189,500.0",
                              "yoy": yoy, "ytd": ytd, "plan": "2.138.660,0" if lang == "vi" else "2,138,660.0",
                              "planPct": plan}
    assert body["meta"]["rules"]["RETAIL_SALES"]["decimals"] == 1
    assert body["meta"]["display"] == lang


@pytest.mark.django_db
def test_the_api_has_no_display_fields_unless_asked_and_refuses_an_unknown_language(figures, leader) -> None:  # type: ignore[no-untyped-def]
    body = _api(leader).json()
    assert "display" not in body["rows"][0] and body["meta"]["display"] is None
    assert body["meta"]["rules"]["RETAIL_SALES"]["decimals"] == 1
    bad = _api(leader, display="fr")
    assert bad.status_code == 400
    assert "display" in bad.json()["message_vi"] and "display" in bad.json()["message_en"]


# -- the PNG itself, drawn by Plotly in Chromium ------------------------------------------------------

SHOTS = Path(os.environ.get("NRS_ENTRY_SHOTS", "/tmp/nrs20/shots"))
# The bundle the indicator page loads (npm's partial geo bundle), else the wheel's full one.
GEO_BUNDLE = Path(__file__).resolve().parent.parent / "node_modules" / "plotly.js-geo-dist-min" / "plotly-geo.min.js"
PLOTLY_JS = GEO_BUNDLE if GEO_BUNDLE.exists() else (
    Path(plotly.__file__).resolve().parent / "package_data" / "plotly.min.js")
MAP_FILE = Path(__file__).resolve().parent.parent / "nrs" / "static" / "nrs" / "map" / "vn-provinces-34.geojson"
DRAW = """async ([fig, config]) => {
  const el = document.createElement("div");
  el.style.width = "900px";
  document.body.appendChild(el);
  await Plotly.newPlot(el, fig.data, fig.layout, config);
  const options = Object.assign({}, config.toImageButtonOptions);
  const png = await Plotly.toImage(el, options);
  const svg = await Plotly.toImage(el, Object.assign({}, options, {format: "svg"}));
  return [png, decodeURIComponent(svg.slice(svg.indexOf(",") + 1))];
}"""


@pytest.mark.browser
@pytest.mark.django_db
def test_the_exported_png_shows_title_unit_source_and_date(figures, leader) -> None:  # type: ignore[no-untyped-def]
    """Plotly draws the PNG from the chart's SVG at the modebar's export options (plot_config):
    the SVG holds the caption's words with the page's separators, and the PNG is the export size."""
    from playwright.sync_api import sync_playwright

    from tests.browser_helpers import CHROMIUM_ARGS
    from tests.conftest import CHROMIUM

    series_page = _get(leader, "vi", "/dashboard/indicator/RETAIL_SALES/", unit="01")
    map_page = _get(leader, "vi", "/dashboard/indicator/RETAIL_SALES/", period="2026-09")
    config = {**_figure(series_page, "plot-config"), "topojsonURL": None}
    series, choropleth = _figure(series_page, "series-fig"), _figure(map_page, "map-fig")
    geojson = json.loads(MAP_FILE.read_text(encoding="utf-8"))
    for trace in choropleth["data"]:
        if "geojson" in trace:
            trace["geojson"] = geojson  # no server here: the boundaries inline
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page()
        page.set_content("<html><body></body></html>")
        # Offline, the world topojson is never fetched (STACK-NOTES): an empty one is seeded.
        page.evaluate("window.PlotlyGeoAssets = {topojson: {world_110m: {type: 'Topology', objects: {}, arcs: []}}}")
        page.add_script_tag(path=str(PLOTLY_JS))
        drawn = [page.evaluate(DRAW, [fig, config]) for fig in (series, choropleth)]
        browser.close()
    for (png, svg), place in zip(drawn, ("Hà Nội", "Tháng 9/2026"), strict=True):
        raw = base64.b64decode(png.split(",", 1)[1])
        if SHOTS.is_dir():  # for a person to look at
            (SHOTS / f"formats-{'series' if place == 'Hà Nội' else 'map'}.png").write_bytes(raw)
        assert raw[:8] == b"\x89PNG\r\n\x1a\n"
        width, height = struct.unpack(">II", raw[16:24])
        assert (width, height) == (2400, 1400)  # 1200 × 700 at scale 2, whatever the screen
        text = " ".join(html_lib.unescape(re.sub(r"<[^>]+>", " ", svg)).split())
        assert "Tổng mức bán lẻ hàng hóa và doanh thu dịch vụ tiêu dùng" in text and place in text
        assert "tỷ đồng" in text and "Số liệu tính đến" in text and re.search(r"\d{2}/\d{2}/\d{4}", text)
    series_text = " ".join(html_lib.unescape(re.sub(r"<[^>]+>", " ", drawn[0][1])).split())
    assert "Nguồn: Thành phố Hà Nội" in series_text
    assert re.search(r"1\.\d{3}\.\d{3}", series_text), series_text  # the axis in the Vietnamese way
    map_text = " ".join(html_lib.unescape(re.sub(r"<[^>]+>", " ", drawn[1][1])).split())
    assert "Nguồn: tổng hợp báo cáo của các tỉnh, thành phố" in map_text


@pytest.mark.django_db
@pytest.mark.parametrize(("lang", "value", "yoy", "plan"), [
    ("vi", "1.073.036,7", f"{MINUS}9,8 %", "87,6 %"),
    ("en", "1,073,036.7", f"{MINUS}9.8 %", "87.6 %"),
])
def test_the_big_screen_is_written_in_the_pages_language(figures, leader, lang: str, value: str, yoy: str,  # type: ignore[no-untyped-def]
                                                         plan: str) -> None:
    page = _get(leader, lang, "/dashboard/screen/", unit="01")
    start = page.index('data-indicator="RETAIL_SALES"')
    slide = page[start:page.index("</section>", start)]
    assert f"{value} <span" in slide and yoy in slide and plan in slide, slide
