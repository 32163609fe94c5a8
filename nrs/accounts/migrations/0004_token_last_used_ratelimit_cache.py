"""ApiToken.last_used_at, and the database table of the rate-limit cache (when there is no
Redis, settings.CACHES["ratelimit"] is an AtomicDatabaseCache)."""

from django.core.management import call_command
from django.db import migrations, models


def create_cache_table(apps, schema_editor):  # type: ignore[no-untyped-def]
    # Creates the table of every database cache in settings.CACHES that is missing (idempotent).
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0003_apitoken'),
    ]

    operations = [
        migrations.AddField(
            model_name='apitoken',
            name='last_used_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='last used at'),
        ),
        migrations.RunPython(create_cache_table, migrations.RunPython.noop),
    ]
