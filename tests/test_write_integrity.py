"""Nothing wrong gets in (issue 17, part 6): ragged CSV rows, numbers read strictly,
resends that differ from the stored report, writes by units that are not the regime's
reporters, and plausibility rules (unit-scale slips, impossible growth rates). Every
case goes through the real HTTP channel; bad input is a bilingual error that names its
place, stores nothing and is never a 500."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client

from nrs.accounts import actions as account_actions
from nrs.accounts import tokens
from nrs.collection import validation
from nrs.collection.models import DataValue, IdempotencyRecord, Submission
from nrs.collection.payloads import PayloadError, parse_csv, parse_json
from nrs.exchange.dhis2 import parsers
from nrs.lib.errors import InputError
from tests.conftest import current

pytestmark = pytest.mark.django_db
REGIME, PERIOD = "PROV_KTXH_M", "2026-10"


def client_for(user: Any, unit: str = "01") -> Client:
    _token, secret = tokens.issue_token(user, current(unit), name="integrity", scope="write")
    return Client(HTTP_AUTHORIZATION=f"Bearer {secret}")


@pytest.fixture
def hanoi(hanoi_reporter) -> Client:  # type: ignore[no-untyped-def]
    return client_for(hanoi_reporter)


@pytest.fixture
def hanoi_system(make_user) -> Client:  # type: ignore[no-untyped-def]
    user = make_user("hanoi.system", "system", "01")
    account_actions.grant_role(user, "approver", current("01"))
    return client_for(user)


@pytest.fixture
def statistics_office(make_user) -> Client:  # type: ignore[no-untyped-def]
    user = make_user("ctk.system", "system", "CTK")
    account_actions.grant_role(user, "approver", current("CTK"))
    return client_for(user, "CTK")


def post_json(client: Client, body: Any, query: str = "", **headers: str) -> Any:
    raw = body if isinstance(body, (bytes, str)) else json.dumps(body)
    return client.post(f"/api/dataValueSets{query}", raw, content_type="application/json",
                       headers=headers)


def post_csv(client: Client, body: str, regime: str = REGIME, unit: str = "01",
             period: str = PERIOD) -> Any:
    return client.post(f"/api/dataValueSets?regime={regime}&orgUnit={unit}&period={period}", body,
                       content_type="text/csv")


def post_bulk(client: Client, *lines: dict[str, Any], key: str = "") -> Any:
    extra = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    body = "\n".join(json.dumps(line) for line in lines)
    return client.post("/api/dataValueSets/bulk", body, content_type="application/x-ndjson", **extra)


def value_set(values: dict[str, Any], regime: str = REGIME, unit: str = "01",
              period: str = PERIOD) -> dict[str, Any]:
    return {"regime": regime, "orgUnit": unit, "period": period,
            "dataValues": [{"indicator": code, "value": value} for code, value in values.items()]}


def bilingual(body: dict[str, Any]) -> tuple[str, str]:
    if body.get("issues"):
        first = body["issues"][0]
        return first["message_vi"], first["message_en"]
    return body["message_vi"], body["message_en"]


# -- 1. ragged CSV rows --------------------------------------------------------------------

@pytest.mark.parametrize(("body", "line"), [
    ("indicator,value\nRETAIL_SALES,5230.5\nBUDGET_REVENUE,185000,5\n", "line 3"),  # one cell too many
    ("indicator,value,comment\nBUDGET_REVENUE,185000\n", "line 2"),                 # one too few
    ("indicator,value\n\nRETAIL_SALES,1\n\nBUDGET_REVENUE,185000,5\n", "line 5"),   # blank lines count
])
def test_a_ragged_csv_row_is_refused_naming_its_line(hanoi, body: str, line: str) -> None:  # type: ignore[no-untyped-def]
    response = post_csv(hanoi, body)
    assert response.status_code == 400, response.json()
    answer = response.json()
    assert answer["ref"] == line
    assert "ô" in answer["message_vi"] and "cells" in answer["message_en"]
    assert line.split()[1] in answer["message_en"]
    assert DataValue.objects.count() == 0


def test_a_well_formed_csv_is_still_stored(hanoi) -> None:  # type: ignore[no-untyped-def]
    response = post_csv(hanoi, "indicator,value,comment\nRETAIL_SALES,5230.5,\"ghi chú, có dấu phẩy\"\n")
    assert response.status_code == 200, response.json()
    assert [(v.value, v.comment) for v in DataValue.objects.all()] == [
        (Decimal("5230.5"), "ghi chú, có dấu phẩy")]


def test_the_csv_parser_counts_physical_lines() -> None:
    with pytest.raises(PayloadError) as caught:
        parse_csv(b'indicator,value,comment\nX,1,"two\nlines"\nY,2\n', REGIME, "01", PERIOD)
    assert caught.value.ref == "line 4"


@pytest.mark.parametrize(("body", "line"), [
    ("dataelement,period,orgunit,categoryoptioncombo,attributeoptioncombo,value\n"
     "deRetail001,202610,ouHaNoi0001,,,185000,5\n", "line 2"),
    ("dataelement,period,orgunit,value\nRETAIL,202610,01,1\nRETAIL,202610,01\n", "line 3"),
    # without a header DHIS2 reads by position: every row has as many cells as the first
    ("deRetail001,202610,ouHaNoi0001,,,185000\ndeJobs00001,202610,ouHaNoi0001,,,1200,5\n", "line 2"),
    # and never more than DHIS2's ten columns
    ("d,202610,o,,,1,s,l,c,false,extra\n", "line 1"),
])
def test_the_dhis2_csv_reader_refuses_ragged_rows(body: str, line: str) -> None:
    with pytest.raises(InputError) as caught:
        parsers.parse_csv(body.encode())
    assert caught.value.ref == line
    assert "ô" in caught.value.vi and "cells" in caught.value.en


def test_dhis2_csv_ragged_row_through_http(hanoi) -> None:  # type: ignore[no-untyped-def]
    body = ("dataelement,period,orgunit,categoryoptioncombo,attributeoptioncombo,value\n"
            "RETAIL_SALES,202610,01,,,185000,5\n")
    response = hanoi.post("/api/dhis2/dataValueSets?dataSet=PROV_KTXH_M", body, content_type="text/csv")
    assert response.status_code in (400, 409, 422), response.content
    assert "line 2" in json.dumps(response.json())
    assert DataValue.objects.count() == 0


# -- 2. numbers read strictly ----------------------------------------------------------------

SPEC = validation.IndicatorSpec("RETAIL_SALES", "decimal", 1, {})


@pytest.mark.parametrize("raw", [
    "185000,5", "1.234,5", "1,234", "1 234", "1\u00a0234", "1_000", "NaN", "nan", "-Infinity", "inf",
    "sNaN", "\u0661\u0662\u0663", "0x10", "12abc", "1e", "--1", ".", "", float("nan"), float("inf"),
])
def test_numbers_that_cannot_be_read_exactly_are_errors(raw: object) -> None:
    value, vi, en = validation.parse_value(raw, SPEC)
    if raw == "":
        assert (value, vi) == (None, "")  # empty: the value is cleared, not an error
        return
    assert value is None and vi and en, raw
    assert "too large" not in en


@pytest.mark.parametrize(("raw", "expected"), [
    ("185000.5", Decimal("185000.5")), (" 12.5 ", Decimal("12.5")), ("-3", Decimal(-3)),
    ("+3", Decimal(3)), ("1.5e3", Decimal(1500)), ("0.0", Decimal(0)), (7, Decimal(7)),
    (Decimal("2.5"), Decimal("2.5")), (2.5, Decimal("2.5")),
])
def test_plain_numbers_are_read(raw: object, expected: Decimal) -> None:
    assert validation.parse_value(raw, SPEC) == (expected, "", "")


def test_a_comma_decimal_names_the_field_and_says_use_a_dot() -> None:
    _value, vi, en = validation.parse_value("185000,5", SPEC)
    assert "185000,5" in vi and "dấu chấm" in vi
    assert "185000,5" in en and "dot" in en


@pytest.mark.parametrize("value", ["185000,5", "1.234,5", "1_000", "NaN", "Infinity", "\u0661\u0662"])
def test_a_json_string_that_is_not_a_plain_number_is_refused(hanoi, value: str) -> None:  # type: ignore[no-untyped-def]
    response = post_json(hanoi, value_set({"RETAIL_SALES": value}))
    assert response.status_code == 422, response.json()
    issue = response.json()["issues"][0]
    assert (issue["ref"], issue["field"], issue["code"]) == ("dataValues[0]", "value", "value_invalid")
    assert issue["message_vi"] and issue["message_en"]
    assert DataValue.objects.count() == 0


@pytest.mark.parametrize("raw", [b"NaN", b"Infinity", b"-Infinity", b"1e400"])
def test_json_non_numbers_are_refused(hanoi, raw: bytes) -> None:  # type: ignore[no-untyped-def]
    body = (b'{"regime": "PROV_KTXH_M", "orgUnit": "01", "period": "2026-10", '
            b'"dataValues": [{"indicator": "RETAIL_SALES", "value": ' + raw + b"}]}")
    response = post_json(hanoi, body)
    assert response.status_code in (400, 422), response.json()
    assert all(bilingual(response.json()))
    assert DataValue.objects.count() == 0


def test_a_json_number_is_read_exactly(hanoi) -> None:  # type: ignore[no-untyped-def]
    # 17 significant digits: a binary float would read 1234567890123456.8.
    header = parse_json(b'{"regime": "R", "orgUnit": "01", "period": "2026-10", '
                        b'"dataValues": [{"indicator": "X", "value": 1234567890123456.7}]}')
    assert header.rows[0].value == Decimal("1234567890123456.7")
    body = (b'{"regime": "PROV_KTXH_M", "orgUnit": "01", "period": "2026-10", '
            b'"dataValues": [{"indicator": "RETAIL_SALES", "value": 185000.5}]}')
    response = post_json(hanoi, body)
    assert response.status_code == 200, response.json()
    assert DataValue.objects.get().value == Decimal("185000.5")


def test_csv_and_dhis2_values_are_read_as_strictly() -> None:
    rows = parse_csv(b"indicator,value\nRETAIL_SALES,\"185000,5\"\n", REGIME, "01", PERIOD).rows
    assert validation.parse_value(rows[0].value, SPEC)[0] is None
    values = parsers.parse_json(b'{"dataValues": [{"dataElement": "X", "value": 1234567890123456.7}]}')
    assert validation.parse_value(values[0].value, SPEC)[0] == Decimal("1234567890123456.7")
    with pytest.raises(InputError):
        parsers.parse_json(b'{"dataValues": [{"dataElement": "X", "value": NaN}]}')


def test_dhis2_json_comma_decimal_is_refused_through_http(hanoi) -> None:  # type: ignore[no-untyped-def]
    body = {"dataSet": "PROV_KTXH_M", "period": "202610", "orgUnit": "01",
            "dataValues": [{"dataElement": "RETAIL_SALES", "value": "185000,5"}]}
    response = hanoi.post("/api/dhis2/dataValueSets", json.dumps(body), content_type="application/json")
    assert response.status_code in (409, 422), response.json()
    assert "185000,5" in json.dumps(response.json(), ensure_ascii=False)
    assert DataValue.objects.count() == 0


# -- 3. a resend that differs is refused -----------------------------------------------------

def bulk_line(values: dict[str, str], status: str = "approved", unit: str = "01",
              period: str = "2026-09") -> dict[str, Any]:
    return {**value_set(values, unit=unit, period=period), "backfill": True, "status": status}


@pytest.mark.parametrize("status", ["submitted", "approved"])
def test_a_bulk_resend_with_a_corrected_value_is_refused(hanoi_system, status: str) -> None:  # type: ignore[no-untyped-def]
    first = post_bulk(hanoi_system, bulk_line({"RETAIL_SALES": "5230.5", "BUDGET_REVENUE": "1850"}, status))
    assert first.status_code == 200, first.json()
    assert (first.json()["reports"], first.json()["values"]) == (1, 2)
    # The identical resend: stored once, reported as skipped.
    same = post_bulk(hanoi_system, bulk_line({"RETAIL_SALES": "5230.5", "BUDGET_REVENUE": "1850"}, status))
    assert same.status_code == 200, same.json()
    assert (same.json()["reports"], same.json()["values"], same.json()["skipped"]) == (0, 0, 1)
    # A corrected value: refused, naming the line, with a pointer to a reasoned revision.
    fixed = post_bulk(hanoi_system, bulk_line({"RETAIL_SALES": "5230.5", "BUDGET_REVENUE": "1850.5"}, status))
    assert fixed.status_code == 422, fixed.json()
    issue = fixed.json()["issues"][0]
    assert issue["code"] == "report_differs" and issue["ref"].startswith("line 1")
    assert "BUDGET_REVENUE" in issue["message_en"] and "revis" in issue["message_en"]
    assert "lý do" in issue["message_vi"]
    assert sorted(v.value for v in DataValue.objects.all()) == [Decimal("1850"), Decimal("5230.5")]
    assert Submission.objects.count() == 1


def test_a_bulk_resend_with_a_new_value_is_refused(hanoi_system) -> None:  # type: ignore[no-untyped-def]
    assert post_bulk(hanoi_system, bulk_line({"RETAIL_SALES": "5230.5"})).status_code == 200
    more = post_bulk(hanoi_system, bulk_line({"RETAIL_SALES": "5230.5", "BUDGET_REVENUE": "1850"}))
    assert more.status_code == 422, more.json()
    assert more.json()["issues"][0]["code"] == "report_differs"
    assert DataValue.objects.count() == 1


def test_the_same_idempotency_key_with_another_body_is_refused(hanoi) -> None:  # type: ignore[no-untyped-def]
    first = post_json(hanoi, value_set({"RETAIL_SALES": "5230.5"}), **{"Idempotency-Key": "k-1"})
    assert first.status_code == 200, first.json()
    other = post_json(hanoi, value_set({"RETAIL_SALES": "5300"}), **{"Idempotency-Key": "k-1"})
    assert other.status_code == 422, other.json()
    assert all(bilingual(other.json()))
    assert [v.value for v in DataValue.objects.all()] == [Decimal("5230.5")]
    assert IdempotencyRecord.objects.count() == 1


def test_the_same_bulk_idempotency_key_with_another_body_is_refused(hanoi_system) -> None:  # type: ignore[no-untyped-def]
    assert post_bulk(hanoi_system, bulk_line({"RETAIL_SALES": "1"}), key="b-1").status_code == 200
    other = post_bulk(hanoi_system, bulk_line({"RETAIL_SALES": "2"}), key="b-1")
    assert other.status_code == 422, other.json()
    assert [v.value for v in DataValue.objects.all()] == [Decimal(1)]


# -- 4. only the regime's reporters write into it ---------------------------------------------

def test_a_province_cannot_write_into_a_ministry_regime(hanoi) -> None:  # type: ignore[no-untyped-def]
    for query in ("?dryRun=true", ""):
        response = post_json(hanoi, value_set({"BUDGET_REVENUE": "1850"}, regime="BTC_NGANH_M"), query)
        assert response.status_code == 422, response.json()
        issue = response.json()["issues"][0]
        assert (issue["code"], issue["field"]) == ("not_a_reporter", "orgUnit")
        assert "BTC_NGANH_M" in issue["message_vi"] and "không thuộc danh sách" in issue["message_vi"]
        assert "not a listed reporter" in issue["message_en"] and "01" in issue["message_en"]
    assert DataValue.objects.count() == 0 and Submission.objects.count() == 0


def test_a_province_cannot_bulk_write_into_a_ministry_regime(hanoi_system) -> None:  # type: ignore[no-untyped-def]
    line = {**bulk_line({"BUDGET_REVENUE": "1850"}), "regime": "BTC_NGANH_M"}
    response = post_bulk(hanoi_system, line)
    assert response.status_code == 422, response.json()
    issue = response.json()["issues"][0]
    assert issue["code"] == "not_a_reporter" and issue["ref"].startswith("line 1")
    assert DataValue.objects.count() == 0 and Submission.objects.count() == 0


def test_a_province_cannot_attach_a_document_to_a_ministry_regime(hanoi) -> None:  # type: ignore[no-untyped-def]
    from django.core.files.uploadedfile import SimpleUploadedFile

    pdf = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
    upload = SimpleUploadedFile("bao-cao.pdf", pdf, content_type="application/pdf")
    response = hanoi.post(f"/api/documents?regime=BTC_NGANH_M&orgUnit=01&period={PERIOD}", {"file": upload})
    assert response.status_code == 422, response.json()
    assert "not a listed reporter" in json.dumps(response.json())
    assert Submission.objects.count() == 0


def test_a_province_cannot_import_dhis2_into_a_ministry_regime(hanoi) -> None:  # type: ignore[no-untyped-def]
    body = {"dataSet": "BTC_NGANH_M", "period": "202610", "orgUnit": "01",
            "dataValues": [{"dataElement": "BUDGET_REVENUE", "value": "1850"}]}
    response = hanoi.post("/api/dhis2/dataValueSets", json.dumps(body), content_type="application/json")
    assert response.status_code in (409, 422), response.json()
    assert "not_a_reporter" in json.dumps(response.json())
    assert DataValue.objects.count() == 0 and Submission.objects.count() == 0


def test_the_listed_reporter_still_writes(mof_system) -> None:  # type: ignore[no-untyped-def]
    response = post_json(client_for(mof_system, "BTC"),
                         value_set({"BUDGET_REVENUE": "1850"}, regime="BTC_NGANH_M", unit="BTC"))
    assert response.status_code == 200, response.json()
    assert DataValue.objects.count() == 1


# -- 5. plausibility: unit-scale slips and impossible values -----------------------------------

def arrivals(statistics_office: Client, period: str, value: str) -> Any:
    return post_json(statistics_office, value_set({"INTL_ARRIVALS": value}, regime="CTK_TK_M",
                                                  unit="CTK", period=period))


def test_arrivals_sent_in_persons_instead_of_thousands_are_refused(statistics_office) -> None:  # type: ignore[no-untyped-def]
    last = {**bulk_line({"INTL_ARRIVALS": "1520.3"}, unit="CTK"), "regime": "CTK_TK_M"}
    assert post_bulk(statistics_office, last).status_code == 200
    before = DataValue.objects.count()
    slip = arrivals(statistics_office, PERIOD, "1520300")  # persons, not thousands
    assert slip.status_code == 422, slip.json()
    issue = slip.json()["issues"][0]
    assert (issue["code"], issue["severity"], issue["field"]) == ("rule:ARRIVALS_SCALE", "error", "value")
    assert issue["ref"] == "dataValues[0]"
    assert "1520300" in issue["message_en"] and "1520.3" in issue["message_en"]
    assert "kỳ trước" in issue["message_vi"]
    assert arrivals(statistics_office, PERIOD, "1.5").status_code == 422  # the other way round
    assert DataValue.objects.count() == before
    ok = arrivals(statistics_office, PERIOD, "1610.8")
    assert ok.status_code == 200, ok.json()


def test_a_scale_slip_in_a_bulk_import_is_refused(hanoi_system) -> None:  # type: ignore[no-untyped-def]
    response = post_bulk(hanoi_system, bulk_line({"EXPORT_TOTAL": "1520.3"}),
                         bulk_line({"EXPORT_TOTAL": "1520300"}, period="2026-10"))
    assert response.status_code == 422, response.json()
    issue = response.json()["issues"][0]
    assert issue["code"] == "rule:EXPORT_SCALE" and issue["ref"].startswith("line 2")
    assert DataValue.objects.count() == 0


@pytest.mark.parametrize(("code", "value"), [("IIP_GROWTH", "709"), ("RETAIL_SALES_GROWTH", "709"),
                                             ("EXPORT_GROWTH", "-120"), ("IIP_GROWTH", "-100.5")])
def test_an_impossible_growth_rate_is_refused(hanoi, code: str, value: str) -> None:  # type: ignore[no-untyped-def]
    response = post_json(hanoi, value_set({code: value}))
    assert response.status_code == 422, response.json()
    issue = response.json()["issues"][0]
    assert issue["code"].startswith("rule:") and issue["severity"] == "error"
    assert issue["ref"] == "dataValues[0]"
    assert DataValue.objects.count() == 0


def test_a_plausible_growth_rate_is_stored(hanoi) -> None:  # type: ignore[no-untyped-def]
    response = post_json(hanoi, value_set({"IIP_GROWTH": "8.4", "EXPORT_GROWTH": "-12.5"}))
    assert response.status_code == 200, response.json()


def test_the_scale_rule_itself() -> None:
    rule = validation.Rule(code="X_SCALE", kind="scale", severity="error", indicator="X",
                           message_vi="sai quy mô", message_en="off scale", maximum=Decimal(100))
    key = ("X", "01", "")

    def check(value: str, last: str | None) -> list[validation.Issue]:
        previous = {key: Decimal(last)} if last is not None else {}
        return validation.check_rules({key: Decimal(value)}, [rule], {key: "r"}, previous)

    assert check("1000", "10") == []          # exactly ×100: allowed
    assert check("1000.1", "10")              # more than ×100
    assert check("0.1", "10") == []           # exactly 1/100
    assert check("0.09", "10")
    assert check("5", None) == [] and check("5", "0") == [] and check("0", "5") == []
    assert check("-1000", "-5")               # sign does not hide a slip
