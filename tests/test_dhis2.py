"""DHIS2 dataValueSets (JSON, CSV) and ADX imports: through the real API with real tokens,
into the real write path, on the real registry."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client

from nrs.accounts import tokens
from nrs.audit.events import EventType
from nrs.audit.models import Event
from nrs.collection.models import DataValue, Submission
from nrs.exchange.dhis2 import actions, importer
from nrs.exchange.dhis2.models import (
    DataElementMap,
    DataSetMap,
    OrgUnitMap,
    PartnerSystem,
)
from nrs.lib.numbers import plain
from nrs.registry.models import Indicator, Regime
from tests.conftest import current

pytestmark = pytest.mark.django_db
REGIME = "PROV_KTXH_M"
SYSTEM = "MOH_DHIS2"
DEFAULT = "HllvX50cXC0"  # DHIS2's default category option combo


@pytest.fixture
def partner(coordinator) -> PartnerSystem:  # type: ignore[no-untyped-def]
    """A DHIS2 instance with its own uids, mapped through the real action."""
    system = actions.save_mapping(PartnerSystem(code=SYSTEM, name="DHIS2 Bộ Y tế"), actor=coordinator)
    regime = Regime.objects.get(code=REGIME)
    actions.save_mapping(DataSetMap(system=system, remote_id="dsMonthlyKT", regime=regime),
                         actor=coordinator)
    for element, combo, code, breakdown in (
            ("deRetail001", "", "RETAIL_SALES", ""),
            ("deJobs00001", "", "JOBS_CREATED", ""),
            ("deJobs00001", "cocFemale01", "JOBS_CREATED", "SEX=F"),
            ("deJobs00001", "cocMale0001", "JOBS_CREATED", "SEX=M"),
            ("JOBS", "sex=FMLE", "JOBS_CREATED", "SEX=F"),  # ADX disaggregation attributes
            ("JOBS", "", "JOBS_CREATED", ""),
            ("RETAIL", "", "RETAIL_SALES", "")):
        actions.save_mapping(DataElementMap(system=system, data_element=element, combo=combo,
                                            indicator=Indicator.objects.get(code=code),
                                            breakdown=breakdown), actor=coordinator)
    for remote, code in (("ouHaNoi0001", "01"), ("ouHaiPhong1", "31")):
        actions.save_mapping(OrgUnitMap(system=system, remote_id=remote, org_unit=current(code)),
                             actor=coordinator)
    return system


def api(user, unit: str = "01", scope: str = "write") -> Client:  # type: ignore[no-untyped-def]
    _token, secret = tokens.issue_token(user, current(unit), name="dhis2", scope=scope)
    return Client(HTTP_AUTHORIZATION=f"Bearer {secret}")


def post_json(client: Client, body: Any, query: str = f"?system={SYSTEM}", **headers: str) -> Any:
    return client.post(f"/api/dhis2/dataValueSets{query}", json.dumps(body),
                       content_type="application/json", headers=headers)


def post_adx(client: Client, body: bytes, query: str = f"?system={SYSTEM}", **headers: str) -> Any:
    return client.post(f"/api/dhis2/adx{query}", body, content_type="application/adx+xml",
                       headers=headers)


def dhis2_json(org_unit: str = "ouHaNoi0001", period: str = "202610", **values: str) -> dict[str, Any]:
    """A data value set in DHIS2's documented JSON format."""
    found = {"deRetail001": "5230.5", "deJobs00001": "1200"} | values
    return {"dataSet": "dsMonthlyKT", "completeDate": "2026-11-05", "period": period,
            "orgUnit": org_unit, "attributeOptionCombo": DEFAULT,
            "dataValues": [{"dataElement": element, "categoryOptionCombo": DEFAULT, "value": value,
                            "comment": "từ DHIS2"} for element, value in found.items()]
            + [{"dataElement": "deJobs00001", "categoryOptionCombo": "cocFemale01", "value": "560",
                "comment": ""}]}


