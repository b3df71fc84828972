"""Tagging many people at once (a worker settling a batch of forms) keeps `add_tag`'s rules."""

from __future__ import annotations

from turnout.core.models import AuditEntry
from turnout.people.models import Tag, Tagging
from turnout.people.services import add_tag, add_tag_many
from turnout.site.testing import TurnoutTestCase, audit_summaries, make_person


class TagManyTests(TurnoutTestCase):
    def test_each_person_gets_each_of_the_groups_tags_once(self) -> None:
        """The acting group's tag of each name (made if new, cleaned as typed; an empty name tags
        nothing), each person tagged once with each even when they already had it or are named twice;
        another group's tag of the same name is neither used nor touched."""
        ana = make_person(self.local, given_name="Ana", email="ana@example.org")
        add_tag(person=self.member, group=self.local, name="volunteer")
        add_tag(person=self.stranger, group=self.other, name="heat 2026")
        added = add_tag_many(people=[self.member, ana, ana], group=self.local,
                             names=["volunteer", "  heat\t2026 ", "", "\x00", "heat 2026"])
        self.assertEqual(added, 3)
        self.assertEqual(sorted(Tagging.objects.filter(tag__group=self.local)
                                .values_list("person__given_name", "tag__name")),
                         [("Ana", "heat 2026"), ("Ana", "volunteer"), ("Maria", "heat 2026"), ("Maria", "volunteer")])
        self.assertEqual(Tag.objects.filter(name="heat 2026").count(), 2)  # each group its own
        self.assertEqual(list(self.stranger.taggings.values_list("tag__group", flat=True)), [self.other.pk])
        self.assertEqual([s for s in audit_summaries() if s.startswith("Added tag")], [])  # a form's: not logged
        self.assertEqual(add_tag_many(people=[self.member, ana], group=self.local, names=["volunteer"]), 0)

    def test_a_staffers_taggings_are_audited_as_one_at_a_time(self) -> None:
        """Each tagging a staffer adds is logged in the tag's group, as `add_tag` logs it; one the
        person already had is not."""
        ana = make_person(self.local, given_name="Ana", email="ana@example.org")
        add_tag(person=ana, group=self.local, name="steward", actor=self.organizer)
        add_tag_many(people=[self.member, ana], group=self.local, names=["steward"], actor=self.organizer)
        self.assertEqual([s for s in audit_summaries(self.member) if s.startswith("Added tag")], ["Added tag steward"])
        self.assertEqual([s for s in audit_summaries(ana) if s.startswith("Added tag")], ["Added tag steward"])
        self.assertEqual(set(AuditEntry.objects.filter(actor=self.organizer, action="change")
                             .values_list("group", flat=True)), {self.local.pk})
