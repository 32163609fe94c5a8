"""Static files: hashed names, brotli and gzip copies, served for ever (issue 20, part 6).

WhiteNoise's compressed manifest storage, made lenient. A name is served under its hashed name
(compressed, `Cache-Control: immutable`) only when `collectstatic` has collected the file as it
is now; a name missing from the manifest (no `collectstatic` yet, as in the tests, or a file
added since) or whose source has changed since it was collected (a `git pull` without `nrs init`)
is served under its own name, fresh, through the finders (WHITENOISE_USE_FINDERS), instead of
failing the page or serving an old copy. `nrs init` runs `collectstatic` through `collect()`,
which skips it when STATIC_ROOT already holds the sources as they are."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.management import call_command
from whitenoise.storage import CompressedManifestStaticFilesStorage

STAMP = ".nrs-collected"  # in STATIC_ROOT: the fingerprint of the sources last collected


class StaticStorage(CompressedManifestStaticFilesStorage):
    manifest_strict = False

    def stored_name(self, name: str) -> str:
        try:
            hashed = super().stored_name(name)
        except ValueError:  # not collected: the finders serve it under its own name
            return name
        if not self.exists(hashed):
            return name  # a manifest left by an older collection: the hashed copy is not there
        source = finders.find(name)
        if isinstance(source, str):
            try:
                if os.stat(source).st_mtime > os.stat(self.path(name)).st_mtime:
                    return name  # changed since it was collected
            except OSError:
                return name
        return hashed


def sources_fingerprint() -> str:
    """A digest of every file the finders would collect (name, size and modification time)
    and of the storage that processes them: it changes when any source does."""
    digest = hashlib.sha256(settings.STORAGES["staticfiles"]["BACKEND"].encode())
    ignore = apps.get_app_config("staticfiles").ignore_patterns  # type: ignore[attr-defined]
    entries = []
    for finder in finders.get_finders():
        for path, storage in finder.list(ignore):
            stat = os.stat(storage.path(path))
            prefix = getattr(storage, "prefix", None) or ""
            entries.append(f"{prefix}/{path}\0{stat.st_size}\0{stat.st_mtime_ns}")
    for entry in sorted(entries):
        digest.update(entry.encode() + b"\n")
    return digest.hexdigest()


def collect() -> bool:
    """`collectstatic`, unless STATIC_ROOT already holds what the sources are now (its hashing
    and brotli compression take about a minute, and `nrs init` runs on every upgrade and in
    every test node). Returns whether it collected."""
    root = Path(settings.STATIC_ROOT)
    stamp = root / STAMP
    fingerprint = sources_fingerprint()
    manifest = root / StaticStorage.manifest_name
    if manifest.is_file() and stamp.is_file() and stamp.read_text(encoding="ascii").strip() == fingerprint:
        return False
    call_command("collectstatic", interactive=False, verbosity=0)
    stamp.write_text(fingerprint + "\n", encoding="ascii")
    return True
