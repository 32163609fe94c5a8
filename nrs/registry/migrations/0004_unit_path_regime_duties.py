# Issue 18: an org unit's path is never empty (finding 1); a regime says whether its
# approver must differ from who entered or submitted a report.

from typing import Any

import django.core.validators
from django.db import migrations, models


def fill_empty_paths(apps: Any, schema_editor: Any) -> None:
    """Units saved with an empty path (admin-created before the fix) get theirs from their
    parent's, parents first."""
    unit_model = apps.get_model("registry", "OrgUnit")
    while True:
        pending = list(unit_model.objects.filter(path="").values_list("pk", "parent_id"))
        if not pending:
            return
        paths = dict(unit_model.objects.exclude(path="").values_list("pk", "path"))
        done = 0
        for pk, parent in pending:
            if parent is None or parent in paths:
                base = "/" if parent is None else paths[parent]
                unit_model.objects.filter(pk=pk).update(path=f"{base}{pk}/")
                done += 1
        if not done:  # a cycle of empty paths: start them at the root
            for pk, _parent in pending:
                unit_model.objects.filter(pk=pk).update(path=f"/{pk}/")


class Migration(migrations.Migration):

    dependencies = [
        ('registry', '0003_catalogue_frequencies_kinds_sources'),
    ]

    operations = [
        migrations.AddField(
            model_name='regime',
            name='separate_duties',
            field=models.BooleanField(default=True, verbose_name='Approver must differ from who entered or submitted'),
        ),
        migrations.AlterField(
            model_name='orgunit',
            name='code',
            field=models.CharField(max_length=20, validators=[django.core.validators.RegexValidator('^[A-Za-z0-9][A-Za-z0-9._-]*$', "Letters, digits, '.', '_' and '-' only.")], verbose_name='code'),
        ),
        migrations.RunPython(fill_empty_paths, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name='orgunit',
            constraint=models.CheckConstraint(condition=models.Q(('path__startswith', '/'), ('path__endswith', '/'), models.Q(('path', '/'), _negated=True)), name='orgunit_path_set'),
        ),
    ]
