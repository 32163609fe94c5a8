"""`nrs backup` / `nrs restore`: data made through the real actions (approved,
revised and re-approved; returned; a document) is written to an archive, and
restored by the real CLI in a subprocess into a fresh database. Every value,
every vintage, every transition and audit event comes back identical, with the
same checksums; a damaged archive is refused before anything is written."""

from __future__ import annotations

import json
import zipfile
from datetime import date
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

from nrs.collection import actions
from nrs.collection.models import Submission
from nrs.collection.validation import Row
from nrs.lib import periods
from nrs.registry.models import Regime
from nrs.web import backup, demo_values
from tests.conftest import current
from tests.live import PG, LiveNode, fresh_database
from tests.test_collection_api import PDF
from tests.test_sec18_oracles_verify import assert_chain_intact

pytestmark = pytest.mark.django_db
REGIME = "PROV_KTXH_M"
TODAY = date(2026, 11, 20)
COMPARED = ["collection.datavalue", "collection.transition", "collection.submission",
            "collection.submissionversion", "collection.document", "audit.event"]
DUMP = """
import json
from nrs.web import backup
models = {m._meta.label_lower: m for m in backup.backup_models()}
print(json.dumps({"checksums": backup.checksums(),
                  "rows": {t: list(backup.canonical_rows(models[t])) for t in COMPARED}}))
""".replace("COMPARED", repr(COMPARED))


def _report(regime: Regime, reporter, period: periods.Period):  # type: ignore[no-untyped-def]
    indicators = list(regime.indicators.filter(formula="").select_related("unit").order_by("code"))
    saved = actions.check_and_save_values(regime, current("01"), period,
                                          demo_values.values_for(indicators, "01", 1.0, period),
                                          actor=reporter, backfill=True, today=TODAY)
    assert saved.ok, saved.issues
    actions.attach_document(regime, current("01"), period, PDF, "bao-cao.pdf", actor=reporter)
    assert saved.submission is not None
    return actions.submit_submission(saved.submission, actor=reporter, today=TODAY)


@pytest.fixture
def history(make_user) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """Several vintages: March approved, revised, re-approved; April returned."""
    regime = Regime.objects.get(code=REGIME)
    reporter, approver = make_user("hn.r", "reporter", "01"), make_user("hn.a", "approver", "01")
    march = periods.parse_sdmx("2026-03")
    submission = _report(regime, reporter, march)
    actions.approve_submission(submission, actor=approver)
    actions.revise_submission(submission, actor=reporter, reason="corrected retail sales")
    row = Row(ref="r", indicator="RETAIL_SALES", org_unit="01", value="123456.5",
                          comment="corrected after the tax office's data")
    assert actions.check_and_save_values(regime, current("01"), march, [row], actor=reporter,
                                         today=TODAY).ok
    actions.submit_submission(submission, actor=reporter, today=TODAY)
    actions.approve_submission(submission, actor=approver)
    april = _report(regime, reporter, periods.parse_sdmx("2026-04"))
    actions.return_submission(april, actor=approver, comment="thiếu số liệu xuất khẩu")
    assert Submission.objects.get(pk=submission.pk).version == 2
    return {"march": submission.pk, "april": april.pk}


def _dump(node: LiveNode) -> dict:  # type: ignore[type-arg]
    return json.loads(node.nrs("shell", "-c", DUMP).stdout.strip().splitlines()[-1])


def _flipped(source: Path, target: Path, member: str) -> Path:
    """A copy of the archive with one byte flipped inside ``member``'s stored data."""
    data = bytearray(source.read_bytes())
    with zipfile.ZipFile(source) as archive:
        info = archive.getinfo(member)
    header = 30 + len(info.filename.encode()) + len(info.extra)  # local file header
    data[info.header_offset + header + info.compress_size // 2] ^= 0x01
    target.write_bytes(bytes(data))
    return target


def test_backup_and_restore_keep_every_vintage(history, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    archive = tmp_path / "nrs-backup.zip"
    call_command("backup", str(archive))
    with zipfile.ZipFile(archive) as opened:
        manifest = json.loads(opened.read("manifest.json"))
        names = opened.namelist()
    source = {t: list(backup.canonical_rows(m)) for m in backup.backup_models()
              if (t := m._meta.label_lower) in COMPARED}
    created = source["audit.event"].pop()  # BACKUP_CREATED comes after the archive
    assert '"system.backup_created"' in created
    assert manifest["tables"]["collection.datavalue"]["rows"] == len(source["collection.datavalue"])
    assert len(source["collection.transition"]) == 6 + 3  # March: opened, 2 × (submit, approve), revise; April
    documents = [n for n in names if n.startswith("media/submissions/")]
    assert len(documents) == 2 and all(n in manifest["files"] for n in documents)

    with fresh_database(tmp_path, "restore") as url:
        node = LiveNode(database=url, var_dir=tmp_path / "var")
        node.nrs("migrate")
        # A damaged archive is refused before anything is written.
        for n, member in enumerate(["data/collection.datavalue.jsonl", "manifest.json"]):
            bad = _flipped(archive, tmp_path / f"bad-{n}.zip", member)
            refused = node.nrs("restore", str(bad), check=False)
            assert refused.returncode != 0
            assert "bị hỏng" in refused.stderr or "không khớp" in refused.stderr, refused.stderr
            assert "corrupted" in refused.stderr or "does not match" in refused.stderr
        # Nothing was written: the restore below refuses any database with rows, and media.
        assert not any((tmp_path / "var").rglob("*.pdf"))

        restored = node.nrs("restore", str(archive))
        assert "checksums verified" in restored.stdout
        found = _dump(node)
        for table, want in manifest["tables"].items():
            if table != "audit.event":
                assert found["checksums"][table] == want, table
        for table in COMPARED:  # every vintage, every transition, every event, in full
            rows = found["rows"][table]
            if table == "audit.event":
                assert '"system.backup_restored"' in rows.pop()
            assert rows == source[table], table
        for name in documents:
            assert (tmp_path / "var" / "media" / name.removeprefix("media/")).read_bytes() == PDF
        assert_chain_intact(node.nrs("audit", "verify", check=False))
        # Only into an empty database.
        again = node.nrs("restore", str(archive), check=False)
        assert again.returncode != 0 and "empty migrated database" in again.stderr
        assert "cơ sở dữ liệu trống" in again.stderr

    if PG:  # into SQLite: restore recomputes every checksum there and compares with PostgreSQL's
        sqlite = LiveNode(database=f"sqlite:///{tmp_path / 'other.sqlite3'}",
                          var_dir=tmp_path / "var-sqlite")
        sqlite.nrs("migrate")
        assert "checksums verified" in sqlite.nrs("restore", str(archive)).stdout

def test_a_backup_lists_every_table_after_the_tables_it_needs() -> None:
    order = [m._meta.label_lower for m in backup.backup_models()]
    assert len(order) == len(set(order))
    position = {label: n for n, label in enumerate(order)}
    for model in backup.backup_models():
        for field in model._meta.concrete_fields:
            target = field.related_model if field.is_relation else None
            if isinstance(target, type) and target is not model:
                assert position[target._meta.label_lower] < position[model._meta.label_lower]
    assert str(settings.MEDIA_ROOT)  # media is backed up from MEDIA_ROOT
