"""The database itself refuses to rewrite an audit entry, whatever code asks.

Only what an entry says is locked: the actor and group links may still become NULL
when a staff account or group is removed, and rows may be deleted by the retention
job an operator runs (the application itself never deletes them).
"""

from django.db import migrations

PG = """
CREATE OR REPLACE FUNCTION turnout_audit_append_only() RETURNS trigger AS $$
BEGIN RAISE EXCEPTION 'audit entries are append-only'; END; $$ LANGUAGE plpgsql;
CREATE TRIGGER core_auditentry_append_only BEFORE UPDATE OF at, action, actor_label, target_type, target_id, summary, detail, ip_address ON core_auditentry
FOR EACH ROW EXECUTE FUNCTION turnout_audit_append_only();
"""
PG_REVERSE = """
DROP TRIGGER IF EXISTS core_auditentry_append_only ON core_auditentry;
DROP FUNCTION IF EXISTS turnout_audit_append_only();
"""
SQLITE = [
    """CREATE TRIGGER core_auditentry_no_update
       BEFORE UPDATE OF at, action, actor_label, target_type, target_id, summary, detail, ip_address
       ON core_auditentry BEGIN SELECT RAISE(ABORT, 'audit entries are append-only'); END;""",
]


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG)
    elif schema_editor.connection.vendor == "sqlite":
        for statement in SQLITE:
            schema_editor.execute(statement)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_REVERSE)
    elif schema_editor.connection.vendor == "sqlite":
        schema_editor.execute("DROP TRIGGER IF EXISTS core_auditentry_no_update")


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
