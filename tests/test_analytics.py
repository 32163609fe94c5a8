"""Aggregation through the real write path and the analytics API, on the real registry."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.test import Client

from nrs.accounts import actions as account_actions
from nrs.accounts.models import Role
from nrs.analytics import refresh
from nrs.analytics.models import Basis, Cell
from nrs.collection import actions, bulk
from nrs.collection.models import Submission
from nrs.collection.validation import Row
from nrs.lib import periods
from nrs.registry.models import Indicator, OrgUnit, Regime
from nrs.web import demo_values
from tests.conftest import current, legacy
from tests.test_collection_api import PDF

pytestmark = pytest.mark.django_db
REGIME = "PROV_KTXH_M"
T0 = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture
def service(make_user):  # type: ignore[no-untyped-def]
    user = make_user("svc", "system", "CP")
    account_actions.grant_role(user, Role.APPROVER, current("CP"))
    return user


def load(service, unit: OrgUnit, period: str, values: dict[str, str], *,  # type: ignore[no-untyped-def]
         approved_at: datetime = T0, state: str = "approved", regime: str = REGIME) -> None:
    rows = [Row(ref=f"{code}@{u}", indicator=code, org_unit=u, value=v)
            for (code, u), v in ((k if isinstance(k, tuple) else (k, unit.code), v) for k, v in values.items())]
    report = bulk.Report(regime=Regime.objects.get(code=regime), unit=unit, period=periods.parse_sdmx(period),
                         rows=rows, state=state, submitted_at=approved_at,
                         approved_at=approved_at if state == "approved" else None)
    result = bulk.import_reports([report], actor=service, today=date(2026, 11, 20))
    assert not result.issues, result.issues


def cell(code: str, unit: OrgUnit, period: str, basis: str = Basis.APPROVED) -> Decimal | None:
    found = Cell.objects.filter(basis=basis, indicator__code=code, org_unit=unit, period=period).first()
    return None if found is None else found.value


def api(user, **params):  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    response = client.get("/api/analytics", params)
    assert response.status_code == 200, response.content
    return response.json()


def test_a_province_is_the_sum_of_its_communes(service) -> None:  # type: ignore[no-untyped-def]
    hanoi = current("01")
    communes = list(OrgUnit.objects.current().filter(parent=hanoi).order_by("code")[:3])
    load(service, hanoi, "2026-01", {("BIRTHS_REGISTERED", c.code): str(100 * (i + 1))
                                     for i, c in enumerate(communes)})
    assert cell("BIRTHS_REGISTERED", communes[1], "2026-01") == 200
    assert cell("BIRTHS_REGISTERED", hanoi, "2026-01") == 600
    assert cell("BIRTHS_REGISTERED", current("CP"), "2026-01") == 600
    # A province's own figure stands over its communes' sum.
    load(service, current("79"), "2026-01", {"BIRTHS_REGISTERED": "50"})
    assert cell("BIRTHS_REGISTERED", current("CP"), "2026-01") == 650


def test_a_year_is_its_months_by_the_rule(service) -> None:  # type: ignore[no-untyped-def]
    hanoi = current("01")
    for month in range(1, 13):
        load(service, hanoi, f"2025-{month:02d}", {"RETAIL_SALES": str(month * 10),
                                                   "TAX_ARREARS": str(1000 + month),
                                                   "IIP_GROWTH": "7.5"})
    assert cell("RETAIL_SALES", hanoi, "2025") == sum(m * 10 for m in range(1, 13))  # sum
    assert cell("RETAIL_SALES", hanoi, "2025-Q2") == 40 + 50 + 60
    assert cell("RETAIL_SALES", hanoi, "2025-YTD03") == 60
    assert cell("RETAIL_SALES", hanoi, "2025-N1") == sum(m * 10 for m in range(1, 10))
    assert cell("TAX_ARREARS", hanoi, "2025") == 1012  # last: the closing stock
    assert cell("TAX_ARREARS", hanoi, "2025-S1") == 1006
    assert cell("IIP_GROWTH", hanoi, "2025") is None  # a growth rate is not added up over time
    assert cell("RETAIL_SALES", current("CP"), "2025") == cell("RETAIL_SALES", hanoi, "2025")


def test_an_incomplete_year_has_no_annual_total(service) -> None:  # type: ignore[no-untyped-def]
    for month in (1, 2):
        load(service, current("01"), f"2026-{month:02d}", {"RETAIL_SALES": "5"})
    assert cell("RETAIL_SALES", current("01"), "2026-YTD02") == 10
    assert cell("RETAIL_SALES", current("01"), "2026-Q1") is None


def test_year_on_year_across_the_2025_merger(service, leader) -> None:  # type: ignore[no-untyped-def]
    """New Ninh Bình (37, from 2025-07-01) = old Hà Nam (35) + Nam Định (36) + Ninh Bình (37)."""
    for code, value in (("35", "100"), ("36", "200"), ("37", "300")):
        load(service, legacy(code), "2024-08", {"EXPORT_TOTAL": value})
    ninh_binh = current("37")
    load(service, ninh_binh, "2025-08", {"EXPORT_TOTAL": "660"})
    rebuilt = Cell.objects.get(basis="A", indicator__code="EXPORT_TOTAL", org_unit=ninh_binh, period="2024-08")
    assert rebuilt.value == 600 and rebuilt.rebuilt and rebuilt.n == 3
    # The old units are still there as they were, and the nation counts them once.
    assert cell("EXPORT_TOTAL", legacy("36"), "2024-08") == 200
    assert cell("EXPORT_TOTAL", current("CP"), "2024-08") == 600
    answer = api(leader, indicator="EXPORT_TOTAL", orgUnit="37", start="2025-08", end="2025-08", compare="yoy")
    [row] = answer["rows"]
    assert (row["value"], row["lastYear"], row["yoy"], row["yoyUnit"]) == ("660", "600", "10", "%")
    previous = api(leader, indicator="EXPORT_TOTAL", orgUnit="37", start="2024-08", end="2024-08")["rows"][0]
    assert previous["rebuilt"] is True and previous["reportedValues"] == 3


def test_known_on_returns_the_older_vintage(service, make_user, leader) -> None:  # type: ignore[no-untyped-def]
    hanoi = current("01")
    regime = Regime.objects.get(code=REGIME)
    indicators = list(regime.indicators.filter(formula="").select_related("unit").order_by("code"))
    rows = demo_values.values_for(indicators, "01", 1.0, periods.parse_sdmx("2026-03"))
    first = datetime(2026, 4, 10, tzinfo=UTC)
    report = bulk.Report(regime=regime, unit=hanoi, period=periods.parse_sdmx("2026-03"), rows=rows,
                         submitted_at=first, approved_at=first)
    assert not bulk.import_reports([report], actor=service, today=date(2026, 4, 10)).issues
    old = cell("RETAIL_SALES", hanoi, "2026-03")
    submission = Submission.objects.get(org_unit=hanoi, period="2026-03")
    reporter, approver = make_user("hn.r", "reporter", "01"), make_user("hn.a", "approver", "01")
    actions.revise_submission(submission, actor=reporter, reason="corrected retail sales")
    new = (old + 1).quantize(Decimal("0.1"))
    saved = actions.check_and_save_values(regime, hanoi, periods.parse_sdmx("2026-03"),
                                          [Row(ref="r", indicator="RETAIL_SALES", org_unit="01", value=str(new),
                                               comment="corrected after the tax office's data")],
                                          actor=reporter, today=date(2026, 5, 2))
    assert saved.ok, saved.issues
    actions.attach_document(regime, hanoi, periods.parse_sdmx("2026-03"), PDF, "report.pdf", actor=reporter)
    actions.submit_submission(submission, actor=reporter, today=date(2026, 5, 2))
    # Submitted, not approved: the preview has it, the approved figures do not.
    assert cell("RETAIL_SALES", hanoi, "2026-03") == old
    assert cell("RETAIL_SALES", hanoi, "2026-03", Basis.PREVIEW) == new
    actions.approve_submission(submission, actor=approver)
    assert cell("RETAIL_SALES", hanoi, "2026-03") == new
    assert cell("RETAIL_SALES", current("CP"), "2026-Q1") is None  # Jan and Feb missing
    params = {"indicator": "RETAIL_SALES", "orgUnit": "01", "start": "2026-03", "end": "2026-03"}
    assert api(leader, **params)["rows"][0]["value"] == str(new.normalize())
    as_then = api(leader, **params, knownOn=(first + timedelta(days=1)).isoformat())
    assert as_then["rows"][0]["value"] == str(old.normalize())
    assert "knownOn" in as_then["meta"]["computedFrom"]
    before_any = api(leader, **params, knownOn="2026-04-01")
    assert before_any["rows"] == []
    # The indicator page answers the same question.
    client = Client()
    client.force_login(leader)
    page = client.get("/dashboard/indicator/RETAIL_SALES/", {"unit": "01", "known": "2026-04-11"}).content.decode()
    assert 'data-testid="known-on"' in page and f"{float(old)}" in page and f"{float(new)}" not in page
    page = client.get("/dashboard/indicator/RETAIL_SALES/", {"unit": "01"}).content.decode()
    assert f"{float(new)}" in page


def test_incremental_refresh_equals_a_full_recomputation(service, make_user) -> None:  # type: ignore[no-untyped-def]
    """Every approval refreshes only its chain; the store must equal the engine
    run over all the values from scratch."""
    regime = Regime.objects.get(code=REGIME)
    indicators = list(regime.indicators.filter(formula="").select_related("unit").order_by("code"))
    for code, old in (("35", True), ("36", True), ("01", False)):
        unit = legacy(code) if old else current(code)
        for month in (5, 6):
            period = periods.Period.month(2025, month)
            report = bulk.Report(regime=regime, unit=unit, period=period,
                                 rows=demo_values.values_for(indicators, code, 1.0, period),
                                 submitted_at=T0, approved_at=T0)
            assert not bulk.import_reports([report], actor=service, today=date(2026, 11, 20)).issues
    # Now one live approval: Hà Nội's July.
    hanoi, july = current("01"), periods.Period.month(2025, 7)
    reporter, approver = make_user("hn.r", "reporter", "01"), make_user("hn.a", "approver", "01")
    saved = actions.check_and_save_values(regime, hanoi, july, demo_values.values_for(indicators, "01", 1.0, july),
                                          actor=reporter, backfill=True, today=date(2026, 11, 20))
    assert saved.ok, saved.issues
    actions.attach_document(regime, hanoi, july, PDF, "report.pdf", actor=reporter)
    actions.submit_submission(saved.submission, actor=reporter, today=date(2026, 11, 20))
    actions.approve_submission(saved.submission, actor=approver)
    stored = {(c.indicator.code, c.org_unit_id, c.period): c.value
              for c in Cell.objects.filter(basis="A").select_related("indicator")}
    computed = {key: c.value for key, c in refresh.compute().items()}
    assert stored == computed
    assert len(stored) > 500
    assert Indicator.objects.filter(code="ONLINE_DOSSIER_SHARE").exists()
    share = stored[("ONLINE_DOSSIER_SHARE", hanoi.pk, "2025-07")]
    online = stored[("DOSSIER_ONLINE", hanoi.pk, "2025-07")]
    received = stored[("DOSSIER_RECEIVED", hanoi.pk, "2025-07")]
    assert abs(share - online / received * 100) < Decimal("0.0001")


def test_analytics_api_scope_csv_and_errors(service, make_user) -> None:  # type: ignore[no-untyped-def]
    load(service, current("01"), "2026-01", {"RETAIL_SALES": "123"})
    load(service, current("79"), "2026-01", {"RETAIL_SALES": "77"})
    viewer = make_user("hn.v", "viewer", "01")
    client = Client()
    client.force_login(viewer)
    assert client.get("/api/analytics", {"indicator": "RETAIL_SALES", "orgUnit": "79"}).status_code == 403
    assert client.get("/api/analytics", {"indicator": "RETAIL_SALES", "orgUnit": "01",
                                         "basis": "preview"}).status_code == 403
    bad = client.get("/api/analytics", {"indicator": "NOPE", "orgUnit": "01"})
    assert bad.status_code == 400 and bad.json()["ref"] == "indicator" and bad.json()["message_vi"]
    bad = client.get("/api/analytics", {"indicator": "RETAIL_SALES", "start": "2026-13"})
    assert bad.status_code == 400 and bad.json()["ref"] == "start"
    csv = client.get("/api/analytics", {"indicator": "RETAIL_SALES", "orgUnit": "01", "format": "csv",
                                        "compare": "share,yoy"})
    assert csv.status_code == 200 and csv["Content-Type"].startswith("text/csv")
    lines = csv.content.decode().splitlines()
    assert lines[0].startswith("indicator,orgUnit,orgUnitName,period,value")
    assert lines[1].split(",")[:5] == ["RETAIL_SALES", "01", current("01").name_vi, "2026-01", "123"]
    # A leader at the national level sees provinces; share of the nation.
    leader = make_user("lead", "leader", "CP")
    client.force_login(leader)
    rows = client.get("/api/analytics", {"indicator": "RETAIL_SALES", "orgUnit": "CP", "level": "province",
                                         "start": "2026-01", "end": "2026-01", "compare": "share"}).json()["rows"]
    shares = {r["orgUnit"]: r["sharePct"] for r in rows}
    assert shares == {"01": "61.5", "79": "38.5"}


def test_per_capita_plan_and_previous_period(service, coordinator, leader) -> None:  # type: ignore[no-untyped-def]
    from nrs.registry import actions as registry_actions

    hanoi = current("01")
    load(service, hanoi, "2025", {"POP_AVG": "8500"}, regime="PROV_KTXH_Y")
    for month, value in ((1, "100"), (2, "120"), (3, "150")):
        load(service, hanoi, f"2026-{month:02d}", {"RETAIL_SALES": value})
    registry_actions.set_target(Indicator.objects.get(code="RETAIL_SALES"), hanoi, 2026, Decimal(1480),
                                actor=coordinator)
    [row] = api(leader, indicator="RETAIL_SALES", orgUnit="01", start="2026-03", end="2026-03",
                compare="percapita,plan,ytd,prev")["rows"]
    assert (row["ytd"], row["plan"], row["planPct"]) == ("370", "1480", "25")
    assert (row["previous"], row["prevChange"]) == ("120", "25")
    assert row["perCapita"] == "0.000018"  # VND bn 150 over 8.5 million people
    quarter = api(leader, indicator="RETAIL_SALES", orgUnit="01", kind="Q", start="2026-Q1", end="2026-Q1")
    assert quarter["rows"][0]["value"] == "370"


def test_units_as_they_were(service, leader) -> None:  # type: ignore[no-untyped-def]
    for code, value in (("35", "100"), ("36", "200"), ("37", "300")):
        load(service, legacy(code), "2024-08", {"EXPORT_TOTAL": value})
    today = api(leader, indicator="EXPORT_TOTAL", orgUnit="CP", level="province", start="2024-08", end="2024-08")
    assert {r["orgUnit"]: (r["value"], r["rebuilt"]) for r in today["rows"]} == {"37": ("600", True)}
    then = api(leader, indicator="EXPORT_TOTAL", orgUnit="CP", level="province", start="2024-08", end="2024-08",
               asWas="true")
    assert {r["orgUnit"]: r["value"] for r in then["rows"]} == {"35": "100", "36": "200", "37": "300"}
    client = Client()
    client.force_login(leader)
    page = client.get("/dashboard/indicator/EXPORT_TOTAL/", {"unit": "CP", "period": "2024-08", "aswas": "1"})
    assert page.status_code == 200 and legacy("36").name_vi in page.content.decode()
    old = client.get("/dashboard/indicator/EXPORT_TOTAL/", {"unit": "36", "on": "2025-06-30"})
    assert old.status_code == 200 and "2024-08" in old.content.decode()


def test_dashboard_pages_and_scope(service, make_user) -> None:  # type: ignore[no-untyped-def]
    load(service, current("01"), "2026-01", {"RETAIL_SALES": "123", "EXPORT_TOTAL": "5"})
    viewer = make_user("hn.v", "viewer", "01")
    client = Client()
    client.force_login(viewer)
    assert client.get("/").url == "/dashboard/"
    overview = client.get("/dashboard/")
    assert overview.status_code == 200 and current("01").name_vi in overview.content.decode()
    assert client.get("/dashboard/", {"unit": "79"}).status_code == 403
    assert client.get("/dashboard/province/79/").status_code == 403
    for url in ("/dashboard/indicator/RETAIL_SALES/", "/dashboard/province/01/", "/dashboard/screen/",
                "/dashboard/freshness/"):
        assert client.get(url, {"unit": "01"}).status_code == 200, url
    csv = client.get("/dashboard/indicator/RETAIL_SALES/download.csv", {"unit": "01"})
    assert "RETAIL_SALES,01" in csv.content.decode()
    xlsx = client.get("/dashboard/indicator/RETAIL_SALES/download.xlsx", {"unit": "01"})
    from io import BytesIO

    from openpyxl import load_workbook

    sheet = load_workbook(BytesIO(xlsx.content)).active
    assert sheet["A1"].value == "indicator" and sheet["E2"].value == 123
    # The live stream announces the newest refresh.
    stream = client.get("/dashboard/events/", {"since": "0", "once": "1"})
    from asgiref.sync import async_to_sync

    async def read() -> bytes:
        return b"".join([chunk async for chunk in stream.streaming_content])  # type: ignore[attr-defined]

    body = async_to_sync(read)().decode()
    assert "event: refresh" in body and '"id":' in body
    assert Client().get("/dashboard/").status_code == 302  # signed out: to the login page


def test_the_aggregates_command_recomputes_what_was_lost(service) -> None:  # type: ignore[no-untyped-def]
    from io import StringIO

    from django.core.management import call_command

    load(service, current("01"), "2026-01", {"RETAIL_SALES": "10", "EXPORT_TOTAL": "3"})
    before = set(Cell.objects.filter(basis="A").values_list("indicator_id", "org_unit_id", "period", "value"))
    Cell.objects.filter(indicator__code="RETAIL_SALES").delete()  # say, a store restored from an old backup
    out = StringIO()
    call_command("aggregates", stdout=out)
    assert "Aggregates:" in out.getvalue()
    after = set(Cell.objects.filter(basis="A").values_list("indicator_id", "org_unit_id", "period", "value"))
    assert after == before and len(after) == 8  # 2 indicators × (Hà Nội, nation) × (month, YTD)
