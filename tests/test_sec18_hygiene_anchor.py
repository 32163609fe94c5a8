"""Issue 18, finding 12 (hygiene): `check --deploy` warns when the audit anchor file is kept
with the data it vouches for (inside NRS_VAR_DIR or the SQLite database's folder, where whoever
can rewrite the database can rewrite the anchors too), or is left unset with PostgreSQL."""

from __future__ import annotations

from pathlib import Path

from nrs.web import checks


def _ids(settings) -> list[str]:  # type: ignore[no-untyped-def]
    return [m.id for m in checks.anchor_file_apart(None)]


def test_an_anchor_file_beside_the_database_warns(settings, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    settings.VAR_DIR = tmp_path / "var"
    settings.DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": tmp_path / "var" / "nrs.sqlite3"}}
    settings.NRS_AUDIT_ANCHOR_FILE = tmp_path / "var" / "audit-anchors.log"
    settings.NRS_AUDIT_ANCHOR_FILE_SET = True
    assert _ids(settings) == ["nrs.W001"]
    settings.NRS_AUDIT_ANCHOR_FILE = tmp_path / "var" / "sub" / "anchors.log"
    assert _ids(settings) == ["nrs.W001"]
    settings.NRS_AUDIT_ANCHOR_FILE = tmp_path / "var" / ".." / "var" / "anchors.log"
    assert _ids(settings) == ["nrs.W001"]
    settings.NRS_AUDIT_ANCHOR_FILE = tmp_path / "anchors" / "audit-anchors.log"
    assert _ids(settings) == []


def test_an_unset_anchor_file_warns_with_postgresql(settings, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    settings.VAR_DIR = tmp_path / "var"
    settings.DATABASES = {"default": {"ENGINE": "django.db.backends.postgresql", "NAME": "nrs"}}
    settings.NRS_AUDIT_ANCHOR_FILE = tmp_path / "var" / "audit-anchors.log"
    settings.NRS_AUDIT_ANCHOR_FILE_SET = False
    assert _ids(settings) == ["nrs.W002", "nrs.W001"]
    settings.NRS_AUDIT_ANCHOR_FILE = Path("/srv/nrs-anchors/audit-anchors.log")
    settings.NRS_AUDIT_ANCHOR_FILE_SET = True
    assert _ids(settings) == []


def test_the_check_is_registered_for_deploy() -> None:
    from django.core.checks import registry

    assert checks.anchor_file_apart in registry.registry.get_checks(include_deployment_checks=True)
    assert checks.anchor_file_apart not in registry.registry.get_checks(include_deployment_checks=False)
