"""Errors that name where the bad input is, in Vietnamese and English, and the one shape
every refusal takes in the API (issue 19, part 5):

    {"status": "error", "code": "<machine code>", "ref"/"field"/"line"/"cell": …,
     "message_vi": "…", "message_en": "…"}

``code`` is stable and machine-readable: a client switches on it, never on the text. An
error class names its code in a ``code`` class attribute, and an instance may override it
(``InputError(ref, vi, en, code="period_closed")``). Classes that do not (yet) carry the
attribute are given theirs in CLASS_CODES, by their dotted name: nrs.lib imports nothing
above it. DESCRIPTIONS lists every code with its meaning (docs/api.md's table is made from it).
"""

from __future__ import annotations

from typing import Any

# code -> what it means (English; the table of codes in the docs)
DESCRIPTIONS: dict[str, str] = {
    "error": "an error of no more specific kind",
    "bad_request": "the request cannot be read (400)",
    "unauthenticated": "no valid API token or session (401, with WWW-Authenticate: Bearer)",
    "forbidden": "outside the caller's rights or scope (403)",
    "not_found": "no such resource, or not visible to the caller (404)",
    "conflict": "the resource's state does not allow the request (409)",
    "too_large": "the body is over the size limit (413)",
    "unsupported_media_type": "a body format the operation does not take (415)",
    "invalid": "the request was refused as invalid (422)",
    "invalid_parameter": "a parameter or body field that does not parse: `detail` lists them (422)",
    "rate_limited": "over the token's rate limit; see Retry-After (429)",
    "malformed_json": "the body is not well-formed JSON or UTF-8 (400)",
    "control_character": "a parameter or the path holds a control character such as NUL (400)",
    "value_too_long": "a parameter over the length limit (400)",
    "json_too_deep": "a JSON body nested too deeply (400)",
    "invalid_input": "bad input at `ref`: a JSON path, a parameter, a CSV line or a cell",
    "invalid_payload": "a body that is not a well-formed data value set; `ref` names the place",
    "invalid_workbook": "an uploaded workbook that cannot be read; `ref`/`cell` name the cell",
    "invalid_period": "a period id that does not parse (SDMX 2026-01 or DHIS2 202601)",
    "workflow_refused": "a workflow transition that is not allowed now; `issues` say why",
    "validation_failed": "values refused: `issues` lists each with its own code; nothing was stored (422)",
    "too_many_rows": "a query that would answer too many rows; narrow it (400)",
    "document_refused": "an uploaded text report (PDF/DOCX) that is refused",
    "invalid_registry_row": "a bad row in a registry source: `ref` is the source, `line` the row",
    "invalid_anchor_file": "an audit-chain anchor file that cannot be read",
    "batch_refused": "a federation batch refused after its signature verified",
    "packet_refused": "a QCVN 125 packet outside the caller's scope or not there",
    "destination_refused": "a connector destination the outbound policy does not allow",
    "invalid_signature": "a PDF, key or certificate that cannot be used for signing or verifying",
    "fetch_failed": "a connector's upstream could not be read",
    "idempotency_key_invalid": "an Idempotency-Key that is empty or over 200 characters (400)",
    "idempotency_key_reused": "an Idempotency-Key already used for a different request (422)",
}

# The default code of an HTTP refusal whose body names none.
STATUS_CODES: dict[int, str] = {
    400: "bad_request", 401: "unauthenticated", 403: "forbidden", 404: "not_found",
    409: "conflict", 413: "too_large", 415: "unsupported_media_type", 422: "invalid",
    429: "rate_limited",
}

# Codes of error classes defined above nrs.lib, by dotted name (the nearest in the MRO wins;
# a ``code`` attribute on the class or the instance wins over this table).
CLASS_CODES: dict[str, str] = {
    "nrs.collection.payloads.PayloadError": "invalid_payload",
    "nrs.collection.excel.ExcelError": "invalid_workbook",
    "nrs.collection.workflow.WorkflowError": "workflow_refused",
    "nrs.collection.documents.DocumentError": "document_refused",
    "nrs.registry.sources.RegistryError": "invalid_registry_row",
    "nrs.audit.chain.AnchorFileError": "invalid_anchor_file",
    "nrs.exchange.federation.receive.Refused": "batch_refused",
    "nrs.exchange.qcvn.registry.Refused": "packet_refused",
    "nrs.exchange.sdmx.query.NotFound": "not_found",
    "nrs.exchange.connectors.http.FetchError": "fetch_failed",
    "nrs.exchange.connectors.http.DestinationRefused": "destination_refused",
    "nrs.lib.destinations.Refused": "destination_refused",
    "nrs.lib.safejson.TooDeep": "json_too_deep",
    "nrs.lib.signatures.SignatureError": "invalid_signature",
    "nrs.lib.periods.PeriodError": "invalid_period",
}

# Where the bad input is: the keys an error may carry, in this order.
PLACES = ("ref", "field", "line", "cell")


class InputError(ValueError):
    """Bad input at ``ref`` (a JSON path, a CSV line, a spreadsheet cell)."""

    code = "invalid_input"

    def __init__(self, ref: str, vi: str, en: str, *, code: str | None = None) -> None:
        self.ref, self.vi, self.en = ref, vi, en
        if code is not None:
            self.code = code
        super().__init__(f"{ref}: {vi} / {en}")

    def as_dict(self) -> dict[str, Any]:
        return error_body(self)


def code_of(error: Any) -> str:
    """The machine-readable code of an error: its own ``code`` (instance, then class), else
    CLASS_CODES by the nearest class in its MRO, else "error"."""
    own = getattr(error, "__dict__", {}).get("code")
    if isinstance(own, str) and own:
        return own
    for cls in type(error).__mro__:  # the nearest class that names a code, itself or in the table
        named = cls.__dict__.get("code")
        if isinstance(named, str) and named:
            return named
        found = CLASS_CODES.get(f"{cls.__module__}.{cls.__qualname__}")
        if found:
            return found
    own = getattr(error, "code", None)  # a slotted instance's own
    return own if isinstance(own, str) and own else "error"


def _issue(issue: Any) -> Any:
    return issue.as_dict() if hasattr(issue, "as_dict") and not isinstance(issue, dict) else issue


def error_body(error: Any, **extra: Any) -> dict[str, Any]:
    """The one error shape, for any error class: status, code, where (ref, field, line, cell,
    as the error knows them; a registry row's source is its ref and its row its line), the
    message in both languages, and the issues if any. ``extra`` keys are added last."""
    body: dict[str, Any] = {"status": "error", "code": code_of(error)}
    places = {"ref": getattr(error, "ref", None) or getattr(error, "source", None),
              "field": getattr(error, "field", None),
              "line": getattr(error, "line", None) or getattr(error, "row", None),
              "cell": getattr(error, "cell", None)}
    body.update({key: places[key] for key in PLACES if places[key] not in (None, "")})
    body["message_vi"] = getattr(error, "vi", None) or getattr(error, "message_vi", "") or str(error)
    body["message_en"] = getattr(error, "en", None) or getattr(error, "message_en", "") or str(error)
    issues = getattr(error, "issues", None)
    if issues:
        body["issues"] = [_issue(issue) for issue in issues]
    body.update(extra)
    return body


def with_code(body: dict[str, Any], status: int) -> dict[str, Any]:
    """An error answer's body with a code: its own, else the HTTP status's (STATUS_CODES)."""
    if body.get("status") != "error" or body.get("code"):
        return body
    return {**body, "code": STATUS_CODES.get(status, "error")}
