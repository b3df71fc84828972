"""Memberships that a public form made are supporters, not members.

Until now every sign-up on a public page (an RSVP, a petition, a pledge, a network join, a
request to organize, a union card) made its signer a "member" of the page's group. A membership
is relabelled "supporter" only on evidence, never by guess: its status is still "member", it has
no member number, and the first thing the audit log recorded of that person in that group was a
public sign-up (no staffer, "Signed up through the form"). Everything else stays as it was: people
staff added, imported people, and anyone with a member number. The migration prints how many it
relabelled in each group; docs/privacy.md describes it.
"""

from django.db import migrations


def relabel(apps, schema_editor):
    Membership = apps.get_model("people", "Membership")
    AuditEntry = apps.get_model("core", "AuditEntry")
    Person = apps.get_model("people", "Person")
    first_seen: dict[tuple[str, int], bool] = {}
    entries = (AuditEntry.objects.filter(target_type="person", group__isnull=False)
               .order_by("at", "id").values_list("target_id", "group_id", "actor_id", "summary"))
    for target_id, group_id, actor_id, summary in entries.iterator(chunk_size=5000):
        key = (target_id, group_id)
        if key not in first_seen:
            first_seen[key] = actor_id is None and summary.startswith("Signed up through the form")
    public_ids = dict(Person.objects.values_list("id", "public_id"))
    relabelled: dict[int, int] = {}
    pending: list[int] = []
    candidates = Membership.objects.filter(status="member", member_number="").values_list("id", "person_id", "group_id")
    for pk, person_id, group_id in candidates.iterator(chunk_size=5000):
        if first_seen.get((str(public_ids.get(person_id)), group_id)):
            pending.append(pk)
            relabelled[group_id] = relabelled.get(group_id, 0) + 1
    for start in range(0, len(pending), 1000):
        Membership.objects.filter(pk__in=pending[start:start + 1000]).update(status="supporter")
    if relabelled:
        Group = apps.get_model("accounts", "Group")
        names = dict(Group.objects.filter(pk__in=relabelled).values_list("pk", "name"))
        for group_id, count in sorted(relabelled.items()):
            print(f"  people: {count} public sign-ups in {names.get(group_id, group_id)} are now supporters, not members")


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0003_alter_auditentry_action"),
        ("people", "0008_contacts_per_record"),
    ]

    operations = [migrations.RunPython(relabel, migrations.RunPython.noop)]
