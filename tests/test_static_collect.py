"""`nrs init` collects the static files only when their sources changed (nrs/web/storage.py,
collect): hashing and brotli take about a minute, and init runs on every upgrade."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from nrs.web import storage


@pytest.fixture
def sources(tmp_path: Path, settings):  # type: ignore[no-untyped-def]
    source = tmp_path / "src"
    (source / "nrs").mkdir(parents=True)
    (source / "nrs" / "app.js").write_text("console.log('một');\n" * 200, encoding="utf-8")  # compressible
    settings.STATICFILES_DIRS = [source]
    settings.STATICFILES_FINDERS = ["django.contrib.staticfiles.finders.FileSystemFinder"]  # not the apps' own
    settings.STATIC_ROOT = tmp_path / "root"
    settings.STATIC_ROOT.mkdir()
    return source


def _collected(root: Path) -> set[str]:
    return set(json.loads((root / "staticfiles.json").read_text(encoding="utf-8"))["paths"])


def test_a_second_collection_is_skipped_and_a_changed_source_collected_again(sources: Path, settings) -> None:  # type: ignore[no-untyped-def]
    root = Path(settings.STATIC_ROOT)
    assert storage.collect() is True
    assert "nrs/app.js" in _collected(root) and any(p.name.endswith(".js.br") for p in root.rglob("*"))
    assert storage.collect() is False  # nothing changed

    (sources / "nrs" / "app.js").write_text("console.log('hai');\n", encoding="utf-8")
    os.utime(sources / "nrs" / "app.js", ns=(1, 2_000_000_000_000_000_000))  # a new mtime for certain
    assert storage.collect() is True

    (sources / "nrs" / "new.css").write_text("body{}\n", encoding="utf-8")
    assert storage.collect() is True
    assert "nrs/new.css" in _collected(root)
    assert storage.collect() is False


def test_a_lost_manifest_is_collected_again(sources: Path, settings) -> None:  # type: ignore[no-untyped-def]
    root = Path(settings.STATIC_ROOT)
    assert storage.collect() is True
    (root / "staticfiles.json").unlink()
    assert storage.collect() is True
    assert "nrs/app.js" in _collected(root)
