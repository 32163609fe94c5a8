"""Issue 18, finding 12 (hygiene): every answer to a signed-in user or a token carries
`Cache-Control: no-store` (HTML, JSON, CSV, XLSX); the anonymous sign-in page may be cached."""

from __future__ import annotations

import pytest
from django.test import Client

from nrs.accounts import tokens
from tests.conftest import current

pytestmark = pytest.mark.django_db


def _no_store(answer) -> bool:  # type: ignore[no-untyped-def]
    return "no-store" in answer.get("Cache-Control", "")


def test_signed_in_answers_are_not_stored(leader) -> None:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(leader)
    seen = {}
    for url, kind in (("/dashboard/", "text/html"), ("/api/registry/indicators", "application/json"),
                      ("/dashboard/indicator/RETAIL_SALES/download.csv?unit=01", "text/csv"),
                      ("/dashboard/indicator/RETAIL_SALES/download.xlsx?unit=01", "application/vnd.openxml"),
                      ("/registry/units/", "text/html"), ("/dashboard/?unit=ZZZZ", "")):
        answer = client.get(url)
        assert answer["Content-Type"].startswith(kind), (url, answer["Content-Type"])
        seen[url] = (answer.status_code, _no_store(answer))
    assert all(stored for _status, stored in seen.values()), seen


def test_token_answers_are_not_stored(hanoi_reporter) -> None:  # type: ignore[no-untyped-def]
    _t, secret = tokens.issue_token(hanoi_reporter, current("01"), name="t", scope="read")
    answer = Client(HTTP_AUTHORIZATION=f"Bearer {secret}").get("/api/registry/indicators")
    assert answer.status_code == 200 and _no_store(answer)
    sdmx = Client(HTTP_AUTHORIZATION=f"Bearer {secret}").get("/sdmx/structure/codelist")
    assert sdmx.status_code == 200 and _no_store(sdmx)


def test_anonymous_public_answers_may_be_cached() -> None:
    answer = Client().get("/health/")
    assert answer.status_code == 200 and not _no_store(answer)
