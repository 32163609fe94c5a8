"""The sending side: push this node's approved submissions to the upstream node.

The unit of progress is an approval (a Transition to "approved", in id order). The
cursor is the id of the last approval the upstream acknowledged; it moves only after
the upstream answered 200, in the same transaction as the FEDERATION_BATCH_SENT event.
A sync killed at any point resends what was not acknowledged, and the upstream's
idempotency (node, source submission, source version) makes the resend harmless.
"""

from __future__ import annotations

import base64
import json
import uuid
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_noop as _

from nrs.audit.events import EventType
from nrs.audit.log import record
from nrs.collection.context import newest_rows
from nrs.collection.documents import REMOVED
from nrs.collection.models import DataValue, Document, State, SubmissionVersion, Transition
from nrs.exchange.connectors import http, refusals
from nrs.exchange.connectors.secretbox import seal, unseal
from nrs.exchange.federation import batches, signing
from nrs.exchange.federation.models import Upstream
from nrs.i18n import Pair, bilingual
from nrs.lib.errors import InputError
from nrs.registry.models import OrgUnit

ANSWER_MAX_BYTES = 1024 * 1024  # the upstream's answer to a batch is a small JSON object


class SyncError(Exception):
    """The upstream refused a batch or could not be reached; bilingual."""

    def __init__(self, vi: str, en: str) -> None:
        self.vi, self.en = vi, en
        super().__init__(f"{vi} / {en}")


@dataclass
class SyncResult:
    batches: int = 0
    submissions: int = 0
    imported: int = 0
    skipped: int = 0


def upstream() -> Upstream | None:
    return Upstream.objects.order_by("pk").first()


def configure(url: str, node_code: str, token: str, units: list[str]) -> Upstream:
    """Set where this node pushes (one upstream). The cursor is kept when the URL and the
    node stay the same, and restarts from the beginning when either changes. The token is
    stored sealed, like connector credentials (nrs/exchange/connectors/secretbox.py)."""
    token = seal(token)
    with transaction.atomic():
        current = Upstream.objects.select_for_update().order_by("pk").first()
        restarted = current is None or (current.url, current.node_code) != (url, node_code)
        if current is None:
            current = Upstream(url=url, node_code=node_code, token=token, units=units)
        elif restarted:
            current.cursor, current.sequence = 0, 0
        current.url, current.node_code, current.token, current.units = url, node_code, token, units
        current.save()
        record(EventType.FEDERATION_UPSTREAM_CHANGED, obj=current, summary=f"{node_code} → {url}",
               data={"url": url, "node": node_code, "units": units, "cursor": current.cursor,
                     "restarted": restarted})  # never the token
    return current


def rewind() -> None:
    """Send everything again from the first approval: a full reconciliation, harmless
    because the upstream acknowledges versions it has without writing them."""
    with transaction.atomic():
        for config in Upstream.objects.select_for_update():
            record(EventType.FEDERATION_UPSTREAM_CHANGED, obj=config, summary=f"{config}: rewind",
                   data={"rewind": True, "cursor_was": config.cursor})
        Upstream.objects.update(cursor=0)


def _owned_q(codes: list[str]) -> Q:
    """Submissions of the units this node owns (every version of each code's subtree)."""
    query = Q(pk__in=[])
    for path in OrgUnit.objects.filter(code__in=codes).values_list("path", flat=True):
        query |= Q(submission__org_unit__path__startswith=path)
    return query


def pending(config: Upstream, limit: int) -> list[Transition]:
    """The next approvals after the cursor, oldest first, of owned units only."""
    return list(Transition.objects.filter(_owned_q(config.units), to_state=State.APPROVED,
                                          id__gt=config.cursor)
                .select_related("submission__regime", "submission__org_unit")
                .order_by("id")[:limit])


def _number(value: Decimal | None) -> str | None:
    return None if value is None else format(value.normalize(), "f")


def entry(approval: Transition) -> dict[str, Any]:
    """One approved version as sent: its values as they stood at that version (the newest
    row of each key among versions up to it) and its newest text report, if any."""
    submission, number = approval.submission, approval.version
    rows = newest_rows(DataValue.objects.filter(version__submission=submission,
                                                version__number__lte=number))
    approved_at = (SubmissionVersion.objects.filter(submission=submission, number=number)
                   .values_list("approved_at", flat=True).first()) or approval.at
    values = sorted(({"indicator": r.indicator.code, "orgUnit": r.org_unit.code,
                      "breakdown": r.breakdown, "value": _number(r.value), "flag": r.flag,
                      "comment": r.comment} for r in rows),
                    key=lambda v: (v["indicator"], v["orgUnit"], v["breakdown"]))
    document = (Document.objects.filter(version__submission=submission, version__number__lte=number)
                .exclude(meta__has_key=REMOVED).order_by("-id").first())
    return {"source": {"submission": submission.pk, "version": number},
            "regime": submission.regime.code, "orgUnit": submission.org_unit.code,
            "period": submission.period, "backfill": submission.backfill,
            "approvedAt": approved_at.isoformat(), "values": values,
            "document": _document(document)}


