"""Trigram indexes so that searching 176,623 stations by name or code stays fast on PostgreSQL.

SQLite (the laptop default) has no pg_trgm; there the migration does nothing.
"""

from django.db import migrations

FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS station_name_trgm ON polling_pollingstation USING gin (upper(name) gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS station_code_trgm ON polling_pollingstation USING gin (upper(code) gin_trgm_ops)",
]
BACKWARD = [
    "DROP INDEX IF EXISTS station_name_trgm",
    "DROP INDEX IF EXISTS station_code_trgm",
]


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for sql in statements:
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("polling", "0001_initial")]
    operations = [migrations.RunPython(_run(FORWARD), _run(BACKWARD))]
