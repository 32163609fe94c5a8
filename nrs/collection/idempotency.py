"""Idempotency-Key: a write sent again with the same key is done exactly once.

The key row is inserted in the same transaction as the write. A concurrent
request with the same key waits on the unique index until the first commits,
then finds the stored answer and returns it unchanged.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

from django.db import IntegrityError, transaction

from nrs.collection.models import IdempotencyRecord

Answer = tuple[int, dict[str, Any]]
MAX_KEY = 200


def request_hash(method: str, path: str, body: bytes) -> str:
    return hashlib.sha256(method.encode() + b" " + path.encode() + b"\n" + body).hexdigest()


def run_once(user: Any, key: str, fingerprint: str, work: Callable[[], Answer]) -> Answer:
    if not key or len(key) > MAX_KEY:
        return 400, {"status": "error", "message_vi": "Idempotency-Key phải có 1-200 ký tự",
                     "message_en": "Idempotency-Key must be 1 to 200 characters"}
    with transaction.atomic():
        try:
            with transaction.atomic():
                entry = IdempotencyRecord.objects.create(user=user, key=key,
                                                         request_hash=fingerprint,
                                                         status_code=0, response={})
        except IntegrityError:
            return _replay(user, key, fingerprint)
        status, body = work()
        entry.status_code, entry.response = status, body
        entry.save(update_fields=["status_code", "response"])  # completes the key's record
        return status, body


def _replay(user: Any, key: str, fingerprint: str) -> Answer:
    stored = IdempotencyRecord.objects.get(user=user, key=key)
    if stored.request_hash != fingerprint:
        return 422, {"status": "error",
                     "message_vi": "Idempotency-Key đã dùng cho một yêu cầu khác",
                     "message_en": "this Idempotency-Key was used for a different request"}
    return stored.status_code, {**stored.response, "replayed": True}
