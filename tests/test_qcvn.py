"""The QCVN 125:2021/BTTTT packets: reports made through the real API and actions, fetched
through /api/qcvn with real tokens, checked against the database and against each packet's
own JSON Schema from the OpenAPI."""

from __future__ import annotations

import hashlib
import re
import uuid
from datetime import date, datetime, timedelta
from functools import cache
from typing import Any

import jsonschema_rs
import pytest
from django.test import Client
from django.utils import timezone

from nrs.accounts import tokens
from nrs.collection.models import DataValue, Submission, SubmissionVersion, Transition
from nrs.exchange.qcvn import registry
from nrs.lib import periods
from nrs.lib.numbers import plain
from nrs.registry.models import Codelist, Indicator, Regime
from nrs.web.api import api as nrs_api
from tests.conftest import current
from tests.test_collection_api import PDF, attach, form_values, post, value_set

pytestmark = pytest.mark.django_db
REGIME, PERIOD = "PROV_KTXH_M", "2026-10"
CODES = [f"{n:02d}" for n in range(1, 14)]


def client(user, unit: str, scope: str = "read") -> Client:  # type: ignore[no-untyped-def]
    _token, secret = tokens.issue_token(user, current(unit), name="qcvn", scope=scope)
    return Client(HTTP_AUTHORIZATION=f"Bearer {secret}")


@cache
def openapi() -> dict[str, Any]:
    return nrs_api.get_openapi_schema()


def check_schema(body: dict[str, Any], code: str, status: int = 200) -> None:
    """Validate an answer against the schema the OpenAPI documents for it (jsonschema_rs
    comes with schemathesis), formats (uuid, date-time, date) included."""
    spec = openapi()
    answer = spec["paths"][f"/api/qcvn/packets/{code}"]["get"]["responses"][str(status)]
    schema = answer["content"]["application/json"]["schema"]
    validator = jsonschema_rs.Draft202012Validator({**schema, "components": spec["components"]},
                                                   validate_formats=True)
    validator.validate(body)


def fetch(c: Client, code: str, status: int = 200, **query: str) -> dict[str, Any]:
    response = c.get(f"/api/qcvn/packets/{code}", query)
    assert response.status_code == status, response.content[:2000]
    body = response.json()
    if status in (200, 400, 403, 404):
        check_schema(body, code, status)
    return body


def packet(c: Client, code: str, **query: str) -> dict[str, Any]:
    """A packet's payload, after checking its envelope."""
    body = fetch(c, code, **query)
    assert body["standard"]["code"] == "QCVN 125:2021/BTTTT"
    assert body["standard"]["conformance"] == "provisional"  # a profile, not a claim of conformity
    assert body["packetType"]["code"] == code and body["packetType"]["name_vi"]
    assert uuid.UUID(body["packetId"]).version == 4
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+07:00", body["createdAt"]), body["createdAt"]
    assert body["sender"]["code"] == "CP"
    return body["payload"]


@pytest.fixture(autouse=True)
def _fast_passwords(settings):  # type: ignore[no-untyped-def]
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def cast(make_user):  # type: ignore[no-untyped-def]
    """Hà Nội and Hải Phòng each with a reporter and an approver; a national leader; a
    Hà Nội viewer (approved data only)."""
    users = {name: make_user(name, role, unit) for name, role, unit in (
        ("hn.reporter", "reporter", "01"), ("hn.approver", "approver", "01"),
        ("hp.reporter", "reporter", "31"), ("hp.approver", "approver", "31"),
        ("leader", "leader", "CP"), ("hn.viewer", "viewer", "01"))}
    return users


def report(reporter: Client, approver: Client, unit: str, values: list[dict[str, Any]] | None = None) -> int:
    """Save, attach, submit and approve a report through the public API."""
    saved = post(reporter, value_set(values or form_values(), unit=unit))
    assert saved.status_code == 200, saved.json()
    sid = saved.json()["submission"]["id"]
    assert attach(reporter, unit=unit).status_code == 200
    for who, step in ((reporter, "submit"), (approver, "approve")):
        answer = who.post(f"/api/submissions/{sid}/{step}", {}, content_type="application/json")
        assert answer.status_code == 200, answer.json()
    return int(sid)


