"""The audit hash chain: written through real actions, verified by `nrs audit verify`,
and tampered with by raw SQL the way a DBA could (triggers dropped, rows changed,
triggers recreated), on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import importlib
import itertools
import json
import os
import subprocess
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, connections, transaction

from nrs.accounts import actions as account_actions
from nrs.accounts.models import Role
from nrs.audit import chain
from nrs.audit.events import EventType
from nrs.audit.log import record
from nrs.audit.models import Event
from nrs.registry import actions as registry_actions
from nrs.registry.models import Indicator
from tests.conftest import current
from tests.live import NRS, PG

pytestmark = pytest.mark.django_db

TRIGGERS = importlib.import_module("nrs.audit.migrations.0006_hash_chain")


@pytest.fixture(autouse=True)
def _anchors(settings, tmp_path):  # type: ignore[no-untyped-def]
    settings.NRS_AUDIT_ANCHOR_FILE = tmp_path / "anchors.log"


def _some_actions(coordinator) -> list[Event]:  # type: ignore[no-untyped-def]
    """A few real actions, each writing its event: a user, a grant, two target versions."""
    start = chain.head()[0]
    user, _ = account_actions.create_user("chain.viewer", "chain-password-2026", full_name="Chain")
    account_actions.grant_role(user, Role.VIEWER, current("01"), actor=coordinator)
    gdp = Indicator.objects.get(code="GDP_GROWTH")
    registry_actions.set_target(gdp, current("CP"), 2027, Decimal("6.5"), actor=coordinator)
    registry_actions.set_target(gdp, current("CP"), 2027, Decimal("7"), actor=coordinator, reason="x")
    return list(Event.objects.filter(seq__gt=start).order_by("seq"))


def _verify() -> str:
    out = StringIO()
    call_command("audit", "verify", "--no-record", stdout=out)
    return out.getvalue()


def _broken() -> str:
    with pytest.raises(CommandError) as caught:
        _verify()
    assert caught.value.returncode == 1
    return str(caught.value)


@contextmanager
def _as_dba() -> Iterator[object]:
    """Raw SQL with the append-only triggers dropped, recreated afterwards."""
    vendor = connection.vendor
    with connection.cursor() as cursor:
        for sql in TRIGGERS.DROP[vendor]:
            cursor.execute(sql)
        try:
            yield cursor
        finally:
            for sql in TRIGGERS.CREATE[vendor]:
                cursor.execute(sql)


# -- the chain as written -------------------------------------------------------------------

def test_actions_extend_the_chain(coordinator) -> None:  # type: ignore[no-untyped-def]
    events = _some_actions(coordinator)
    assert len(events) >= 4
    for before, after in itertools.pairwise(events):
        assert after.seq == before.seq + 1
        assert after.prev_hash == before.hash
    assert all(len(e.hash) == 64 and e.hash == chain.row_hash(
        {f: getattr(e, f) for f in chain.HASHED}) for e in events)
    out = _verify()
    head_seq, head_hash = chain.head()
    assert f"seq {head_seq} {head_hash}" in out
    assert "Chuỗi nhật ký toàn vẹn" in out and "Audit chain intact" in out


def test_a_successful_cli_verify_is_recorded_after_the_check(coordinator) -> None:  # type: ignore[no-untyped-def]
    _some_actions(coordinator)
    verified_seq, verified_hash = chain.head()
    call_command("audit", "verify", stdout=StringIO())
    event = Event.objects.get(seq=verified_seq + 1)
    assert event.event_type == EventType.AUDIT_VERIFIED
    assert event.data["seq"] == verified_seq and event.data["hash"] == verified_hash
    _verify()  # the verification event itself is chained


def test_hash_matches_what_the_database_reads_back() -> None:
    awkward = {"z": 1.0, "a": [0.1, 1e20, 1e-7, -0.0, 2**70, True, None], "ý": "Hà Nội ✓",
               "nested": {"b": {"d": 1.5, "c": "x"}, "a": 12345678901234567.0}, "3": "int key"}
    with transaction.atomic():
        event = record(EventType.METADATA_CHANGED, summary="số liệu " * 50, data=awkward)
    stored = Event.objects.get(pk=event.pk)
    assert stored.hash == chain.row_hash({f: getattr(stored, f) for f in chain.HASHED})
    assert len(stored.summary) == 300
    assert chain.verify(event.seq, event.seq).ok


def test_canonical_numbers_are_one_text_per_value() -> None:
    assert chain.canonical_json({"b": 1.0, "a": 1}) == '{"a":1,"b":1}'
    assert chain.canonical_json([1e20, 10**20]) == "[100000000000000000000,100000000000000000000]"
    assert chain.canonical_json([0.1, 1e-7, -2.50]) == "[0.1,1E-7,-2.5]"
    assert chain.canonical_json({"ý": "Hà Nội"}) == '{"ý":"Hà Nội"}'
    with pytest.raises(ValueError):
        chain.canonical_json(float("nan"))



# -- a fixed test vector: the published row format, pinned ---------------------------------------
# The row, the canonical text it must serialise to (docs/security.md, "the audit row format") and
# its SHA-256 are written out here by hand; none of them is computed by nrs.audit.chain.

VECTOR_ROW = {
    "seq": 42,
    "prev_hash": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",  # SHA-256("test")
    # 12:37:09.123456 in Viet Nam (UTC+7): hashed as UTC.
    "occurred_at": datetime(2026, 11, 23, 12, 37, 9, 123456, tzinfo=timezone(timedelta(hours=7))),
    "event_type": "collection.transition",
    "actor_id": 7,
    "org_unit_id": 12,
    "object_type": "submission",
    "object_id": "314",
    "summary": "Phê duyệt báo cáo tháng 10/2026 của Hà Nội",
    "data": {"giá_trị": 12345.67, "đơn_vị": "tỷ đồng", "tỷ_lệ": 0.1, "số_lượng": 3.0,
             "ghi_chú": "Tổng mức bán lẻ hàng hóa và doanh thu dịch vụ tiêu dùng"},
    "action_id": uuid.UUID("0b7e2c4a-6f1d-4e8a-9c3b-5d2f1a0e7b64"),
}
# Keys sorted by code point (so "đơn_vị", U+0111, after "tỷ_lệ"), no whitespace, UTF-8 as
# itself, 3.0 as the integer 3, occurred_at in UTC with microseconds and a Z.
VECTOR_TEXT = (
    '{"action_id":"0b7e2c4a-6f1d-4e8a-9c3b-5d2f1a0e7b64","actor_id":7,'
    '"data":{"ghi_chú":"Tổng mức bán lẻ hàng hóa và doanh thu dịch vụ tiêu dùng","giá_trị":12345.67,'
    '"số_lượng":3,"tỷ_lệ":0.1,"đơn_vị":"tỷ đồng"},'
    '"event_type":"collection.transition","object_id":"314","object_type":"submission",'
    '"occurred_at":"2026-11-23T05:37:09.123456Z","org_unit_id":12,'
    '"prev_hash":"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08","seq":42,'
    '"summary":"Phê duyệt báo cáo tháng 10/2026 của Hà Nội"}')
VECTOR_HASH = "7c6051624c2a4723f713ed4d16a5b2ca2b1e142de6a9365e0af40b83e02229f2"


def test_the_published_row_format_is_pinned_by_a_fixed_vector() -> None:
    assert hashlib.sha256(VECTOR_TEXT.encode("utf-8")).hexdigest() == VECTOR_HASH  # the literal is consistent
    assert _independent_text(VECTOR_ROW) == VECTOR_TEXT
    assert chain.row_hash(VECTOR_ROW) == VECTOR_HASH


def test_the_vector_changes_with_any_hashed_field() -> None:
    """Each hashed field is in the hash: changing any one of them changes it."""
    changed = {"seq": 43, "prev_hash": "0" * 64, "occurred_at": VECTOR_ROW["occurred_at"] + timedelta(microseconds=1),
               "event_type": "collection.values_saved", "actor_id": None, "org_unit_id": 13,
               "object_type": "submissio", "object_id": "315", "summary": "Phê duyệt báo cáo tháng 10/2026 của Hà Nộj",
               "data": {**VECTOR_ROW["data"], "giá_trị": 12345.68},
               "action_id": uuid.UUID("0b7e2c4a-6f1d-4e8a-9c3b-5d2f1a0e7b65")}
    assert set(changed) == set(chain.HASHED)
    for name, value in changed.items():
        assert chain.row_hash({**VECTOR_ROW, name: value}) != VECTOR_HASH, name


# -- a verifier written in the test, from the published format (not chain.verify) -------------------

def _number_text(value: int | float) -> str:
    """An integral value as an integer; any other as its shortest decimal, in normal form."""
    exact = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    return str(int(exact)) if exact == exact.to_integral_value() else str(exact.normalize())


def _json_text(value: object) -> str:
    if value is None or isinstance(value, bool):
        return json.dumps(value)
    if isinstance(value, int | float):
        return _number_text(value)
    if isinstance(value, dict):
        return "{" + ",".join(json.dumps(str(k), ensure_ascii=False) + ":" + _json_text(v)
                              for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))) + "}"
    if isinstance(value, list):
        return "[" + ",".join(_json_text(v) for v in value) + "]"
    return json.dumps(value, ensure_ascii=False)


def _independent_text(row: dict[str, object]) -> str:
    moment = row["occurred_at"]
    assert isinstance(moment, datetime)
    fields = {**{name: row[name] for name in ("seq", "prev_hash", "event_type", "actor_id", "org_unit_id",
                                              "object_type", "object_id", "summary", "data")},
              "occurred_at": moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
              "action_id": str(row["action_id"]), "event_type": str(row["event_type"])}
    return _json_text(fields)


def _independent_breaks(first: int, last: int) -> list[tuple[int, str]]:
    """Every break between ``first`` and ``last``, read straight from the table."""
    rows = list(Event.objects.filter(seq__gte=first, seq__lte=last).order_by("seq").values())
    prev = Event.objects.get(seq=first - 1).hash if first > 1 else "0" * 64
    found: list[tuple[int, str]] = []
    for expected, row in enumerate(rows, start=first):
        if row["seq"] != expected:
            found.append((expected, "gap"))
        if row["prev_hash"] != prev:
            found.append((row["seq"], "link"))
        if hashlib.sha256(_independent_text(row).encode("utf-8")).hexdigest() != row["hash"]:
            found.append((row["seq"], "hash"))
        prev = row["hash"]
    return found


def test_a_one_character_change_is_found_by_an_independent_verifier(coordinator) -> None:  # type: ignore[no-untyped-def]
    with transaction.atomic():
        record(EventType.METADATA_CHANGED, summary="Đổi tên chỉ tiêu: Tổng mức bán lẻ",
               data={"old": "Tổng mức bán lẻ", "new": "Tổng mức bán lẻ hàng hóa", "tỷ_lệ": 12.5})
    events = _some_actions(coordinator)
    first, last = events[0].seq - 1, events[-1].seq
    assert _independent_breaks(first, last) == []  # what record() wrote follows the published format
    target = Event.objects.get(seq=first)
    with _as_dba() as cursor:
        cursor.execute("UPDATE audit_event SET summary = %s WHERE seq = %s",
                       [target.summary.replace("Tổng", "Tống"), first])  # one character: ổ → ố
    assert _independent_breaks(first, last) == [(first, "hash")]
    result = chain.verify(first, last)
    assert (result.ok, result.broken_seq, result.reason) == (False, first, "hash")

# -- tampering ---------------------------------------------------------------------------------

def test_an_edited_row_is_found(coordinator) -> None:  # type: ignore[no-untyped-def]
    target = _some_actions(coordinator)[1].seq
    with _as_dba() as cursor:
        cursor.execute("UPDATE audit_event SET summary = 'nothing happened' WHERE seq = %s", [target])
    message = _broken()
    assert f"seq {target}:" in message and "[hash]" in message
    assert "Chuỗi nhật ký bị phá vỡ" in message


def test_a_deleted_row_is_found(coordinator) -> None:  # type: ignore[no-untyped-def]
    target = _some_actions(coordinator)[1].seq
    with _as_dba() as cursor:
        cursor.execute("DELETE FROM audit_event WHERE seq = %s", [target])
    message = _broken()
    assert f"seq {target}:" in message and "[gap]" in message


def test_a_deleted_row_with_renumbered_successors_is_found(coordinator) -> None:  # type: ignore[no-untyped-def]
    target = _some_actions(coordinator)[1].seq
    with _as_dba() as cursor:
        cursor.execute("DELETE FROM audit_event WHERE seq = %s", [target])
        cursor.execute("UPDATE audit_event SET seq = seq - 1 WHERE seq > %s", [target])
    message = _broken()
    assert f"seq {target}:" in message and "[link]" in message


def test_swapped_row_contents_are_found(coordinator) -> None:  # type: ignore[no-untyped-def]
    first, second = (e.seq for e in _some_actions(coordinator)[2:4])
    with _as_dba() as cursor:
        cursor.execute("SELECT seq, summary, data FROM audit_event WHERE seq IN (%s, %s)", [first, second])
        rows = {seq: (summary, data) for seq, summary, data in cursor.fetchall()}
        for mine, theirs in ((first, second), (second, first)):
            cursor.execute("UPDATE audit_event SET summary = %s, data = %s WHERE seq = %s",
                           [*rows[theirs], mine])
    message = _broken()
    assert f"seq {first}:" in message and "[hash]" in message


def test_reordered_rows_are_found(coordinator) -> None:  # type: ignore[no-untyped-def]
    first, second = (e.seq for e in _some_actions(coordinator)[2:4])
    with _as_dba() as cursor:
        cursor.execute("UPDATE audit_event SET seq = -1 WHERE seq = %s", [first])
        cursor.execute("UPDATE audit_event SET seq = %s WHERE seq = %s", [first, second])
        cursor.execute("UPDATE audit_event SET seq = %s WHERE seq = -1", [second])
    message = _broken()
    assert f"seq {first}:" in message and "[link]" in message


def test_a_tail_deleted_after_an_anchor_is_found(coordinator, settings) -> None:  # type: ignore[no-untyped-def]
    _some_actions(coordinator)
    out = StringIO()
    call_command("audit", "anchor", stdout=out)
    anchored_seq, anchored_hash, _at = Path(settings.NRS_AUDIT_ANCHOR_FILE).read_text().split()
    assert f"seq {anchored_seq} {anchored_hash}" in out.getvalue()
    anchored = int(anchored_seq)
    assert Event.objects.get(seq=anchored + 1).event_type == EventType.AUDIT_ANCHORED
    _verify()
    with _as_dba() as cursor:
        cursor.execute("DELETE FROM audit_event WHERE seq >= %s", [anchored - 1])
    message = _broken()
    assert f"seq {anchored - 1}:" in message and "[truncated]" in message


def test_what_an_anchor_cannot_see(coordinator) -> None:  # type: ignore[no-untyped-def]
    """Events after the last anchor can be cut off without trace (documented limit)."""
    _some_actions(coordinator)
    call_command("audit", "anchor", stdout=StringIO())
    last = chain.head()[0]
    with _as_dba() as cursor:
        cursor.execute("DELETE FROM audit_event WHERE seq = %s", [last])  # the anchor's own event
    _verify()


def test_a_rewritten_chain_is_caught_by_the_anchor(coordinator) -> None:  # type: ignore[no-untyped-def]
    """A DBA edits an old row and recomputes every later hash: the chain is self-consistent
    again, but no longer matches the hash anchored outside the database."""
    events = _some_actions(coordinator)
    call_command("audit", "anchor", stdout=StringIO())
    anchored = chain.read_anchors()[-1].seq
    edited = events[0].seq
    with _as_dba() as cursor:
        cursor.execute("UPDATE audit_event SET summary = 'rewritten' WHERE seq = %s", [edited])
        prev = Event.objects.get(seq=edited - 1).hash
        for row in Event.objects.filter(seq__gte=edited).order_by("seq").values(*chain.HASHED):
            row["prev_hash"] = prev
            prev = chain.row_hash(row)
            cursor.execute("UPDATE audit_event SET prev_hash = %s, hash = %s WHERE seq = %s",
                           [row["prev_hash"], prev, row["seq"]])
    assert chain.verify().ok  # without anchors, the rewrite is invisible
    message = _broken()
    assert f"seq {anchored}:" in message and "[anchor]" in message


def test_a_broken_chain_is_not_anchored(coordinator, settings) -> None:  # type: ignore[no-untyped-def]
    target = _some_actions(coordinator)[0].seq
    with _as_dba() as cursor:
        cursor.execute("UPDATE audit_event SET summary = 'x' WHERE seq = %s", [target])
    with pytest.raises(CommandError, match=f"seq {target}:"):
        call_command("audit", "anchor", stdout=StringIO())
    assert not Path(settings.NRS_AUDIT_ANCHOR_FILE).exists()


def test_the_triggers_survive_the_chain_migration() -> None:
    with transaction.atomic():
        event = record(EventType.LOGIN, summary="x")
    with pytest.raises(Exception, match="append-only"), transaction.atomic(), \
            connection.cursor() as cursor:
        cursor.execute("UPDATE audit_event SET summary = 'y' WHERE id = %s", [event.pk])


# -- concurrency -----------------------------------------------------------------------------------

@pytest.mark.skipif(not PG, reason="SQLite: the test's own transaction holds the single write lock, "
                                   "so other threads cannot append while it runs")
def test_concurrent_appends_keep_a_valid_chain() -> None:
    """Eight threads, each with its own connection, append 10 events each. The events
    commit for real (this test's transaction cannot roll them back), and stay a valid chain."""
    start = chain.head()[0]

    def append(thread: int) -> None:
        try:
            for i in range(10):
                with transaction.atomic():
                    record(EventType.USER_CHANGED, summary=f"concurrency probe {thread}.{i}",
                           data={"thread": thread, "i": i})
        finally:
            connections.close_all()

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(append, range(8)))
    result = chain.verify()
    assert result.ok, (result.broken_seq, result.reason)
    assert result.head_seq == start + 80
    assert Event.objects.filter(seq__gt=start, summary__startswith="concurrency probe").count() == 80


