"""DHIS2 push compatibility (issue 19, part 4): /dhis2/{system}/api/dataValueSets as DHIS2's
Aggregate Data Exchange and dhis2-java-client call it. Payloads are the DHIS2 docs' own
(developer/web-api/data.md, "Sending data values"), sent with the headers DHIS2 sends; the
expected answers come from those docs (WebMessage + ImportSummary), not from NRS's code."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from django.test import Client, override_settings

from nrs.accounts import tokens
from nrs.audit.events import EventType
from nrs.audit.models import Event
from nrs.collection.models import DataValue
from nrs.exchange.dhis2 import actions
from nrs.exchange.dhis2.models import DataElementMap, DataSetMap, OrgUnitMap, PartnerSystem
from nrs.lib.numbers import plain
from nrs.registry.models import Indicator, Regime
from tests.conftest import PASSWORD, current

pytestmark = pytest.mark.django_db
SYSTEM = "SL_DHIS2"
URL = f"/dhis2/{SYSTEM}/api/dataValueSets"

# The DHIS2 docs' example, verbatim: Mortality < 5 years at Ngelehun CHC, January 2014.
DOCS_JSON = """{
  "dataSet": "pBOMPrpg1QX",
  "completeDate": "2014-02-03",
  "period": "201401",
  "orgUnit": "DiszpKrYNg8",
  "dataValues": [
    {
      "dataElement": "f7n9E0hX8qk",
      "value": "1"
    },
    {
      "dataElement": "Ix2HsbDMLea",
      "value": "2"
    },
    {
      "dataElement": "eY5ehpbEsB7",
      "value": "3"
    }
  ]
}"""
DOCS_XML = b"""<dataValueSet xmlns="http://dhis2.org/schema/dxf/2.0" dataSet="pBOMPrpg1QX"
  completeDate="2014-02-03" period="201401" orgUnit="DiszpKrYNg8">
  <dataValue dataElement="f7n9E0hX8qk" value="12"/>
  <dataValue dataElement="Ix2HsbDMLea" value="14"/>
  <dataValue dataElement="eY5ehpbEsB7" value="16"/>
</dataValueSet>"""
# The docs' bulk example: the last value's org unit (Jkhdsf8sdf4) is unknown, and DHIS2
# answers "imported 3 … ignored 1" for it.
DOCS_BULK = {"dataValues": [
    {"dataElement": "f7n9E0hX8qk", "period": "201401", "orgUnit": "DiszpKrYNg8", "value": "12"},
    {"dataElement": "f7n9E0hX8qk", "period": "201401", "orgUnit": "FNnj3jKGS7i", "value": "14"},
    {"dataElement": "f7n9E0hX8qk", "period": "201402", "orgUnit": "DiszpKrYNg8", "value": "16"},
    {"dataElement": "f7n9E0hX8qk", "period": "201402", "orgUnit": "Jkhdsf8sdf4", "value": "18"}]}
DOCS_VALUES = {("RETAIL_SALES", "01", "2014-01", "1"), ("JOBS_CREATED", "01", "2014-01", "2"),
               ("FISHERY_OUTPUT", "01", "2014-01", "3")}


@pytest.fixture
def partner(coordinator) -> PartnerSystem:  # type: ignore[no-untyped-def]
    """Sierra Leone's demo uids mapped onto NRS, through the real action."""
    system = actions.save_mapping(PartnerSystem(code=SYSTEM, name="DHIS2 demo"), actor=coordinator)
    actions.save_mapping(DataSetMap(system=system, remote_id="pBOMPrpg1QX",
                                    regime=Regime.objects.get(code="PROV_KTXH_M")), actor=coordinator)
    for element, code in (("f7n9E0hX8qk", "RETAIL_SALES"), ("Ix2HsbDMLea", "JOBS_CREATED"),
                          ("eY5ehpbEsB7", "FISHERY_OUTPUT")):
        actions.save_mapping(DataElementMap(system=system, data_element=element,
                                            indicator=Indicator.objects.get(code=code)), actor=coordinator)
    for remote, code in (("DiszpKrYNg8", "01"), ("FNnj3jKGS7i", "22")):
        actions.save_mapping(OrgUnitMap(system=system, remote_id=remote, org_unit=current(code)),
                             actor=coordinator)
    return system


