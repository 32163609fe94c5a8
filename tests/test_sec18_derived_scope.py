"""Issue 18, finding 9: derived figures follow one policy (nrs.analytics.disclosure, decision 38).

A figure is shown only to a user who may read every unit it is computed from. A viewer of the
new Ninh Bình (37) reads Ninh Bình and what became it; the national total, Ninh Bình's share of
it (which gives it away), the median of other provinces, the national coverage of indicators and
the refreshes caused by other units' approvals are computed from units outside that scope, so
every surface (page, API, SDMX, stream, freshness, compliance) leaves them all out; a national
leader gets them all. Expected values are computed here from the values loaded, not read back
from the code under test. Also finding 10 (first half): a non-integer ``since`` on the live
stream is a bilingual 400, never a 500.
"""

from __future__ import annotations

import html as htmllib
import re
from datetime import UTC, date, datetime
from decimal import Decimal
from statistics import median

import pytest
import time_machine
from asgiref.sync import async_to_sync
from django.core.cache import cache
from django.test import Client

from nrs.analytics import views
from nrs.analytics.models import Refresh
from nrs.collection import bulk
from nrs.collection.validation import Row
from nrs.lib import periods
from nrs.registry.models import Indicator, Level, OrgUnit, Regime
from tests.conftest import current
from tests.test_sdmx import flow_of

pytestmark = pytest.mark.django_db
REGIME = "PROV_KTXH_M"
PERIOD = "2026-01"
NOW = datetime(2026, 2, 20, 3, 0, tzinfo=UTC)
T0 = datetime(2026, 2, 10, tzinfo=UTC)
NINH_BINH = "37"
OWN = Decimal("555")  # Ninh Bình's retail sales


@pytest.fixture(autouse=True)
def _fixed_clock():  # type: ignore[no-untyped-def]
    cache.clear()
    with time_machine.travel(NOW):
        yield


def _provinces() -> list[OrgUnit]:
    return list(OrgUnit.objects.current().filter(level=Level.PROVINCE).order_by("code"))


def _values() -> dict[str, Decimal]:
    """Retail sales of every current province: 37 has OWN, the others 100 + 7 * i."""
    return {p.code: OWN if p.code == NINH_BINH else Decimal(100 + 7 * i) for i, p in enumerate(_provinces())}


def _import(service, reports: list[bulk.Report]) -> Refresh:  # type: ignore[no-untyped-def]
    result = bulk.import_reports(reports, actor=service, today=date(2026, 2, 10))
    assert not result.issues, result.issues
    newest = Refresh.objects.order_by("-id").first()
    assert newest is not None
    return newest


def _report(unit: OrgUnit, rows: dict[str, Decimal]) -> bulk.Report:
    lines = [Row(ref=code, indicator=code, org_unit=unit.code, value=str(v)) for code, v in rows.items()]
    return bulk.Report(regime=Regime.objects.get(code=REGIME), unit=unit, period=periods.parse_sdmx(PERIOD),
                       rows=lines,
                       state="approved", submitted_at=T0, approved_at=T0)


@pytest.fixture
def loaded(make_user):  # type: ignore[no-untyped-def]
    """Ninh Bình's report first (its own refresh), then the 33 others' (Hà Nội's with one more
    indicator); returns the two refreshes."""
    service = make_user("svc", "system", "CP")
    from nrs.accounts import actions as account_actions
    from nrs.accounts.models import Role
    account_actions.grant_role(service, Role.APPROVER, current("CP"))
    values = _values()
    own = _import(service, [_report(current(NINH_BINH), {"RETAIL_SALES": OWN})])
    others = _import(service, [_report(p, {"RETAIL_SALES": values[p.code]}
                                       | ({"EXPORT_TOTAL": Decimal(9)} if p.code == "01" else {}))
                               for p in _provinces() if p.code != NINH_BINH])
    assert own.pk < others.pk
    return own, others