def stored() -> set[tuple[str, str, str, str, str]]:
    return {(v.indicator.code, v.org_unit.code, v.period, v.breakdown, plain(v.value))
            for v in DataValue.objects.select_related("indicator", "org_unit")}


ADX = """<?xml version="1.0" encoding="UTF-8"?>
<adx xmlns="urn:ihe:qrph:adx:2015" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
     exported="2026-11-05T08:30:00Z">
  <group orgUnit="ouHaNoi0001" period="2026-10-01/P1M" dataSet="dsMonthlyKT" completeDate="2026-11-05">
    <dataValue dataElement="RETAIL" value="5230.5"/>
    <dataValue dataElement="JOBS" value="1200"/>
    <dataValue dataElement="JOBS" sex="FMLE" value="560"><annotation>ước tính</annotation></dataValue>
  </group>
</adx>
""".encode()


def adx_groups(*groups: str) -> bytes:
    return ('<adx xmlns="urn:ihe:qrph:adx:2015">' + "".join(groups) + "</adx>").encode()


def adx_group(unit: str = "ouHaNoi0001", period: str = "2026-10-01/P1M", value: str = "100") -> str:
    return (f'<group orgUnit="{unit}" period="{period}" dataSet="dsMonthlyKT">'
            f'<dataValue dataElement="RETAIL" value="{value}"/></group>')


HANOI_VALUES = {("RETAIL_SALES", "01", "2026-10", "", "5230.5"), ("JOBS_CREATED", "01", "2026-10", "", "1200"),
                ("JOBS_CREATED", "01", "2026-10", "SEX=F", "560")}


# -- each format imports correctly -------------------------------------------------------------

def test_dhis2_json_imports_through_the_mapping(partner, hanoi_reporter) -> None:  # type: ignore[no-untyped-def]
    client = api(hanoi_reporter)
    response = post_json(client, dhis2_json())
    body = response.json()
    assert response.status_code == 200, body
    assert body["status"] == "SUCCESS" and body["responseType"] == "ImportSummary"
    assert body["importCount"] == {"imported": 3, "updated": 0, "ignored": 0, "deleted": 0}
    assert body["message_en"].startswith("imported") and body["message_vi"].startswith("Đã nhập")
    assert stored() == HANOI_VALUES
    submission = Submission.objects.get()
    assert (submission.regime.code, submission.org_unit.code, submission.period, submission.state) == (
        REGIME, "01", "2026-10", "draft")
    assert {v.comment for v in DataValue.objects.filter(breakdown="")} == {"từ DHIS2"}
    event = Event.objects.get(event_type=EventType.VALUES_SAVED)
    assert (event.actor, event.object_id, event.data["saved"]) == (hanoi_reporter, str(submission.pk), 3)
    # Sent again with one value changed: one update, the rest unchanged; both vintages kept.
    again = post_json(client, dhis2_json(deRetail001="5300")).json()
    assert again["importCount"] == {"imported": 0, "updated": 1, "ignored": 2, "deleted": 0}
    retail = DataValue.objects.filter(indicator__code="RETAIL_SALES").order_by("id")
    assert [plain(v.value) for v in retail] == ["5230.5", "5300"]
    assert {v.version.number for v in retail} == {1}


