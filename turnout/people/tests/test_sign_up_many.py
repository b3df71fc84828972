"""Many public sign-ups at once (`people.signup.sign_up_many`): each new person's record and their
audit entry, sealed with a key of their own made in the same few statements."""

from __future__ import annotations

from turnout.core import audit
from turnout.core.models import AuditEntry
from turnout.people.models import Person
from turnout.people.signup import PublicSignup, sign_up_many
from turnout.site.testing import TurnoutTestCase


def signup(name: str, email: str) -> tuple[PublicSignup, str, str]:
    return PublicSignup(given_name=name, family_name="Lee", email=email, phone="", postal_code="98101",
                        language="en", source="form"), email, ""


class SignUpManyTests(TurnoutTestCase):
    def test_each_new_person_gets_one_key_their_entries_open_with_and_later_ones_share(self) -> None:
        people = sign_up_many(self.local, [signup("Ana", "ana@example.org"), signup("Ben", "ben@example.org")],
                              "Join form")
        self.assertEqual(len(people), 2)
        for person in people.values():
            stored = Person.objects.get(pk=person.pk)
            self.assertEqual(stored.public_id, person.public_id)  # the id the batch hands back is the stored one
            self.assertEqual(audit.keys_of(stored).count(), 1)
            audit.record(actor=None, action=AuditEntry.Action.CHANGE, target=stored, summary="Changed the name")
            self.assertEqual(audit.keys_of(stored).count(), 1)  # a later entry is sealed with the same key
            entries = audit.opened(AuditEntry.objects.filter(subject=audit.keys_of(stored).get().subject)
                                   .order_by("id"))
            self.assertEqual([entry.shown_summary for entry in entries],  # type: ignore[attr-defined]
                             ["Signed up through the form (Join form)", "Changed the name"])

    def test_the_people_handed_back_are_as_stored(self) -> None:
        """The acts after a batch (an RSVP, a submission, their audit entries) take its people as
        handed back, without reading them again: each is the stored record, field for field."""
        people = sign_up_many(self.local, [signup("Ana", "ana@example.org"), signup("Ben", "ben@example.org")],
                              "Join form")
        for person in people.values():
            stored = Person.objects.get(pk=person.pk)
            for field in Person._meta.concrete_fields:
                self.assertEqual(getattr(person, field.attname), getattr(stored, field.attname), field.name)
            self.assertEqual((person._state.adding, person._state.db), (False, "default"))
        self.assertEqual(sorted(p.display_name for p in people.values()), ["Ana Lee", "Ben Lee"])
        self.assertEqual({p.time_zone for p in people.values()}, {"America/Los_Angeles"})  # from ZIP 98101

    def test_entries_right_after_a_batch_use_the_keys_it_made_without_looking_them_up(self) -> None:
        """A batch's next entries about its new people (the act's own) are sealed with the keys the
        batch has just made, with no query for them; someone else's key is looked up as before. Every
        entry opens, and each person keeps one key."""
        audit.record(actor=None, action=AuditEntry.Action.CHANGE, target=self.member, summary="Called")
        people = sign_up_many(self.local, [signup("Ana", "ana@example.org"), signup("Ben", "ben@example.org")],
                              "Join form")
        ana, ben = (people[index] for index in sorted(people))
        self.assertEqual(key_looks([(ana, "RSVPed"), (ben, "RSVPed")]), 0)
        self.assertEqual(key_looks([(ana, "Submitted"), (self.member, "Checked in")]), 1)  # Maria's key is looked up
        for person, summaries in ((ana, ["Signed up through the form (Join form)", "RSVPed", "Submitted"]),
                                  (ben, ["Signed up through the form (Join form)", "RSVPed"]),
                                  (self.member, ["Called", "Checked in"])):
            self.assertEqual(audit.keys_of(person).count(), 1)
            entries = audit.opened(AuditEntry.objects.filter(subject=audit.keys_of(person).get().subject)
                                   .exclude(sealed="").order_by("id"))
            self.assertEqual([e.shown_summary for e in entries], summaries)  # type: ignore[attr-defined]

    def test_the_keys_are_forgotten_once_the_batch_commits(self) -> None:
        """Once a batch's transaction commits, its keys are no longer kept in memory: a later entry
        about its people looks their key up, as `key_for` does (a merge may since have given them an
        older one), and still opens with it."""
        with self.captureOnCommitCallbacks(execute=True):
            people = sign_up_many(self.local, [signup("Ana", "ana@example.org")], "Join form")
        ana = people[0]
        self.assertEqual(key_looks([(ana, "Called")]), 1)
        self.assertEqual(audit.keys_of(ana).count(), 1)
        entries = audit.opened(AuditEntry.objects.filter(subject=audit.keys_of(ana).get().subject).order_by("id"))
        self.assertEqual([e.shown_summary for e in entries],  # type: ignore[attr-defined]
                         ["Signed up through the form (Join form)", "Called"])


def key_looks(entries: list[tuple[Person, str]]) -> int:
    """How many queries for keys `audit.record_many` makes to write these entries."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from turnout.core.models import SubjectKey

    with CaptureQueriesContext(connection) as queries:
        audit.record_many({"actor": None, "action": AuditEntry.Action.CHANGE, "target": person,
                           "summary": summary} for person, summary in entries)
    table = SubjectKey._meta.db_table
    return sum(1 for q in queries.captured_queries if table in q["sql"] and q["sql"].startswith("SELECT"))
