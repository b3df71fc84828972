"""Seal the audit history written before entries about a person were sealed.

Entries whose target is a person on file are sealed with that person's new key, exactly as
`turnout.core.audit.record` now writes them. Entries about a person already erased keep only
what they did and when (their target id, summary, detail and address are cleared). Entries about
something else that named a person in their summary (a submission, a host's check-in, a card, a
request) have the name replaced by "a person". This is the one rewrite of the log's history: the
append-only trigger is lifted for it and put back, covering the sealed columns.
"""

import json
import re

from cryptography.fernet import Fernet
from django.db import migrations

from turnout.core import audit_trigger
from turnout.core.sealing import blind_index, blind_indexes

REDACT = [
    (re.compile(r"^Recorded a submission by .* \(([^()]*)\)$", re.S), r"Recorded a submission by a person (\1)"),
    (re.compile(r"^Recorded the signature of .* \(([^()]*)\)$", re.S), r"Recorded the signature of a person (\1)"),
    (re.compile(r"^A host checked in .*$", re.S), "A host checked in a person"),
    (re.compile(r"^A host added the walk-in .*$", re.S), "A host added a walk-in"),
    (re.compile(r"^Made .* a host and sent them the host link$", re.S), "Made a person a host and sent them the host link"),
    (re.compile(r"^Took .* off the roster$", re.S), "Took a person off the roster"),
    (re.compile(r"^Downloaded the card of .* \((\w+)\)$", re.S), r"Downloaded a card (\1)"),
    (re.compile(r"^Paper card for .*$", re.S), "Recorded a paper card"),
    (re.compile(r"^Viewed the organizing request from .*$", re.S), "Viewed an organizing request"),
    (re.compile(r"^Added .* to the roster$", re.S), "Added a person to the roster"),
    (re.compile(r"^Placement at (.*) changed for .*$", re.S), r"Placement at \1 changed for a person"),
    (re.compile(r"^Added .* to the network$", re.S), "Added a person to the network"),
    (re.compile(r"^Changed what the network knows of .*$", re.S), "Changed what the network knows of a person"),
    # What a search typed (often a name, an email or a number): the filter is kept, not the words.
    (re.compile(r"([?(&\s]|filter |: )q=[^&)\s]*", re.S), r"\1q=…"),
    (re.compile(r"^(Read \d+ people through the API .*, filter )(.*)\)$", re.S),
     lambda m: m.group(1) + re.sub(r"'(?:[^']|'')*'", "'…'", m.group(2)) + ")"),
]


def forwards(apps, schema_editor):
    AuditEntry = apps.get_model("core", "AuditEntry")
    SubjectKey = apps.get_model("core", "SubjectKey")
    Person = apps.get_model("people", "Person")
    with audit_trigger.lifted(schema_editor):
        last = 0
        while True:
            batch = list(AuditEntry.objects.filter(pk__gt=last, target_type="person", sealed="")
                         .exclude(action="erase").order_by("pk")[:2000])
            if not batch:
                break
            last = batch[-1].pk
            ids = {entry.target_id for entry in batch if entry.target_id}
            on_file = {str(u) for u in Person.objects.filter(public_id__in=ids).values_list("public_id", flat=True)}
            keys = {}
            for entry in batch:
                if entry.target_id in on_file:
                    if entry.target_id not in keys:
                        owner = f"person:{entry.target_id}"
                        key = SubjectKey.objects.filter(owner_index__in=blind_indexes(owner)).first()
                        keys[entry.target_id] = key or SubjectKey.objects.create(
                            owner=owner, owner_index=blind_index(owner), key=Fernet.generate_key().decode())
                    key = keys[entry.target_id]
                    entry.subject = key.subject
                    entry.sealed = Fernet(key.key.encode()).encrypt(json.dumps({
                        "target_id": entry.target_id, "summary": entry.summary, "detail": entry.detail,
                        "ip": entry.ip_address}).encode()).decode()
                entry.target_id, entry.summary, entry.detail, entry.ip_address = "", "", {}, None
            AuditEntry.objects.bulk_update(batch, ["subject", "sealed", "target_id", "summary", "detail",
                                                   "ip_address"])
        AuditEntry.objects.filter(action="erase").exclude(detail={}).update(detail={})
        for pattern, replacement in REDACT:
            for entry in AuditEntry.objects.filter(sealed="", summary__regex=pattern.pattern.replace("\\d", "[0-9]")):
                redacted = pattern.sub(replacement, entry.summary)
                if redacted != entry.summary:
                    AuditEntry.objects.filter(pk=entry.pk).update(summary=redacted)


class Migration(migrations.Migration):
    # organizing 0005 rewrites the table on PostgreSQL, so the old versions of these rows go too.
    dependencies = [("people", "0010_import_membership"), ("core", "0004_audit_sealed_per_person")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
