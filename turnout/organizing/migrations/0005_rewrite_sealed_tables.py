"""On PostgreSQL, sealing rows rewrote them with UPDATE, which leaves each row's plaintext version
in the table's pages until the page is rewritten: rewrite the sealed tables and the audit log (whose
history people 0011 sealed) with their indexes, so an upgraded database keeps no plaintext copy.
SQLite runs with secure_delete, which zeroes the old versions as they are replaced. Backups taken
before the upgrade keep the plaintext; docs/operations.md says so."""

from django.db import migrations

TABLES = ["organizing_card", "organizing_worker", "organizing_assessment", "organizing_conversation",
          "organizing_request", "core_auditentry", "core_subjectkey"]


def rewrite(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for table in TABLES:
            schema_editor.execute(f"VACUUM FULL {schema_editor.quote_name(table)}")


class Migration(migrations.Migration):
    atomic = False  # VACUUM runs outside a transaction
    dependencies = [("organizing", "0004_card_signer_sealed_only"), ("people", "0011_seal_audit_history")]
    operations = [migrations.RunPython(rewrite, migrations.RunPython.noop, elidable=False)]
