"""Indexes for the mission audit trail page (missions/audit/views.py) at 100,000+ entries a mission.

1. (mission, created_at DESC, id DESC): the page lists a mission's entries newest first, optionally
   between two dates; the index gives them in that order, so a page stops after 50 rows.
2. (mission, actor) and (mission, action with pattern ops, for both = and the LIKE 'team.%' of a
   subject): counting a filtered trail reads only the index.
3. A trigram index on upper(target_repr): the free-text filter is an icontains (UPPER ... LIKE).
SQLite (the laptop default) has neither need nor pg_trgm; there the migration does nothing.
The model's own Meta is left alone: these are PostgreSQL-only, like polling's trigram indexes.
"""

from django.db import migrations

FORWARD = [
    "CREATE INDEX IF NOT EXISTS audit_mission_created "
    "ON missions_auditentry (mission_id, created_at DESC, id DESC)",
    "CREATE INDEX IF NOT EXISTS audit_mission_actor ON missions_auditentry (mission_id, actor_id)",
    "CREATE INDEX IF NOT EXISTS audit_mission_action ON missions_auditentry (mission_id, action varchar_pattern_ops)",
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS audit_target_trgm ON missions_auditentry USING gin (upper(target_repr) gin_trgm_ops)",
]
BACKWARD = [
    "DROP INDEX IF EXISTS audit_mission_created",
    "DROP INDEX IF EXISTS audit_mission_actor",
    "DROP INDEX IF EXISTS audit_mission_action",
    "DROP INDEX IF EXISTS audit_target_trgm",
]


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for sql in statements:
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("missions", "0003_audit_trail")]
    operations = [migrations.RunPython(_run(FORWARD), _run(BACKWARD))]
