"""The `nrs` command: Django's management commands with NRS settings.

    nrs init          migrate and load the registry
    nrs demo          load the demo users and demo data
    nrs serve         serve the app (uvicorn)
    nrs createuser    create a user and grant a role
"""

from __future__ import annotations

import os
import sys

# What NRS writes (the SQLite database, var/secret_key, keys, anchors, backups, uploads) is
# readable by the nrs user only: files 0600, folders 0700 (issue 18, finding 12).
PRIVATE_UMASK = 0o077


def main(argv: list[str] | None = None) -> None:
    os.umask(PRIVATE_UMASK)  # before Django opens or creates anything
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "nrs.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["nrs", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    main()