# -- the real command line, on the shared live node --------------------------------------------------

def test_the_command_line_exit_codes(live_node, tmp_path) -> None:  # type: ignore[no-untyped-def]
    ok = live_node.nrs("audit", "verify")
    assert "Audit chain intact" in ok.stdout
    anchored = live_node.nrs("audit", "anchor")
    assert "Anchored seq" in anchored.stdout
    # An anchor from a longer chain than the database holds: the tail was cut off.
    fake = tmp_path / "anchors.log"
    fake.write_text(f"999999 {'a' * 64} 2026-01-01T00:00:00.000000Z\n")
    broken = subprocess.run([NRS, "audit", "verify"], capture_output=True, text=True, timeout=120,
                            env={**live_node.env, "NRS_AUDIT_ANCHOR_FILE": str(fake)}, check=False)
    assert broken.returncode == 1
    assert "[truncated]" in broken.stderr and "Chuỗi nhật ký bị phá vỡ" in broken.stderr
    assert os.path.exists(live_node.var_dir / "audit-anchors.log")


def test_the_nightly_task_verifies_then_anchors(coordinator, settings) -> None:  # type: ignore[no-untyped-def]
    from nrs.audit.tasks import anchor_audit_chain

    _some_actions(coordinator)
    head_seq, head_hash = chain.head()
    assert anchor_audit_chain.call_local() == head_seq
    assert chain.read_anchors() == [chain.Anchor(head_seq, head_hash, chain.read_anchors()[0].at)]
    with _as_dba() as cursor:
        cursor.execute("UPDATE audit_event SET summary = 'x' WHERE seq = %s", [head_seq])
    assert anchor_audit_chain.call_local() is None
    assert len(chain.read_anchors()) == 1