@pytest.fixture
def reports(cast):  # type: ignore[no-untyped-def]
    """Both provinces' October reports approved; Hà Nội's then revised (version 2, a draft
    with one changed value)."""
    hn_rep, hn_app = client(cast["hn.reporter"], "01", "write"), client(cast["hn.approver"], "01", "write")
    hp_rep, hp_app = client(cast["hp.reporter"], "31", "write"), client(cast["hp.approver"], "31", "write")
    hanoi = report(hn_rep, hn_app, "01")
    haiphong = report(hp_rep, hp_app, "31", [{**v, "value": "7"} if v["indicator"] == "RETAIL_SALES" else v
                                              for v in form_values()])
    revised = hn_rep.post(f"/api/submissions/{hanoi}/revise", {"comment": "Cục Thống kê điều chỉnh"},
                          content_type="application/json")
    assert revised.status_code == 200, revised.json()
    changed = post(hn_rep, value_set([{"indicator": "RETAIL_SALES", "value": "150", "flag": "revised"}]))
    assert changed.json()["saved"] == 1, changed.json()["issues"]
    return {"01": hanoi, "31": haiphong}


# -- the list and the directories -------------------------------------------------------------

def test_the_list_names_thirteen_packet_types_each_fetchable(cast) -> None:  # type: ignore[no-untyped-def]
    leader = client(cast["leader"], "CP")
    listing = leader.get("/api/qcvn/packets").json()
    assert [p["code"] for p in listing["packets"]] == CODES
    assert listing["standard"]["conformance"] == "provisional"
    assert {p["code"] for p in listing["packets"] if p["scoped"]} == {"04", "05", "06", "07", "13"}
    for item in listing["packets"]:
        answer = leader.get(item["path"])  # without parameters: the directories answer, the rest ask for them
        assert answer.status_code in (200, 400), (item["path"], answer.status_code)
    assert leader.get("/api/qcvn/packets/14").status_code == 404
    assert leader.get("/api/qcvn/packets/report_data").status_code == 404
    assert Client().get("/api/qcvn/packets/09").status_code == 401


def test_regime_form_outline_and_periods_match_the_registry(cast) -> None:  # type: ignore[no-untyped-def]
    c = client(cast["hn.viewer"], "01")  # any signed-in token reads the directories
    regime = Regime.objects.get(code=REGIME)
    one = packet(c, "01", regime=REGIME, on="2026-11-01")
    assert (one["frequency"], one["cutoff"]["day"], one["deadline"]) == (
        "M", 15, {"kind": "day_of_month", "value": 20, "monthOffset": 0})
    assert one["recipient"]["code"] == "VPCP" and one["reporterScope"] == "all_provinces"
    assert len(one["reportingUnits"]) == 34 == regime.reporting_units(date(2026, 11, 1)).count()
    assert {"01", "31"} <= {u["code"] for u in one["reportingUnits"]}
    # On 1 November October's report is already overdue (due 20 October): next is November's.
    assert one["nextPeriod"]["id"] == "2026-11" and one["nextPeriod"]["deadline"] == "2026-11-20"
    before = packet(c, "01", regime=REGIME, on="2025-06-01")  # before the 2025 merger: 63 provinces
    assert len(before["reportingUnits"]) == 63

    form = packet(c, "02", regime=REGIME)
    assert [f["indicator"] for f in form["fields"]] == list(
        regime.indicators.order_by("area", "code").values_list("code", flat=True))
    retail = next(f for f in form["fields"] if f["indicator"] == "RETAIL_SALES")
    indicator = Indicator.objects.get(code="RETAIL_SALES")
    assert retail["unit"]["code"] == indicator.unit.code and retail["valueType"] == indicator.value_type
    used = {b for f in form["fields"] for b in f["breakdowns"]}
    assert {b["code"] for b in form["breakdowns"]} == used

    outline = packet(c, "03", regime=REGIME)
    assert outline["textRequired"] is True and outline["outline_vi"] == regime.outline_vi
    assert "application/pdf" in outline["acceptedMediaTypes"]

    directory = packet(c, "08", regime=REGIME, year="2026")
    assert [p["id"] for p in directory["periods"]] == [f"2026-{m:02d}" for m in range(1, 13)]
    october = directory["periods"][9]
    # Decree 09: 15 September to 14 October; due on the 20th (a Tuesday).
    assert (october["cutoffStart"], october["cutoffEnd"], october["deadline"], october["dhis2"]) == (
        "2026-09-15", "2026-10-14", "2026-10-20", "202610")
    for item in directory["periods"]:
        sched = regime.schedule_for(periods.parse(item["id"]))
        assert item["deadline"] == sched.deadline.isoformat()
    # January's window starts in December of the year before.
    assert directory["periods"][0]["cutoffStart"] == "2025-12-15"


