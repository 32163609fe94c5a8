"""Issue 18, finding 12 (hygiene): what NRS writes under NRS_VAR_DIR (the SQLite database,
the secret key, uploads) is readable by the nrs user only: files 0600, folders 0700."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

NRS = str(Path(sys.executable).parent / "nrs")


def _mode(path: Path) -> str:
    return oct(stat.S_IMODE(path.stat().st_mode))


def test_nrs_migrate_creates_private_files(tmp_path: Path) -> None:
    var = tmp_path / "var"
    env = {k: v for k, v in os.environ.items() if not k.startswith("NRS_")}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env.update({"NRS_VAR_DIR": str(var), "NRS_REDIS_URL": ""})
    done = subprocess.run([NRS, "migrate", "--no-input"], env=env, capture_output=True, text=True,
                          timeout=300, check=False, preexec_fn=lambda: os.umask(0o022))
    assert done.returncode == 0, done.stderr[-2000:]
    found = {str(p.relative_to(var)): _mode(p) for p in [var, *var.rglob("*")]}
    assert "nrs.sqlite3" in found and "secret_key" in found, found
    exposed = {name: mode for name, mode in found.items() if int(mode, 8) & 0o077}
    assert exposed == {}, exposed


@pytest.mark.django_db
def test_an_uploaded_file_is_private(settings, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = tmp_path / "media"
    old = os.umask(0o022)
    try:
        name = default_storage.save("documents/2026/report.pdf", ContentFile(b"%PDF-1.4 test"))
    finally:
        os.umask(old)
    path = Path(default_storage.path(name))
    assert _mode(path) == "0o600"
    assert _mode(path.parent) == "0o700"
