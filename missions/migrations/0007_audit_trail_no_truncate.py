"""The audit trail refuses TRUNCATE too (UPDATE and DELETE are refused since 0003).

Reproduced: `TRUNCATE missions_auditentry` emptied the trail, and verify_audit then reported "intact:
0 entries". A statement-level trigger refuses it. Django's test runner empties tables with TRUNCATE
between tests: a session that sets observa.audit_truncate = 'allowed' (tests/conftest.py does, for the
test database only) may, as may nobody in production.
"""

from django.db import migrations

NO_TRUNCATE = """
CREATE OR REPLACE FUNCTION observa_audit_no_truncate() RETURNS trigger AS $$
BEGIN
    IF coalesce(current_setting('observa.audit_truncate', true), '') = 'allowed' THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION 'the audit trail is append-only (TRUNCATE refused)';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER missions_auditentry_no_truncate
    BEFORE TRUNCATE ON missions_auditentry
    FOR EACH STATEMENT EXECUTE FUNCTION observa_audit_no_truncate();
"""
DROP = """
DROP TRIGGER IF EXISTS missions_auditentry_no_truncate ON missions_auditentry;
DROP FUNCTION IF EXISTS observa_audit_no_truncate();
"""


def _sql(statement):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("missions", "0006_user_and_invitation_language")]

    operations = [migrations.RunPython(_sql(NO_TRUNCATE), _sql(DROP))]