def test_dhis2_csv_imports_with_and_without_its_header(partner, hanoi_reporter) -> None:  # type: ignore[no-untyped-def]
    client = api(hanoi_reporter)
    csv_body = ("dataelement,period,orgunit,categoryoptioncombo,attributeoptioncombo,value,storedby,"
                "lastupdated,comment,followup\n"
                f"deRetail001,202610,ouHaNoi0001,{DEFAULT},{DEFAULT},5230.5,dhis2,2026-11-05T08:00:00,"
                "từ DHIS2,false\n"
                f"deJobs00001,202610,ouHaNoi0001,{DEFAULT},{DEFAULT},1200,dhis2,2026-11-05T08:00:00,,false\n"
                f"deJobs00001,202610,ouHaNoi0001,cocFemale01,{DEFAULT},560,dhis2,2026-11-05T08:00:00,,false\n")
    response = client.post(f"/api/dhis2/dataValueSets?system={SYSTEM}&dataSet=dsMonthlyKT", csv_body,
                           content_type="text/csv")
    assert response.status_code == 200, response.json()
    assert response.json()["importCount"]["imported"] == 3
    assert stored() == HANOI_VALUES
    # DHIS2 reads CSV by position: without the header row, the same lines mean the same.
    headless = csv_body.split("\n", 1)[1].replace("5230.5", "5231")
    again = client.post(f"/api/dhis2/dataValueSets?system={SYSTEM}&dataSet=dsMonthlyKT", headless,
                        content_type="text/csv").json()
    assert again["importCount"] == {"imported": 0, "updated": 1, "ignored": 2, "deleted": 0}


def test_adx_imports_with_disaggregation_and_annotation(partner, hanoi_reporter) -> None:  # type: ignore[no-untyped-def]
    response = post_adx(api(hanoi_reporter), ADX)
    assert response.status_code == 200, response.json()
    assert response.json()["importCount"]["imported"] == 3
    assert stored() == HANOI_VALUES
    assert DataValue.objects.get(breakdown="SEX=F").comment == "ước tính"
    assert Event.objects.filter(event_type=EventType.VALUES_SAVED).count() == 1


def test_without_a_system_ids_are_nrs_codes_and_periods_any_notation(hanoi_reporter) -> None:  # type: ignore[no-untyped-def]
    body = {"dataSet": REGIME, "period": "2026-10-01/P1M", "orgUnit": "01",
            "dataValues": [{"dataElement": "JOBS_CREATED", "categoryOptionCombo": "SEX=M", "value": "640"},
                           {"dataElement": "RETAIL_SALES", "value": 5000}]}
    response = post_json(api(hanoi_reporter), body, query="")
    assert response.status_code == 200, response.json()
    assert stored() == {("JOBS_CREATED", "01", "2026-10", "SEX=M", "640"),
                        ("RETAIL_SALES", "01", "2026-10", "", "5000")}


def test_dry_run_counts_but_stores_nothing(partner, hanoi_reporter) -> None:  # type: ignore[no-untyped-def]
    response = post_json(api(hanoi_reporter), dhis2_json(), query=f"?system={SYSTEM}&dryRun=true")
    body = response.json()
    assert response.status_code == 200 and body["dryRun"] is True
    assert body["importCount"]["imported"] == 3 and body["message_en"].startswith("dry run")
    assert not Submission.objects.exists() and not DataValue.objects.exists()
    assert not Event.objects.filter(event_type=EventType.VALUES_SAVED).exists()


def test_the_same_idempotency_key_stores_once(partner, hanoi_reporter) -> None:  # type: ignore[no-untyped-def]
    client = api(hanoi_reporter)
    first = post_adx(client, ADX, **{"Idempotency-Key": "moh-2026-10-hanoi"})
    second = post_adx(client, ADX, **{"Idempotency-Key": "moh-2026-10-hanoi"})
    assert first.status_code == second.status_code == 200
    assert second.json()["replayed"] is True
    assert second.json()["importCount"] == first.json()["importCount"]
    assert DataValue.objects.count() == 3
    assert Event.objects.filter(event_type=EventType.VALUES_SAVED).count() == 1
    other = post_adx(client, adx_groups(adx_group(value="7")), **{"Idempotency-Key": "moh-2026-10-hanoi"})
    assert other.status_code == 422
    assert "different request" in other.json()["conflicts"][0]["message_en"]
    assert DataValue.objects.count() == 3


# -- hostile and wrong input: an error naming the place, nothing stored -------------------------

