"""Tags belong to groups: a group sees and uses only its own (and those of groups below it)."""

from __future__ import annotations

import tempfile
from pathlib import Path

from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import TransactionTestCase
from django.urls import reverse

from turnout.accounts.models import Role
from turnout.actions.models import Form
from turnout.mobilization.models import Activation, Member, Network
from turnout.mobilization.services import audience
from turnout.people.importer import Importer
from turnout.people.models import Membership, Person, Tag
from turnout.people.services import add_tag
from turnout.site.testing import (
    TurnoutTestCase,
    audit_summaries,
    make_group,
    make_person,
    make_staff,
)


class GroupTagsTests(TurnoutTestCase):
    """Maria is a member of Local 8 and of the worker center; the worker center tags her."""

    def setUp(self) -> None:
        Membership.objects.create(person=self.member, group=self.other)
        self.login(self.outsider)
        self.client.post(reverse("people:tags", args=[self.member.public_id]), {"name": "fired-for-organizing"})
        add_tag(person=self.stranger, group=self.other, name="fired-for-organizing")
        self.client.logout()

    def test_an_organizer_never_sees_another_groups_tag_in_the_console(self) -> None:
        """Not on the shared person's page (tags or activity), not by filtering, not in an export."""
        self.assertEqual(Tag.objects.get().group, self.other)
        self.login(self.organizer)
        page = self.client.get(self.member.get_absolute_url())
        self.assertContains(page, "Maria")
        self.assertNotContains(page, "fired-for-organizing")
        listing = self.client.get(reverse("people:list"), {"tag": "fired-for-organizing"})
        self.assertEqual(listing.context["page"].paginator.count, 0)
        self.assertNotContains(self.client.get(reverse("people:list")), self.other.name)
        export = self.client.get(reverse("people:export")).content.decode()
        self.assertIn("maria@example.org", export)
        self.assertNotIn("fired-for-organizing", export)
        self.assertNotIn(self.other.slug, export)
        self.login(self.outsider)  # their own staff still see it all
        self.assertContains(self.client.get(self.member.get_absolute_url()), "fired-for-organizing")
        listing = self.client.get(reverse("people:list"), {"tag": "Fired-For-Organizing"})
        self.assertEqual({p.pk for p in listing.context["page"]}, {self.member.pk, self.stranger.pk})

    def test_two_groups_can_both_have_volunteer(self) -> None:
        """The same name is two tags, and each group's filter finds only the people it tagged."""
        ours = add_tag(person=self.member, group=self.local, name="volunteer").tag
        theirs = add_tag(person=self.stranger, group=self.other, name="volunteer").tag
        self.assertNotEqual(ours, theirs)
        self.assertEqual(sorted(Tag.objects.filter(name="volunteer").values_list("group__slug", flat=True)),
                         ["eastside-workers", "local-8"])
        self.assertEqual(list(Person.objects.tagged(Tag.objects.visible_to(self.organizer).named("volunteer"))),
                         [self.member])
        self.assertEqual(list(Person.objects.tagged(Tag.objects.visible_to(self.outsider).named("volunteer"))),
                         [self.stranger])
        self.assertEqual(list(Person.objects.tagged(Tag.objects.visible_to(self.admin).named("volunteer"))),
                         [self.member])  # the council sees its local's tag, not the worker center's

    def test_the_page_tags_in_the_staffers_group_and_removes_only_its_own_tags(self) -> None:
        self.login(self.organizer)
        url = reverse("people:tags", args=[self.member.public_id])
        self.client.post(url, {"name": "fired-for-organizing"})  # a name of theirs is a new tag of ours
        ours = Tag.objects.get(group=self.local)
        self.assertEqual(ours.name, "fired-for-organizing")
        theirs = Tag.objects.get(group=self.other)
        self.client.post(url, {"tag": str(theirs.public_id), "remove": "1"})
        self.assertTrue(self.member.taggings.filter(tag=theirs).exists())
        self.client.post(url, {"name": "x", "group": self.other.slug})  # a group they do not organize
        self.assertEqual(Tag.objects.get(name="x").group, self.local)
        self.client.post(url, {"tag": str(ours.public_id), "remove": "1"})
        self.assertFalse(self.member.taggings.filter(tag=ours).exists())

    def test_a_council_admin_chooses_which_of_their_groups_tags(self) -> None:
        """The widest group by default; the local when chosen."""
        self.login(self.admin)
        url = reverse("people:tags", args=[self.member.public_id])
        page = self.client.get(self.member.get_absolute_url())
        self.assertContains(page, f'<option value="{self.council.slug}">')
        self.assertContains(page, f'<option value="{self.local.slug}">')
        self.assertNotContains(page, f'<option value="{self.other.slug}">')
        self.client.post(url, {"name": "steward"})
        self.client.post(url, {"name": "steward", "group": self.local.slug})
        self.assertEqual(sorted(Tag.objects.filter(name="steward").values_list("group__slug", flat=True)),
                         ["local-8", "metro-council"])
        self.assertEqual(audit_summaries(self.member, group=self.local).count("Added tag steward"), 1)

    def test_public_forms_imports_and_signups_tag_in_the_acting_group(self) -> None:
        form = Form.objects.create(group=self.other, title="Join", tags="volunteer")
        self.client.post(form.public_url(), {"given_name": "Rosa", "email": "rosa@example.org", "postal_code": "98101"})
        self.settle_forms()
        rosa = Person.objects.get(given_name="Rosa")
        self.assertEqual(list(rosa.taggings.values_list("tag__group__slug", "tag__name")),
                         [("eastside-workers", "volunteer")])
        with tempfile.NamedTemporaryFile(suffix=".csv", delete=False) as handle:
            handle.write(b"email,tags\nana@example.org,volunteer\n")
        self.addCleanup(Path(handle.name).unlink)
        Importer(group=self.local, actor=self.organizer, tag="spring").run(Path(handle.name))
        ana = Person.objects.get(emails__address="ana@example.org")
        self.assertEqual(sorted(ana.taggings.values_list("tag__group__slug", "tag__name")),
                         [("local-8", "spring"), ("local-8", "volunteer")])
        self.assertEqual(Tag.objects.filter(name="volunteer").count(), 2)

    def test_a_network_is_filled_and_an_activation_reaches_only_by_its_own_groups_tag(self) -> None:
        network = Network.objects.create(group=self.local, name="Rapid Response")
        self.login(self.organizer)
        self.client.post(reverse("mobilization:network_add", args=[network.public_id]), {"tag": "fired-for-organizing"})
        self.assertFalse(Member.objects.exists())
        Member.objects.create(network=network, person=self.member)
        activation = Activation.objects.create(network=network, title="Rally", body="Rally at 6",
                                               tag="fired-for-organizing")
        self.assertEqual(list(audience(activation)), [])
        add_tag(person=self.member, group=self.local, name="fired-for-organizing")
        self.assertEqual([m.person for m in audience(activation)], [self.member])


