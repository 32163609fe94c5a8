"""Reporting through the API: tokens, validation, workflow, vintages, scope."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from nrs.accounts import tokens
from nrs.collection.models import DataValue, IdempotencyRecord, Submission, Transition
from nrs.registry.models import Regime
from tests.conftest import current

pytestmark = pytest.mark.django_db
REGIME, PERIOD = "PROV_KTXH_M", "2026-10"
SPECIAL = {"EXPORT_FDI": "50", "DOSSIER_ONLINE": "50", "DOSSIER_RESOLVED_ONTIME": "50",
           "POOR_HOUSEHOLDS": "50", "UNEMPLOYMENT_RATE": "2.5", "CPI_MOM": "0.3"}


def form_values(regime: str = REGIME) -> list[dict[str, Any]]:
    codes = Regime.objects.get(code=regime).indicators.values_list("code", flat=True)
    return [{"indicator": code, "value": SPECIAL.get(code, "100")} for code in sorted(codes)]


def api(user, unit: str = "01", scope: str = "write") -> Client:  # type: ignore[no-untyped-def]
    _token, secret = tokens.issue_token(user, current(unit), name="test", scope=scope)
    return Client(HTTP_AUTHORIZATION=f"Bearer {secret}")


def post(client: Client, body: Any, query: str = "", **headers: str) -> Any:
    raw = body if isinstance(body, (bytes, str)) else json.dumps(body)
    return client.post(f"/api/dataValueSets{query}", raw, content_type="application/json",
                       headers=headers)


# A real one-page PDF: attach_document parses it (issue 18, finding 11).
PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>"
       b"endobj\n3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\nxref\n0 4\n"
       b"0000000000 65535 f \n0000000009 00000 n \n0000000052 00000 n \n0000000101 00000 n \n"
       b"trailer<</Size 4/Root 1 0 R>>\nstartxref\n164\n%%EOF\n")


def attach(client: Client, unit: str = "01", period: str = PERIOD) -> Any:
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("bao-cao.pdf", PDF, content_type="application/pdf")
    return client.post(f"/api/documents?regime={REGIME}&orgUnit={unit}&period={period}",
                       {"file": upload})


def value_set(values: list[dict[str, Any]], unit: str = "01", period: str = PERIOD) -> dict[str, Any]:
    return {"regime": REGIME, "orgUnit": unit, "period": period, "dataValues": values}


@pytest.fixture
def hanoi_approver(make_user):  # type: ignore[no-untyped-def]
    return make_user("hanoi.approver", "approver", "01")


def test_report_submit_approve_and_read_back(hanoi_reporter, hanoi_approver, leader) -> None:  # type: ignore[no-untyped-def]
    reporter = api(hanoi_reporter)
    saved = post(reporter, value_set(form_values()))
    assert saved.status_code == 200, saved.json()
    body = saved.json()
    assert body["saved"] == len(form_values()) and body["submission"]["state"] == "draft"
    sid = body["submission"]["id"]
    assert attach(reporter).status_code == 200
    assert reporter.post(f"/api/submissions/{sid}/submit", {}, content_type="application/json"
                         ).json()["state"] == "submitted"
    # Before approval a leader's default (approved-only) view has nothing.
    leader_client = api(leader, "CP", "read")
    assert leader_client.get("/api/dataValues?orgUnit=01").json()["dataValues"] == []
    approver = api(hanoi_approver)
    assert approver.post(f"/api/submissions/{sid}/approve", {}, content_type="application/json"
                         ).json()["state"] == "approved"
    rows = leader_client.get("/api/dataValues?orgUnit=01&indicator=EXPORT_TOTAL").json()
    assert [(r["indicator"], r["value"]) for r in rows["dataValues"]] == [("EXPORT_TOTAL", "100")]
    states = list(Transition.objects.filter(submission_id=sid).values_list("to_state", flat=True))
    assert states == ["draft", "submitted", "approved"]


def test_revision_keeps_the_old_vintage(hanoi_reporter, hanoi_approver) -> None:  # type: ignore[no-untyped-def]
    reporter, approver = api(hanoi_reporter), api(hanoi_approver)
    sid = post(reporter, value_set(form_values())).json()["submission"]["id"]
    attach(reporter)
    reporter.post(f"/api/submissions/{sid}/submit", {}, content_type="application/json")
    approver.post(f"/api/submissions/{sid}/approve", {}, content_type="application/json")
    first_known = timezone.now()
    # Approved means locked.
    locked = post(reporter, value_set([{"indicator": "EXPORT_TOTAL", "value": "120"}]))
    assert locked.status_code == 422
    assert locked.json()["issues"][0]["code"] == "submission_locked"
    no_reason = reporter.post(f"/api/submissions/{sid}/revise", {}, content_type="application/json")
    assert no_reason.status_code == 409
    revised = reporter.post(f"/api/submissions/{sid}/revise", {"comment": "Cục Hải quan điều chỉnh"},
                            content_type="application/json")
    assert revised.json() == {**revised.json(), "state": "draft", "version": 2}
    assert post(reporter, value_set([{"indicator": "EXPORT_TOTAL", "value": "120",
                                      "flag": "revised"}])).json()["saved"] == 1
    reporter.post(f"/api/submissions/{sid}/submit", {}, content_type="application/json")
    approver.post(f"/api/submissions/{sid}/approve", {}, content_type="application/json")
    now = approver.get("/api/dataValues?indicator=EXPORT_TOTAL&orgUnit=01").json()["dataValues"]
    assert [(r["value"], r["version"]) for r in now] == [("120", 2)]
    then = approver.get("/api/dataValues", {"indicator": "EXPORT_TOTAL", "orgUnit": "01",
                                            "knownOn": first_known.isoformat()}).json()
    assert [(r["value"], r["version"]) for r in then["dataValues"]] == [("100", 1)]
    assert DataValue.objects.filter(indicator__code="EXPORT_TOTAL").count() == 2  # both kept


def test_submit_needs_every_required_value(hanoi_reporter) -> None:  # type: ignore[no-untyped-def]
    reporter = api(hanoi_reporter)
    sid = post(reporter, value_set(form_values()[:3])).json()["submission"]["id"]
    attach(reporter)
    refused = reporter.post(f"/api/submissions/{sid}/submit", {}, content_type="application/json")
    assert refused.status_code == 422
    codes = {issue["code"] for issue in refused.json()["issues"]}
    assert codes == {"required_missing"}
    assert Submission.objects.get(pk=sid).state == "draft"


def test_dry_run_stores_nothing(hanoi_reporter) -> None:  # type: ignore[no-untyped-def]
    response = post(api(hanoi_reporter), value_set(form_values()), "?dryRun=true")
    assert response.status_code == 200 and response.json()["dryRun"] is True
    assert not Submission.objects.exists() and not DataValue.objects.exists()


def test_csv_and_dhis2_shapes(hanoi_reporter) -> None:  # type: ignore[no-untyped-def]
    client = api(hanoi_reporter)
    csv_body = "indicator,value,comment\nEXPORT_TOTAL,100,\nIMPORT_TOTAL,90.5,tạm tính\n"
    response = client.post(f"/api/dataValueSets?regime={REGIME}&orgUnit=01&period=202610",
                           csv_body, content_type="text/csv")
    assert response.status_code == 200, response.json()
    dhis2 = {"dataSet": REGIME, "orgUnit": "01", "period": "202610",
             "dataValues": [{"dataElement": "RETAIL_SALES", "value": 5000, "period": "202610"}]}
    assert post(client, dhis2).status_code == 200
    stored = client.get("/api/dataValues?approved=false&orgUnit=01").json()["dataValues"]
    assert {(r["indicator"], r["value"], r["period"]) for r in stored} == {
        ("EXPORT_TOTAL", "100", PERIOD), ("IMPORT_TOTAL", "90.5", PERIOD),
        ("RETAIL_SALES", "5000", PERIOD)}


@pytest.mark.parametrize(("values", "ref", "code"), [
    ([{"indicator": "EXPORT_TOTAL", "value": True}], "dataValues[0]", "value_invalid"),
    ([{"indicator": "EXPORT_TOTAL", "value": "12,5"}], "dataValues[0]", "value_invalid"),
    ([{"indicator": "EXPORT_TOTAL", "value": "=SUM(A1:A3)"}], "dataValues[0]", "value_invalid"),
    ([{"indicator": "ENT_NEW", "value": "3.5"}], "dataValues[0]", "value_invalid"),
    ([{"indicator": "NOT_A_CODE", "value": "1"}], "dataValues[0]", "indicator_not_in_regime"),
    ([{"indicator": "ONLINE_DOSSIER_SHARE", "value": "1"}], "dataValues[0]", "indicator_not_in_regime"),
    ([{"indicator": "EXPORT_TOTAL", "value": "1", "flag": "guess"}], "dataValues[0]", "flag_unknown"),
    ([{"indicator": "EXPORT_TOTAL", "value": "1", "breakdown": {"COLOUR": "RED"}}],
     "dataValues[0]", "breakdown_invalid"),
    ([{"indicator": "EXPORT_TOTAL", "value": "1"}, {"indicator": "EXPORT_TOTAL", "value": "2"}],
     "dataValues[1]", "duplicate_row"),
    ([{"indicator": "EXPORT_TOTAL", "value": "100"}, {"indicator": "EXPORT_FDI", "value": "150"}],
     "dataValues[1]", "rule:EXPORT_FDI_LE_TOTAL"),
])
def test_bad_values_are_refused_whole(hanoi_reporter, values, ref: str, code: str) -> None:  # type: ignore[no-untyped-def]
    good = [{"indicator": "RETAIL_SALES", "value": "10"}]
    response = post(api(hanoi_reporter), value_set(good + values))
    assert response.status_code == 422, response.json()
    issues = response.json()["issues"]
    shifted = f"dataValues[{int(ref[11:-1]) + 1}]"
    assert any(i["ref"] == shifted and i["code"] == code for i in issues), issues
    assert all(i["message_vi"] and i["message_en"] for i in issues)
    assert not DataValue.objects.exists()  # nothing partial, not even the good row


@pytest.mark.parametrize(("body", "words"), [
    (b"{not json", "malformed JSON"),
    (b"[1, 2]", "JSON object"),
    (json.dumps({"regime": REGIME, "orgUnit": "01", "period": PERIOD}), "dataValues"),
    (json.dumps({"regime": REGIME, "orgUnit": "01", "period": PERIOD, "dataValues": [1]}),
     "each value must be an object"),
    (json.dumps({"regime": 5.5, "orgUnit": "01", "period": PERIOD, "dataValues": []}),
     "must be a string"),
])
def test_malformed_bodies_get_400(hanoi_reporter, body: Any, words: str) -> None:  # type: ignore[no-untyped-def]
    response = post(api(hanoi_reporter), body)
    assert response.status_code == 400
    assert words in response.json()["message_en"] and response.json()["message_vi"]


def test_period_not_open_and_unknown_codes(hanoi_reporter) -> None:  # type: ignore[no-untyped-def]
    client = api(hanoi_reporter)
    future = post(client, value_set([{"indicator": "EXPORT_TOTAL", "value": "1"}], period="2099-06"))
    assert future.status_code == 422
    assert future.json()["issues"][0]["code"] == "period_not_open"
    quarterly = post(client, value_set([{"indicator": "EXPORT_TOTAL", "value": "1"}],
                                       period="2026-Q2"))
    assert "period_kind" in {i["code"] for i in quarterly.json()["issues"]}
    assert post(client, {**value_set([]), "regime": "NOPE"}).status_code == 422
    assert post(client, value_set([], unit="99999")).status_code == 422


def test_merged_away_province_needs_backfill(make_user) -> None:  # type: ignore[no-untyped-def]
    from nrs.accounts import actions

    user = make_user("ninhbinh.reporter", "reporter", "37")
    old_ha_nam = "35"
    actions.grant_role(user, "reporter", current("CP"))  # wide grant: this tests validation
    client = api(user, "CP")
    body = value_set([{"indicator": "EXPORT_TOTAL", "value": "10"}], unit=old_ha_nam,
                     period="2025-05")
    refused = post(client, body)
    assert refused.status_code == 422
    assert refused.json()["issues"][0]["code"] == "unit_ended"
    accepted = post(client, {**body, "backfill": True})
    assert accepted.status_code == 200, accepted.json()
    assert accepted.json()["submission"]["orgUnit"] == old_ha_nam
    after_merger = post(client, {**body, "period": "2025-08", "backfill": True})
    assert after_merger.json()["issues"][0]["code"] == "unit_not_valid"


def test_hanoi_cannot_touch_hai_phong(hanoi_reporter, make_user) -> None:  # type: ignore[no-untyped-def]
    hai_phong_reporter = make_user("haiphong.reporter", "reporter", "31")
    draft = post(api(hai_phong_reporter, "31"), value_set(form_values()[:2], unit="31"))
    sid = draft.json()["submission"]["id"]
    hanoi = api(hanoi_reporter)
    before = DataValue.objects.count()
    assert post(hanoi, value_set(form_values()[:2], unit="31")).status_code == 403
    # A Hà Nội row naming a Hải Phòng unit inside a Hà Nội report is refused too.
    inside = post(hanoi, value_set([{"indicator": "EXPORT_TOTAL", "orgUnit": "31", "value": "1"}]))
    assert inside.status_code == 422 and inside.json()["issues"][0]["code"] == "unit_unknown"
    assert DataValue.objects.count() == before
    assert hanoi.get("/api/dataValues?approved=false&orgUnit=31").json()["dataValues"] == []
    assert hanoi.post(f"/api/submissions/{sid}/submit", {}, content_type="application/json"
                      ).status_code == 404
    assert hanoi.get("/api/submissions?orgUnit=31").json()["submissions"] == []


def test_read_token_cannot_write_and_token_narrows_grants(leader, make_user) -> None:  # type: ignore[no-untyped-def]
    reader = api(make_user("hanoi.sys", "system", "01"), "01", "read")
    assert post(reader, value_set(form_values()[:1])).status_code == 403
    # A national leader's token bound to Hà Nội sees nothing of Hải Phòng.
    narrowed = api(leader, "01", "read")
    assert narrowed.get("/api/submissions?orgUnit=31").json()["submissions"] == []


def test_bad_and_revoked_tokens(hanoi_reporter) -> None:  # type: ignore[no-untyped-def]
    assert Client(HTTP_AUTHORIZATION="Bearer nrs_nope_nope").get("/api/dataValues").status_code == 401
    token, secret = tokens.issue_token(hanoi_reporter, current("01"), name="x", scope="write")
    assert token.secret_hash not in secret and len(token.secret_hash) == 64
    tokens.revoke_token(token)
    assert Client(HTTP_AUTHORIZATION=f"Bearer {secret}").get("/api/dataValues").status_code == 401


def test_idempotency_key_stores_once(hanoi_reporter) -> None:  # type: ignore[no-untyped-def]
    client = api(hanoi_reporter)
    body = value_set(form_values()[:5])
    first = post(client, body, **{"Idempotency-Key": "abc-1"})
    again = post(client, body, **{"Idempotency-Key": "abc-1"})
    assert first.status_code == again.status_code == 200
    assert again.json()["replayed"] is True and again.json()["saved"] == 5
    assert DataValue.objects.count() == 5
    other = post(client, value_set(form_values()[:6]), **{"Idempotency-Key": "abc-1"})
    assert other.status_code == 422 and "different request" in other.json()["message_en"]
    assert IdempotencyRecord.objects.count() == 1


def test_outliers_warn_and_must_be_acknowledged(hanoi_reporter, hanoi_approver) -> None:  # type: ignore[no-untyped-def]
    reporter, approver = api(hanoi_reporter), api(hanoi_approver)
    for month in range(1, 9):  # an approved history around 100
        period = f"2026-{month:02d}"
        values = [{**v, "value": str(100 + month) if v["indicator"] == "EXPORT_TOTAL"
                   else v["value"]} for v in form_values()]
        sid = post(reporter, value_set(values, period=period)).json()["submission"]["id"]
        attach(reporter, period=period)
        assert reporter.post(f"/api/submissions/{sid}/submit", {}, content_type="application/json"
                             ).status_code == 200
        approver.post(f"/api/submissions/{sid}/approve", {}, content_type="application/json")
    spike = [{**v, "value": "900"} if v["indicator"] == "EXPORT_TOTAL" else v
             for v in form_values()]
    saved = post(reporter, value_set(spike, period="2026-09"))
    assert saved.status_code == 200
    warning = [i for i in saved.json()["issues"] if i["code"] == "outlier"]
    assert len(warning) == 1 and warning[0]["severity"] == "warning"
    sid = saved.json()["submission"]["id"]
    attach(reporter, period="2026-09")
    blocked = reporter.post(f"/api/submissions/{sid}/submit", {}, content_type="application/json")
    assert blocked.status_code == 422 and blocked.json()["issues"][0]["code"] == "outlier"
    post(reporter, value_set([{"indicator": "EXPORT_TOTAL", "value": "900",
                               "comment": "Hợp đồng xuất khẩu lớn tháng 9"}], period="2026-09"))
    assert reporter.post(f"/api/submissions/{sid}/submit", {}, content_type="application/json"
                         ).status_code == 200


def test_openapi_documents_the_data_endpoints(hanoi_reporter) -> None:  # type: ignore[no-untyped-def]
    schema = api(hanoi_reporter).get("/api/openapi.json").json()
    assert "/api/dataValueSets" in schema["paths"]
    body = schema["paths"]["/api/dataValueSets"]["post"]["requestBody"]["content"]
    assert {"application/json", "text/csv"} <= set(body)


def test_values_are_never_updated_in_place(hanoi_reporter) -> None:  # type: ignore[no-untyped-def]
    client = api(hanoi_reporter)
    post(client, value_set([{"indicator": "EXPORT_TOTAL", "value": "100"}]))
    post(client, value_set([{"indicator": "EXPORT_TOTAL", "value": "101"}]))
    post(client, value_set([{"indicator": "EXPORT_TOTAL", "value": "101"}]))  # unchanged: no row
    rows = DataValue.objects.filter(indicator__code="EXPORT_TOTAL").order_by("id")
    assert [r.value for r in rows] == [Decimal("100"), Decimal("101")]


def test_submit_needs_the_text_report(hanoi_reporter) -> None:  # type: ignore[no-untyped-def]
    reporter = api(hanoi_reporter)
    sid = post(reporter, value_set(form_values())).json()["submission"]["id"]
    refused = reporter.post(f"/api/submissions/{sid}/submit", {}, content_type="application/json")
    assert refused.status_code == 422
    assert [i["code"] for i in refused.json()["issues"]] == ["document_missing"]


def test_documents_are_checked_by_content(hanoi_reporter) -> None:  # type: ignore[no-untyped-def]
    from django.core.files.uploadedfile import SimpleUploadedFile

    reporter = api(hanoi_reporter)
    fake = SimpleUploadedFile("bao-cao.pdf", b"MZ\x90\x00 not a pdf", content_type="application/pdf")
    response = reporter.post(f"/api/documents?regime={REGIME}&orgUnit=01&period={PERIOD}",
                             {"file": fake})
    assert response.status_code == 400 and "not a PDF or DOCX" in response.json()["message_en"]
    stored = attach(reporter).json()
    assert stored["kind"] == "pdf" and len(stored["sha256"]) == 64
    other = attach(reporter, unit="31")
    assert other.status_code == 403


def test_oversized_body_is_refused_without_a_server_error(hanoi_reporter) -> None:  # type: ignore[no-untyped-def]
    big = json.dumps(value_set([{"indicator": "EXPORT_TOTAL", "value": "1", "comment": "x" * 1000}
                                for _ in range(11_000)]))
    assert len(big) > 10 * 1024 * 1024
    response = post(api(hanoi_reporter), big)
    assert response.status_code in (400, 413)
    assert not DataValue.objects.exists()
