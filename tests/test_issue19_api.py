"""Issue 19, part 5 (API hygiene), checked over the served OpenAPI document rather than a
hand-made list: every write refuses a missing or bad bearer token with 401 and a Bearer
challenge (never 403 CSRF), declares `Idempotency-Key`, every answer has a named schema,
and every refusal has the one error shape with a machine-readable code."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.test import Client

from nrs.accounts import tokens
from nrs.audit.chain import AnchorFileError
from nrs.collection.documents import DocumentError
from nrs.collection.excel import ExcelError
from nrs.collection.payloads import PayloadError
from nrs.collection.validation import Issue
from nrs.collection.workflow import WorkflowError
from nrs.exchange.federation.receive import Refused as BatchRefused
from nrs.exchange.qcvn.registry import Refused as PacketRefused
from nrs.lib import errors
from nrs.lib.errors import InputError
from nrs.registry.sources import RegistryError
from tests.conftest import current

pytestmark = pytest.mark.django_db
WRITES = ("post", "put", "patch", "delete")
# The codes documented in docs (issue 19): a client may switch on these; they never change.
ERROR_SHAPE = {"status", "code", "message_vi", "message_en"}


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    answer = Client().get("/api/openapi.json")
    assert answer.status_code == 200
    return answer.json()


def _operations(spec: dict[str, Any], methods: tuple[str, ...] | None = None) -> list[tuple[str, str, dict]]:  # type: ignore[type-arg]
    return [(path, method, op) for path, item in spec["paths"].items() for method, op in item.items()
            if methods is None or method in methods]


def _url(path: str) -> str:
    return re.sub(r"\{[^}]+\}", lambda m: "submit" if m.group(0) == "{action}" else "1", path)


def _assert_error(body: dict[str, Any], code: str | None = None) -> None:
    assert set(body) >= ERROR_SHAPE, body
    assert body["status"] == "error" and body["code"], body
    assert body["message_vi"] and body["message_en"], body
    if code is not None:
        assert body["code"] == code, body


# 1. Bearer before session and CSRF ----------------------------------------------------------

CREDENTIALS = [None, "Bearer nrs_nope_nope", "Bearer ", "Basic dXNlcjpwYXNz", "ApiToken nrs_x_y"]


@pytest.mark.parametrize("header", CREDENTIALS)
def test_every_write_without_a_valid_token_is_401_with_a_challenge(spec, header) -> None:  # type: ignore[no-untyped-def]
    writes = _operations(spec, WRITES)
    assert len(writes) >= 5, writes  # dataValueSets, bulk, transitions, documents, dhis2, federation
    client = Client(enforce_csrf_checks=True)
    for path, method, _op in writes:
        extra = {"HTTP_AUTHORIZATION": header} if header is not None else {}
        answer = client.generic(method.upper(), _url(path), b"{}", content_type="application/json", **extra)
        assert answer.status_code == 401, (method, path, header, answer.status_code, answer.content[:200])
        challenge = answer["WWW-Authenticate"]
        assert challenge.startswith('Bearer realm="nrs"'), challenge
        assert ('error="invalid_token"' in challenge) is (header is not None), challenge
        _assert_error(answer.json(), "unauthenticated")


def test_a_bad_token_beside_a_signed_in_session_is_401_on_every_write(spec, leader) -> None:  # type: ignore[no-untyped-def]
    client = Client(enforce_csrf_checks=True)
    client.force_login(leader)
    for path, method, _op in _operations(spec, WRITES):
        answer = client.generic(method.upper(), _url(path), b"{}", content_type="application/json",
                                HTTP_AUTHORIZATION="Bearer nrs_nope_nope")
        assert answer.status_code == 401, (method, path, answer.content[:200])
        assert 'error="invalid_token"' in answer["WWW-Authenticate"]


def test_every_read_without_a_token_is_401_with_a_challenge(spec) -> None:  # type: ignore[no-untyped-def]
    for path, _method, _op in _operations(spec, ("get",)):
        answer = Client().get(_url(path))
        assert answer.status_code == 401, (path, answer.status_code)
        assert answer["WWW-Authenticate"] == 'Bearer realm="nrs"'
        _assert_error(answer.json(), "unauthenticated")


# 2. Idempotency-Key declared -----------------------------------------------------------------

def test_every_write_declares_idempotency_key(spec) -> None:  # type: ignore[no-untyped-def]
    for path, method, op in _operations(spec, WRITES):
        headers = {p["name"]: p for p in op.get("parameters", []) if p["in"] == "header"}
        assert "Idempotency-Key" in headers, (method, path)
        declared = headers["Idempotency-Key"]
        assert declared["required"] is False and declared["schema"]["type"] == "string", declared
        assert declared["schema"].get("maxLength") == 200


def test_idempotency_key_is_honoured_on_a_transition(hanoi_reporter) -> None:  # type: ignore[no-untyped-def]
    """A declared header is a promise: a transition resent with its key is done once."""
    from nrs.collection import actions
    from nrs.collection.models import Submission, Transition
    from nrs.lib import periods
    from nrs.registry.models import Regime

    regime = Regime.objects.get(code="PROV_KTXH_M")
    result = actions.check_and_save_values(regime, current("01"), periods.parse("2026-10"), [],
                                           actor=hanoi_reporter)
    submission = result.submission or Submission.objects.get(regime=regime, org_unit=current("01"))
    _token, secret = tokens.issue_token(hanoi_reporter, current("01"), name="t", scope="write")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")
    url = f"/api/submissions/{submission.pk}/submit"
    first = client.post(url, {}, content_type="application/json", headers={"Idempotency-Key": "k-1"})
    again = client.post(url, {}, content_type="application/json", headers={"Idempotency-Key": "k-1"})
    assert again.status_code == first.status_code
    assert again.json().get("replayed") is True, again.json()
    assert Transition.objects.filter(submission=submission, to_state="submitted").count() <= 1
    # A key over 200 characters is a bilingual 400, not a 500 (400 was not a transition's answer).
    too_long = client.post(url, {}, content_type="application/json", headers={"Idempotency-Key": "k" * 201})
    assert too_long.status_code == 400, too_long.content
    _assert_error(too_long.json())


# 3. Typed answers with unique names ----------------------------------------------------------

def _resolve(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    return spec["components"]["schemas"][ref.rsplit("/", 1)[1]] if ref else schema


def _untyped(spec: dict[str, Any], schema: dict[str, Any]) -> bool:
    """An object with nothing declared, directly or among a union's members."""
    if "$ref" in schema:
        return False
    for key in ("anyOf", "oneOf", "allOf"):
        if key in schema:
            return any(_untyped(spec, member) for member in schema[key])
    if schema.get("type") == "array":
        return _untyped(spec, schema.get("items", {}))
    if schema.get("type") in ("string", "integer", "number", "boolean"):
        return False
    return not schema.get("properties")