@pytest.fixture
def national(make_user):  # type: ignore[no-untyped-def]
    """A national system account (the SYSTEM role on the root)."""
    return make_user("moh.dhis2", "system", "CP")


def token_of(user, unit: str = "01") -> str:  # type: ignore[no-untyped-def]
    return tokens.issue_token(user, current(unit), name="dhis2 push", scope="write")[1]


def push(body: bytes | str, auth: str, query: str = "", content_type: str = "application/json",
         url: str = URL, secure: bool = True, **headers: str) -> Any:
    return Client(enforce_csrf_checks=True).post(
        url + query, body, content_type=content_type, secure=secure,
        headers={"Authorization": auth, **headers})


def basic(username: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()


def stored() -> set[tuple[str, str, str, str]]:
    return {(v.indicator.code, v.org_unit.code, v.period, plain(v.value) if v.value is not None else "")
            for v in DataValue.objects.select_related("indicator", "org_unit")
            if v.pk == DataValue.objects.filter(indicator=v.indicator, org_unit=v.org_unit, period=v.period,
                                                breakdown=v.breakdown).latest("id").pk}


def summary_of(response: Any) -> dict[str, Any]:
    body = response.json()
    assert set(body) >= {"httpStatus", "httpStatusCode", "status", "message", "response"}, body
    assert body["httpStatusCode"] == response.status_code
    assert body["response"]["responseType"] == "ImportSummary"
    return body


# -- regressions: what issue 19 found -------------------------------------------------------------

def test_apitoken_pushes_the_docs_payload_without_csrf(partner, hanoi_reporter) -> None:  # type: ignore[no-untyped-def]
    """Before: `Authorization: ApiToken …` got 403 "CSRF check Failed" (and {base}/api/dataValueSets
    reached the native endpoint). Now the docs' JSON imports, answered as DHIS2 answers."""
    response = push(DOCS_JSON, f"ApiToken {token_of(hanoi_reporter)}")
    body = summary_of(response)
    assert response.status_code == 200, body
    assert (body["httpStatus"], body["status"], body["message"]) == ("OK", "OK", "Import was successful.")
    assert body["response"]["status"] == "SUCCESS"
    assert body["response"]["importCount"] == {"imported": 3, "updated": 0, "ignored": 0, "deleted": 0}
    assert body["response"]["conflicts"] == []
    assert stored() == DOCS_VALUES


@pytest.mark.parametrize("path", ["/api/40/dataValueSets", "/api/dataValueSets.json"])
def test_versioned_and_suffixed_paths(partner, hanoi_reporter, path: str) -> None:  # type: ignore[no-untyped-def]
    response = push(DOCS_JSON, f"ApiToken {token_of(hanoi_reporter)}", url=f"/dhis2/{SYSTEM}{path}")
    assert response.status_code == 200, response.json()
    assert stored() == DOCS_VALUES


def test_delete_strategy_clears_with_a_reasoned_audited_version(partner, hanoi_reporter) -> None:  # type: ignore[no-untyped-def]
    """Before: importStrategy=DELETE answered 200 and the values stayed stored."""
    auth = f"ApiToken {token_of(hanoi_reporter)}"
    assert push(DOCS_JSON, auth).status_code == 200
    response = push(DOCS_JSON, auth, query="?importStrategy=DELETE")
    body = summary_of(response)
    assert response.status_code == 200, body
    assert body["response"]["importCount"] == {"imported": 0, "updated": 0, "ignored": 0, "deleted": 3}
    assert stored() == {(code, unit, period, "") for code, unit, period, _v in DOCS_VALUES}
    # The old vintages stay; the new ones say why they are empty.
    assert DataValue.objects.count() == 6
    cleared = DataValue.objects.filter(value__isnull=True)
    assert {v.comment for v in cleared} == {f"deleted by {SYSTEM} (DHIS2 dataValueSets import, "
                                            "importStrategy=DELETE)"}
    assert {v.created_by for v in cleared} == {hanoi_reporter}
    audit = Event.objects.filter(event_type=EventType.VALUES_SAVED, data__has_key="deleted").get()
    assert sorted(audit.data["deleted"]) == ["FISHERY_OUTPUT/01/", "JOBS_CREATED/01/", "RETAIL_SALES/01/"]
    assert "importStrategy=DELETE" in audit.data["reason"] and audit.actor == hanoi_reporter
    # Deleting again: nothing stored to delete, so DHIS2 counts them ignored.
    again = push(DOCS_JSON, auth, query="?importStrategy=DELETE").json()
    assert again["response"]["importCount"] == {"imported": 0, "updated": 0, "ignored": 3, "deleted": 0}
    assert DataValue.objects.count() == 6


def test_a_value_marked_deleted_is_deleted(partner, hanoi_reporter) -> None:  # type: ignore[no-untyped-def]
    auth = f"ApiToken {token_of(hanoi_reporter)}"
    assert push(DOCS_JSON, auth).status_code == 200
    body = json.loads(DOCS_JSON)
    body["dataValues"][0]["deleted"] = True
    body["dataValues"][1]["value"] = "20"
    answer = push(json.dumps(body), auth).json()
    assert answer["response"]["importCount"] == {"imported": 0, "updated": 1, "ignored": 1, "deleted": 1}
    assert stored() == {("RETAIL_SALES", "01", "2014-01", ""), ("JOBS_CREATED", "01", "2014-01", "20"),
                        ("FISHERY_OUTPUT", "01", "2014-01", "3")}


def test_one_unmapped_value_refuses_all_unless_the_switch_is_on(partner, national) -> None:  # type: ignore[no-untyped-def]
    """The docs' bulk example: its last org unit is unknown. Default: nothing stored (409,
    ERROR). With partial_import, as DHIS2: 3 imported, 1 ignored, status WARNING."""
    auth = f"ApiToken {token_of(national, 'CP')}"
    refused = push(json.dumps(DOCS_BULK), auth)
    body = summary_of(refused)
    assert refused.status_code == 409 and body["status"] == "ERROR" and body["response"]["status"] == "ERROR"
    assert [c["object"] for c in body["response"]["conflicts"]] == ["dataValues[3].orgUnit"]
    assert "Jkhdsf8sdf4" in body["response"]["conflicts"][0]["value"]
    assert not DataValue.objects.exists()
    partner.partial_import = True
    actions.save_mapping(partner, actor=_coordinator(), changed=["partial_import"])
    warned = push(json.dumps(DOCS_BULK), auth)
    body = summary_of(warned)
    assert warned.status_code == 409, body
    assert (body["httpStatus"], body["status"]) == ("Conflict", "WARNING"), body["response"]["conflicts"]
    assert body["message"] == "One more conflicts encountered, please check import summary."
    assert body["response"]["status"] == "WARNING"
    assert body["response"]["importCount"] == {"imported": 3, "updated": 0, "ignored": 1, "deleted": 0}
    assert [c["object"] for c in body["response"]["conflicts"]] == ["dataValues[3].orgUnit"]
    assert stored() == {("RETAIL_SALES", "01", "2014-01", "12"), ("RETAIL_SALES", "22", "2014-01", "14"),
                        ("RETAIL_SALES", "01", "2014-02", "16")}


def _coordinator():  # type: ignore[no-untyped-def]
    from nrs.accounts.models import User

    return User.objects.get(username="coordinator")


def test_id_schemes_are_honoured_or_refused_by_name(partner, hanoi_reporter) -> None:  # type: ignore[no-untyped-def]
    """Before: idScheme was ignored. CODE: ids are NRS codes; NAME: refused, naming the option."""
    auth = f"ApiToken {token_of(hanoi_reporter)}"
    by_code = {"dataSet": "PROV_KTXH_M", "period": "201401", "orgUnit": "01",
               "dataValues": [{"dataElement": "RETAIL_SALES", "value": "7"}]}
    assert push(json.dumps(by_code), auth).status_code == 409  # UID: not in the tables
    done = push(json.dumps(by_code), auth, query="?idScheme=CODE")
    assert done.status_code == 200, done.json()
    assert stored() == {("RETAIL_SALES", "01", "2014-01", "7")}
    # Mixed: org units by code, the rest through the tables; the message's own scheme wins.
    mixed = json.loads(DOCS_JSON) | {"orgUnit": "01", "orgUnitIdScheme": "code"}
    assert push(json.dumps(mixed), auth, query="?orgUnitIdScheme=UID").status_code == 200
    assert stored() == DOCS_VALUES
    for query, option in (("?idScheme=NAME", "idScheme"), ("?dataElementIdScheme=ATTRIBUTE:x1", "dataElementIdScheme"),
                          ("?orgUnitIdScheme=bogus", "orgUnitIdScheme"), ("?skipAudit=true", "skipAudit"),
                          ("?importStrategy=MERGE", "importStrategy"), ("?force=true", "force"),
                          ("?dryRun=maybe", "dryRun")):
        refused = push(DOCS_JSON, auth, query=query)
        body = summary_of(refused)
        assert refused.status_code == 409, (query, body)
        conflict = body["response"]["conflicts"][0]
        assert conflict["object"] == option and option in conflict["value"] and conflict["message_vi"], conflict
    assert stored() == DOCS_VALUES


def test_create_and_update_strategies(partner, hanoi_reporter) -> None:  # type: ignore[no-untyped-def]
    auth = f"ApiToken {token_of(hanoi_reporter)}"
    first = json.loads(DOCS_JSON)
    first["dataValues"] = first["dataValues"][:1]
    assert push(json.dumps(first), auth).status_code == 200
    changed = DOCS_JSON.replace('"1"', '"5"')
    created = push(changed, auth, query="?importStrategy=CREATE").json()["response"]["importCount"]
    assert created == {"imported": 2, "updated": 0, "ignored": 1, "deleted": 0}
    updated = push(changed.replace('"2"', '"9"'), auth, query="?importStrategy=UPDATE").json()
    assert updated["response"]["importCount"] == {"imported": 0, "updated": 2, "ignored": 1, "deleted": 0}
    assert stored() == {("RETAIL_SALES", "01", "2014-01", "5"), ("JOBS_CREATED", "01", "2014-01", "9"),
                        ("FISHERY_OUTPUT", "01", "2014-01", "3")}


def test_dry_run_is_honoured(partner, hanoi_reporter) -> None:  # type: ignore[no-untyped-def]
    response = push(DOCS_JSON, f"ApiToken {token_of(hanoi_reporter)}", query="?dryRun=true")
    body = summary_of(response)
    assert response.status_code == 200 and body["response"]["dryRun"] is True
    assert body["response"]["importCount"]["imported"] == 3
    assert not DataValue.objects.exists()


# -- credentials and transport --------------------------------------------------------------------

def test_basic_with_a_token_or_a_system_accounts_password(partner, national, hanoi_reporter) -> None:  # type: ignore[no-untyped-def]
    secret = token_of(hanoi_reporter)
    assert push(DOCS_JSON, basic("hanoi.reporter", secret)).status_code == 200
    assert push(DOCS_JSON, basic("moh.dhis2", PASSWORD)).status_code == 200
    assert push(DOCS_JSON, f"ApiToken d2pat_{secret.removeprefix('nrs_')}").status_code == 200
    # A person's password is refused here (people sign in with two factors), as is another
    # user's token under this name.
    for auth in (basic("hanoi.reporter", PASSWORD), basic("moh.dhis2", secret), basic("moh.dhis2", "wrong"),
                 "ApiToken nrs_nope_nope", "Bearer", "", "Basic !!!"):
        refused = push(DOCS_JSON, auth)
        assert refused.status_code == 401, auth
        assert refused["WWW-Authenticate"] == 'Basic realm="DHIS2"'
        assert refused.json()["httpStatus"] == "Unauthorized" and refused.json()["message_vi"]


def test_plain_http_is_refused_unless_the_proxy_says_https(partner, hanoi_reporter) -> None:  # type: ignore[no-untyped-def]
    auth = f"ApiToken {token_of(hanoi_reporter)}"
    plain_http = push(DOCS_JSON, auth, secure=False)
    assert plain_http.status_code == 403 and "HTTPS" in plain_http.json()["message"]
    with override_settings(SECURE_PROXY_SSL_HEADER=("HTTP_X_FORWARDED_PROTO", "https")):
        proxied = push(DOCS_JSON, auth, secure=False, **{"X-Forwarded-Proto": "https"})
    assert proxied.status_code == 200, proxied.json()
    with override_settings(DEBUG=True):
        assert push(DOCS_JSON, auth, secure=False).status_code == 200


# -- formats, async, bad input --------------------------------------------------------------------

def test_dxf2_xml_of_the_docs_imports(partner, hanoi_reporter) -> None:  # type: ignore[no-untyped-def]
    response = push(DOCS_XML, f"ApiToken {token_of(hanoi_reporter)}", content_type="application/xml")
    assert response.status_code == 200, response.json()
    assert stored() == {("RETAIL_SALES", "01", "2014-01", "12"), ("JOBS_CREATED", "01", "2014-01", "14"),
                        ("FISHERY_OUTPUT", "01", "2014-01", "16")}


def test_async_answers_with_dhis2s_job_api(partner, hanoi_reporter) -> None:  # type: ignore[no-untyped-def]
    """dhis2-java-client always sends async=true, then polls system/tasks and reads
    system/taskSummaries (Dhis2AsyncRequest)."""
    auth = f"ApiToken {token_of(hanoi_reporter)}"
    started = push(DOCS_JSON, auth, query="?async=true&dataElementIdScheme=UID&orgUnitIdScheme=UID"
                   "&categoryOptionComboIdScheme=UID&idScheme=UID&dryRun=false&preheatCache=false"
                   "&skipAudit=false")
    body = started.json()
    assert started.status_code == 200 and body["httpStatus"] == "OK", body
    job = body["response"]
    assert job["jobType"] == "DATAVALUE_IMPORT" and len(job["id"]) == 11
    client = Client(headers={"Authorization": auth})
    tasks = client.get(f"/dhis2/{SYSTEM}/api/system/tasks/DATAVALUE_IMPORT/{job['id']}", secure=True)
    assert tasks.status_code == 200 and tasks.json()[0]["completed"] is True
    summary = client.get(f"/dhis2/{SYSTEM}/api/system/taskSummaries/DATAVALUE_IMPORT/{job['id']}", secure=True)
    assert summary.json()["status"] == "SUCCESS"
    assert summary.json()["importCount"] == {"imported": 3, "updated": 0, "ignored": 0, "deleted": 0}
    assert stored() == DOCS_VALUES
    other = Client(headers={"Authorization": f"ApiToken {token_of(_coordinator(), 'CP')}"})
    assert other.get(f"/dhis2/{SYSTEM}/api/system/taskSummaries/DATAVALUE_IMPORT/{job['id']}",
                     secure=True).status_code == 404


XXE = b"""<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>
<dataValueSet xmlns="http://dhis2.org/schema/dxf/2.0" period="201401" orgUnit="DiszpKrYNg8">
<dataValue dataElement="f7n9E0hX8qk" value="1" comment="&x;"/></dataValueSet>"""


@pytest.mark.parametrize(("body", "content_type", "status", "words"), [
    (XXE, "application/xml", 400, "DTD"),
    (b"<dataValueSet", "application/xml", 400, "malformed XML"),
    (b'<dataValueSet xmlns="http://dhis2.org/schema/dxf/2.0" secret="x"/>', "application/xml", 400,
     "unknown attribute 'secret'"),
    (b"\x00\xff", "image/png", 415, "unsupported content type"),
    (b'{"dataValues": [{"dataElement": "f7n9E0hX8qk\\u0000", "value": "1"}]}', "application/json", 400,
     "control"),
])
def test_bad_input_is_a_dhis2_shaped_4xx(partner, hanoi_reporter, body, content_type, status, words) -> None:  # type: ignore[no-untyped-def]
    response = push(body, f"ApiToken {token_of(hanoi_reporter)}", content_type=content_type)
    assert response.status_code == status
    assert response["Content-Type"].startswith("application/json")
    answer = response.json()
    assert answer["status"] == "ERROR" and answer["httpStatusCode"] == status
    assert words in json.dumps(answer, ensure_ascii=False), answer
    assert not DataValue.objects.exists()


def test_other_paths_and_systems_answer_json_not_html(partner, hanoi_reporter) -> None:  # type: ignore[no-untyped-def]
    auth = f"ApiToken {token_of(hanoi_reporter)}"
    assert push(DOCS_JSON, auth, url="/dhis2/NOPE/api/dataValueSets").status_code == 404
    for url in (f"/dhis2/{SYSTEM}/api/dataElements", "/dhis2/"):
        response = Client().get(url, secure=True)
        assert response.status_code == 404 and response.json()["httpStatusCode"] == 404
    get = Client(headers={"Authorization": auth}).get(URL, secure=True)
    assert get.status_code == 405 and get["Allow"] == "POST"
