"""Static files: hashed names, brotli and gzip copies, served for ever (issue 20, part 6).

WhiteNoise's compressed manifest storage, made lenient. A name is served under its hashed name
(compressed, `Cache-Control: immutable`) only when `collectstatic` has collected the file as it
is now; a name missing from the manifest (no `collectstatic` yet, as in the tests, or a file
added since) or whose source has changed since it was collected (a `git pull` without `nrs init`)
is served under its own name, fresh, through the finders (WHITENOISE_USE_FINDERS), instead of
failing the page or serving an old copy. `nrs init` runs `collectstatic`."""

from __future__ import annotations

import os

from django.contrib.staticfiles import finders
from whitenoise.storage import CompressedManifestStaticFilesStorage


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
