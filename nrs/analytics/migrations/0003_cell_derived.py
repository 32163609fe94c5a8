"""Each cell says whether it is a unit's own reported value (derived False) or derived.

Existing cells are marked reported where an approved value exists for their key;
``nrs aggregates`` sets the flag exactly."""

from django.db import migrations, models
from django.db.models import Exists, OuterRef


def mark_reported(apps, schema_editor):  # type: ignore[no-untyped-def]
    cell = apps.get_model("analytics", "Cell")
    value = apps.get_model("collection", "DataValue")
    reported = value.objects.filter(indicator_id=OuterRef("indicator_id"), org_unit_id=OuterRef("org_unit_id"),
                                    period=OuterRef("period"), value__isnull=False,
                                    version__approved_at__isnull=False)
    cell.objects.filter(Exists(reported)).update(derived=False)


class Migration(migrations.Migration):

    dependencies = [
        ("analytics", "0002_pending_refresh"),
        ("collection", "0005_datavalue_indicator_no_own_index"),
    ]

    operations = [
        migrations.AddField(
            model_name="cell",
            name="derived",
            field=models.BooleanField(default=True, verbose_name="derived (not reported)"),
        ),
        migrations.RunPython(mark_reported, migrations.RunPython.noop),
    ]
