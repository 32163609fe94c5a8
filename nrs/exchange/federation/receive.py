"""The national side: verify a node's batch and import it through the collection write path.

Order matters. The node is the caller's account; the signature is checked over the exact
bytes received before anything in them is believed; then the shape; then that every unit
is the node's; only then is anything written, in ONE transaction: per submission version
not seen before, nrs.collection.actions saves its values (revising an approved report
first, so nothing is overwritten), attaches its text report, submits and approves it as
the node's account, and records the (node, source submission, source version) key and
the batch it came in (those rows through nrs.exchange.federation.actions). Any refusal
rolls everything back and is audited as FEDERATION_BATCH_REJECTED.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext_noop as _

from nrs.audit.events import EventType
from nrs.audit.log import record
from nrs.collection import actions, validation
from nrs.collection.documents import DocumentError
from nrs.collection.models import Document, State, Submission
from nrs.collection.workflow import WorkflowError
from nrs.exchange.federation import actions as federation
from nrs.exchange.federation import batches, signing
from nrs.exchange.federation.models import FederatedVersion, Node, ReceivedBatch
from nrs.i18n import bilingual, error_body
from nrs.lib import periods
from nrs.lib.errors import InputError
from nrs.registry.models import OrgUnit, Regime


@dataclass
class Outcome:
    status: int
    body: dict[str, Any]


class Refused(Exception):
    """A batch refused after its signature verified: where, why, and the HTTP status."""

    def __init__(self, status: int, ref: str, vi: str, en: str,
                 issues: list[dict[str, Any]] | None = None) -> None:
        self.status, self.ref, self.vi, self.en = status, ref, vi, en
        self.issues = issues or []
        super().__init__(f"{ref}: {en}")


@dataclass
class Resolved:
    entry: batches.Entry
    regime: Regime
    unit: OrgUnit
    period: periods.Period


@dataclass
class Counts:
    imported: int = 0
    skipped: int = 0
    values: int = 0
    versions: list[FederatedVersion] = field(default_factory=list)


def _not_a_node() -> dict[str, str]:
    return error_body(_("this account is not a registered federated node"))


def receive(user: Any, token: Any, body: bytes, signature: str) -> Outcome:
    user_pk = getattr(user, "pk", None)
    node = Node.objects.filter(user_id=user_pk, active=True).first() if user_pk else None
    if node is None:
        return Outcome(403, _not_a_node())
    digest = hashlib.sha256(body).hexdigest()
    try:
        if not signing.verify(node.public_key, body, signature):
            raise Refused(403, "X-NRS-Signature", *bilingual(_("the batch's signature does not verify "
                                                               "with the node's registered key")))
        batch = _parse(node, body)
        resolved = [_resolve(node, e) for e in batch.entries]
        return _accept(node, batch, resolved, digest, signature, user=user, token=token)
    except Refused as exc:
        _audit_rejection(node, user, digest, exc)
        body_out: dict[str, Any] = {"status": "error", "ref": exc.ref, "message_vi": exc.vi,
                                    "message_en": exc.en}
        if exc.issues:
            body_out["issues"] = exc.issues
        return Outcome(exc.status, body_out)


def _parse(node: Node, body: bytes) -> batches.Batch:
    try:
        batch = batches.parse(body)
    except InputError as exc:
        raise Refused(400, exc.ref, exc.vi, exc.en) from None
    if batch.node != node.code:
        raise Refused(403, "node", *bilingual(_("the batch names node '%(node)s' but the account "
                                                "is node '%(code)s'"),
                                              node=batch.node, code=node.code))
    return batch


def _owned(node: Node, unit: OrgUnit) -> bool:
    return any(unit.path.startswith(root.path) for root in node.units.all())


def _resolve(node: Node, entry: batches.Entry) -> Resolved:
    """Regime, period and unit of one entry; the unit (and every value's unit) must be
    within the node's units, or the whole batch is refused, naming the unit."""
    regime = Regime.objects.filter(code=entry.regime).first()
    if regime is None:
        raise Refused(400, f"{entry.ref}.regime", *bilingual(_("unknown regime '%(regime)s'"),
                                                             regime=entry.regime))
    try:
        period = periods.parse(entry.period)
    except periods.PeriodError as exc:
        raise Refused(400, f"{entry.ref}.period", *bilingual(_("invalid period: %(error)s"),
                                                             error=exc)) from None
    versions = list(OrgUnit.objects.filter(code=entry.org_unit).order_by("-valid_from"))
    unit = next((u for u in versions if u.is_valid_on(period.end)), None) or next(iter(versions), None)
    if unit is None:
        raise Refused(400, f"{entry.ref}.orgUnit", *bilingual(_("unknown org unit '%(org_unit)s'"),
                                                              org_unit=entry.org_unit))
    if not _owned(node, unit):
        raise _not_owned(node, f"{entry.ref}.orgUnit", entry.org_unit)
    codes = {str(row.org_unit) for row in entry.rows} - {unit.code}
    paths = dict(OrgUnit.objects.filter(code__in=codes).values_list("code", "path"))
    for row in entry.rows:
        code = str(row.org_unit)
        if code != unit.code and code in paths and not any(
                paths[code].startswith(root.path) for root in node.units.all()):
            raise _not_owned(node, f"{row.ref}.orgUnit", code)
    return Resolved(entry, regime, unit, period)


def _not_owned(node: Node, ref: str, code: str) -> Refused:
    return Refused(403, ref, *bilingual(_("org unit '%(code)s' is not one of node '%(code2)s''s "
                                          "units"),
                                        code=code, code2=node.code))


def _accept(node: Node, batch: batches.Batch, resolved: list[Resolved], digest: str,
            signature: str, *, user: Any, token: Any) -> Outcome:
    with transaction.atomic():
        Node.objects.select_for_update().filter(pk=node.pk).first()  # one batch per node at a time
        seen = ReceivedBatch.objects.filter(node=node, batch_id=batch.batch_id).first()
        if seen is not None:
            return Outcome(200, _answer(seen, duplicate=True))
        received = federation.open_batch(node, batch, digest, signature)
        counts = Counts()
        for item in resolved:
            _import(node, received, item, counts, user=user, token=token)
        federation.close_batch(received, imported=counts.imported, skipped=counts.skipped,
                               values=counts.values, actor=user)
        return Outcome(200, _answer(received, duplicate=False))


def _answer(batch: ReceivedBatch, *, duplicate: bool) -> dict[str, Any]:
    return {"status": "ok", "batch": batch.batch_id, "sequence": batch.sequence, "id": batch.pk,
            "submissions": batch.submissions, "imported": 0 if duplicate else batch.imported,
            "skipped": batch.submissions if duplicate else batch.skipped, "duplicate": duplicate}


def _import(node: Node, received: ReceivedBatch, item: Resolved, counts: Counts, *,
            user: Any, token: Any) -> None:
    """One source version: skipped when seen before, else a new national version."""
    entry = item.entry
    if FederatedVersion.objects.filter(node=node, source_submission=entry.source_submission,
                                       source_version=entry.source_version).exists():
        counts.skipped += 1
        return
    reason = "{} / {}".format(*bilingual(_("federated from node %(node)s (submission %(submission)s v%(version)s)"),
                                         node=node.code, submission=entry.source_submission,
                                         version=entry.source_version))
    try:
        submission = _write(item, reason, user=user, token=token, counts=counts)
    except PermissionDenied:
        raise Refused(403, f"{entry.ref}.orgUnit",
                      *bilingual(_("the node's token may not write for org unit '%(org_unit)s'"),
                                 org_unit=entry.org_unit)) from None
    except WorkflowError as exc:
        raise Refused(422, entry.ref, exc.vi, exc.en, [i.as_dict() for i in exc.issues]) from None
    except DocumentError as exc:
        raise Refused(422, f"{entry.ref}.document", exc.vi, exc.en) from None
    federation.record_version(node, received, entry, submission)
    counts.imported += 1


def _write(item: Resolved, reason: str, *, user: Any, token: Any, counts: Counts) -> Submission:
    entry = item.entry
    existing = Submission.objects.filter(regime=item.regime, org_unit=item.unit,
                                         period=item.period.sdmx).first()
    if existing is not None and existing.state == State.APPROVED:
        actions.revise_submission(existing, actor=user, token=token, reason=reason[:500])
    result = actions.check_and_save_values(item.regime, item.unit, item.period, entry.rows, actor=user,
                                           token=token, backfill=entry.backfill)
    if not result.ok or result.submission is None:
        errors = validation.errors(result.issues)
        first = errors[0] if errors else None
        raise Refused(422, first.ref if first else entry.ref,
                      *((first.vi, first.en) if first else bilingual(_("the report is not valid"))),
                      [i.as_dict() for i in errors])
    counts.values += result.saved
    submission = result.submission
    if entry.document is not None and not Document.objects.filter(
            version__submission=submission, sha256=hashlib.sha256(entry.document.data).hexdigest()).exists():
        actions.attach_document(item.regime, item.unit, item.period, entry.document.data,
                                entry.document.filename, actor=user, token=token)
    actions.submit_submission(submission, actor=user, token=token)
    return actions.approve_submission(submission, actor=user, token=token, comment=reason)


def _audit_rejection(node: Node, user: Any, digest: str, exc: Refused) -> None:
    with transaction.atomic():
        record(EventType.FEDERATION_BATCH_REJECTED, actor=user, org_unit=node.units.first(), obj=node,
               summary=f"{node.code}: {exc.ref}: {exc.en}",
               data={"sha256": digest, "ref": exc.ref, "reason_vi": exc.vi, "reason_en": exc.en,
                     "status": exc.status})
