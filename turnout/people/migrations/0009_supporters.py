"""Memberships that a public form made are supporters, not members.

Until now every sign-up on a public page (an RSVP, a petition, a pledge, a network join, a
request to organize, a union card) made its signer a "member" of the page's group. A membership
is relabelled "supporter" only on evidence, never by guess:
- its status is still "member" and it has no member number;
- the first thing the audit log recorded of that person in that group is a public sign-up (no
  staffer, "Signed up through the form"), written within a minute of the membership itself (an
  import writes memberships with no entry per person, so an imported member who later signed a
  form has a membership older than that entry, and stays a member);
- no staffer ever acted on that person in that group (a staffer who set the membership, or
  added the person, made them what they are).
Everything else stays as it was. Memberships are read a chunk at a time, with only those
people's audit entries. The migration prints how many it relabelled in each group;
docs/privacy.md describes it.
"""

from datetime import timedelta

from django.db import migrations

CHUNK = 2000
SAME_WRITE = timedelta(minutes=1)


def relabel(apps, schema_editor):
    Membership = apps.get_model("people", "Membership")
    AuditEntry = apps.get_model("core", "AuditEntry")
    candidates = (Membership.objects.filter(status="member", member_number="").order_by("pk")
                  .values_list("pk", "group_id", "created_at", "person__public_id"))
    relabelled: dict[int, int] = {}
    last = 0
    while chunk := list(candidates.filter(pk__gt=last)[:CHUNK]):
        last = chunk[-1][0]
        targets = {str(public_id) for _pk, _group, _created, public_id in chunk}
        first: dict[tuple[str, int], tuple[object, bool]] = {}
        staffed: set[tuple[str, int]] = set()
        entries = (AuditEntry.objects.filter(target_type="person", target_id__in=targets, group__isnull=False)
                   .order_by("at", "id").values_list("target_id", "group_id", "actor_id", "summary", "at"))
        for target_id, group_id, actor_id, summary, at in entries:
            key = (target_id, group_id)
            if actor_id is not None:
                staffed.add(key)
            first.setdefault(key, (at, actor_id is None and summary.startswith("Signed up through the form")))
        pending = []
        for pk, group_id, created_at, public_id in chunk:
            key = (str(public_id), group_id)
            at, from_form = first.get(key, (None, False))
            if from_form and key not in staffed and abs(at - created_at) <= SAME_WRITE:
                pending.append(pk)
                relabelled[group_id] = relabelled.get(group_id, 0) + 1
        Membership.objects.filter(pk__in=pending).update(status="supporter")
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
