"""`nrs backup` / `nrs restore`: the whole installation in one zip archive.

The archive holds:

- ``data/<app_label>.<model>.jsonl``: every table's rows, written by Django's
  streaming "jsonl" serializer with their primary keys, in dependency order
  (a table comes after the tables it points to);
- ``media/...``: the uploaded files (report documents, briefings);
- ``manifest.json``: the applied migrations, and per table its row count and
  a SHA-256 over a canonical rendering of its rows (the same data on SQLite
  and PostgreSQL gives the same checksum), and the SHA-256 of every file;
- ``manifest.sha256``: the SHA-256 of manifest.json.

Derived analytics cells are backed up like every other table, so a restored
installation answers exactly as the original did without a rebuild
(`nrs aggregates` can still recompute them).

Restore goes into an empty, migrated database with the same migrations. It
verifies every checksum of the archive before writing anything, loads all rows
in one transaction with plain INSERTs (the append-only audit table is never
updated, and its events keep their ids and contents), resets the sequences,
then recomputes each table's checksum from the database: any difference rolls
everything back.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import uuid
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

from django.apps import apps
from django.conf import settings
from django.core import serializers
from django.core.management.color import no_style
from django.core.serializers import jsonl
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, models, transaction
from django.db.migrations.recorder import MigrationRecorder
from django.utils.translation import gettext_noop as _

from nrs.audit.events import EventType
from nrs.audit.log import record
from nrs.i18n import bilingual
from nrs.lib.errors import InputError

FORMAT = "nrs-backup/1"
MANIFEST = "manifest.json"
MANIFEST_SUM = "manifest.sha256"
CHUNK = 2000
# Tables that `migrate` itself fills: restore replaces their rows by the archive's.
SEEDED = ("contenttypes.contenttype", "auth.permission")

Progress = Callable[[str, int, int], None]


class BackupError(InputError):
    """An archive that cannot be restored here, in both languages."""


class ExactEncoder(DjangoJSONEncoder):
    """Django's encoder cuts times to milliseconds; a backup keeps every microsecond."""

    def default(self, o: Any) -> Any:
        if isinstance(o, datetime | time):
            text = o.isoformat()
            return text[:-6] + "Z" if text.endswith("+00:00") else text
        return super().default(o)


class JsonlSerializer(jsonl.Serializer):
    """Django's jsonl serializer, each line encoded in one call (json.dump encodes
    piecewise in pure Python, several times slower on millions of rows)."""

    def end_object(self, obj: models.Model) -> None:
        self.stream.write(json.dumps(self.get_dump_object(obj), **self.json_kwargs))
        self.stream.write("\n")
        self._current = None


def _noop(stage: str, done: int, total: int) -> None:
    return None


# -- which tables, in which order ------------------------------------------------------

def backup_models() -> list[type[models.Model]]:
    """Every concrete table of the project (m2m link tables included), each
    after the tables its foreign keys point to."""
    found: dict[str, type[models.Model]] = {}
    for model in apps.get_models(include_auto_created=True):
        meta = model._meta
        if meta.proxy or not meta.managed or meta.swapped:
            continue
        found.setdefault(meta.label_lower, model)
    ordered: list[type[models.Model]] = []
    seen: set[str] = set()

    def visit(model: type[models.Model], path: frozenset[str]) -> None:
        label = model._meta.label_lower
        if label in seen or label in path:
            return
        for fk in model._meta.concrete_fields:
            target = fk.related_model if fk.is_relation else None
            if isinstance(target, type) and target._meta.label_lower in found:
                visit(found[target._meta.label_lower], path | {label})
        seen.add(label)
        ordered.append(model)

    for label in sorted(found):
        visit(found[label], frozenset())
    return ordered


# -- canonical rows and checksums -------------------------------------------------------

