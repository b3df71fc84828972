"""Tags belong to groups.

Until now a tag was global: one "volunteer" for every group, and any staffer could list every
name. Each existing tag is split by the groups of the people who hold it: a group gets its own
copy of the tag, tagging the same people it holds (through a membership) as before, so every
group's filters, lists and activations match exactly the people they matched, and no group
gains a person or a name it could not already see. The copy for the group holding the most of
the tag's people keeps the tag's row (and the public id API clients may have stored); the other
copies are new tags with new ids. People who hold the tag but no membership (nobody's
record) keep the original. A tag nobody holds is deleted: no group can be said to own its name
(giving it to one would show one organization another's word), and the name is made again, in
the group that uses it, the next time it is used. A message not yet sent whose audience names a
tag by id (API messages) names every copy in its own group and the groups below it, so it
reaches the same people.
"""

import uuid
from collections import Counter, defaultdict

import django.db.models.deletion
from django.db import migrations, models

BATCH = 5000


def split_tags_by_group(apps, schema_editor):
    Group = apps.get_model("accounts", "Group")
    Membership = apps.get_model("people", "Membership")
    Tag = apps.get_model("people", "Tag")
    Tagging = apps.get_model("people", "Tagging")

    # How many of each tag's people each group holds: tags x groups rows, not taggings.
    held: dict[int, Counter[int]] = defaultdict(Counter)
    pairs = (Tagging.objects.filter(person__memberships__isnull=False)
             .values_list("tag_id", "person__memberships__group_id")
             .annotate(n=models.Count("id")).order_by())
    for tag_id, group_id, count in pairs:
        held[tag_id][group_id] = count
    paths = dict(Group.objects.values_list("pk", "path"))
    copies: dict[str, list[tuple[str, str]]] = defaultdict(list)  # tag's public id -> (group path, copy's id)

    for tag in Tag.objects.filter(group__isnull=True).order_by("pk").iterator(chunk_size=1000):
        counts = held.get(tag.pk)
        if not counts:
            tag.delete()
            continue
        ranked = sorted(counts, key=lambda g: (-counts[g], paths.get(g, ""), g))
        owner, others = ranked[0], ranked[1:]
        tag.group_id = owner
        tag.save(update_fields=["group"])
        copies[str(tag.public_id)].append((paths.get(owner, ""), str(tag.public_id)))
        for group_id in others:
            copy = Tag.objects.create(group_id=group_id, name=tag.name, public_id=uuid.uuid4(),
                                      created_at=tag.created_at)
            copies[str(tag.public_id)].append((paths.get(group_id, ""), str(copy.public_id)))
            holders = (Tagging.objects.filter(tag=tag, person__memberships__group_id=group_id)
                       .values_list("person_id", "created_at").order_by("pk"))
            batch = []
            for person_id, created_at in holders.iterator(chunk_size=BATCH):
                batch.append(Tagging(person_id=person_id, tag=copy, created_at=created_at, public_id=uuid.uuid4()))
                if len(batch) == BATCH:
                    Tagging.objects.bulk_create(batch)
                    batch = []
            Tagging.objects.bulk_create(batch)
        if others:
            # The owner's copy keeps only the people the owner holds (and those nobody holds).
            (Tagging.objects.filter(tag=tag, person__memberships__isnull=False)
             .exclude(person__memberships__group_id=owner).delete())


    retarget_unsent_messages(apps, copies)
    if schema_editor.connection.vendor == "postgresql":
        # Run the deferred foreign-key checks of these writes now: PostgreSQL alters no table
        # in a transaction that still has them pending.
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")


def retarget_unsent_messages(apps, copies):
    """Messages not yet sent name, for each tag they target, its copies in their own group and below."""
    Message = apps.get_model("messaging", "Message")
    unsent = Message.objects.filter(status__in=["draft", "scheduled"]).select_related("group")
    for message in unsent.iterator(chunk_size=1000):
        targets = (message.audience or {}).get("targets") if isinstance(message.audience, dict) else None
        if not targets:
            continue
        changed, new_targets = False, []
        for target in targets:
            new_targets.append(target)
            if not isinstance(target, dict) or target.get("kind") != "tag" or str(target.get("id")) not in copies:
                continue
            for path, copy_id in copies[str(target["id"])]:
                if copy_id != str(target["id"]) and path.startswith(message.group.path):
                    new_targets.append({**target, "id": copy_id})
                    changed = True
        if changed:
            message.audience = {**message.audience, "targets": new_targets}
            message.save(update_fields=["audience"])


def merge_tags_by_name(apps, schema_editor):
    """Backwards: one tag per name again (the oldest row), holding everyone any copy held."""
    Tag = apps.get_model("people", "Tag")
    Tagging = apps.get_model("people", "Tagging")
    kept: dict[str, int] = {}
    for tag in Tag.objects.order_by("pk").iterator(chunk_size=1000):
        first = kept.setdefault(tag.name, tag.pk)
        if first == tag.pk:
            continue
        already = Tagging.objects.filter(tag_id=first).values("person_id")
        Tagging.objects.filter(tag=tag).exclude(person_id__in=already).update(tag_id=first)
        tag.delete()


class Migration(migrations.Migration):

    dependencies = [
        ("accounts", "0003_group_texting_hours"),
        ("people", "0005_alter_consentevent_source"),
        ("messaging", "0005_alter_delivery_message"),
    ]

    operations = [
        # The same name may now exist once per group; the copies need the name free first.
        migrations.AlterField(
            model_name="tag",
            name="name",
            field=models.CharField(max_length=100, verbose_name="name"),
        ),
        migrations.AddField(
            model_name="tag",
            name="group",
            field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.CASCADE, related_name="tags",
                                    to="accounts.group"),
        ),
        migrations.RunPython(split_tags_by_group, merge_tags_by_name),
    ]
