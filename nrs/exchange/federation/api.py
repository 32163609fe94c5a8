"""The federation API router (/api/federation/…): a registered node pushes signed batches."""

from typing import Any

from django.http import HttpRequest
from ninja import Router, Status

from nrs.accounts.api_auth import request_token
from nrs.collection.api import once
from nrs.exchange.federation import batches, receive
from nrs.registry.api import ApiError, Detail, Strict

router = Router(tags=["federation"])

ERROR = {"type": "object", "properties": {"status": {"type": "string"}, "ref": {"type": "string"},
                                          "message_vi": {"type": "string"},
                                          "message_en": {"type": "string"}}}
BATCH_DOC = {
    "parameters": [{"name": "X-NRS-Signature", "in": "header", "required": True,
                    "schema": {"type": "string"},
                    "description": "base64 Ed25519 signature of the exact body bytes"}],
    "requestBody": {"required": True, "content": {"application/json": {"schema": {
        "type": "object", "required": ["format", "node", "batch", "sequence", "submissions"],
        "description": f"a batch in the format '{batches.FORMAT}' (docs/exchange.md), canonical JSON",
        "properties": {"format": {"type": "string"}, "node": {"type": "string"},
                       "batch": {"type": "string"}, "sequence": {"type": "integer"},
                       "createdAt": {"type": "string"},
                       "submissions": {"type": "array", "items": {"type": "object"}}}}}}},
}


class BatchOut(Strict):
    status: str
    batch: str
    sequence: int
    id: int
    submissions: int
    imported: int
    skipped: int
    duplicate: bool


REFUSED = ApiError | Detail


@router.post("/batches", response={200: BatchOut, 400: REFUSED, 403: REFUSED, 422: REFUSED},
             openapi_extra=BATCH_DOC, exclude_unset=True)
def post_batch(request: HttpRequest) -> Status[dict[str, Any]]:
    """Receive one signed batch of approved submissions from a registered node (the caller's
    account is the node's). The signature is verified over the exact body bytes; every unit
    must be the node's; the batch is imported in one transaction, or refused whole. A batch
    or a submission version seen before is acknowledged without writing again (and so is a
    request resent with its Idempotency-Key)."""
    signature = request.headers.get("X-NRS-Signature", "")
    return Status(*once(request, signature.encode() + b"\n" + request.body,
                        lambda: _receive(request, signature)))


def _receive(request: HttpRequest, signature: str) -> tuple[int, dict[str, Any]]:
    outcome = receive.receive(request.user, request_token(request), request.body, signature)
    body = outcome.body
    if outcome.status >= 400 and "code" not in body:  # the one error shape (nrs.lib.errors)
        body = {**body, "code": "batch_refused" if outcome.status != 403 else "forbidden"}
    return outcome.status, body
