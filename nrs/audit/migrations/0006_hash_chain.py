"""The hash chain: seq, prev_hash and hash on every event (nrs/audit/chain.py).

Existing events are chained in id order. The append-only triggers refuse the
UPDATE this needs, so they are dropped first and recreated last, in the same
transaction; on SQLite the table is also rebuilt by the field changes, which
would drop its triggers anyway.
"""

from django.db import migrations, models
from django.utils import timezone

from nrs.audit import chain

# The triggers of migration 0002, as they were then.
CREATE = {
    "sqlite": [
        """CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_event
           BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END""",
        """CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON audit_event
           BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END""",
    ],
    "postgresql": [
        """CREATE OR REPLACE FUNCTION audit_event_append_only() RETURNS trigger AS $$
           BEGIN RAISE EXCEPTION 'audit events are append-only'; END; $$ LANGUAGE plpgsql""",
        """CREATE TRIGGER audit_event_no_change BEFORE UPDATE OR DELETE ON audit_event
           FOR EACH ROW EXECUTE FUNCTION audit_event_append_only()""",
        """CREATE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON audit_event
           FOR EACH STATEMENT EXECUTE FUNCTION audit_event_append_only()""",
    ],
}
DROP = {
    "sqlite": ["DROP TRIGGER IF EXISTS audit_event_no_update",
               "DROP TRIGGER IF EXISTS audit_event_no_delete"],
    "postgresql": ["DROP TRIGGER IF EXISTS audit_event_no_change ON audit_event",
                   "DROP TRIGGER IF EXISTS audit_event_no_truncate ON audit_event"],
}


def _drop(apps, schema_editor):
    for sql in DROP.get(schema_editor.connection.vendor, []):
        schema_editor.execute(sql)


def _create(apps, schema_editor):
    for sql in CREATE.get(schema_editor.connection.vendor, []):
        schema_editor.execute(sql)


def _backfill(apps, schema_editor):
    Event = apps.get_model("audit", "Event")
    prev, batch = chain.GENESIS, []
    rows = Event.objects.order_by("id").values("id", *(f for f in chain.HASHED
                                                       if f not in ("seq", "prev_hash")))
    for seq, row in enumerate(rows.iterator(chunk_size=2000), start=1):
        row.update(seq=seq, prev_hash=prev)
        prev = chain.row_hash(row)
        batch.append(Event(id=row["id"], seq=seq, prev_hash=row["prev_hash"], hash=prev))
        if len(batch) >= 1000:
            Event.objects.bulk_update(batch, ["seq", "prev_hash", "hash"])
            batch = []
    Event.objects.bulk_update(batch, ["seq", "prev_hash", "hash"])


class Migration(migrations.Migration):
    dependencies = [("audit", "0005_security_events")]

    operations = [
        migrations.RunPython(_drop, _create),
        migrations.AlterField(
            model_name="event", name="occurred_at",
            field=models.DateTimeField(default=timezone.now, verbose_name="time"),
        ),
        migrations.AddField(
            model_name="event", name="seq",
            field=models.BigIntegerField(null=True, verbose_name="sequence number"),
        ),
        migrations.AddField(
            model_name="event", name="prev_hash",
            field=models.CharField(max_length=64, null=True, verbose_name="previous hash"),
        ),
        migrations.AddField(
            model_name="event", name="hash",
            field=models.CharField(max_length=64, null=True, verbose_name="hash"),
        ),
        migrations.RunPython(_backfill, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="event", name="seq",
            field=models.BigIntegerField(verbose_name="sequence number"),
        ),
        migrations.AlterField(
            model_name="event", name="prev_hash",
            field=models.CharField(max_length=64, verbose_name="previous hash"),
        ),
        migrations.AlterField(
            model_name="event", name="hash",
            field=models.CharField(max_length=64, verbose_name="hash"),
        ),
        migrations.AddConstraint(
            model_name="event",
            constraint=models.UniqueConstraint(fields=["seq"], name="audit_event_seq_uniq"),
        ),
        migrations.RunPython(_create, _drop),
    ]
