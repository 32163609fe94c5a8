"""Issue 18, finding 14: `nrs audit verify` checked without a way out.

The live tests (crash, concurrency, backup) used to skip their check when the command's
output changed ("Unknown command"). They now call ``assert_chain_intact``: exit code 0 and
both lines of the published output parsed exactly, the whole chain from seq 1 counted;
any other output fails loudly.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass

import pytest

_VI = re.compile(r"^Chuỗi nhật ký toàn vẹn: (\d+) sự kiện, đầu chuỗi seq (\d+) ([0-9a-f]{64}), "
                 r"(\d+) mốc neo, \d+\.\d\d giây$")
_EN = re.compile(r"^Audit chain intact: (\d+) events, head seq (\d+) ([0-9a-f]{64}), "
                 r"(\d+) anchors, \d+\.\d\d s$")


@dataclass(frozen=True)
class Intact:
    events: int
    head_seq: int
    head_hash: str
    anchors: int


def parse_intact(stdout: str) -> Intact:
    """The two lines `nrs audit verify` prints for an intact chain, or AssertionError."""
    lines = [line for line in stdout.splitlines() if line.strip()]
    assert len(lines) == 2, f"expected the Vietnamese and the English line, got: {stdout!r}"
    vi, en = _VI.match(lines[0]), _EN.match(lines[1])
    assert vi is not None, f"not the published Vietnamese line: {lines[0]!r}"
    assert en is not None, f"not the published English line: {lines[1]!r}"
    assert vi.groups() == en.groups(), (vi.groups(), en.groups())
    found = Intact(int(en[1]), int(en[2]), en[3], int(en[4]))
    assert found.head_seq >= 1 and found.events == found.head_seq, f"not the whole chain from seq 1: {found}"
    return found


def assert_chain_intact(result: subprocess.CompletedProcess[str]) -> Intact:
    """`nrs audit verify`'s answer: exit 0, nothing on stderr, the whole chain intact."""
    assert result.returncode == 0, f"nrs audit verify exited {result.returncode}: {result.stdout}{result.stderr}"
    return parse_intact(result.stdout)


GOOD = ("Chuỗi nhật ký toàn vẹn: 12 sự kiện, đầu chuỗi seq 12 " + "ab" * 32 + ", 1 mốc neo, 0.01 giây\n"
        "Audit chain intact: 12 events, head seq 12 " + "ab" * 32 + ", 1 anchors, 0.01 s\n")


def _done(code: int, out: str, err: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.CompletedProcess(["nrs", "audit", "verify"], code, out, err)


def test_the_published_output_parses() -> None:
    assert assert_chain_intact(_done(0, GOOD)) == Intact(12, 12, "ab" * 32, 1)


@pytest.mark.parametrize(("code", "out", "err"), [
    (1, "", "Audit chain broken at seq 3: event content altered (hash mismatch) [hash]"),
    (1, "", "Unknown command: 'audit'"),                 # the case the old checks skipped
    (0, "", ""),                                          # nothing said
    (0, GOOD.replace("Audit chain intact", "Chain OK"), ""),  # the output changed
    (0, GOOD.replace("12 events", "11 events"), ""),       # the two lines disagree
])
def test_anything_else_fails(code: int, out: str, err: str) -> None:
    with pytest.raises(AssertionError):
        assert_chain_intact(_done(code, out, err))


def test_a_partial_chain_fails() -> None:
    partial = GOOD.replace("12 sự kiện", "5 sự kiện").replace("12 events", "5 events")
    with pytest.raises(AssertionError, match="whole chain"):
        assert_chain_intact(_done(0, partial))