def _canonical(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value == value else "NaN"
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(UTC)
        return value.isoformat()
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, timedelta):
        return f"{value // timedelta(microseconds=1)}us"
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, bytes | memoryview | bytearray):
        return bytes(value).hex()
    if isinstance(value, dict):
        return {str(k): _canonical(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_canonical(v) for v in value]
    return str(value)


def _render(row: Iterable[Any]) -> str:
    return json.dumps([_canonical(v) for v in row], sort_keys=True, ensure_ascii=False,
                      separators=(",", ":"))


def _integer_keys(model: type[models.Model]) -> bool:
    return isinstance(model._meta.pk, models.AutoField | models.BigAutoField | models.SmallAutoField)


def canonical_rows(model: type[models.Model]) -> Iterator[str]:
    """The table's rows as canonical JSON lines, in primary-key order."""
    names = [f.attname for f in model._meta.concrete_fields]
    rows = model._base_manager.order_by("pk").values_list(*names).iterator(CHUNK)
    rendered = (_render(row) for row in rows)
    if _integer_keys(model):
        yield from rendered
    else:  # text keys collate differently per database: sort here
        yield from sorted(rendered)


class _Checksum:
    """Row count and SHA-256 of canonical lines, fed one row at a time."""

    def __init__(self, model: type[models.Model]) -> None:
        self.sort = not _integer_keys(model)
        self.digest, self.count = hashlib.sha256(), 0
        self.lines: list[str] = []

    def add(self, line: str) -> None:
        self.count += 1
        if self.sort:
            self.lines.append(line)
        else:
            self.digest.update(line.encode() + b"\n")

    def result(self) -> tuple[int, str]:
        for line in sorted(self.lines):
            self.digest.update(line.encode() + b"\n")
        return self.count, self.digest.hexdigest()


def table_checksum(model: type[models.Model]) -> tuple[int, str]:
    checksum = _Checksum(model)
    for line in canonical_rows(model):
        checksum.add(line)
    return checksum.result()


def _summed(model: type[models.Model], checksum: _Checksum) -> Iterator[models.Model]:
    """The table's objects for the serializer, each added to ``checksum`` on the way
    (the same rows, the same values as canonical_rows reads)."""
    names = [f.attname for f in model._meta.concrete_fields]
    for obj in model._base_manager.order_by("pk").iterator(CHUNK):
        checksum.add(_render(getattr(obj, name) for name in names))
        yield obj


def checksums(progress: Progress = _noop) -> dict[str, dict[str, Any]]:
    """Per table: row count and SHA-256 of the canonical rows."""
    found: dict[str, dict[str, Any]] = {}
    tables = backup_models()
    for n, model in enumerate(tables, start=1):
        rows, digest = table_checksum(model)
        found[model._meta.label_lower] = {"rows": rows, "sha256": digest}
        progress("checksums", n, len(tables))
    return found


def applied_migrations() -> list[list[str]]:
    recorder = MigrationRecorder(connection)
    return sorted([app, name] for app, name in recorder.applied_migrations())


# -- backup -------------------------------------------------------------------------------

class _Hashing(io.RawIOBase):
    """Counts and hashes the bytes written through it into a zip member."""

    def __init__(self, target: IO[bytes]) -> None:
        self.target, self.digest, self.size = target, hashlib.sha256(), 0

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        chunk = bytes(data)
        self.digest.update(chunk)
        self.size += len(chunk)
        self.target.write(chunk)
        return len(chunk)


@dataclass
class BackupResult:
    path: Path
    tables: int
    rows: int
    files: int
    size: int
    sha256: str
    manifest: dict[str, Any] = field(default_factory=dict)


def _media_files(root: Path) -> list[Path]:
    if not root.is_dir():
        return []
    return sorted(p for p in root.rglob("*") if p.is_file())


@contextmanager
def _snapshot() -> Iterator[None]:
    """One consistent view of every table, without blocking writers."""
    if connection.in_atomic_block:  # the caller's transaction gives the view (tests)
        yield
    elif connection.vendor == "sqlite":
        # A deferred read transaction: a WAL snapshot, no write lock (Django's atomic()
        # would BEGIN IMMEDIATE and hold off every writer for the whole backup).
        with connection.cursor() as cursor:
            cursor.execute("BEGIN DEFERRED")
            try:
                yield
            finally:
                cursor.execute("COMMIT")
    else:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
            yield


def _write_archive(tmp: Path, tables: list[type[models.Model]], manifest: dict[str, Any],
                   progress: Progress) -> None:
    with _snapshot():
        manifest["migrations"] = applied_migrations()
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
            for n, model in enumerate(tables, start=1):
                label = model._meta.label_lower
                name = f"data/{label}.jsonl"
                fields = [f.name for f in model._meta.concrete_fields if not f.primary_key]
                with archive.open(name, "w", force_zip64=True) as member:
                    hashing = _Hashing(member)
                    text = io.TextIOWrapper(hashing, encoding="utf-8", newline="\n",  # type: ignore[type-var]
                                            write_through=True)
                    checksum = _Checksum(model)
                    JsonlSerializer().serialize(_summed(model, checksum), stream=text,
                                                fields=fields, cls=ExactEncoder)
                    text.flush()
                    text.detach()
                rows, digest = checksum.result()
                manifest["tables"][label] = {"rows": rows, "sha256": digest}
                manifest["files"][name] = {"size": hashing.size,
                                           "sha256": hashing.digest.hexdigest()}
                progress("tables", n, len(tables))
            root = Path(settings.MEDIA_ROOT)
            files = _media_files(root)
            for n, file in enumerate(files, start=1):
                name = "media/" + file.relative_to(root).as_posix()
                with file.open("rb") as source, archive.open(name, "w", force_zip64=True) as member:
                    hashing = _Hashing(member)
                    for chunk in iter(lambda source=source: source.read(1 << 20), b""):  # type: ignore[misc]
                        hashing.write(chunk)
                manifest["files"][name] = {"size": hashing.size,
                                           "sha256": hashing.digest.hexdigest()}
                progress("files", n, len(files))
            body = json.dumps(manifest, indent=1, sort_keys=True).encode()
            archive.writestr(MANIFEST, body)
            archive.writestr(MANIFEST_SUM, hashlib.sha256(body).hexdigest() + "\n")


def create_backup(path: Path, *, progress: Progress = _noop, actor: Any = None) -> BackupResult:
    """Write the archive at ``path`` from one consistent snapshot of the database."""
    path = Path(path)
    tmp = path.with_name(path.name + ".partial")
    tables = backup_models()
    manifest: dict[str, Any] = {"format": FORMAT, "vendor": connection.vendor,
                                "tables": {}, "files": {}}
    try:
        _write_archive(tmp, tables, manifest, progress)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    os.replace(tmp, path)
    digest = _file_sha256(path)
    total_rows = sum(t["rows"] for t in manifest["tables"].values())
    result = BackupResult(path, len(tables), total_rows,
                          sum(1 for n in manifest["files"] if n.startswith("media/")),
                          path.stat().st_size, digest, manifest)
    with transaction.atomic():
        record(EventType.BACKUP_CREATED, actor=actor, summary=f"backup {path.name}",
               data={"file": path.name, "sha256": digest, "size": result.size,
                     "tables": result.tables, "rows": total_rows, "files": result.files})
    return result


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as source:
        for chunk in iter(lambda: source.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


# -- restore ------------------------------------------------------------------------------

@dataclass
class RestoreResult:
    tables: int
    rows: int
    files: int


def _refuse(ref: str, vi: str, en: str) -> BackupError:
    return BackupError(ref, vi, en)


def verify_archive(path: Path, progress: Progress = _noop) -> dict[str, Any]:
    """Check the archive's every checksum; returns its manifest. Reads only."""
    try:
        with zipfile.ZipFile(path) as archive:
            body = archive.read(MANIFEST)
            expected = archive.read(MANIFEST_SUM).decode().strip()
            if hashlib.sha256(body).hexdigest() != expected:
                raise _refuse(MANIFEST, *bilingual(_("the archive's manifest is corrupted")))
            manifest = json.loads(body)
            if manifest.get("format") != FORMAT:
                raise _refuse(MANIFEST, *bilingual(_("not an NRS backup archive")))
            listed = set(manifest["files"]) | {MANIFEST, MANIFEST_SUM}
            extra = sorted(set(archive.namelist()) - listed)
            if extra:
                raise _refuse(extra[0], *bilingual(_("unexpected file in the archive: %(name)s"), name=extra[0]))
            files = manifest["files"]
            for n, (name, want) in enumerate(sorted(files.items()), start=1):
                digest, size = hashlib.sha256(), 0
                with archive.open(name) as member:
                    for chunk in iter(lambda member=member: member.read(1 << 20), b""):  # type: ignore[misc]
                        digest.update(chunk)
                        size += len(chunk)
                if digest.hexdigest() != want["sha256"] or size != want["size"]:
                    raise _refuse(name, *bilingual(_("the SHA-256 checksum of %(name)s does not match"), name=name))
                progress("verify", n, len(files))
    except BackupError:
        raise
    except KeyError as exc:
        raise _refuse(str(path), *bilingual(_("the archive lacks %(name)s"), name=exc)) from None
    except (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, OSError, EOFError, ValueError,
            UnicodeDecodeError) as exc:
        raise _refuse(str(path), *bilingual(_("the archive is corrupted or unreadable: %(error)s"),
                                            error=exc)) from None
    return manifest


def _check_target(manifest: dict[str, Any]) -> list[type[models.Model]]:
    if applied_migrations() != manifest["migrations"]:
        raise _refuse("migrations", *bilingual(_("the database schema differs from the archive's (run `nrs migrate` "
                                                 "with the same version)")))
    tables = backup_models()
    labels = {m._meta.label_lower for m in tables}
    if set(manifest["tables"]) != labels:
        raise _refuse("tables", *bilingual(_("the tables differ from the archive's")))
    busy = [m._meta.label_lower for m in tables
            if m._meta.label_lower not in SEEDED and m._base_manager.exists()]
    if busy:
        raise _refuse(busy[0], *bilingual(_("restore needs an empty migrated database; table %(table)s has rows"),
                                          table=busy[0]))
    return tables


def _insert_all(model: type[models.Model], objects: Iterable[models.Model]) -> int:
    fields = list(model._meta.concrete_fields)
    batch: list[models.Model] = []
    size = max(1, min(CHUNK, connection.ops.bulk_batch_size(fields, [None] * CHUNK)))
    count = 0
    for obj in objects:
        batch.append(obj)
        if len(batch) >= size:
            model._base_manager._insert(batch, fields=fields, raw=True)  # type: ignore[attr-defined]
            count += len(batch)
            batch = []
    if batch:
        model._base_manager._insert(batch, fields=fields, raw=True)  # type: ignore[attr-defined]
        count += len(batch)
    return count


def _write_media(archive: zipfile.ZipFile, names: list[str], root: Path) -> list[Path]:
    written: list[Path] = []
    try:
        for name in names:
            target = (root / name.removeprefix("media/")).resolve()
            if not target.is_relative_to(root.resolve()):
                raise _refuse(name, *bilingual(_("invalid file path: %(name)s"), name=name))
            data = archive.read(name)
            if target.exists():
                if target.read_bytes() != data:
                    raise _refuse(name, *bilingual(_("the file %(name)s already exists with other content"),
                                                   name=name))
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
            written.append(target)
    except BaseException:
        for path in written:
            path.unlink(missing_ok=True)
        raise
    return written


def restore_backup(path: Path, *, progress: Progress = _noop) -> RestoreResult:
    """Load the archive into this (empty, migrated) database; all or nothing."""
    path = Path(path)
    manifest = verify_archive(path, progress)
    tables = _check_target(manifest)
    by_label = {m._meta.label_lower: m for m in tables}
    media = sorted(n for n in manifest["files"] if n.startswith("media/"))
    with zipfile.ZipFile(path) as archive:
        written = _write_media(archive, media, Path(settings.MEDIA_ROOT))
        try:
            rows = _load(archive, tables, by_label, manifest, progress)
        except BaseException:
            for file in written:
                file.unlink(missing_ok=True)
            raise
    return RestoreResult(len(tables), rows, len(media))


def _load(archive: zipfile.ZipFile, tables: list[type[models.Model]],
          by_label: dict[str, type[models.Model]], manifest: dict[str, Any],
          progress: Progress) -> int:
    from django.contrib.contenttypes.models import ContentType

    total = 0
    with transaction.atomic():
        for label in reversed(SEEDED):  # permissions first, then content types
            if label in by_label:
                by_label[label]._base_manager.all()._raw_delete(connection.alias)  # type: ignore[attr-defined]
        for n, model in enumerate(tables, start=1):
            label = model._meta.label_lower
            with archive.open(f"data/{label}.jsonl") as member:
                text = io.TextIOWrapper(member, encoding="utf-8")
                objects = (item.object for item in serializers.deserialize("jsonl", text))
                total += _insert_all(model, objects)
            progress("load", n, len(tables))
        statements = connection.ops.sequence_reset_sql(no_style(), tables)
        if statements:
            with connection.cursor() as cursor:
                for sql in statements:
                    cursor.execute(sql)
        ContentType.objects.clear_cache()
        found = checksums(progress)
        wrong = sorted(label for label, want in manifest["tables"].items() if found[label] != want)
        if wrong:
            raise _refuse(wrong[0], *bilingual(_("the restored rows of %(table)s do not match their "
                                                 "checksum; nothing was restored"), table=wrong[0]))
        record(EventType.BACKUP_RESTORED, summary="backup restored",
               data={"tables": len(tables), "rows": total,
                     "files": sum(1 for n in manifest["files"] if n.startswith("media/"))})
    return total
