"""The hash chain over audit events: what is hashed, the append lock, anchors
and verification.

Each event carries ``seq`` (1, 2, 3… without gaps), ``prev_hash`` (the hash of
event ``seq - 1``; 64 zeros for the first) and ``hash``::

    hash = SHA-256( UTF-8( canonical_json({
        "seq", "prev_hash", "occurred_at", "event_type", "actor_id", "org_unit_id",
        "object_type", "object_id", "summary", "data", "action_id" }) ) )  as lower-case hex

``canonical_json`` is JSON with keys sorted, no whitespace (``,`` and ``:``),
non-ASCII characters written as themselves, and numbers written so that every
database returns the same text: an integral value (``3``, ``3.0``, ``1e20``) as a
plain integer, any other as Python's ``Decimal(repr(x)).normalize()`` (``0.1``,
``1E-7``). This matters because PostgreSQL's jsonb keeps numbers as ``numeric``
and hands ``1e20`` back as the integer ``100000000000000000000``, and reorders
keys; SQLite hands back the text it was given. ``occurred_at`` is written as UTC
with microseconds (``2026-11-23T19:37:09.123456Z``), ``action_id`` as the
hyphenated UUID, ``actor_id``/``org_unit_id`` as integers or null.

``record()`` hashes the values exactly as they will be read back (``data`` is
passed through a JSON round trip first), and ``verify()`` recomputes every hash
from the rows as the database returns them.
"""

from __future__ import annotations

import hashlib
import json
import math
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection
from django.utils.translation import gettext_noop as _

from nrs.i18n import bilingual

GENESIS = "0" * 64

# The key of PostgreSQL's transaction-level advisory lock that serialises appends
# ("nrsaudit" as a big-endian 64-bit integer).
CHAIN_LOCK_KEY = int.from_bytes(b"nrsaudit", "big")

# The fields hashed, as read from the database (``values()`` names).
HASHED = ("seq", "prev_hash", "occurred_at", "event_type", "actor_id", "org_unit_id",
          "object_type", "object_id", "summary", "data", "action_id")


# -- canonical serialisation -----------------------------------------------------------

def _number(value: int | float) -> str:
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError("audit data cannot hold NaN or infinity")
    number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    if number == number.to_integral_value():
        return str(int(number))
    return str(number.normalize())


def canonical_json(value: Any) -> str:
    """The one serialisation the chain hashes (see the module docstring)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return _number(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, dict):
        items = sorted((str(key), item) for key, item in value.items())
        return "{" + ",".join(f"{json.dumps(key, ensure_ascii=False)}:{canonical_json(item)}"
                              for key, item in items) + "}"
    if isinstance(value, list | tuple):
        return "[" + ",".join(canonical_json(item) for item in value) + "]"
    raise TypeError(f"cannot hash a {type(value).__name__} in audit data")


def as_stored(data: Any) -> Any:
    """``data`` as the database will hand it back: a JSON round trip (tuples become
    lists, keys become strings)."""
    return json.loads(json.dumps(data))


def timestamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def row_hash(row: dict[str, Any]) -> str:
    """The hash of one event, from its hashed fields (a ``values()`` row)."""
    fields = {
        "seq": int(row["seq"]),
        "prev_hash": row["prev_hash"],
        "occurred_at": timestamp(row["occurred_at"]),
        "event_type": str(row["event_type"]),
        "actor_id": row["actor_id"],
        "org_unit_id": row["org_unit_id"],
        "object_type": row["object_type"],
        "object_id": row["object_id"],
        "summary": row["summary"],
        "data": row["data"],
        "action_id": str(row["action_id"]),
    }
    return hashlib.sha256(canonical_json(fields).encode("utf-8")).hexdigest()


# -- the append lock ---------------------------------------------------------------------

def lock_chain() -> None:
    """Serialise appends until the current transaction ends.

    PostgreSQL: ``pg_advisory_xact_lock`` on a constant key, taken by ``record()``
    before it reads the chain head and held to commit or rollback, so ``seq`` and
    ``prev_hash`` follow commit order. (Under READ COMMITTED, the next statement
    after the lock sees the head the previous holder committed.) Taking it twice
    in one transaction is harmless: it is re-entrant.

    SQLite: every write transaction starts with ``BEGIN IMMEDIATE`` (settings), so
    a second writer cannot even begin until the first commits; nothing to do.

    Why this cannot deadlock. A deadlock needs a cycle: T1 waits for the chain
    lock, which T2 holds, while T2 waits for a row lock T1 holds. Every action
    calls ``record()`` after it has locked and written its own rows (the
    submission row, the briefing counter, a target's versions, a user), and
    after ``record()`` only (a) inserts new rows of its own and (b) runs the
    receivers of ``submission_changed``, which write aggregate cells and a
    ``Refresh`` row. So T1, waiting inside ``record()``, holds only the locks of
    its own action's objects. T2, past ``record()``, only waits for cell locks,
    which T1 does not hold yet (cells are written after ``record()``), or for
    locks on its own objects, which it already holds. If T1 and T2 act on the
    same object (the 50 parallel submit/approve calls on one report), they
    queue on that object's row lock before either reaches ``record()``. The
    bulk import rebuilds cells in a transaction that records nothing, so it
    never waits for the chain lock. An action that must write shared rows (cells)
    *before* its audit event should call ``lock_chain()`` first, at the start
    of its transaction, to keep this order.

    Holding the chain lock is holding up every sign-in, so a holder must not
    wait for anything slow. The aggregate store's lock is the one slow lock
    (the queue worker holds it for a chunk of 2,000 unit-periods, seconds):
    past ``record()``, the receivers only *try* it (``pending.try_lock``) and,
    when the worker has it, queue their refresh in their own transaction for the
    worker, which applies it after the chunk in progress (``pending.defer``;
    issue 18, finding 13). A transaction that must wait
    for the store takes the store lock before the chain lock, never after.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [CHAIN_LOCK_KEY])


