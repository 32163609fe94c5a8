"""Issue 18, finding 14 (found by the generated schemathesis cases and the matrix): an API
import that reads the raw body, sent a form (multipart) instead, answered 500 after the
bad-input middleware had parsed the form. It must be a documented refusal."""

from __future__ import annotations

import pytest
from django.test import Client

from nrs.accounts import tokens
from tests.conftest import current

pytestmark = pytest.mark.django_db


@pytest.fixture
def bearer(make_user) -> str:  # type: ignore[no-untyped-def]
    user = make_user("mp.system", "system", "01")
    _token, secret = tokens.issue_token(user, current("01"), name="multipart", scope="write")
    return f"Bearer {secret}"


@pytest.mark.parametrize("url", ["/api/dataValueSets/bulk", "/api/dhis2/adx?dryRun=true",
                                 "/api/dhis2/dataValueSets?dryRun=true", "/api/federation/batches"])
def test_a_form_sent_to_a_raw_body_import_is_refused_not_a_500(url: str, bearer: str) -> None:
    answer = Client(raise_request_exception=False).post(url, {"comment": "x"}, headers={"Authorization": bearer})
    assert 400 <= answer.status_code < 500, (answer.status_code, answer.content[:300])
    assert answer["Content-Type"].startswith("application/json")


@pytest.mark.parametrize("url", ["/api/dataValueSets/bulk", "/api/dhis2/adx?dryRun=true",
                                 "/api/federation/batches"])
def test_a_form_over_the_memory_limit_sent_to_a_raw_body_import_is_a_413(url: str, bearer: str,
                                                                          settings) -> None:  # type: ignore[no-untyped-def]
    """Over DATA_UPLOAD_MAX_MEMORY_SIZE the body is not kept, so the bad-input check must not
    parse the form either (the view then found the stream used up: a 500)."""
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    answer = Client(raise_request_exception=False).post(
        url, {"comment": "x" * 4096}, headers={"Authorization": bearer})
    assert answer.status_code == 413, (answer.status_code, answer.content[:300])