def _document(document: Document | None) -> dict[str, str] | None:
    if document is None:
        return None
    with document.file.open("rb") as handle:
        data = handle.read()
    return {"filename": document.filename, "sha256": document.sha256,
            "data": base64.b64encode(data).decode("ascii")}


def build(config: Upstream, approvals: list[Transition]) -> bytes:
    return signing.canonical({
        "format": batches.FORMAT, "node": config.node_code, "batch": str(uuid.uuid4()),
        "sequence": config.sequence + 1, "createdAt": timezone.now().isoformat(),
        "submissions": [entry(a) for a in approvals]})


def post(config: Upstream, body: bytes, signature: str, timeout: float = 120) -> dict[str, Any]:
    """POST one batch; the upstream's answer on 200, SyncError otherwise. The request goes
    through the connectors' outbound HTTP: the destination policy (NRS_FETCH_ALLOW), the
    address checked is the address connected to, no redirect is followed."""
    try:
        answer = http.request(
            config.url.rstrip("/") + "/api/federation/batches", method="POST", body=body, timeout=timeout,
            max_bytes=ANSWER_MAX_BYTES,
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {unseal(config.token)}",
                     "X-NRS-Signature": signature})
    except http.DestinationRefused as exc:
        refusals.record_refused(exc, obj=config, what="federation")
        raise SyncError(exc.vi, exc.en) from None
    except InputError as exc:  # connection failed, timed out, too big: generic on purpose
        raise SyncError(*bilingual(_("cannot reach the upstream node: %(error)s"),
                                   error=Pair(exc.vi, exc.en))) from None
    if answer.status != 200:
        raise _refused(answer.status, answer.body)
    try:
        return dict(json.loads(answer.body))
    except (ValueError, TypeError):
        raise SyncError(*bilingual(_("the upstream's answer is not JSON"))) from None


def _refused(status: int, body: bytes) -> SyncError:
    try:
        answer = json.loads(body)
    except ValueError:
        answer = {}
    where = f" [{answer['ref']}]" if isinstance(answer, dict) and answer.get("ref") else ""
    vi = answer.get("message_vi", "") if isinstance(answer, dict) else ""
    en = answer.get("message_en", "") if isinstance(answer, dict) else ""
    return SyncError(*bilingual(_("the upstream refused the batch (HTTP %(status)s)%(where)s: %(error)s"),
                                status=status, where=where, error=Pair(vi, en)))


def acknowledge(config: Upstream, approvals: list[Transition], answer: dict[str, Any]) -> None:
    """Move the cursor past an acknowledged batch, with its audit event, atomically."""
    with transaction.atomic():
        Upstream.objects.filter(pk=config.pk).update(cursor=approvals[-1].pk,
                                                     sequence=config.sequence + 1)
        config.cursor, config.sequence = approvals[-1].pk, config.sequence + 1
        record(EventType.FEDERATION_BATCH_SENT, obj=config,
               summary=f"{config.node_code} → {config.url}: batch #{config.sequence}",
               data={"batch": answer.get("batch", ""), "sequence": config.sequence,
                     "submissions": len(approvals), "imported": answer.get("imported", 0),
                     "skipped": answer.get("skipped", 0), "cursor": config.cursor})


def run(*, batch_size: int | None = None, key_path: Path | None = None,
        max_batches: int | None = None) -> SyncResult:
    """Send every unacknowledged approval, batch by batch, until none is left."""
    config = upstream()
    if config is None:
        raise SyncError(*bilingual(_("no upstream configured (nrs federation upstream)")))
    key: Ed25519PrivateKey = signing.load_private(key_path or settings.NRS_NODE_KEY)
    size = max(1, batch_size or settings.NRS_FEDERATION_BATCH)
    result = SyncResult()
    while max_batches is None or result.batches < max_batches:
        approvals = pending(config, size)
        if not approvals:
            break
        body = build(config, approvals)
        answer = post(config, body, signing.sign(key, body))
        acknowledge(config, approvals, answer)
        result.batches += 1
        result.submissions += len(approvals)
        result.imported += int(answer.get("imported", 0))
        result.skipped += int(answer.get("skipped", 0))
    return result