XXE = b"""<?xml version="1.0"?>
<!DOCTYPE adx [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<adx xmlns="urn:ihe:qrph:adx:2015"><group orgUnit="ouHaNoi0001" period="2026-10-01/P1M" dataSet="dsMonthlyKT">
<dataValue dataElement="RETAIL" value="1"><annotation>&xxe;</annotation></dataValue></group></adx>"""
LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<adx xmlns="urn:ihe:qrph:adx:2015"><group orgUnit="ouHaNoi0001" period="2026-10-01/P1M" dataSet="dsMonthlyKT">
<dataValue dataElement="RETAIL" value="1"><annotation>&lol3;</annotation></dataValue></group></adx>"""


@pytest.mark.parametrize("body", [XXE, LAUGHS], ids=["xxe", "billion-laughs"])
def test_hostile_xml_is_refused(partner, hanoi_reporter, body: bytes) -> None:  # type: ignore[no-untyped-def]
    response = post_adx(api(hanoi_reporter), body)
    assert response.status_code == 400
    answer = response.json()
    assert answer["status"] == "ERROR"
    assert answer["conflicts"][0]["object"] == "adx" and "DTD" in answer["conflicts"][0]["message_en"]
    assert not Submission.objects.exists() and not DataValue.objects.exists()


@pytest.mark.parametrize(("send", "where", "words"), [
    (lambda c: post_json(c, {**dhis2_json(), "dataValues": [
        {"dataElement": "deRetail001", "value": "1"}, {"dataElement": "deNOPE00001", "value": "2"}]}),
     "dataValues[1].dataElement", "unknown data element 'deNOPE00001'"),
    (lambda c: post_json(c, dhis2_json(org_unit="ouNOWHERE01")), "orgUnit", "unknown org unit 'ouNOWHERE01'"),
    (lambda c: post_json(c, dhis2_json(period="2026W44")), "period", "'2026W44': NRS has no weekly"),
    (lambda c: post_json(c, dhis2_json(period="2026-10")), None, None),  # NRS ids are fine
    (lambda c: c.post(f"/api/dhis2/dataValueSets?system={SYSTEM}&dataSet=dsMonthlyKT",
                      "deRetail001,202610,ouHaNoi0001,,,1\ndeRetail001,20261015,ouHaNoi0001,,,2\n",
                      content_type="text/csv"), "line 2, period", "'20261015': NRS has no daily"),
    (lambda c: post_adx(c, adx_groups(adx_group(), adx_group(period="2026-10-01/P7D"))),
     "group[2]/@period", "NRS has no periods in weeks or days"),
    (lambda c: post_adx(c, adx_groups(adx_group(unit="ouNOWHERE01"))), "group[1]/@orgUnit",
     "unknown org unit 'ouNOWHERE01'"),
    (lambda c: post_adx(c, adx_groups(adx_group().replace('value="100"', 'sex="X" value="1"'))),
     "group[1]/dataValue[1]", "category option combo 'sex=X' of data element 'RETAIL'"),
], ids=["json-element", "json-unit", "json-week", "json-nrs-period", "csv-day", "adx-7-days",
        "adx-unit", "adx-combo"])
def test_unknown_codes_and_wrong_periods_name_the_place(partner, hanoi_reporter, send, where, words) -> None:  # type: ignore[no-untyped-def]
    response = send(api(hanoi_reporter))
    if where is None:
        assert response.status_code == 200, response.json()
        return
    assert response.status_code == 422, response.json()
    conflicts = response.json()["conflicts"]
    assert any(c["object"] == where and words in c["message_en"] and c["message_vi"] for c in conflicts), conflicts
    assert not Submission.objects.exists() and not DataValue.objects.exists()


def test_a_bad_second_group_stores_none_of_the_first(partner, hanoi_reporter) -> None:  # type: ignore[no-untyped-def]
    """Group 1 passes and is written; group 2 fails validation in the write path: the one
    transaction is rolled back, so group 1 is gone too."""
    body = adx_groups(adx_group(), adx_group(period="2026-09-01/P1M", value="một trăm"))
    response = post_adx(api(hanoi_reporter), body)
    assert response.status_code == 422, response.json()
    conflicts = response.json()["conflicts"]
    assert [c["object"] for c in conflicts] == ["group[2]/dataValue[1]/@value"]
    assert "not a number" in conflicts[0]["message_en"]
    assert not Submission.objects.exists() and not DataValue.objects.exists()
    assert not Event.objects.filter(event_type=EventType.VALUES_SAVED).exists()


def test_a_hanoi_token_cannot_import_hai_phong(partner, hanoi_reporter) -> None:  # type: ignore[no-untyped-def]
    client = api(hanoi_reporter)
    foreign = post_json(client, dhis2_json(org_unit="ouHaiPhong1"))
    assert foreign.status_code == 403
    assert foreign.json()["conflicts"][0]["message_en"] == "org unit '31' is outside your scope"
    mixed = post_adx(client, adx_groups(adx_group(), adx_group(unit="ouHaiPhong1")))
    assert mixed.status_code == 403
    assert not Submission.objects.exists() and not DataValue.objects.exists()
    reader = post_json(api(hanoi_reporter, scope="read"), dhis2_json())
    assert reader.status_code == 403 and not DataValue.objects.exists()


def test_bad_bodies_answer_in_both_languages_and_never_raise(partner, hanoi_reporter) -> None:  # type: ignore[no-untyped-def]
    client = api(hanoi_reporter)
    for response, status in ((post_json(client, {"dataValues": "nope"}), 400),
                             (post_json(client, dhis2_json(), query="?system=NOPE"), 400),
                             (client.post("/api/dhis2/dataValueSets", b"\x00\xff", content_type="image/png"), 415),
                             (post_adx(client, b"<adx"), 400),
                             (post_adx(client, b'<adx xmlns="urn:other"/>'), 400)):
        assert response.status_code == status, response.json()
        conflict = response.json()["conflicts"][0]
        assert conflict["object"] and conflict["message_vi"] and conflict["message_en"]
    summary = importer.import_payload(b"{", "application/json", actor=hanoi_reporter)
    assert summary.ok is False and summary.imported == 0 and summary.conflicts
    assert summary.as_dict()["status"] == "ERROR"
    done = importer.import_payload(ADX, "application/adx+xml", actor=hanoi_reporter, system=SYSTEM)
    assert done.ok and done.imported == 3
    assert not DataValue.objects.filter(org_unit__code="31").exists()


# -- the mapping tables in the admin -------------------------------------------------------------

def test_the_admin_edits_a_mapping_and_it_is_audited(partner, coordinator, make_user) -> None:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(coordinator)
    indicator = Indicator.objects.get(code="JOBS_CREATED")
    add = "/admin/dhis2/dataelementmap/add/"
    assert client.get(add).status_code == 200
    refused = client.post(add, {"system": partner.pk, "data_element": "deJobs00001", "combo": "cocOther001",
                                "indicator": indicator.pk, "breakdown": "SEX=X", "active": "on"})
    # The admin speaks Vietnamese first: the form error names the bad part in it.
    page = refused.content.decode()
    assert refused.status_code == 200 and "SEX=X" in page and "không phải là phân tổ của chỉ tiêu này" in page
    created = client.post(add, {"system": partner.pk, "data_element": "deJobs00001", "combo": "cocOther001",
                                "indicator": indicator.pk, "breakdown": "SEX=M", "active": "on"})
    assert created.status_code == 302
    row = DataElementMap.objects.get(combo="cocOther001")
    event = Event.objects.filter(event_type=EventType.MAPPING_CHANGED).latest("seq")
    assert (event.actor, event.object_id, event.data["created"]) == (coordinator, str(row.pk), True)
    assert event.data["now"]["breakdown"] == "SEX=M"
    changed = client.post(f"/admin/dhis2/dataelementmap/{row.pk}/change/", {
        "system": partner.pk, "data_element": "deJobs00001", "combo": "cocOther001",
        "indicator": indicator.pk, "breakdown": "SEX=F"})  # and switched off
    assert changed.status_code == 302
    event = Event.objects.filter(event_type=EventType.MAPPING_CHANGED).latest("seq")
    assert set(event.data["fields"]) == {"breakdown", "active"} and event.data["now"]["active"] is False
    # A provincial coordinator sees the admin but may not change national mappings.
    provincial = Client()
    provincial.force_login(make_user("hn.coordinator", "coordinator", "01"))
    assert provincial.get(add).status_code == 403
    assert provincial.post(f"/admin/dhis2/dataelementmap/{row.pk}/change/", {
        "system": partner.pk, "data_element": "x", "indicator": indicator.pk}).status_code == 403
    assert DataElementMap.objects.get(pk=row.pk).data_element == "deJobs00001"


# -- over real HTTP, on a real `nrs serve` ---------------------------------------------------------

def test_adx_over_http_on_a_live_node(live_node) -> None:  # type: ignore[no-untyped-def]
    """ADX with NRS codes (no partner system) to the real server with the Hà Nội system
    client's token; the hostile twin is refused and stores nothing. June 2026 is this test's
    own period on the shared node."""
    from tests.live import call

    token = live_node.tokens["hn.system"]
    group = ('<group orgUnit="01" period="2026-06-01/P1M" dataSet="PROV_KTXH_M">'
             '<dataValue dataElement="RETAIL_SALES" value="4100.5"/>'
             '<dataValue dataElement="JOBS_CREATED" SEX="F" value="300"/></group>')
    adx = adx_groups(group)
    headers = {"Content-Type": "application/adx+xml", "Idempotency-Key": "live-adx-2026-06"}
    first = call(live_node.base, "POST", "/api/dhis2/adx", token=token, body=adx, headers=headers)
    assert first.status == 200, first.json()
    again = call(live_node.base, "POST", "/api/dhis2/adx", token=token, body=adx, headers=headers)
    assert again.status == 200 and again.json()["replayed"] is True
    hostile = call(live_node.base, "POST", "/api/dhis2/adx", token=token, body=LAUGHS.replace(
        b"2026-10-01/P1M", b"2026-06-01/P1M").replace(b"ouHaNoi0001", b"01").replace(b"dsMonthlyKT", b"PROV_KTXH_M"),
        headers={"Content-Type": "application/adx+xml"})
    assert hostile.status == 400
    rows = live_node.query("SELECT i.code, v.breakdown, v.value FROM collection_datavalue v "
                           "JOIN registry_indicator i ON i.id = v.indicator_id WHERE v.period = %s "
                           "ORDER BY i.code", ("2026-06",))
    assert [(code, breakdown, plain(Decimal(str(value)))) for code, breakdown, value in rows] == [
        ("JOBS_CREATED", "SEX=F", "300"), ("RETAIL_SALES", "", "4100.5")]


# -- DHIS2's import options on the native endpoint too (issue 19, part 4) -------------------------

def test_import_options_are_honoured_or_refused_on_the_native_endpoint(partner, hanoi_reporter) -> None:  # type: ignore[no-untyped-def]
    """Before: importStrategy=DELETE answered 200 and the values stayed; idScheme was ignored."""
    client = api(hanoi_reporter)
    assert post_json(client, dhis2_json()).status_code == 200
    deleted = post_json(client, dhis2_json(), query=f"?system={SYSTEM}&importStrategy=DELETE")
    assert deleted.status_code == 200, deleted.json()
    assert deleted.json()["importCount"] == {"imported": 0, "updated": 0, "ignored": 0, "deleted": 3}
    assert {v for v in DataValue.objects.order_by("-id").values_list("value", flat=True)[:3]} == {None}
    for query, option in (("&idScheme=NAME", "idScheme"), ("&async=true", "async"),
                          ("&skipAudit=true", "skipAudit")):
        refused = post_json(client, dhis2_json(), query=f"?system={SYSTEM}{query}")
        assert refused.status_code == 409, refused.json()
        assert refused.json()["conflicts"][0]["object"] == option
    assert DataValue.objects.count() == 6
