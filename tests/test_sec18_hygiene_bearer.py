"""Issue 18, finding 12 (hygiene): a request with a missing or invalid bearer token gets 401
with `WWW-Authenticate: Bearer …, error="invalid_token"` and a bilingual body, for GET and
POST alike, never 403 "CSRF check Failed"; a POST with neither token nor session gets 401."""

from __future__ import annotations

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

BAD = {"Bearer nrs_nope_nope", "Bearer ", "Basic dXNlcjpwYXNz", "ApiToken nrs_nope_nope", "nrs_nope"}


def _assert_401(answer, *, invalid: bool) -> None:  # type: ignore[no-untyped-def]
    assert answer.status_code == 401, (answer.status_code, answer.content[:300])
    challenge = answer["WWW-Authenticate"]
    assert challenge.startswith("Bearer")
    assert ('error="invalid_token"' in challenge) is invalid, challenge
    body = answer.json()
    assert body["message_vi"] and body["message_en"] and body["message_vi"] != body["message_en"]


@pytest.mark.parametrize("header", sorted(BAD))
@pytest.mark.parametrize("method", ["get", "post"])
def test_an_invalid_token_is_401_not_403(header, method) -> None:  # type: ignore[no-untyped-def]
    client = Client(enforce_csrf_checks=True)
    url = "/api/dataValueSets" if method == "post" else "/api/registry/orgunits"
    if method == "post":
        answer = client.post(url, b"{}", content_type="application/json", HTTP_AUTHORIZATION=header)
    else:
        answer = client.get(url, HTTP_AUTHORIZATION=header)
    _assert_401(answer, invalid=True)


@pytest.mark.parametrize("method", ["get", "post"])
def test_no_credentials_is_401(method) -> None:  # type: ignore[no-untyped-def]
    client = Client(enforce_csrf_checks=True)
    answer = getattr(client, method)("/api/submissions/1/submit", b"{}", content_type="application/json") \
        if method == "post" else client.get("/api/registry/orgunits")
    _assert_401(answer, invalid=False)


def test_an_invalid_token_beside_a_session_is_still_401(leader) -> None:  # type: ignore[no-untyped-def]
    client = Client(enforce_csrf_checks=True)
    client.force_login(leader)
    answer = client.post("/api/dataValueSets", b"{}", content_type="application/json",
                         HTTP_AUTHORIZATION="Bearer nrs_nope_nope")
    _assert_401(answer, invalid=True)


def test_a_session_post_without_csrf_is_still_403(leader) -> None:  # type: ignore[no-untyped-def]
    client = Client(enforce_csrf_checks=True)
    client.force_login(leader)
    answer = client.post("/api/dataValueSets", b"{}", content_type="application/json")
    assert answer.status_code == 403


def test_sdmx_invalid_token_names_the_error() -> None:
    answer = Client().get("/sdmx/structure/all", HTTP_AUTHORIZATION="Bearer nrs_nope_nope")
    assert answer.status_code == 401
    assert answer["WWW-Authenticate"].startswith("Bearer") and 'error="invalid_token"' in answer["WWW-Authenticate"]