def head() -> tuple[int, str]:
    """(seq, hash) of the last event, or (0, GENESIS) for an empty log."""
    from nrs.audit.models import Event

    last = Event.objects.order_by("-seq").values_list("seq", "hash").first()
    return (int(last[0]), str(last[1])) if last else (0, GENESIS)


# -- anchors -------------------------------------------------------------------------------

class AnchorFileError(ValueError):
    def __init__(self, ref: str, vi: str, en: str) -> None:
        self.ref, self.vi, self.en = ref, vi, en
        super().__init__(f"{ref}: {vi} / {en}")


@dataclass(frozen=True)
class Anchor:
    seq: int
    hash: str
    at: str


def anchor_file() -> Path:
    return Path(settings.NRS_AUDIT_ANCHOR_FILE)


def read_anchors(path: Path | None = None) -> list[Anchor]:
    """The anchors written so far ("seq hash time" per line), in file order."""
    path = path or anchor_file()
    if not path.exists():
        return []
    found = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        parts = line.split()
        if len(parts) != 3 or not parts[0].isdigit() or len(parts[1]) != 64:
            raise AnchorFileError(f"{path}:{number}", *bilingual(_("malformed anchor line (expected: seq hash time)")))
        found.append(Anchor(int(parts[0]), parts[1], parts[2]))
    return found


def write_anchor(seq: int, chain_hash: str, path: Path | None = None) -> Anchor:
    """Append the head to the anchor file (outside the database) and flush it to disk."""
    import os

    path = path or anchor_file()
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    anchor = Anchor(seq, chain_hash, timestamp(datetime.now(UTC)))
    # A new file is the nrs user's alone (0600); an existing one keeps what its operator set
    # (append-only or separately administered storage).
    descriptor = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    with os.fdopen(descriptor, "a", encoding="utf-8") as handle:
        handle.write(f"{anchor.seq} {anchor.hash} {anchor.at}\n")
        handle.flush()
        os.fsync(handle.fileno())
    return anchor


# -- verification ----------------------------------------------------------------------------

REASONS: dict[str, str] = {  # English msgids; the Vietnamese is in django.po
    "": _("chain intact"),
    "gap": _("event missing (deleted?)"),
    "link": _("prev_hash does not match the previous event (deleted, inserted or reordered)"),
    "hash": _("event content altered (hash mismatch)"),
    "anchor": _("hash differs from the external anchor (chain rewritten)"),
    "truncated": _("chain ends before the last anchor (tail deleted)"),
}


@dataclass
class Result:
    ok: bool = True
    count: int = 0
    head_seq: int = 0
    head_hash: str = GENESIS
    broken_seq: int | None = None
    reason: str = ""
    anchors: int = 0
    seconds: float = 0.0
    detail: dict[str, Any] = field(default_factory=dict)

    @property
    def message_vi(self) -> str:
        return bilingual(REASONS[self.reason]).vi

    @property
    def message_en(self) -> str:
        return bilingual(REASONS[self.reason]).en

    def fail(self, seq: int, reason: str, **detail: Any) -> Result:
        self.ok, self.broken_seq, self.reason, self.detail = False, seq, reason, detail
        return self


def _rows(first: int, last: int | None, chunk_size: int) -> Iterator[dict[str, Any]]:
    from nrs.audit.models import Event

    rows = Event.objects.filter(seq__gte=first)
    if last is not None:
        rows = rows.filter(seq__lte=last)
    yield from rows.order_by("seq").values("hash", *HASHED).iterator(chunk_size=chunk_size)


def verify(first: int = 1, last: int | None = None, *, anchors: Iterable[Anchor] = (),
           chunk_size: int = 2000) -> Result:
    """Recompute the chain from ``first`` to ``last`` (default: the whole log) as read
    from the database, and check it against ``anchors``. Stops at the first break.

    Detects an edited row (``hash``), a deleted row (``gap``, or ``link`` when the
    rows after it were renumbered), reordered or inserted rows (``link``), a chain
    rewritten before an anchor (``anchor``) and a tail cut off before the last anchor
    (``truncated``). A range starting after 1 links to the stored hash of ``first - 1``."""
    from nrs.audit.models import Event

    started = time.monotonic()
    result = Result()
    by_seq = {a.seq: a.hash for a in anchors}
    result.anchors = len(by_seq)
    expected, prev = first, GENESIS
    if first > 1:
        before = Event.objects.filter(seq=first - 1).values_list("hash", flat=True).first()
        if before is None:
            return _timed(result.fail(first - 1, "gap"), started)
        prev = before
    for row in _rows(first, last, chunk_size):
        seq = int(row["seq"])
        if seq != expected:
            return _timed(result.fail(expected, "gap", found=seq), started)
        if row["prev_hash"] != prev:
            return _timed(result.fail(seq, "link"), started)
        if row_hash(row) != row["hash"]:
            return _timed(result.fail(seq, "hash"), started)
        if seq in by_seq and by_seq[seq] != row["hash"]:
            return _timed(result.fail(seq, "anchor"), started)
        prev, expected = row["hash"], seq + 1
        result.count += 1
        result.head_seq, result.head_hash = seq, prev
    if last is None and by_seq and max(by_seq) > result.head_seq:
        return _timed(result.fail(result.head_seq + 1, "truncated", anchored=max(by_seq)), started)
    return _timed(result, started)


def _timed(result: Result, started: float) -> Result:
    result.seconds = time.monotonic() - started
    return result
