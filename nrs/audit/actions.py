"""Verifying and anchoring the chain, with their audit events.

Decision: a verification is recorded (AUDIT_VERIFIED) only when it succeeds, and
only after it has finished, so the event is never part of what it vouches for.
A failed verification records nothing: appending to a chain known to be broken
would link a fresh, valid-looking hash on top of the tampered part; the failure is
reported by the exit code, on stderr and in the worker's error log instead. The
viewer's on-demand check of a page records nothing either (a GET never writes,
and a partial range proves less than the whole chain)."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from nrs.audit import chain
from nrs.audit.events import EventType
from nrs.audit.log import record


def verify_chain(*, actor: Any = None, record_success: bool = True) -> chain.Result:
    """The whole chain, checked against every anchor in the anchor file."""
    result = chain.verify(anchors=chain.read_anchors())
    if result.ok and record_success:
        with transaction.atomic():
            record(EventType.AUDIT_VERIFIED, actor=actor,
                   summary=f"seq 1-{result.head_seq}: {result.count} events",
                   data=_summary(result))
    return result


def anchor_chain(*, actor: Any = None) -> tuple[chain.Result, chain.Anchor | None]:
    """Verify, then append the verified head to the anchor file and record it.
    A broken chain is not anchored (that would bless the tampering)."""
    result = chain.verify(anchors=chain.read_anchors())
    if not result.ok:
        return result, None
    anchor = chain.write_anchor(result.head_seq, result.head_hash)
    with transaction.atomic():
        record(EventType.AUDIT_ANCHORED, actor=actor, summary=f"seq {anchor.seq} {anchor.hash[:16]}…",
               data={**_summary(result), "file": str(chain.anchor_file())})
    return result, anchor


def _summary(result: chain.Result) -> dict[str, Any]:
    return {"count": result.count, "seq": result.head_seq, "hash": result.head_hash,
            "anchors": result.anchors, "seconds": round(result.seconds, 3)}