def _client(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def _national_total() -> Decimal:
    return sum(_values().values(), Decimal(0))


def _peer_median() -> Decimal:
    """Four provinces nearest Ninh Bình by area (the profile's "similar provinces")."""
    unit = current(NINH_BINH)
    others = [p for p in _provinces() if p.code != NINH_BINH and p.area_km2]
    peers = sorted(others, key=lambda p: abs((p.area_km2 or 0) - (unit.area_km2 or 0)))[:4]
    values = _values()
    return Decimal(median([values[p.code] for p in peers]))


def _number(text: str) -> Decimal | None:
    text = htmllib.unescape(re.sub(r"<[^>]+>", "", text)).replace("\xa0", "").replace(" ", "").strip()
    text = text.rstrip("%").strip()
    if text in ("–", ""):
        return None
    point = text[-2] if len(text) > 2 and text[-2] in ",." else ""  # one decimal shown (vi: ",", en: ".")
    grouping = {",": ".", ".": ","}.get(point, ",")
    return Decimal(text.replace(grouping, "").replace(point or ".", "."))


def _profile_row(client: Client) -> list[Decimal | None]:
    response = client.get(f"/dashboard/province/{NINH_BINH}/")
    assert response.status_code == 200
    page = response.content.decode()
    row = re.search(r'<tr data-indicator="RETAIL_SALES">(.*?)</tr>', page, re.S)
    assert row is not None
    cells = re.findall(r"<td[^>]*>(.*?)</td>", row.group(1), re.S)
    return [_number(c) for c in cells[2:]]  # own, vs last year, nation, share, peers


def test_the_profile_shows_national_share_and_peers_all_or_none(loaded, make_user, leader) -> None:  # type: ignore[no-untyped-def]
    total, peers = _national_total(), _peer_median()
    share = (OWN / total * 100).quantize(Decimal("0.1"))
    own, _yoy, nation, shared, peer = _profile_row(_client(leader))
    assert (own, nation, shared, peer) == (OWN, total, share, peers)
    viewer = make_user("nb.viewer", "viewer", NINH_BINH)
    own, _yoy, nation, shared, peer = _profile_row(_client(viewer))
    assert own == OWN
    assert (nation, shared, peer) == (None, None, None)


def test_the_api_gives_no_share_of_a_whole_one_cannot_read(loaded, make_user, leader) -> None:  # type: ignore[no-untyped-def]
    total = _national_total()
    params = {"indicator": "RETAIL_SALES", "orgUnit": NINH_BINH, "start": PERIOD, "end": PERIOD,
              "compare": "share"}
    [row] = _client(leader).get("/api/analytics", params).json()["rows"]
    assert Decimal(row["sharePct"]) == (OWN / total * 100).quantize(Decimal("0.000001"))
    viewer = make_user("nb.viewer", "viewer", NINH_BINH)
    client = _client(viewer)
    [row] = client.get("/api/analytics", params).json()["rows"]
    assert Decimal(row["value"]) == OWN and row["sharePct"] is None
    assert client.get("/api/analytics", {**params, "orgUnit": "CP"}).status_code == 403
    csv = client.get("/api/analytics", {**params, "format": "csv"}).content.decode()
    assert str(total) not in csv
    # The indicator page's download is the API's answer.
    download = client.get("/dashboard/indicator/RETAIL_SALES/download.csv", {"unit": NINH_BINH}).content.decode()
    header, *lines = download.splitlines()
    column = header.split(",").index("sharePct")
    assert all(line.split(",")[column] == "" for line in lines if line.startswith(f"RETAIL_SALES,{NINH_BINH},"))


def test_sdmx_gives_no_national_series_out_of_scope(loaded, make_user, leader) -> None:  # type: ignore[no-untyped-def]
    flow = flow_of("RETAIL_SALES")
    viewer = make_user("nb.viewer", "viewer", NINH_BINH)
    answer = _client(viewer).get(f"/sdmx/data/{flow}/all", {"format": "csv"})
    assert answer.status_code == 200
    header, *lines = answer.content.decode().splitlines()
    areas = {line.split(",")[header.split(",").index("REF_AREA")] for line in lines}
    assert areas == {NINH_BINH}
    assert _client(viewer).get(f"/sdmx/data/{flow}/M.RETAIL_SALES.CP").status_code in (403, 404)


def _events(client: Client, since: int) -> str:
    stream = client.get("/dashboard/events/", {"since": str(since), "once": "1"})
    assert stream.status_code == 200

    async def read() -> bytes:
        return b"".join([chunk async for chunk in stream.streaming_content])  # type: ignore[attr-defined]

    return async_to_sync(read)().decode()


def test_stream_and_freshness_tell_only_of_readable_units(loaded, make_user, leader, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    own, others = loaded
    monkeypatch.setattr(views, "STREAM_SECONDS", 1.5)
    viewer = _client(make_user("nb.viewer", "viewer", NINH_BINH))
    national = _client(leader)
    assert national.get("/dashboard/freshness/").json()["id"] == others.pk
    mine = viewer.get("/dashboard/freshness/").json()
    assert mine["id"] == own.pk and mine["reason"] == ""
    # The stream: a Ninh Bình viewer up to date with Ninh Bình's refresh hears nothing of the others'.
    assert "event: refresh" not in _events(viewer, own.pk)
    assert f'"id": {own.pk}' in _events(viewer, 0)
    assert f'"id": {others.pk}' in _events(national, own.pk)
    # The dashboard pages carry the same refresh.
    for url in ("/dashboard/", f"/dashboard/province/{NINH_BINH}/", "/dashboard/screen/"):
        page = viewer.get(url).content.decode()
        assert f'data-refresh-id="{own.pk}"' in page, url
    assert f'data-refresh-id="{others.pk}"' in national.get("/dashboard/").content.decode()


def test_compliance_counts_indicators_in_scope_only(loaded, make_user, leader) -> None:  # type: ignore[no-untyped-def]
    national = _client(leader).get("/api/compliance", {"regime": REGIME, "period": PERIOD}).json()
    assert national["coverage"]["received"] == 2  # retail sales everywhere, exports in Hà Nội
    assert national["coverage"]["total"] == Indicator.objects.count()
    mine = _client(make_user("nb.leader", "leader", NINH_BINH))
    answer = mine.get("/api/compliance", {"regime": REGIME, "period": PERIOD}).json()
    assert [u["orgUnit"] for u in answer["units"]] == [NINH_BINH]
    assert answer["coverage"]["received"] == 1
    response = mine.get("/report/compliance/", {"regime": REGIME, "period": PERIOD})
    assert response.status_code == 200, response.status_code
    found = re.search(r'<p id="coverage">(.*?)</p>', response.content.decode(), re.S)
    assert found is not None
    text = found.group(1).split(" cho kỳ ")[0].split(" for period ")[0]  # without the period's label
    counts = [int(n) for n in re.findall(r"\d+", text)]
    assert counts == [1, Indicator.objects.count()], found.group(1)


@pytest.mark.parametrize("since", ["abc", "1.5", "-", "9" * 40, "1\x00"])
def test_a_bad_since_is_a_bilingual_400(make_user, since: str) -> None:  # type: ignore[no-untyped-def]
    client = _client(make_user("nb.viewer", "viewer", NINH_BINH))
    response = client.get("/dashboard/events/", {"since": since})
    assert response.status_code == 400
    body = response.json()
    assert body["message_vi"] and body["message_en"] and body["ref"] == "since"


def test_a_province_viewers_warm_overview_stays_within_its_queries(loaded, make_user) -> None:  # type: ignore[no-untyped-def]
    """The viewer's own refresh is remembered per scope and store version: a warm overview
    is still the session, the user, the grants, the default unit and the newest refresh."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    own, _others = loaded
    client = _client(make_user("nb.viewer", "viewer", NINH_BINH))
    assert f'data-refresh-id="{own.pk}"' in client.get("/dashboard/").content.decode()  # cold
    with CaptureQueriesContext(connection) as queries:
        warm = client.get("/dashboard/")
    assert warm.status_code == 200 and f'data-refresh-id="{own.pk}"' in warm.content.decode()
    assert len(queries) <= 5, [q["sql"][:120] for q in queries.captured_queries]


@pytest.mark.parametrize(("url", "name"), [("/dashboard/", "on"), ("/dashboard/", "known"),
                                           (f"/dashboard/province/{NINH_BINH}/", "known"),
                                           ("/dashboard/indicator/RETAIL_SALES/", "on")])
@pytest.mark.parametrize("value", ["2026-13-45", "2026-02-30", "x\x00", "9" * 300])
def test_a_bad_date_parameter_is_a_bilingual_400(make_user, url: str, name: str, value: str) -> None:  # type: ignore[no-untyped-def]
    client = _client(make_user("nb.viewer", "viewer", NINH_BINH))
    response = client.get(url, {name: value})
    assert response.status_code == 400
    if "\x00" in value and not response["Content-Type"].startswith("application/json"):
        return  # refused before the view (a NUL byte in any parameter: the request filter's own 400)
    body = response.json()
    assert body["ref"] == name and body["message_vi"] and body["message_en"]
