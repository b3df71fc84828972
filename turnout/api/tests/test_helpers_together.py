"""The record helpers under a crowd: requests that reach a web process together are settled in one
batch, and each still gets its own resource, its own error, its repeat answered 200, and one
webhook and one autoresponse per new person. Real threads, each with its own database connection
(run on SQLite and on PostgreSQL)."""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from django.core import mail
from django.db import connection, transaction
from django.test import Client, TransactionTestCase, override_settings
from django.utils import timezone

from turnout.accounts.models import ApiToken, Role
from turnout.accounts.services import create_api_token
from turnout.actions.models import Form, Petition, PetitionSignature, Submission
from turnout.api.models import WebhookDelivery
from turnout.api.webhooks import register_webhook
from turnout.core.models import AuditEntry
from turnout.events.models import Event, Rsvp
from turnout.people.models import ConsentEvent, EmailAddress, Membership, Person
from turnout.people.services import hold_contacts
from turnout.site.testing import make_group, make_person, make_staff, run_due_tasks

Answer = tuple[int, dict[str, Any]]


def body(name: str, email: str, postal_code: str = "98101") -> dict[str, Any]:
    return {"person": {"given_name": name, "email_addresses": [{"address": email}],
                       "postal_addresses": [{"postal_code": postal_code}]}}


@contextmanager
def writes_held(email: str) -> Iterator[None]:
    """Hold what a sign-up of `email` must wait for (its contact's lock; on SQLite the one write
    lock), so that a batch that has begun waits, and the requests behind it gather."""
    with transaction.atomic():
        hold_contacts([email])
        if connection.vendor == "sqlite":
            Person.objects.filter(pk=0).update(given_name="")  # takes SQLite's write lock
        yield
    connection.close()


