"""Issue 18, finding 10 (second 500) and "Bad input": a NUL or control byte in a path or a
query value, or a query value over 2,000 characters, is refused with a bilingual 400 before
any view or database query runs (PostgreSQL refuses NUL in text; lxml refuses it in XML);
a NUL inside a JSON body's string is a bilingual 400 as well."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from nrs.accounts import tokens
from tests.conftest import current

pytestmark = pytest.mark.django_db

NUL = "\x00"


def _signed_in(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


def _assert_bilingual_json_400(answer) -> None:  # type: ignore[no-untyped-def]
    assert answer.status_code == 400, (answer.status_code, answer.content[:300])
    assert answer["Content-Type"].startswith("application/json")
    body = answer.json()
    assert body["status"] == "error" and body["message_vi"] and body["message_en"]
    assert body["message_vi"] != body["message_en"]


@pytest.mark.parametrize("url", [
    "/sdmx/data/DF_SOCIAL/M.%00.01",            # a NUL in the key
    "/sdmx/data/DF_SOCIAL/all?startPeriod=2026-01%00",  # in a period
    "/sdmx/structure/codelist/NRS/CL_%00",      # in a structure id
    "/sdmx/schema/dataflow/NRS/DF%00SOCIAL",
    "/sdmx/data/DF_SOCIAL/all?endPeriod=%01",   # another control byte
])
def test_a_nul_in_an_sdmx_request_is_a_bilingual_400(leader, url) -> None:  # type: ignore[no-untyped-def]
    answer = _signed_in(leader).get(url)
    _assert_bilingual_json_400(answer)


def test_the_refusal_comes_before_any_database_query(leader) -> None:  # type: ignore[no-untyped-def]
    client = _signed_in(leader)
    client.get("/dashboard/")  # warm the session
    with CaptureQueriesContext(connection) as queries:
        answer = client.get("/dashboard/", {"unit": "01" + NUL})
    assert answer.status_code == 400
    assert len(queries.captured_queries) == 0, [q["sql"][:80] for q in queries.captured_queries]


def test_a_page_gets_a_small_bilingual_html_400(leader) -> None:  # type: ignore[no-untyped-def]
    answer = _signed_in(leader).get("/dashboard/", {"period": "2026-09" + NUL})
    assert answer.status_code == 400
    assert answer["Content-Type"].startswith("text/html")
    text = answer.content.decode()
    assert "NUL" in text and 'lang="en"' in text and "Content-Security-Policy" in answer


def test_an_overlong_query_value_is_refused(leader) -> None:  # type: ignore[no-untyped-def]
    client = _signed_in(leader)
    _assert_bilingual_json_400(client.get("/api/registry/orgunits", {"q": "x" * 5000}))
    assert client.get("/dashboard/", {"q": "x" * 5000}).status_code == 400
    # 2,000 characters is still fine.
    assert client.get("/api/registry/orgunits", {"q": "x" * 2000}).status_code < 400


def test_a_nul_in_a_json_body_is_a_bilingual_400(hanoi_reporter) -> None:  # type: ignore[no-untyped-def]
    _t, secret = tokens.issue_token(hanoi_reporter, current("01"), name="t", scope="write")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")
    answer = client.post("/api/submissions/1/submit", b'{"comment": "ok\\u0000"}',
                         content_type="application/json")
    _assert_bilingual_json_400(answer)
    assert answer.json()["ref"] == "comment"
    nested = client.post("/api/dataValueSets", b'{"dataValues": [{"comment\\u0000": 1}]}',
                         content_type="application/json")
    _assert_bilingual_json_400(nested)


def test_a_nul_in_a_form_field_is_a_400(leader) -> None:  # type: ignore[no-untyped-def]
    answer = _signed_in(leader).post("/accounts/login/", {"username": "a" + NUL, "password": "x"})
    assert answer.status_code == 400
