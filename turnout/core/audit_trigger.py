"""The database trigger that refuses to rewrite what an audit entry says (used by migrations).

Only what an entry says is locked: the actor and group links may still become NULL when a staff
account or group is removed. `lifted` is for the one migration that sealed the history written
before entries about people were sealed (people 0011); nothing else lifts it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

COLUMNS = "at, action, actor_label, target_type, target_id, summary, detail, ip_address, subject, sealed"


def create(schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "CREATE OR REPLACE FUNCTION turnout_audit_append_only() RETURNS trigger AS $$ "
            "BEGIN RAISE EXCEPTION 'audit entries are append-only'; END; $$ LANGUAGE plpgsql;")
        schema_editor.execute(
            f"CREATE TRIGGER core_auditentry_append_only BEFORE UPDATE OF {COLUMNS} ON core_auditentry "
            "FOR EACH ROW EXECUTE FUNCTION turnout_audit_append_only();")
    elif schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(
            f"CREATE TRIGGER core_auditentry_no_update BEFORE UPDATE OF {COLUMNS} ON core_auditentry "
            "BEGIN SELECT RAISE(ABORT, 'audit entries are append-only'); END;")


def drop(schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP TRIGGER IF EXISTS core_auditentry_append_only ON core_auditentry")
    elif schema_editor.connection.vendor == "sqlite":
        schema_editor.execute("DROP TRIGGER IF EXISTS core_auditentry_no_update")


@contextmanager
def lifted(schema_editor: Any) -> Iterator[None]:
    drop(schema_editor)
    yield
    create(schema_editor)


def relock(apps: Any, schema_editor: Any) -> None:
    """A migration step: the trigger again, now covering the sealed columns too."""
    drop(schema_editor)
    create(schema_editor)