@override_settings(SMS_BACKEND="memory")
class HelpersTogetherTests(TransactionTestCase):
    def setUp(self) -> None:
        self.local = make_group("Local 8")
        organizer = make_staff("organizer@example.org", self.local, Role.ORGANIZER)
        _token, self.key = create_api_token(actor=None, user=organizer, group=self.local, name="sync")
        self.member = make_person(self.local, given_name="Maria", email="maria@example.org", postal_code="98101")
        self.event = Event.objects.create(group=self.local, title="Rally", time_zone="America/Los_Angeles",
                                          starts_at=timezone.now() + timedelta(days=3), postal_code="98101")
        register_webhook(actor=organizer, group=self.local, url="http://127.0.0.1:9/hook")

    def post(self, path: str, data: dict[str, Any]) -> Answer:
        response = Client().post(f"/api/v2/{path}", json.dumps(data), content_type="application/json",
                                 headers={"OSDI-API-Token": self.key})
        connection.close()
        return response.status_code, response.json()

    def crowd(self, path: str, bodies: list[dict[str, Any]]) -> list[Answer]:
        """Send the first body, hold its batch, send the rest while it waits, then let it go: the
        rest reach the process together and make one batch."""
        results: list[Any] = [None] * len(bodies)
        # The token was used a moment ago, so no request writes its last use (`note_token_use`),
        # which on SQLite would wait for the held write lock before the request reaches its batch.
        ApiToken.objects.update(last_used_at=timezone.now())

        def send(n: int) -> None:
            results[n] = self.post(path, bodies[n])

        first = threading.Thread(target=send, args=(0,))
        rest = [threading.Thread(target=send, args=(n,)) for n in range(1, len(bodies))]
        with writes_held(bodies[0]["person"]["email_addresses"][0]["address"]):
            first.start()
            time.sleep(0.5)
            for thread in rest:
                thread.start()
            time.sleep(1.0)
        for thread in [first, *rest]:
            thread.join()
        return results

    def new_people(self, prefix: str) -> Any:
        return Person.objects.filter(emails__address__startswith=prefix)

    def test_attendances_sent_together_each_get_their_own_and_a_bad_one_fails_alone(self) -> None:
        """Eight attendances at once: each new person gets their own attendance (201, its id
        stored for them); one with an unknown ZIP gets its own 400; the same new person twice gets
        one attendance, answered 201 then 200 with the same id; a member on file gets theirs."""
        bodies = [body(f"Worker{n}", f"worker{n}@example.org") for n in range(6)]
        bodies += [body("Nobody", "nowhere@example.org", postal_code="00000"), body("Worker2", "worker2@example.org"),
                   body("Maria", "maria@example.org")]
        answers = self.crowd(f"events/{self.event.public_id}/attendances", bodies)

        statuses = [status for status, _data in answers]
        # Worker2's two requests race: whichever is settled first is answered 201, the other 200.
        self.assertEqual(statuses[:2] + statuses[3:6], [201] * 5, answers)
        self.assertEqual(sorted([statuses[2], statuses[7]]), [200, 201], answers)
        self.assertEqual(answers[6], (400, {"error": "Unknown ZIP code “00000”."}))
        self.assertEqual(answers[7][1]["identifiers"], answers[2][1]["identifiers"])
        self.assertEqual(statuses[8], 201)
        self.assertEqual(answers[8][1]["action_network:person_id"], str(self.member.public_id))
        for n, (status, data) in enumerate(answers[:6]):
            rsvp = Rsvp.objects.select_related("person").get(public_id=data["identifiers"][0].split(":", 1)[1])
            self.assertEqual((rsvp.event_id, rsvp.status, rsvp.source), (self.event.pk, "going", "api"))
            self.assertEqual(str(rsvp.person.public_id), data["action_network:person_id"])
            self.assertEqual(rsvp.person.emails.get().address, f"worker{n}@example.org")
            if status == 201:
                self.assertEqual(data["created_date"], data["modified_date"])
        self.assertEqual(self.new_people("worker").count(), 6)
        self.assertEqual(Rsvp.objects.filter(event=self.event).count(), 7)
        self.assertFalse(Person.objects.filter(emails__address="nowhere@example.org").exists())
        # Requests that waited together were signed up in one batch (one moment for all of them):
        # how the six fall into batches depends on the threads' timing, but not one at a time.
        made = Counter(self.new_people("worker").values_list("created_at", flat=True))
        self.assertEqual(sum(made.values()), 6)
        self.assertGreater(max(made.values()), 1)

    def test_new_people_from_a_batch_are_recorded_as_the_api_signs_them_up_and_heard_of_once(self) -> None:
        """A batch's people are the token's group's supporters, their email subscribed by the API
        in the staffer's name, with one audit entry each; each webhook hears of each person once."""
        bodies = [body(f"Worker{n}", f"worker{n}@example.org") for n in range(5)]
        answers = self.crowd(f"events/{self.event.public_id}/attendances", bodies)
        self.assertEqual([status for status, _d in answers], [201] * 5)
        people = list(self.new_people("worker"))
        for person in people:
            self.assertEqual(list(person.memberships.values_list("group", "status")),
                             [(self.local.pk, Membership.Status.SUPPORTER)])
            consent = ConsentEvent.objects.get(person=person)
            self.assertEqual((consent.channel, consent.action, consent.source, consent.recorded_by.email),
                             ("email", "opt_in", "api", "organizer@example.org"))
            self.assertEqual(EmailAddress.objects.get(person=person).status, "subscribed")
        self.assertEqual(AuditEntry.objects.filter(action=AuditEntry.Action.CREATE, target_type="person",
                                                   actor__email="organizer@example.org").count(), 5)
        run_due_tasks()
        heard = Counter(WebhookDelivery.objects.filter(event="person.created")
                        .values_list("payload__subject", flat=True))
        self.assertEqual(heard, {f"person:{person.public_id}": 1 for person in people})

    def test_submissions_and_signatures_sent_together_each_get_their_own_and_one_autoresponse(self) -> None:
        """Submissions at once: each person's own submission with their answers, and the form's
        autoresponse once each; signatures at once: one each, with each comment; a closed
        petition refuses every signature with a 409 and signs nobody up."""
        form = Form.objects.create(group=self.local, title="Join", autoresponse_body="Thanks for joining.")
        bodies = [{**body(f"Worker{n}", f"worker{n}@example.org"), "turnout:answers": {"Shift": f"S{n}"}}
                  for n in range(5)]
        answers = self.crowd(f"forms/{form.public_id}/submissions", bodies)
        self.assertEqual([status for status, _d in answers], [201] * 5, answers)
        for n, (_status, data) in enumerate(answers):
            submission = Submission.objects.get(public_id=data["identifiers"][0].split(":", 1)[1])
            self.assertEqual(submission.answers, {"Shift": f"S{n}"})
            self.assertEqual(submission.person.emails.get().address, f"worker{n}@example.org")
        run_due_tasks()
        self.assertEqual(sorted(m.to[0] for m in mail.outbox if "Thanks for joining." in m.body), [f"worker{n}@example.org" for n in range(5)])

        petition = Petition.objects.create(group=self.local, title="Heat", petition_text="Heat now.")
        bodies = [{**body(f"Signer{n}", f"signer{n}@example.org"), "comments": f"Cold {n}"} for n in range(4)]
        answers = self.crowd(f"petitions/{petition.public_id}/signatures", bodies)
        self.assertEqual([status for status, _d in answers], [201] * 4, answers)
        self.assertEqual(sorted(PetitionSignature.objects.values_list("comment", flat=True)),
                         [f"Cold {n}" for n in range(4)])

        closed = Petition.objects.create(group=self.local, title="Old", petition_text="Old.", is_open=False)
        bodies = [body(f"Late{n}", f"late{n}@example.org") for n in range(3)]
        answers = self.crowd(f"petitions/{closed.public_id}/signatures", bodies)
        self.assertEqual([status for status, _d in answers], [409] * 3, answers)
        self.assertFalse(self.new_people("late").exists())
