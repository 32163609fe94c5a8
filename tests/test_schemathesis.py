"""Schemathesis over the whole OpenAPI, in process (the WSGI app), on the test database
with the real registry: no server errors, and every answer documented and matching its
schema. Each generated case is sent twice: with a write token of a Hà Nội system client
and with a read token of a national leader."""

from __future__ import annotations

import json
import logging
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from nrs.accounts import actions, tokens
from nrs.accounts.models import Role
from nrs.web.api import api
from nrs.wsgi import application
from tests.conftest import PASSWORD, current

schema = schemathesis.openapi.from_dict(api.get_openapi_schema())
schema.app = application
schema.location = "/api/openapi.json"



@schemathesis.serializer("application/x-ndjson")
def _ndjson(ctx: Any, value: Any) -> bytes:
    """The bulk API's body: a generated string as it is, anything else as one JSON line."""
    text = value if isinstance(value, str) else json.dumps(value)
    return text.encode("utf-8", "surrogatepass")


CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
# PostgreSQL refuses what SQLite stores (NUL characters): .ci/run fuzzes on PostgreSQL.
pytestmark = pytest.mark.ci_pg_only
EXAMPLES = 12  # per operation; × 2 tokens — the module stays well under a minute
REQUESTS: Counter[str] = Counter()


@pytest.fixture
def bearers(db, settings) -> Iterator[dict[str, str]]:  # type: ignore[no-untyped-def]
    """Tokens of a Hà Nội system client (write) and a national leader (read); the WSGI
    handler must not close the test's connection between requests (Django's test client
    does the same)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.NRS_REQUIRE_2FA = False
    settings.NRS_API_RATE = settings.NRS_API_WRITE_RATE = "100000/m"
    found = {}
    for name, role, unit, scope in (("st.system", Role.SYSTEM, "01", "write"),
                                    ("st.leader", Role.LEADER, "CP", "read")):
        user, _ = actions.create_user(name, PASSWORD)
        actions.grant_role(user, role, current(unit))
        _token, secret = tokens.issue_token(user, current(unit), name="schemathesis", scope=scope)
        found[name] = f"Bearer {secret}"
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    logging.disable(logging.WARNING)  # refusals are expected; server errors fail the checks
    try:
        yield found
    finally:
        logging.disable(logging.NOTSET)
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))
def test_the_api_keeps_its_openapi_promises(case: Any, bearers: dict[str, str]) -> None:
    for bearer in bearers.values():
        case.call_and_validate(headers={"Authorization": bearer}, checks=CHECKS)
        REQUESTS[case.operation.label] += 1


def test_zz_schemathesis_request_count() -> None:
    """Not a check: the number of requests made, for the report (runs last in the module)."""
    print(f"\nschemathesis: {sum(REQUESTS.values())} requests over {len(REQUESTS)} operations")