class TagSplitMigrationTests(TransactionTestCase):
    """The migration gives each group a copy of a global tag holding the people it holds."""

    before = [("people", "0005_alter_consentevent_source"), ("messaging", "0005_alter_delivery_message")]
    after = [("people", "0007_tag_group_required")]

    def tearDown(self) -> None:
        # Back to the latest schema, for the tests that run after this one in the same database.
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())

    def test_each_group_keeps_its_own_people_under_its_own_copy(self) -> None:
        executor = MigrationExecutor(connection)
        executor.migrate(self.before)
        old = executor.loader.project_state(self.before).apps
        OldTag, OldTagging = old.get_model("people", "Tag"), old.get_model("people", "Tagging")
        council = make_group("Metro Council")
        local = make_group("Local 8", parent=council)
        other = make_group("Eastside Workers")
        ours = [make_person(local) for _n in range(3)]
        theirs = make_person(other)
        both = make_person(local)
        Membership.objects.create(person=both, group=other)
        nobodys = Person.objects.create(given_name="No group")
        volunteer = OldTag.objects.create(name="volunteer")
        only_theirs = OldTag.objects.create(name="east-only")
        unused = OldTag.objects.create(name="unused")
        for person in [*ours, theirs, both, nobodys]:
            OldTagging.objects.create(person_id=person.pk, tag=volunteer)
        OldTagging.objects.create(person_id=theirs.pk, tag=only_theirs)
        OldMessage = old.get_model("messaging", "Message")
        target = {"kind": "tag", "id": str(volunteer.public_id)}
        draft = OldMessage.objects.create(group_id=other.pk, channel="email", body="Meeting tonight",
                                          status="draft", audience={"targets": [target]})

        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(self.after)

        kept = Tag.objects.get(public_id=volunteer.public_id)
        self.assertEqual(kept.group, local)  # the group holding most of its people keeps the row
        self.assertEqual(set(kept.taggings.values_list("person", flat=True)),
                         {p.pk for p in [*ours, both, nobodys]})
        copy = Tag.objects.get(name="volunteer", group=other)
        self.assertEqual(set(copy.taggings.values_list("person", flat=True)), {theirs.pk, both.pk})
        self.assertEqual(Tag.objects.get(public_id=only_theirs.public_id).group, other)
        # A tag nobody held is no group's: it is gone, not handed to one of them.
        self.assertFalse(Tag.objects.filter(public_id=unused.public_id).exists())
        self.assertEqual(Tag.objects.count(), 3)
        # A draft from Eastside aimed at "volunteer" by id now also names Eastside's own copy.
        draft.refresh_from_db()
        self.assertEqual(draft.audience["targets"], [target, {"kind": "tag", "id": str(copy.public_id)}])


class TagTenancyByRoleTests(TurnoutTestCase):
    def test_a_viewer_sees_their_groups_tags_but_a_stranger_group_sees_none(self) -> None:
        add_tag(person=self.member, group=self.local, name="steward")
        viewer = make_staff("viewer@example.org", self.local, Role.VIEWER)
        self.assertEqual(list(Tag.objects.visible_to(viewer).values_list("name", flat=True)), ["steward"])
        self.assertFalse(Tag.objects.visible_to(viewer, Role.ORGANIZER).exists())
        self.assertFalse(Tag.objects.visible_to(self.outsider).exists())