def test_a_quarterly_regime_has_four_periods_and_working_day_deadlines(cast) -> None:  # type: ignore[no-untyped-def]
    regime = Regime.objects.filter(frequency="Q", deadline_kind="working_days").order_by("code").first()
    assert regime is not None
    found = packet(client(cast["leader"], "CP"), "08", regime=regime.code, year="2026")
    assert [p["id"] for p in found["periods"]] == ["2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4"]
    for item in found["periods"]:
        due = date.fromisoformat(item["deadline"])
        assert due > date.fromisoformat(item["cutoffEnd"]) and periods.is_working_day(due)
        assert due == periods.add_working_days(date.fromisoformat(item["cutoffEnd"]), regime.deadline_value)


def test_indicators_groups_sets_and_breakdowns(cast) -> None:  # type: ignore[no-untyped-def]
    c = client(cast["hn.reporter"], "01")
    indicators = packet(c, "09")
    assert indicators["count"] == Indicator.objects.count() == len(indicators["indicators"])
    gdp_area = packet(c, "09", area="2")["indicators"]
    assert {i["code"] for i in gdp_area} == set(Indicator.objects.filter(area=2).values_list("code", flat=True))
    retail = next(i for i in indicators["indicators"] if i["code"] == "RETAIL_SALES")
    agency = Indicator.objects.get(code="RETAIL_SALES").agency_on(timezone.localdate())
    assert retail["responsibleAgency"] == (None if agency is None else {
        "code": agency.code, "name_vi": agency.name_vi, "name_en": agency.name_en})

    groups = packet(c, "11")["groups"]
    assert [g["code"] for g in groups] == list(range(1, 10))
    assert (groups[0]["name_vi"], groups[0]["name_en"]) == ("Tăng trưởng kinh tế", "Economic growth")
    assert sum(len(g["indicators"]) for g in groups) == Indicator.objects.count()

    sets = {s["code"]: s for s in packet(c, "10")["sets"]}
    assert len(sets["QD293"]["indicators"]) == Indicator.objects.count()
    assert set(sets["HEADLINE"]["indicators"]) == set(
        Indicator.objects.filter(headline=True).values_list("code", flat=True))
    assert set(sets[f"REGIME.{REGIME}"]["indicators"]) == set(
        Regime.objects.get(code=REGIME).indicators.values_list("code", flat=True))
    assert packet(c, "10", set="HEADLINE")["sets"] == [sets["HEADLINE"]]

    breakdowns = packet(c, "12")["breakdowns"]
    assert [b["code"] for b in breakdowns] == list(Codelist.objects.order_by("code").values_list("code", flat=True))
    first = Codelist.objects.order_by("code").first()
    assert first is not None
    assert [x["code"] for x in breakdowns[0]["codes"]] == list(first.codes.values_list("code", flat=True))


# -- the data packets ---------------------------------------------------------------------------

