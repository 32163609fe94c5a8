"""The national statistical series through the exchange: SDMX serves a national figure
reported by the statistics office (CTK, TCTK before 2025-03) under the national area code
(CP), as the analytics engine does; the analytics API names each indicator's national
source and, for a national figure computed over the provinces, how many of them reported.

The expected values are written out by hand from what the tests send (and, for GDP growth,
from the published releases in nrs/web/data/national_series.csv), not computed by NRS.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client

from nrs.accounts import actions as account_actions
from nrs.accounts import tokens
from nrs.accounts.models import Role
from nrs.collection import bulk
from nrs.collection.validation import Row
from nrs.exchange.sdmx.national import AGENCY, RESPONSIBLE, ROOT, SOURCE, NationalAreas, Steward
from nrs.lib import periods
from nrs.registry.models import Level, OrgUnit, Regime
from tests.conftest import current
from tests.test_release_history import _post
from tests.test_sdmx import assert_valid_data, flow_of, observed, read

pytestmark = pytest.mark.django_db
T0 = datetime(2026, 10, 20, tzinfo=UTC)
CTK = {"code": "CTK", "name_vi": "Cục Thống kê", "name_en": "National Statistics Office"}
TCTK = {"code": "TCTK", "name_vi": "Tổng cục Thống kê", "name_en": "General Statistics Office"}
# GDP growth as released (value, release date, flag): 2024-Q4 by TCTK, 2025 by CTK, two revised.
GDP = {
    "2024-Q4": [("7.55", "2025-01-06", "provisional")],
    "2025-Q1": [("6.93", "2025-04-06", "provisional"), ("7.05", "2026-01-05", "revised")],
    "2025-Q2": [("7.96", "2025-07-05", "provisional"), ("8.16", "2026-01-05", "revised")],
}


@pytest.fixture(autouse=True)
def many_writes(settings) -> None:  # type: ignore[no-untyped-def]
    settings.NRS_API_WRITE_RATE = "10000/h"


@pytest.fixture
def statistics_office(make_user) -> Client:  # type: ignore[no-untyped-def]
    """The statistics office's system account, as in tests/test_release_history.py."""
    user = make_user("ctk.hethong")
    for role in ("system", "approver", "backfill"):
        account_actions.grant_role(user, role, current("CTK"))
    _token, secret = tokens.issue_token(user, current("CTK"), name="ctk", scope="write")
    return Client(HTTP_AUTHORIZATION=f"Bearer {secret}")


@pytest.fixture
def gdp(statistics_office) -> None:  # type: ignore[no-untyped-def]
    """Three quarters of GDP growth backfilled through the API with their release dates."""
    for period, releases in GDP.items():
        sid = None
        for value, released, flag in releases:
            if sid is not None:
                _post(statistics_office, f"/api/submissions/{sid}/revise", {"comment": "Điều chỉnh số liệu"})
            saved = _post(statistics_office, "/api/dataValueSets", {
                "regime": "CTK_TK_Q", "orgUnit": "CTK", "period": period, "backfill": True,
                "dataValues": [{"indicator": "GDP_GROWTH", "value": value, "flag": flag}]})
            sid = saved["submission"]["id"]
            _post(statistics_office, f"/api/submissions/{sid}/submit", {})
            _post(statistics_office, f"/api/submissions/{sid}/approve", {"releasedAt": released})


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _sdmx(client: Client, key: str, **params: str) -> Any:
    return client.get(f"/sdmx/data/{flow_of(key.split('.')[1])}/{key}", params)


def _statuses(content: bytes) -> dict[str, str]:
    return {str(o.key.values["TIME_PERIOD"].value): str(o.attrib["OBS_STATUS"].value)
            for o in read(content).data[0].obs}


# -- SDMX: the national series under CP -----------------------------------------------------

def test_sdmx_serves_the_statistics_offices_gdp_growth_under_cp(gdp, leader) -> None:  # type: ignore[no-untyped-def]
    client = _client(leader)
    answer = _sdmx(client, "Q.GDP_GROWTH.CP")
    assert answer.status_code == 200, answer.content[:400]
    assert_valid_data(client, answer.content)
    assert observed(read(answer.content)) == {
        ("GDP_GROWTH", "CP", "2024-Q4"): Decimal("7.55"),  # TCTK's, before 2025-03
        ("GDP_GROWTH", "CP", "2025-Q1"): Decimal("7.05"),
        ("GDP_GROWTH", "CP", "2025-Q2"): Decimal("8.16"),
    }
    # The release's flag is the observation's status: provisional P, revised R.
    assert _statuses(answer.content) == {"2024-Q4": "P", "2025-Q1": "R", "2025-Q2": "R"}
    # Any area: the same three, under CP alone; the agency codes find nothing.
    assert set(observed(read(_sdmx(client, "Q.GDP_GROWTH.").content))) == {
        ("GDP_GROWTH", "CP", p) for p in GDP}
    for agency in ("CTK", "TCTK", "CTK+TCTK"):
        assert _sdmx(client, f"Q.GDP_GROWTH.{agency}").status_code == 404
    # CSV and JSON carry the same key.
    as_json = _sdmx(client, "Q.GDP_GROWTH.CP", format="jsondata")
    assert set(observed(read(as_json.content))) == {("GDP_GROWTH", "CP", p) for p in GDP}
    as_csv = _sdmx(client, "Q.GDP_GROWTH.CP", format="csv")
    assert as_csv.status_code == 200 and b",CP," in as_csv.content and b",CTK," not in as_csv.content