def test_no_operation_answers_an_untyped_object(spec) -> None:  # type: ignore[no-untyped-def]
    found = []
    for path, method, op in _operations(spec):
        for status, answer in op["responses"].items():
            for media, content in (answer.get("content") or {}).items():
                if "json" in media and _untyped(spec, content.get("schema", {})):
                    found.append(f"{method.upper()} {path} {status}")
    assert found == []


def _refs(schema: dict[str, Any]) -> set[str]:
    members = schema.get("anyOf") or schema.get("oneOf") or [schema]
    return {member.get("$ref", "").rsplit("/", 1)[-1] for member in members}


def test_an_operations_own_answers_are_not_shadowed_by_the_common_ones(spec) -> None:  # type: ignore[no-untyped-def]
    """Ninja keys answers by int and the common ones were keyed by str: written out as JSON the
    common 422 replaced the operation's own, so a generated client could not read a 422."""
    def schema(path: str, status: str) -> dict[str, Any]:
        return spec["paths"][path]["post"]["responses"][status]["content"]["application/json"]["schema"]

    assert "ValueSetOut" in _refs(schema("/api/dataValueSets", "422"))
    assert "IssuesOut" in _refs(schema("/api/dataValueSets/bulk", "422"))
    assert "SubmissionOut" in _refs(schema("/api/submissions/{submission_id}/{action}", "200"))
    for _path, _method, op in _operations(spec):
        assert all(isinstance(code, str) for code in op["responses"])


def test_every_refusal_documents_the_error_shape_with_a_code(spec) -> None:  # type: ignore[no-untyped-def]
    error = spec["components"]["schemas"]["ApiError"]
    assert {"status", "code", "message_vi", "message_en", "ref", "field", "line", "cell"} <= set(error["properties"])
    for path, method, op in _operations(spec):
        for status in ("401", "429"):
            schema = op["responses"][status]["content"]["application/json"]["schema"]
            assert schema == {"$ref": "#/components/schemas/ApiError"}, (method, path, status)


def test_schema_names_are_unique_across_modules() -> None:
    """Two Schema classes of one name in different modules: pydantic would rename or merge them
    silently and a generated client would get one model for both."""
    from ninja import Schema

    from nrs.web.api import api

    api.get_openapi_schema()  # every router imported

    def subclasses(cls: type) -> list[type]:
        return [s for c in cls.__subclasses__() for s in (c, *subclasses(c))]

    named: dict[str, set[str]] = {}
    for cls in subclasses(Schema):
        if cls.__module__.startswith("nrs."):
            named.setdefault(cls.__name__, set()).add(f"{cls.__module__}.{cls.__qualname__}")
    assert {name: where for name, where in named.items() if len(where) > 1} == {}


# 4. One error shape, with a stable code ------------------------------------------------------