def test_report_data_carries_each_vintage(cast, reports) -> None:  # type: ignore[no-untyped-def]
    c = client(cast["hn.reporter"], "01")
    where = {"regime": REGIME, "orgUnit": "01", "period": PERIOD}
    approved = packet(c, "04", **where)
    v1 = SubmissionVersion.objects.get(submission_id=reports["01"], number=1)
    assert approved["basis"] == "approved" and approved["report"]["state"] == "draft"
    assert approved["report"]["version"] == 2 and approved["report"]["deadline"] == "2026-10-20"
    assert approved["vintage"]["version"] == 1
    # Django's JSON encoder writes milliseconds.
    assert abs(datetime.fromisoformat(approved["vintage"]["approvedAt"]) - v1.approved_at) < timedelta(milliseconds=1)
    stored = {(v.indicator.code, v.breakdown): plain(v.value) for v in DataValue.objects.filter(
        version=v1).select_related("indicator")}
    assert {(v["indicator"], v["breakdown"]): v["value"] for v in approved["values"]} == stored
    assert {v["version"] for v in approved["values"]} == {1}
    retail = next(v for v in approved["values"] if v["indicator"] == "RETAIL_SALES")
    assert retail["value"] == "100"

    draft = packet(c, "04", approved="false", **where)
    assert draft["basis"] == "current" and draft["vintage"] == {"version": 2, "approvedAt": None}
    retail = next(v for v in draft["values"] if v["indicator"] == "RETAIL_SALES")
    assert (retail["value"], retail["flag"], retail["version"], retail["approvedAt"]) == ("150", "revised", 2, None)
    assert len(draft["values"]) == len(approved["values"])  # the rest carry over from version 1


def test_status_lists_every_step_with_who_and_why(cast, reports) -> None:  # type: ignore[no-untyped-def]
    status = packet(client(cast["hn.approver"], "01"), "07", regime=REGIME, orgUnit="01", period=PERIOD)
    steps = [(t["fromState"], t["toState"], t["actor"]["username"] if t["actor"] else None, t["comment"])
             for t in status["transitions"]]
    assert steps == [("", "draft", "hn.reporter", ""), ("draft", "submitted", "hn.reporter", ""),
                     ("submitted", "approved", "hn.approver", ""),
                     ("approved", "draft", "hn.reporter", "Cục Thống kê điều chỉnh")]
    assert len(steps) == Transition.objects.filter(submission_id=reports["01"]).count()
    assert [(v["number"], v["reason"], v["approvedAt"] is not None) for v in status["versions"]] == [
        (1, "", True), (2, "Cục Thống kê điều chỉnh", False)]
    submission = Submission.objects.get(pk=reports["01"])
    assert status["report"]["state"] == submission.state == "draft"
    first = timezone.localtime(submission.first_submitted_at).date()
    assert status["late"] == (first > date(2026, 10, 20))


def test_outline_submission_lists_the_attached_document(cast, reports) -> None:  # type: ignore[no-untyped-def]
    found = packet(client(cast["hn.reporter"], "01"), "06", regime=REGIME, orgUnit="01", period=PERIOD)
    assert len(found["documents"]) == 1
    document = found["documents"][0]
    assert (document["filename"], document["kind"], document["size"], document["version"], document["current"]) == (
        "bao-cao.pdf", "pdf", len(PDF), 1, True)
    assert document["sha256"] == hashlib.sha256(PDF).hexdigest()
    assert document["uploadedBy"] == "hn.reporter" and document["signature"] == "unsigned"