def test_sdmx_known_on_gives_the_national_figure_as_it_was_released(gdp, leader) -> None:  # type: ignore[no-untyped-def]
    client = _client(leader)
    on_release = _sdmx(client, "Q.GDP_GROWTH.CP", knownOn="2025-07-05")
    assert observed(read(on_release.content)) == {
        ("GDP_GROWTH", "CP", "2024-Q4"): Decimal("7.55"),
        ("GDP_GROWTH", "CP", "2025-Q1"): Decimal("6.93"),
        ("GDP_GROWTH", "CP", "2025-Q2"): Decimal("7.96"),
    }
    assert _statuses(on_release.content) == {"2024-Q4": "P", "2025-Q1": "P", "2025-Q2": "P"}
    assert observed(read(_sdmx(client, "Q.GDP_GROWTH.CP", knownOn="2025-04-05").content)) == {
        ("GDP_GROWTH", "CP", "2024-Q4"): Decimal("7.55")}
    assert _sdmx(client, "Q.GDP_GROWTH.CP", knownOn="2025-01-05").status_code == 404
    assert _sdmx(client, "Q.GDP_GROWTH.CP", knownOn="05/07/2025").status_code == 400


# -- provinces and the source's figure of a provincial indicator ----------------------------

@pytest.fixture
def service(make_user):  # type: ignore[no-untyped-def]
    user = make_user("svc", "system", "CP")
    account_actions.grant_role(user, Role.APPROVER, current("CP"))
    return user


def provinces_on(day: date) -> list[OrgUnit]:
    found = OrgUnit.objects.filter(level=Level.PROVINCE, valid_from__lte=day).exclude(valid_to__lt=day)
    return list(found.order_by("code"))


def retail(service, units: list[OrgUnit], period: str, value: Any, regime: str = "PROV_KTXH_M") -> None:  # type: ignore[no-untyped-def]
    """Approved reports of RETAIL_SALES (bulk history); ``value`` of each unit's index."""
    reports = [bulk.Report(regime=Regime.objects.get(code=regime), unit=unit, period=periods.parse_sdmx(period),
                           rows=[Row(ref="r", indicator="RETAIL_SALES", org_unit=unit.code, value=str(value(i)))],
                           submitted_at=T0, approved_at=T0)
               for i, unit in enumerate(units)]
    result = bulk.import_reports(reports, actor=service, today=date(2026, 11, 20))
    assert not result.issues, result.issues


def test_sdmx_keys_the_sources_figure_of_a_provincial_indicator_under_cp(service, leader,  # type: ignore[no-untyped-def]
                                                                         hanoi_reporter) -> None:  # type: ignore[no-untyped-def]
    hanoi, haiphong = current("01"), current("31")
    retail(service, [hanoi, haiphong], "2026-08", lambda i: 1000 + i)
    retail(service, [current("CTK")], "2026-08", lambda i: 650000, regime="CTK_TK_M")
    client = _client(leader)
    assert observed(read(_sdmx(client, "M.RETAIL_SALES.CP+01+31").content)) == {
        ("RETAIL_SALES", "CP", "2026-08"): Decimal("650000"),
        ("RETAIL_SALES", "01", "2026-08"): Decimal("1000"),
        ("RETAIL_SALES", "31", "2026-08"): Decimal("1001"),
    }
    # The provinces as before: under their own codes, and not under CP.
    assert observed(read(_sdmx(client, "M.RETAIL_SALES.01").content)) == {
        ("RETAIL_SALES", "01", "2026-08"): Decimal("1000")}
    assert _sdmx(client, "M.RETAIL_SALES.CTK").status_code == 404
    # A Hà Nội reporter sees Hà Nội's figure, and no national one.
    hanoi_client = _client(hanoi_reporter)
    assert set(observed(read(_sdmx(hanoi_client, "M.RETAIL_SALES.").content))) == {
        ("RETAIL_SALES", "01", "2026-08")}
    assert _sdmx(hanoi_client, "M.RETAIL_SALES.CP").status_code == 404


# -- the analytics API: source and coverage --------------------------------------------------

def analytics(user: Any, **params: str) -> dict[str, Any]:
    response = _client(user).get("/api/analytics", params)
    assert response.status_code == 200, response.content[:400]
    return response.json()  # type: ignore[no-any-return]


