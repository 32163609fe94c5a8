"""Which period a dashboard shows by default (issue 17; nrs/analytics/coverage.py).

A national total of a provincial indicator is complete when at least 90 % of the
provinces that existed in the period reported it: 63 before 2025-07-01, 34 after. The
overview and the indicator page default to the newest complete period, and mark a
partial one (asked for, or the only one) as partial: a month in which only Hà Nội has
reported yet must never read as the nation's figure, and Hà Nội is never "100 % of the
nation". Each case runs under a fixed clock at the start (just after midnight), the
middle and the end (just before midnight) of a month, in Viet Nam's time.

Reports are loaded through the real write path (nrs.collection.bulk.import_reports,
as `nrs demo` does); pages are fetched as the national leader."""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterator
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from nrs.accounts import actions as account_actions
from nrs.accounts.models import Role
from nrs.collection import bulk
from nrs.collection.validation import Row
from nrs.lib import periods
from nrs.registry.models import Level, OrgUnit, Regime
from tests.conftest import current

pytestmark = pytest.mark.django_db
VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")
REGIME = "PROV_KTXH_M"
INDICATOR = "RETAIL_SALES"
HANOI = "01"


def moments(year: int, month: int) -> list[datetime]:
    """The start, the middle and the end of a month, Viet Nam time: 00:30 on the 1st
    (still the previous day in UTC), 10:00 on the 15th and 23:30 on the last day."""
    last = calendar.monthrange(year, month)[1]
    return [datetime(year, month, 1, 0, 30, tzinfo=VIETNAM), datetime(year, month, 15, 10, 0, tzinfo=VIETNAM),
            datetime(year, month, last, 23, 30, tzinfo=VIETNAM)]


