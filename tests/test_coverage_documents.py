"""Partial periods never look like collapses in the briefing documents: a national figure from
29 of 34 provinces says so, and is not compared with last year (issue 17: the signed November
report printed retail "−9,7 %" from 29 of 34 provinces without saying so)."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from nrs.accounts import actions as account_actions
from nrs.analytics import coverage, queries
from nrs.collection import bulk
from nrs.collection.models import State
from nrs.collection.validation import Row
from nrs.lib.periods import Period
from nrs.registry.models import Indicator, OrgUnit, Regime
from nrs.reports import content, render
from tests.conftest import current

HANOI = ZoneInfo("Asia/Ho_Chi_Minh")
TODAY = date(2026, 12, 20)


def _reports(provinces: list[OrgUnit], period: Period, value: str) -> list[bulk.Report]:
    regime = Regime.objects.get(code="PROV_KTXH_M")
    at = datetime.combine(period.end, datetime.min.time(), HANOI).replace(hour=10)
    return [bulk.Report(regime=regime, unit=unit, period=period, state=State.APPROVED, submitted_at=at,
                        approved_at=at, rows=[Row(ref="RETAIL_SALES", indicator="RETAIL_SALES",
                                                  org_unit=unit.code, value=value)])
            for unit in provinces]


@pytest.fixture
def retail(make_user) -> list[OrgUnit]:  # type: ignore[no-untyped-def]
    """Retail sales of 1,000 bn VND in every province for 2025-11 and 2026-10, and from 29 of
    the 34 provinces for 2026-11."""
    service = make_user("service")
    account_actions.grant_role(service, "system", current("CP"))
    account_actions.grant_role(service, "approver", current("CP"))
    provinces = queries.units_at(current("CP"), "province")
    assert len(provinces) == 34
    reports = (_reports(provinces, Period.month(2025, 11), "1000") + _reports(provinces, Period.month(2026, 10), "1000")
               + _reports(provinces[:29], Period.month(2026, 11), "1000"))
    result = bulk.import_reports(reports, actor=service, today=TODAY)
    assert not result.issues, result.issues[:3]
    return provinces


@pytest.mark.django_db
def test_a_partial_month_says_so_in_the_brief_and_is_not_compared(retail) -> None:  # type: ignore[no-untyped-def]
    november = content.build(Period.month(2026, 11), language="vi", today=TODAY).figure("RETAIL_SALES")
    assert november is not None and november.value == 29_000
    assert november.coverage == "29/34"
    assert november.change is None  # 29 provinces against 34 would read as −14.7 %
    assert "chưa đủ: 29/34 tỉnh, thành phố đã báo cáo" in render.cells(november)[0]
    october = content.build(Period.month(2026, 10), language="vi", today=TODAY).figure("RETAIL_SALES")
    assert october is not None and october.value == 34_000 and october.coverage == ""


@pytest.mark.django_db
def test_coverage_counts_the_provinces_that_existed_then(retail) -> None:  # type: ignore[no-untyped-def]
    census = coverage.Census(queries.Reader(), current("CP"))
    retail_sales = Indicator.objects.get(code="RETAIL_SALES")
    found = census.of(retail_sales, [Period.month(2026, 10), Period.month(2026, 11)])
    assert (found["2026-10"].reported, found["2026-10"].expected, found["2026-10"].complete) == (34, 34, True)
    assert (found["2026-11"].reported, found["2026-11"].expected, found["2026-11"].complete) == (29, 34, False)
    before = census.of(retail_sales, [Period.month(2025, 5)])["2025-05"]
    assert before.expected == 63  # before the 2025 reorganisation


@pytest.mark.django_db
def test_a_card_names_its_source_and_says_when_the_figure_is_an_estimate(make_user, leader) -> None:  # type: ignore[no-untyped-def]
    """CPI year on year as the statistics office reported it: the card names the office and
    marks the figure an estimate; retail sales from the provinces says so instead."""
    from django.test import Client

    service = make_user("ctk.service")
    for role in ("system", "approver"):
        account_actions.grant_role(service, role, current("CTK"))
    at = datetime(2026, 11, 6, 9, 0, tzinfo=HANOI)
    report = bulk.Report(regime=Regime.objects.get(code="CTK_TK_M"), unit=current("CTK"),
                         period=Period.month(2026, 10), state=State.APPROVED, submitted_at=at, approved_at=at,
                         rows=[Row(ref="CPI_YOY", indicator="CPI_YOY", org_unit="CTK", value="3.25",
                                   flag="estimate")])
    assert not bulk.import_reports([report], actor=service, today=TODAY).issues
    client = Client()
    client.force_login(leader)
    html = client.get("/dashboard/").content.decode()
    card = html[html.index('data-indicator="CPI_YOY"'):]
    card = card[:card.index("</a>")]
    assert "3,25" in card and "Tháng 10/2026" in card  # the period's label (issue 20)
    assert "Cục Thống kê" in card and "ước tính" in card


@pytest.mark.django_db
def test_a_merged_province_s_overview_shows_its_newest_month(make_user, leader) -> None:  # type: ignore[no-untyped-def]
    """Issue 17: Ninh Bình's overview mixed 2025-06 and 2026-10 cards, because its rebuilt
    history (three predecessors) outnumbered its own reports."""
    from django.test import Client

    from tests.conftest import legacy

    service = make_user("service")
    account_actions.grant_role(service, "system", current("CP"))
    account_actions.grant_role(service, "approver", current("CP"))
    old = [legacy(code) for code in ("37", "36", "35")]  # Ninh Bình, Nam Định, Hà Nam until 2025-06
    reports = _reports(old, Period.month(2025, 6), "300") + _reports([current("37")], Period.month(2026, 10), "950")
    assert not bulk.import_reports(reports, actor=service, today=TODAY).issues
    client = Client()
    client.force_login(leader)
    html = client.get("/dashboard/", {"unit": "37"}).content.decode()
    card = html[html.index('data-indicator="RETAIL_SALES"'):]
    card = card[:card.index("</a>")]
    assert "Tháng 10/2026" in card and "950" in card and "Tháng 6/2025" not in card  # labels (issue 20)