def test_analytics_names_the_source_and_the_provinces_coverage(service, leader) -> None:  # type: ignore[no-untyped-def]
    after = provinces_on(date(2026, 8, 31))
    assert len(after) == 34
    retail(service, after[:30], "2026-08", lambda i: 100 + i)  # 30 of 34: partial
    retail(service, after[:30], "2026-09", lambda i: 200 + i)
    retail(service, [current("CTK")], "2026-09", lambda i: 9999, regime="CTK_TK_M")  # the source's own figure
    answer = analytics(leader, indicator="RETAIL_SALES", orgUnit="CP", kind="M", start="2026-08", end="2026-09")
    assert answer["meta"]["source"]["RETAIL_SALES"] == CTK
    rows = {r["period"]: r for r in answer["rows"]}
    assert Decimal(str(rows["2026-08"]["value"])) == sum(100 + i for i in range(30))
    assert rows["2026-08"]["coverage"] == {"reported": 30, "expected": 34, "complete": False}
    assert Decimal(str(rows["2026-09"]["value"])) == 9999
    assert rows["2026-09"]["coverage"] == {"reported": 30, "expected": 34, "complete": True}
    as_csv = _client(leader).get("/api/analytics", {"indicator": "RETAIL_SALES", "orgUnit": "CP", "kind": "M",
                                                     "start": "2026-08", "end": "2026-09", "format": "csv"})
    table = csv.DictReader(io.StringIO(as_csv.content.decode()))
    assert {(r["period"], r["coverageReported"], r["coverageExpected"], r["coverageComplete"]) for r in table} == {
        ("2026-08", "30", "34", "False"), ("2026-09", "30", "34", "True")}
    # The provinces' own rows carry no national coverage.
    by_province = analytics(leader, indicator="RETAIL_SALES", orgUnit="CP", level="province", kind="M",
                            start="2026-08", end="2026-08")
    assert by_province["rows"] and all("coverage" not in r for r in by_province["rows"])


def test_before_the_reorganisation_63_provinces_are_expected(service, leader) -> None:  # type: ignore[no-untyped-def]
    before = provinces_on(date(2025, 3, 31))
    assert len(before) == 63
    retail(service, before[:57], "2025-03", lambda i: 10 + i)  # 57 of 63 = 0.905: complete
    retail(service, before[:56], "2025-04", lambda i: 10 + i)  # 56 of 63 = 0.889: partial
    answer = analytics(leader, indicator="RETAIL_SALES", orgUnit="CP", kind="M", start="2025-03", end="2025-04")
    rows = {r["period"]: r for r in answer["rows"]}
    assert rows["2025-03"]["coverage"] == {"reported": 57, "expected": 63, "complete": True}
    assert rows["2025-04"]["coverage"] == {"reported": 56, "expected": 63, "complete": False}


def test_analytics_source_follows_the_question_s_period(gdp, leader) -> None:  # type: ignore[no-untyped-def]
    before = analytics(leader, indicator="GDP_GROWTH", orgUnit="CP", kind="Q", start="2024-Q4", end="2024-Q4")
    assert before["meta"]["source"]["GDP_GROWTH"] == TCTK
    assert [Decimal(str(r["value"])) for r in before["rows"]] == [Decimal("7.55")]
    since = analytics(leader, indicator="GDP_GROWTH,RETAIL_SALES", orgUnit="CP", kind="Q",
                      start="2025-Q1", end="2025-Q2")
    assert since["meta"]["source"] == {"GDP_GROWTH": CTK, "RETAIL_SALES": CTK}
    gdp_rows = [r for r in since["rows"] if r["indicator"] == "GDP_GROWTH"]
    assert [Decimal(str(r["value"])) for r in gdp_rows] == [Decimal("7.05"), Decimal("8.16")]
    # A national indicator's figure is the source's own, not computed over the provinces.
    assert all("coverage" not in r for r in gdp_rows)


def test_which_values_stand_for_the_national_figure() -> None:
    """The keying rule alone: 1 is the root, 2-4 agencies, 5 a province; indicator 10 is
    national (source 2 until 2025-02-28), 11 provincial (source 3, responsible 4)."""
    since, until = date(1900, 1, 1), date(2025, 2, 28)
    areas = NationalAreas(code="CP", roots=frozenset({1}), agencies=frozenset({2, 3, 4}),
                          national_indicators=frozenset({10}),
                          stewards={10: [Steward(2, since, until, SOURCE)],
                                    11: [Steward(3, since, None, SOURCE), Steward(4, since, None, RESPONSIBLE)]})
    jan_2025, jan_2026 = date(2025, 1, 31), date(2026, 1, 31)
    assert areas.rank(10, 1, jan_2026) == ROOT
    assert areas.rank(10, 2, jan_2025) == SOURCE
    assert areas.rank(10, 2, jan_2026) == AGENCY  # no longer its source, but the indicator is national
    assert areas.rank(11, 3, jan_2026) == SOURCE and areas.rank(11, 4, jan_2026) == RESPONSIBLE
    assert areas.rank(11, 2, jan_2026) is None  # another agency's own figure of a provincial indicator
    assert areas.rank(11, 5, jan_2026) is None and areas.rank(10, 5, jan_2026) is None  # a province
    assert areas.widen([5]) == [5] and areas.widen([1, 5]) == [1, 5, 2, 3, 4]