def test_list_and_kpi_data_follow_the_callers_scope(cast, reports) -> None:  # type: ignore[no-untyped-def]
    leader, hanoi = client(cast["leader"], "CP"), client(cast["hn.reporter"], "01")
    table = packet(leader, "05", regime=REGIME, period=PERIOD)
    assert [r["orgUnit"] for r in table["rows"]] == ["01", "31"]
    cells = {r["orgUnit"]: {c["indicator"]: c["value"] for c in r["cells"]} for r in table["rows"]}
    assert cells["01"]["RETAIL_SALES"] == "100" and cells["31"]["RETAIL_SALES"] == "7"  # approved only
    assert table["columns"] == list(Regime.objects.get(code=REGIME).indicators.order_by(
        "area", "code").values_list("code", flat=True))
    mine = packet(hanoi, "05", regime=REGIME, period=PERIOD)
    assert [r["orgUnit"] for r in mine["rows"]] == ["01"]
    drafts = packet(hanoi, "05", regime=REGIME, period=PERIOD, approved="false")
    assert [(r["orgUnit"], r["state"], r["version"]) for r in drafts["rows"]] == [("01", "draft", 2)]
    assert {c["indicator"]: c["value"] for c in drafts["rows"][0]["cells"]}["RETAIL_SALES"] == "150"
    assert packet(leader, "05", regime=REGIME, period=PERIOD, orgUnit="31")["rows"][0]["orgUnit"] == "31"

    kpi = packet(leader, "13", indicator="RETAIL_SALES,EXPORT_TOTAL", period=PERIOD)
    assert {(v["indicator"], v["orgUnit"], v["value"]) for v in kpi["values"]} == {
        ("RETAIL_SALES", "01", "100"), ("RETAIL_SALES", "31", "7"),
        ("EXPORT_TOTAL", "01", "100"), ("EXPORT_TOTAL", "31", "100")}
    assert kpi["count"] == 4 and kpi["truncated"] is False
    assert {v["orgUnit"] for v in packet(hanoi, "13", indicator="RETAIL_SALES")["values"]} == {"01"}
    ranged = packet(leader, "13", kpiSet=f"REGIME.{REGIME}", startPeriod="2026-07", endPeriod="2026-Q4",
                    orgUnit="31")
    assert {v["orgUnit"] for v in ranged["values"]} == {"31"}
    assert len(ranged["values"]) == DataValue.objects.filter(org_unit__code="31").count()
    assert packet(leader, "13", indicator="RETAIL_SALES", startPeriod="2026-11")["values"] == []


def test_hanoi_does_not_see_haiphongs_reports(cast, reports) -> None:  # type: ignore[no-untyped-def]
    hanoi = client(cast["hn.reporter"], "01")
    theirs = {"regime": REGIME, "orgUnit": "31", "period": PERIOD}
    for code in ("04", "06", "07"):
        refused = fetch(hanoi, code, 403, **theirs)
        assert refused["ref"] == "orgUnit" and refused["message_vi"] and refused["message_en"]
    assert fetch(hanoi, "04", 403, approved="false", **theirs)["ref"] == "orgUnit"
    # A viewer reads approved data, not drafts nor the workflow.
    viewer = client(cast["hn.viewer"], "01")
    mine = {"regime": REGIME, "orgUnit": "01", "period": PERIOD}
    assert packet(viewer, "04", **mine)["vintage"]["version"] == 1
    fetch(viewer, "04", 403, approved="false", **mine)
    fetch(viewer, "07", 403, **mine)
    assert packet(viewer, "05", regime=REGIME, period=PERIOD, approved="false")["rows"] == []
    # A Hà Nội token of the leader's colleague is narrowed to Hà Nội too.
    leader_in_hanoi = client(cast["leader"], "01")
    fetch(leader_in_hanoi, "04", 403, **theirs)


def test_no_report_and_no_approval_are_404s(cast, reports) -> None:  # type: ignore[no-untyped-def]
    leader = client(cast["leader"], "CP")
    missing = fetch(leader, "04", 404, regime=REGIME, orgUnit="01", period="2026-08")
    assert missing["message_en"] == "there is no report for this regime, unit and period"
    fetch(leader, "07", 404, regime=REGIME, orgUnit="01", period="2026-08")
    hp_rep = client(cast["hp.reporter"], "31", "write")
    assert post(hp_rep, value_set(form_values(), unit="31", period="2026-09")).status_code == 200
    not_yet = fetch(leader, "04", 404, regime=REGIME, orgUnit="31", period="2026-09")
    assert not_yet["ref"] == "approved"
    assert packet(leader, "04", regime=REGIME, orgUnit="31", period="2026-09", approved="false")["values"]


