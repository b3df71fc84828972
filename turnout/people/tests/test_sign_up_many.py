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