def test_error_classes_have_stable_codes_with_an_instance_override() -> None:
    cases = {
        InputError("x", "vi", "en"): "invalid_input",
        PayloadError("x", "vi", "en"): "invalid_payload",
        ExcelError("A1", "vi", "en"): "invalid_workbook",
        WorkflowError("vi", "en"): "workflow_refused",
        RegistryError("units.csv", 3, "vi", "en"): "invalid_registry_row",
        AnchorFileError("anchor", "vi", "en"): "invalid_anchor_file",
        BatchRefused(422, "batch", "vi", "en"): "batch_refused",
        PacketRefused(404, "vi", "en"): "packet_refused",
    }
    cases[DocumentError("vi", "en")] = "document_refused"
    for exc, code in cases.items():
        assert errors.code_of(exc) == code, type(exc)
        body = errors.error_body(exc)
        _assert_error(body, code)
    assert errors.code_of(InputError("x", "vi", "en", code="period_closed")) == "period_closed"
    assert errors.code_of(Issue("r", "f", "submission_locked", "error", "vi", "en")) == "submission_locked"
    assert errors.code_of(ValueError("anything")) == "error"
    # where the bad input is: the registry row's source and line; a workbook's cell
    assert errors.error_body(RegistryError("units.csv", 3, "vi", "en"))["line"] == 3
    assert errors.error_body(RegistryError("units.csv", 3, "vi", "en"))["ref"] == "units.csv"


def test_every_documented_code_is_in_the_table() -> None:
    for code in ("invalid_input", "invalid_payload", "workflow_refused", "document_refused",
                 "invalid_registry_row", "invalid_anchor_file", "unauthenticated", "forbidden",
                 "not_found", "invalid_parameter", "rate_limited", "too_large", "malformed_json",
                 "control_character", "value_too_long"):
        assert code in errors.DESCRIPTIONS, code


def _token_client(user, unit: str = "01", scope: str = "write") -> Client:  # type: ignore[no-untyped-def]
    _token, secret = tokens.issue_token(user, current(unit), name="t", scope=scope)
    return Client(HTTP_AUTHORIZATION=f"Bearer {secret}")


def test_api_refusals_share_the_shape(hanoi_reporter, leader) -> None:  # type: ignore[no-untyped-def]
    client = _token_client(hanoi_reporter)
    answer = client.post("/api/dataValueSets", b"{not json", content_type="application/json")
    assert answer.status_code == 400
    _assert_error(answer.json(), "invalid_payload")  # the data value set's own parser
    answer = client.post("/api/submissions/1/submit", b"{not json", content_type="application/json")
    assert answer.status_code == 400
    _assert_error(answer.json(), "malformed_json")  # the API's body parser
    answer = client.post("/api/dataValueSets", json.dumps({"regime": "PROV_KTXH_M"}),
                         content_type="application/json")
    assert answer.status_code == 400
    _assert_error(answer.json(), "invalid_payload")
    assert answer.json()["ref"]
    answer = client.post("/api/submissions/1/frobnicate", {}, content_type="application/json")
    assert answer.status_code == 404
    _assert_error(answer.json(), "not_found")
    answer = client.post("/api/submissions/0/submit", {}, content_type="application/json")
    assert answer.status_code == 422
    body = answer.json()
    _assert_error(body, "invalid_parameter")
    assert body["detail"] and body["ref"] == "submission_id", body  # Ninja's own list is kept
    answer = client.get("/api/dataValues", {"knownOn": "yesterday-ish"})
    assert answer.status_code == 400
    _assert_error(answer.json(), "invalid_input")
    reader = _token_client(leader, "CP", "read")
    answer = reader.get("/api/registry/orgunits/2147483000")
    assert answer.status_code == 404
    _assert_error(answer.json(), "not_found")
    answer = reader.get("/api/registry/regimes/PROV_KTXH_M/periods/2026-13")
    assert answer.status_code == 400
    _assert_error(answer.json(), "invalid_period")
    answer = reader.get("/api/analytics", {"indicator": "NO_SUCH_INDICATOR"})
    assert answer.status_code == 400
    _assert_error(answer.json(), "invalid_input")
    assert answer.json()["ref"] == "indicator"
    outsider = _token_client(hanoi_reporter, "01", "read")
    answer = outsider.get("/api/analytics", {"indicator": "EXPORT_TOTAL", "orgUnit": "CP"})
    assert answer.status_code == 403
    _assert_error(answer.json(), "forbidden")


def test_middleware_refusals_share_the_shape() -> None:
    answer = Client().get("/api/registry/orgunits", {"q": "a\x00b"})
    assert answer.status_code == 400
    _assert_error(answer.json(), "control_character")
    assert answer.json()["ref"] == "q"
    answer = Client().get("/api/registry/orgunits", {"q": "x" * 2001})
    assert answer.status_code == 400
    _assert_error(answer.json(), "value_too_long")


def test_the_middleware_texts_are_unchanged() -> None:
    """The refusals moved to the catalogue keep their words (the English is the msgid)."""
    body = Client().get("/api/registry/orgunits", {"q": "x" * 2001}).json()
    assert body["message_en"] == "parameter q is too long: at most 2000 characters"
    body = Client().get("/api/registry/orgunits", {"q": "\x01"}).json()
    assert body["message_en"] == "parameter q holds a control character (NUL)"
