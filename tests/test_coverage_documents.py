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
