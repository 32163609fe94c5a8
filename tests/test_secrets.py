"""No secrets in the repository: every tracked file (git ls-files) is free of private keys,
NRS API tokens, hard-coded secret keys and passwords in settings; var/ and key files are
ignored by git."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

pytestmark = pytest.mark.engine_independent  # reads git's files, no database
ROOT = Path(__file__).resolve().parent.parent

PATTERNS = {
    "private key": re.compile(rb"-----BEGIN (?:[A-Z]+ )*PRIVATE KEY-----"),
    "NRS API token": re.compile(rb"\bnrs_[0-9a-f]{12}_[A-Za-z0-9_-]{16,}"),
    "hard-coded SECRET_KEY": re.compile(rb"SECRET_KEY\s*=\s*['\"][^'\"]{8,}['\"]"),
    "password in settings": re.compile(rb"(?i)(?:PASSWORD|PASSWD)\s*=\s*['\"][^'\"]{4,}['\"]"),
    "Django insecure key": re.compile(rb"django-" + rb"insecure-"),
    "password in a database URL": re.compile(rb"(?:postgres(?:ql)?|mysql|redis)://[^:/@\s]*:(?!<)[^@\s]+@"),
}
# Settings and environment files: a password there is always a finding.
SETTINGS = re.compile(r"(?:^|/)(?:settings[^/]*\.py|[^/]*\.env[^/]*|deploy/.*)$")
ONLY_IN_SETTINGS = {"password in settings", "password in a database URL"}


def _tracked() -> list[str]:
    out = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    return [name for name in out.decode().split("\0") if name]


def _scan(names: list[str]) -> list[tuple[str, str]]:
    found = []
    for name in names:
        path = ROOT / name
        if not path.is_file() or path.stat().st_size > 5 * 1024 * 1024:
            continue
        data = path.read_bytes()
        for what, pattern in PATTERNS.items():
            if what in ONLY_IN_SETTINGS and not SETTINGS.search(name):
                continue
            if pattern.search(data):
                found.append((name, what))
    return found


def test_no_secrets_in_tracked_files() -> None:
    names = _tracked()
    assert len(names) > 100
    assert _scan(names) == []


def test_the_scan_finds_a_planted_secret(tmp_path: Path) -> None:
    planted = ROOT / "var" / "h3-planted-secret.txt"
    planted.parent.mkdir(exist_ok=True)
    header = b"-----BEGIN " + b"RSA PRIVATE KEY-----\nMIIE\n"
    planted.write_bytes(header + b"nrs_0123456789ab_" + b"A" * 32 + b"\nSECRET_KEY" + b" = 'abcdefghijkl'\n")
    settings = ROOT / "var" / "h3-planted.env"
    settings.write_bytes(b"NRS_DATABASE_URL=postgresql://nrs:hunter22@db/nrs\nEMAIL_PASSWORD = 'hunter22'\n")
    try:
        found = _scan(["var/h3-planted-secret.txt", "var/h3-planted.env"])
    finally:
        planted.unlink()
        settings.unlink()
    assert set(found) == {("var/h3-planted-secret.txt", "private key"), ("var/h3-planted-secret.txt", "NRS API token"),
                          ("var/h3-planted-secret.txt", "hard-coded SECRET_KEY"),
                          ("var/h3-planted.env", "password in settings"),
                          ("var/h3-planted.env", "password in a database URL")}


@pytest.mark.parametrize("name", ["var/secret_key", "var/pki/signer-key.pem", "deploy/server.pem",
                                  "deploy/tls.key", "production.env", ".env"])
def test_secret_files_are_ignored_by_git(name: str) -> None:
    result = subprocess.run(["git", "check-ignore", "-q", "--no-index", name], cwd=ROOT, check=False)
    assert result.returncode == 0, f"{name} is not ignored by git"
