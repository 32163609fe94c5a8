"""Deploy checks of NRS's own (`nrs check --deploy`), beside Django's.

The audit anchor file (NRS_AUDIT_ANCHOR_FILE) is the chain's witness outside the database: an
anchor kept with the data it vouches for can be rewritten together with it by whoever can
rewrite the database (or restore an old copy of the whole folder), and then proves nothing. So
in production it must be set explicitly, outside NRS_VAR_DIR and the SQLite database's folder,
ideally on append-only or separately administered storage (issue 18, finding 12)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Tags, Warning, register


def _data_folders() -> list[Path]:
    """The folders that hold the data the anchors vouch for."""
    folders = [Path(settings.VAR_DIR)]
    database = settings.DATABASES["default"]
    if "sqlite" in str(database.get("ENGINE", "")):
        folders.append(Path(str(database.get("NAME", ""))).parent)
    return folders


def _inside(path: Path, folder: Path) -> bool:
    return path.resolve().is_relative_to(folder.resolve())


@register(Tags.security, deploy=True)
def anchor_file_apart(app_configs: Any, **kwargs: Any) -> list[CheckMessage]:
    found: list[CheckMessage] = []
    anchor = Path(settings.NRS_AUDIT_ANCHOR_FILE)
    engine = str(settings.DATABASES["default"].get("ENGINE", ""))
    if "postgresql" in engine and not getattr(settings, "NRS_AUDIT_ANCHOR_FILE_SET", True):
        found.append(Warning(
            "NRS_AUDIT_ANCHOR_FILE is not set: the audit anchors go to NRS_VAR_DIR.",
            hint="Set NRS_AUDIT_ANCHOR_FILE to a file on storage the database administrators "
                 "cannot rewrite (append-only, or another machine's mount).",
            id="nrs.W002"))
    if any(_inside(anchor, folder) for folder in _data_folders()):
        found.append(Warning(
            f"The audit anchor file {anchor} sits with the data it vouches for "
            "(inside NRS_VAR_DIR or the SQLite database's folder): both can be rewritten together.",
            hint="Set NRS_AUDIT_ANCHOR_FILE outside NRS_VAR_DIR, on separately administered storage.",
            id="nrs.W001"))
    return found