BAD = [
    ("01", {}, "regime"), ("01", {"regime": "NO_SUCH"}, "regime"),
    ("01", {"regime": REGIME, "on": "2026-13-01"}, "on"),
    ("02", {"regime": ""}, "regime"), ("03", {"regime": "x\u00e9"}, "regime"),
    ("04", {"regime": REGIME, "orgUnit": "01"}, "period"),
    ("04", {"regime": REGIME, "orgUnit": "01", "period": "2026-13"}, "period"),
    ("04", {"regime": REGIME, "orgUnit": "99999", "period": PERIOD}, "orgUnit"),
    ("04", {"regime": REGIME, "orgUnit": "01", "period": PERIOD, "approved": "maybe"}, "approved"),
    ("05", {"regime": REGIME, "period": "October"}, "period"),
    ("05", {"regime": REGIME, "period": PERIOD, "orgUnit": "ZZ"}, "orgUnit"),
    ("06", {"period": PERIOD, "orgUnit": "01"}, "regime"),
    ("07", {"regime": REGIME, "period": PERIOD}, "orgUnit"),
    ("08", {"regime": REGIME, "year": "26"}, "year"), ("08", {"regime": REGIME, "year": "3000"}, "year"),
    ("09", {"area": "10"}, "area"), ("09", {"area": "one"}, "area"), ("09", {"area": "\u00b2"}, "area"),
    ("08", {"regime": REGIME, "year": "\u00b2\u00b2\u00b2\u00b2"}, "year"),
    ("10", {"set": "REGIME.NOPE"}, "set"), ("10", {"set": "ALL"}, "set"),
    ("13", {}, "indicator"), ("13", {"indicator": "NOT_AN_INDICATOR"}, "indicator"),
    ("13", {"indicator": "RETAIL_SALES", "kpiSet": "HEADLINE"}, "kpiSet"),
    ("13", {"kpiSet": "NOPE"}, "kpiSet"), ("13", {"indicator": ","}, "indicator"),
    ("13", {"indicator": "RETAIL_SALES", "orgUnit": "01,NOWHERE"}, "orgUnit"),
    ("01", {"regime": REGIME, "on": "1900-01-01"}, "on"),
    ("13", {"indicator": "RETAIL_SALES", "startPeriod": "2026-10", "endPeriod": "2026-01"}, "endPeriod"),
    ("13", {"indicator": "RETAIL_SALES", "startPeriod": "202x"}, "startPeriod"),
]


@pytest.mark.parametrize(("code", "query", "ref"), BAD)
def test_bad_parameters_are_bilingual_400s_naming_the_parameter(leader, code: str, query: dict[str, str],  # type: ignore[no-untyped-def]
                                                                ref: str) -> None:
    refused = fetch(client(leader, "CP"), code, 400, **query)
    assert refused["ref"] == ref, refused
    assert refused["message_vi"] and refused["message_en"] and refused["message_vi"] != refused["message_en"]
    named = [ref] + [part for value in query.values() for part in value.split(",") if part]
    assert any(word in refused["message_en"] for word in named), refused["message_en"]


# -- the registry and the OpenAPI ---------------------------------------------------------------

def test_every_packet_schema_is_its_own() -> None:
    """Each packet's schemas are named Qcvn…: the OpenAPI merges schemas by name, and a
    clash with another module's (say registry's PeriodOut) would swap the documented shape.
    The API's one error shape is shared on purpose."""
    spec = openapi()
    text = str({p: v for p, v in spec["paths"].items() if p.startswith("/api/qcvn/")})
    names, todo = set(), re.findall(r"#/components/schemas/(\w+)", text)
    while todo:
        name = todo.pop()
        if name not in names:
            names.add(name)
            todo += re.findall(r"#/components/schemas/(\w+)", str(spec["components"]["schemas"][name]))
    shared = {"ApiError", "IssueOut"}  # the one error shape of every operation (issue 19, part 5)
    assert names and all(name.startswith("Qcvn") or name in shared for name in names), sorted(names)
    assert len({f"/api/qcvn/packets/{c}" for c in CODES} & set(spec["paths"])) == 13


def test_a_code_is_registered_once() -> None:
    taken = type(registry.PACKETS["04"])

    class Impostor(registry.PacketType):
        code, key, name_vi, name_en, summary = "04", "impostor", "x", "x", "x"

    with pytest.raises(ValueError, match="already"):
        registry.register(Impostor)
    assert type(registry.PACKETS["04"]) is taken
    registry.register(taken)  # the same class again is harmless