def _ids(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d_%H%M")


@pytest.fixture(autouse=True)
def _empty_cache() -> None:
    """The overview's body is cached by refresh id; ids of rolled-back rows come again."""
    cache.clear()


@pytest.fixture
def at(request: pytest.FixtureRequest) -> Iterator[datetime]:
    """The clock stands at the parametrized moment (and runs on from it)."""
    moment: datetime = request.param
    with time_machine.travel(moment):
        assert timezone.localdate() == moment.date()
        yield moment


@pytest.fixture
def service(make_user):  # type: ignore[no-untyped-def]
    """A national system account that may also approve (as the demo's loader)."""
    user = make_user("svc", "system", "CP")
    account_actions.grant_role(user, Role.APPROVER, current("CP"))
    return user


def provinces_on(day: date) -> list[OrgUnit]:
    """The provinces that existed on a day, by code (63 before 2025-07-01, 34 after)."""
    return list(OrgUnit.objects.subtree(current("CP")).filter(level=Level.PROVINCE)
                .valid_on(day).order_by("code"))


def approve(service, units: list[OrgUnit], period: str) -> None:  # type: ignore[no-untyped-def]
    """Approved monthly reports of retail sales, one per unit, through the bulk write path."""
    now = timezone.now()
    regime = Regime.objects.get(code=REGIME)
    reports = [bulk.Report(regime=regime, unit=unit, period=periods.parse_sdmx(period),
                           rows=[Row(ref=f"r{i}", indicator=INDICATOR, org_unit=unit.code, value=str(5000 + 100 * i))],
                           state="approved", submitted_at=now, approved_at=now)
               for i, unit in enumerate(units)]
    result = bulk.import_reports(reports, actor=service, today=timezone.localdate())
    assert not result.issues, result.issues
    assert result.reports == len(units)


def get(client: Client, path: str, **params: str) -> str:
    response = client.get(path, params)
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def card(html: str) -> str:
    """The overview card of retail sales: its period line."""
    found = re.search(rf'data-indicator="{INDICATOR}">.*?<div class="card-period">(.*?)</div>', html, re.S)
    assert found is not None, "no card for " + INDICATOR
    return found.group(1)


def coverage(html: str) -> str:
    """The indicator page's coverage mark beside the ranking's heading ("34/34")."""
    found = re.search(r'data-testid="coverage">(.*?</span>)</span>', html, re.S)
    assert found is not None, "no coverage mark"
    return found.group(1)


def shown_period(html: str) -> str:
    """The period the indicator page shows (selected in its period picker)."""
    found = re.search(r'<option value="([^"]+)" selected>', html)
    assert found is not None, "no period selected"
    return found.group(1)


def ranking(html: str) -> list[tuple[str, str]]:
    """The ranking's rows: (unit code, share of the nation as shown)."""
    table = re.search(r'<table class="grid" data-testid="ranking">(.*?)</table>', html, re.S)
    if table is None:
        return []
    rows = re.findall(r'<tr data-unit="([^"]+)">(.*?)</tr>', table.group(1), re.S)
    return [(code, re.findall(r"<td[^>]*>(.*?)</td>", cells, re.S)[-1].strip()) for code, cells in rows]


def complete(mark: str, label: str) -> bool:
    return 'class="coverage complete"' in mark and f">{label}</span>" in mark


def partial(mark: str, label: str) -> bool:
    return 'class="coverage partial"' in mark and f" {label}</span>" in mark


# -- after the reorganisation: 34 provinces ------------------------------------------------

@pytest.mark.parametrize("at", moments(2026, 12), ids=_ids, indirect=True)
def test_a_month_only_hanoi_reported_is_not_the_default(at, service, leader) -> None:  # type: ignore[no-untyped-def]
    approve(service, provinces_on(date(2026, 10, 31)), "2026-10")
    approve(service, [current(HANOI)], "2026-11")
    client = Client()
    client.force_login(leader)

    overview = card(get(client, "/dashboard/"))
    page = get(client, f"/dashboard/indicator/{INDICATOR}/")
    # What issue 17 names first: the default period and the ranking (1 row on 2026-12-06).
    assert "Tháng 10/2026" in overview and "Tháng 11/2026" not in overview, overview  # labels (issue 20)
    assert shown_period(page) == "2026-10"
    rows = ranking(page)
    assert len(rows) == 34 and len({code for code, _share in rows}) == 34
    # Then the coverage marks.
    assert complete(overview, "34/34"), overview
    assert complete(coverage(page), "34/34"), coverage(page)

    asked = get(client, f"/dashboard/indicator/{INDICATOR}/", period="2026-11")
    assert shown_period(asked) == "2026-11"
    assert partial(coverage(asked), "1/34"), coverage(asked)
    rows = ranking(asked)
    assert [code for code, _share in rows] == [HANOI]
    assert all("100" not in share for _code, share in rows), rows  # Hà Nội is not the nation


@pytest.mark.parametrize("at", moments(2026, 12), ids=_ids, indirect=True)
def test_a_complete_month_is_the_default(at, service, leader) -> None:  # type: ignore[no-untyped-def]
    """The same, once every province has reported November: November is the default."""
    approve(service, provinces_on(date(2026, 10, 31)), "2026-10")
    approve(service, provinces_on(date(2026, 11, 30)), "2026-11")
    client = Client()
    client.force_login(leader)
    assert complete(card(get(client, "/dashboard/")), "34/34")
    assert "Tháng 11/2026" in card(get(client, "/dashboard/"))  # the period's label (issue 20)
    page = get(client, f"/dashboard/indicator/{INDICATOR}/")
    assert shown_period(page) == "2026-11" and complete(coverage(page), "34/34")
    assert len(ranking(page)) == 34


# -- before the reorganisation: 63 provinces -----------------------------------------------

@pytest.mark.parametrize("at", moments(2025, 6), ids=_ids, indirect=True)
def test_before_the_merger_63_provinces_are_expected(at, service, leader) -> None:  # type: ignore[no-untyped-def]
    old = provinces_on(date(2025, 5, 31))
    assert len(old) == 63
    approve(service, old, "2025-05")
    client = Client()
    client.force_login(leader)
    overview = card(get(client, "/dashboard/"))
    assert "Tháng 5/2025" in overview and complete(overview, "63/63"), overview
    page = get(client, f"/dashboard/indicator/{INDICATOR}/")
    assert shown_period(page) == "2025-05" and complete(coverage(page), "63/63"), coverage(page)
    assert len(ranking(page)) == 34  # today's provinces, their history rebuilt
    as_was = get(client, f"/dashboard/indicator/{INDICATOR}/", period="2025-05", aswas="1")
    assert len(ranking(as_was)) == 63 and complete(coverage(as_was), "63/63")


@pytest.mark.parametrize("at", moments(2025, 6), ids=_ids, indirect=True)
def test_before_the_merger_30_of_63_is_partial(at, service, leader) -> None:  # type: ignore[no-untyped-def]
    old = provinces_on(date(2025, 5, 31))
    approve(service, old[:30], "2025-05")
    client = Client()
    client.force_login(leader)
    overview = card(get(client, "/dashboard/"))
    assert "Tháng 5/2025" in overview and partial(overview, "30/63"), overview  # the only period: marked
    page = get(client, f"/dashboard/indicator/{INDICATOR}/")
    assert shown_period(page) == "2025-05" and partial(coverage(page), "30/63"), coverage(page)
    as_was = get(client, f"/dashboard/indicator/{INDICATOR}/", period="2025-05", aswas="1")
    rows = ranking(as_was)
    assert len(rows) == 30 and all(share == "–" for _code, share in rows), rows
