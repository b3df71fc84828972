"""The worker settles waiting RSVP forms in batches, under the same rules as one RSVP at a time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import time_machine
from django.core import mail
from django.test import TransactionTestCase, override_settings

from turnout.accounts.models import Group
from turnout.events import services
from turnout.events.models import Event, Rsvp, RsvpIntake, Shift
from turnout.people.models import ConsentEvent, EmailAddress, Membership, Person, PhoneNumber
from turnout.people.services import record_consent
from turnout.site.testing import (
    TurnoutTestCase,
    audit_summaries,
    make_group,
    make_person,
    run_due_tasks,
)
from turnout.site.tests.helpers import turnout

NOW = datetime(2026, 11, 2, 18, 0, tzinfo=UTC)
CONSENT = "Text me about this event. Msg & data rates may apply. Reply STOP to stop."


def make_event(group: Group, **fields: Any) -> Event:
    values = {"title": "Rally for a fair contract", "postal_code": "98101", "kind": "virtual",
              "join_url": "https://meet.example/rally", "starts_at": NOW + timedelta(days=3)}
    return services.save_event(actor=None, event=Event(group=group, **{**values, **fields}))


def form(given_name: str, email: str = "", phone: str = "", **fields: Any) -> dict[str, Any]:
    """An RSVP form as the public page stores it (`RsvpForm.intake_data`)."""
    return {"given_name": given_name, "family_name": fields.pop("family_name", ""), "email": email, "phone": phone,
            "postal_code": fields.pop("postal_code", ""), "language": fields.pop("language", "en"),
            "sms_consent_text": CONSENT if phone and fields.pop("texts", True) else "", "answers": {},
            "source": "form", "shift_id": None, "ref": "", **fields}


def the_forms(shift: Shift | None = None) -> list[dict[str, Any]]:
    """A crowd's forms: new people, a repeat, someone on file, an opted-out address, a bad number."""
    return [
        form("Ana", "ana@example.org", postal_code="98101"),
        form("Ben", "ben@example.org", "2065550101", postal_code="98101"),
        form("Cy", "cy@example.org", "2065550102", texts=False),
        form("Ana again", "ana@example.org", family_name="Ruiz"),  # a double click, with a blank filled
        form("Dee", "dee@example.org", postal_code="00000"),  # a ZIP nobody knows
        form("Eve", "stopped@example.org"),  # the address opted out on another group's record
        form("Fay", "fay@example.org", "not a number"),
        form("Maria", "maria@example.org", family_name="Changed"),  # on file: blanks filled, nothing overwritten
        form("Gil", phone="2065550103", shift_id=shift.pk if shift else None),
        form("Hal", "hal@example.org", "2065550104", language="es"),
    ]


@time_machine.travel(NOW, tick=False)
class BatchSettleTests(TurnoutTestCase):
    def setUp(self) -> None:
        self.elsewhere = make_group("Local 99")
        stopped = make_person(self.elsewhere, email="stopped@example.org")
        record_consent(person=stopped, channel="email", address="stopped@example.org", action="opt_out",
                       source="form")

    def store(self, event: Event, forms: list[dict[str, Any]]) -> list[str]:
        with self.captureOnCommitCallbacks(execute=True):
            return [services.rsvp_later(event, data) for data in forms]

    def outcome(self, group: Group, event: Event) -> dict[str, Any]:
        """What a person, their organizer and the log see of one group's settled forms."""
        people = {}
        for person in Person.objects.in_group(group).filter(rsvps__event=event).order_by("given_name"):
            emails = sorted(EmailAddress.objects.filter(person=person).values_list("address", "status"))
            phones = sorted(PhoneNumber.objects.filter(person=person).values_list("number", "kind", "sms_status"))
            ledger = sorted(ConsentEvent.objects.filter(person=person).values_list(
                "channel", "action", "source", "source_detail", "consent_text"))
            rsvps = list(Rsvp.objects.filter(person=person, event=event).values_list(
                "status", "shift__label", "source"))
            people[person.given_name] = {
                "fields": (person.family_name, person.postal_code, person.locality, person.language),
                "emails": emails, "phones": phones, "ledger": ledger, "rsvps": rsvps,
                "memberships": sorted(person.memberships.values_list("group__name", "status")),
                "audit": audit_summaries(person)}
        outcomes = sorted(RsvpIntake.objects.filter(event=event).values_list("outcome", "reason", "data"))
        return {"people": people, "outcomes": outcomes}

    def test_a_batch_settles_exactly_as_forms_settled_one_by_one(self) -> None:
        one_by_one = make_event(self.local)
        batched = make_event(self.other)
        for event in (one_by_one, batched):
            shift = Shift.objects.create(event=event, label="Marshals", starts_at=event.starts_at)
            if event.group == self.other:  # the same Maria as the local's own
                make_person(self.other, given_name="Maria", family_name="Lopez", email="maria@example.org",
                            phone="+12065550123", postal_code="98101")
            self.store(event, the_forms(shift))
        for intake in RsvpIntake.objects.filter(event=one_by_one).order_by("id"):
            services.settle(intake.pk)
        self.assertEqual(services.settle_batch(list(RsvpIntake.objects.filter(event=batched).values_list(
            "id", flat=True))), 10)

        alone, together = self.outcome(self.local, one_by_one), self.outcome(self.other, batched)
        for people in (alone["people"], together["people"]):  # each group's own name in its records
            for person in people.values():
                person["memberships"] = [status for _group, status in person["memberships"]]
        self.maxDiff = None
        for name in alone["people"]:
            self.assertEqual(together["people"].get(name), alone["people"][name], name)
        self.assertEqual(together, alone)
        # What the rules gave, whichever way: the outcome a person's link shows, and their records.
        seen = together["people"]
        self.assertEqual(sorted(seen), ["Ana", "Ben", "Cy", "Eve", "Gil", "Hal", "Maria"])
        self.assertEqual(seen["Ana"]["fields"][0], "Ruiz")  # the repeat filled a blank; one record, one RSVP
        self.assertEqual(seen["Ana"]["rsvps"], [("going", None, "form")])
        self.assertEqual(seen["Maria"]["fields"][0], "Lopez")  # a form never overwrites what is on file
        self.assertEqual(seen["Maria"]["memberships"], ["member"])
        self.assertEqual(seen["Eve"]["emails"], [("stopped@example.org", "unsubscribed")])  # the opt-out holds
        self.assertEqual(seen["Eve"]["ledger"], [])
        self.assertEqual(seen["Ben"]["phones"], [("+12065550101", "mobile", "subscribed")])
        self.assertIn(("sms", "opt_in", "form", "RSVP: Rally for a fair contract", CONSENT), seen["Ben"]["ledger"])
        self.assertEqual(seen["Cy"]["phones"], [("+12065550102", "mobile", "none")])  # no box ticked, no texts
        self.assertEqual(seen["Gil"]["rsvps"], [("going", "Marshals", "form")])
        self.assertEqual(seen["Ben"]["audit"], ["Signed up through the form (RSVP: Rally for a fair contract)"])
        self.assertEqual(seen["Ben"]["memberships"], ["supporter"])
        outcomes = [(outcome, reason) for outcome, reason, _data in together["outcomes"]]
        self.assertEqual(outcomes.count(("going", "")), 7)
        self.assertEqual(outcomes.count(("existing", "")), 1)
        self.assertIn(("refused", "We do not know this ZIP code."), outcomes)
        self.assertEqual(len([o for o in outcomes if o[0] == "refused"]), 2)
        self.assertTrue(all(data == {} for _o, _r, data in together["outcomes"]))  # nothing kept once settled

    def test_each_new_rsvp_is_confirmed_once_in_the_persons_language(self) -> None:
        event = make_event(self.local)
        self.store(event, [form(f"P{n}", f"p{n}@example.org") for n in range(30)]
                   + [form("Lia", "lia@example.org", language="es"), form("P0", "p0@example.org")])
        self.run_worker()
        self.assertEqual(Rsvp.objects.filter(event=event, status="going").count(), 31)
        self.assertEqual(sorted(m.to[0] for m in mail.outbox),
                         sorted([f"p{n}@example.org" for n in range(30)] + ["lia@example.org"]))
        self.assertIn("¡Va a Rally", next(m.subject for m in mail.outbox if m.to == ["lia@example.org"]))
        self.assertFalse(RsvpIntake.objects.filter(outcome="").exists())
        # Every RSVP link from the forms is the RSVP's own.
        self.assertEqual(set(Rsvp.objects.values_list("key", flat=True)),
                         set(RsvpIntake.objects.filter(outcome="going").values_list("key", flat=True)))

    def test_a_limit_or_members_only_set_before_the_worker_runs_still_decides_each_seat(self) -> None:
        event = make_event(self.local)
        members = make_event(self.local, title="Members meeting")
        self.store(event, [form(f"P{n}", f"p{n}@example.org") for n in range(5)])
        self.store(members, [form("Outsider", "out@example.org"), form("Maria", "maria@example.org")])
        event.capacity = 2
        services.save_event(actor=None, event=event)
        members.visibility = "members"
        services.save_event(actor=None, event=members)
        self.run_worker()
        self.assertEqual(sorted(Rsvp.objects.filter(event=event).values_list("status", flat=True)),
                         ["going", "going", "waitlist", "waitlist", "waitlist"])
        self.assertEqual(dict(Rsvp.objects.filter(event=members).values_list("person__given_name", "status")),
                         {"Outsider": "waitlist", "Maria": "going"})

    def test_a_bad_form_is_set_aside_and_the_rest_of_its_batch_settles(self) -> None:
        event = make_event(self.local)
        self.store(event, [form("Ana", "ana@example.org")])
        broken = RsvpIntake.objects.create(event=event, data={"unknown_field": "x"})
        self.store(event, [form("Ben", "ben@example.org")])
        with self.assertLogs("turnout.events.services", "ERROR"):
            self.assertEqual(services.settle_waiting(), 2)
        self.assertEqual(sorted(Rsvp.objects.values_list("person__given_name", flat=True)), ["Ana", "Ben"])
        broken.refresh_from_db()
        self.assertEqual(broken.outcome, "")  # kept, and tried again on the next run

    def test_a_form_the_database_refuses_is_set_aside_and_nobody_is_made_twice(self) -> None:
        event = make_event(self.local)
        keys = self.store(event, [form(f"P{n}", f"p{n}@example.org") for n in range(6)])
        # A link key already taken (say, restored from a backup beside newer RSVPs): that form's
        # RSVP cannot be written, which fails the batch's one statement for every RSVP.
        Rsvp.objects.create(event=make_event(self.local, title="Earlier rally"), person=self.member, key=keys[3])
        with self.assertLogs("turnout.events.services", "ERROR"):
            self.assertEqual(services.settle_waiting(), 5)
        self.assertEqual(sorted(Rsvp.objects.filter(event=event).values_list("person__given_name", flat=True)),
                         ["P0", "P1", "P2", "P4", "P5"])
        self.assertEqual([p.given_name for p in Person.objects.filter(given_name__in=[f"P{n}" for n in range(6)])],
                         ["P0", "P1", "P2", "P4", "P5"])
        self.assertEqual(list(RsvpIntake.objects.filter(outcome="").values_list("key", flat=True)), [keys[3]])


    def test_a_batch_tells_webhooks_of_each_new_person_and_seals_entries_with_keys_on_file(self) -> None:
        from turnout.api import webhooks
        from turnout.api.models import WebhookDelivery
        from turnout.core import audit
        from turnout.core.models import AuditEntry

        webhooks.register_webhook(actor=self.organizer, group=self.local, url="http://127.0.0.1:9/closed")
        event = make_event(self.local)
        self.store(event, [form("Ana", "ana@example.org"), form("Ben", "ben@example.org")])
        self.run_worker()
        people = {d.payload["subject"] for d in WebhookDelivery.objects.all()}
        self.assertEqual(people, {f"person:{p.public_id}" for p in Person.objects.filter(given_name__in=["Ana", "Ben"])})
        # An entry about someone whose key is on file is sealed with that key; an erasure closes both.
        audit.record_many([{"actor": self.organizer, "action": AuditEntry.Action.CHANGE, "target": self.member,
                            "summary": "Checked in", "group": self.local},
                           {"actor": None, "action": AuditEntry.Action.CHANGE, "target": event, "summary": "Plain"}])
        audit.record(actor=None, action=AuditEntry.Action.CHANGE, target=self.member, summary="Called")
        self.assertEqual(audit.keys_of(self.member).count(), 1)
        self.assertEqual(audit_summaries(self.member), ["Checked in", "Called"])
        self.assertEqual(AuditEntry.objects.get(summary="Plain").target_id, str(event.public_id))
        self.assertFalse(AuditEntry.objects.filter(summary="Checked in").exists())  # sealed, not plain
        from turnout.people.services import erase_person

        subject = audit.keys_of(self.member).get().subject
        erase_person(actor=None, person=self.member)
        opened = audit.opened(AuditEntry.objects.filter(subject=subject).exclude(sealed=""))
        self.assertEqual([e.shown_summary for e in opened], ["(about a person since erased)"] * 2)


class WorkerCrashTests(TransactionTestCase):
    """A worker that dies in the middle of a batch leaves the batch waiting, whole."""

    def test_a_worker_killed_mid_batch_loses_nothing_and_the_rerun_settles_each_form_once(self) -> None:
        local = make_group("Local 8")
        event = make_event(local, starts_at=datetime.now(UTC) + timedelta(days=3))
        for n in range(40):
            services.rsvp_later(event, form(f"P{n}", f"p{n}@example.org", f"20655501{n:02d}"))
        # The worker writes the first batch's people, RSVPs and audit entries, then dies before it commits.
        code = ("import os; from django.db import transaction; from turnout.events import services; "
                "from turnout.events.models import RsvpIntake, Rsvp; "
                "ids = list(RsvpIntake.objects.order_by('id').values_list('id', flat=True)[:25]); "
                "atomic = transaction.atomic(); atomic.__enter__(); print(services.settle_batch(ids), "
                "Rsvp.objects.count(), flush=True); os._exit(9)")
        died = turnout("shell", "-c", code)
        self.assertEqual(died.returncode, 9, died.stderr)
        self.assertEqual(died.stdout.split()[-2:], ["25", "25"])  # it had written them
        self.assertFalse(Rsvp.objects.exists())
        self.assertFalse(Person.objects.exists())
        self.assertEqual(RsvpIntake.objects.filter(outcome="").count(), 40)
        self.assertEqual(services.settle_waiting(batch=16), 40)
        self.assertEqual(Rsvp.objects.filter(event=event, status="going").count(), 40)
        self.assertEqual(Person.objects.count(), 40)
        self.assertEqual(Membership.objects.filter(group=local, status="supporter").count(), 40)
        self.assertEqual(services.settle_waiting(), 0)
        run_due_tasks()
        self.assertEqual(sorted(m.to[0] for m in mail.outbox), sorted(f"p{n}@example.org" for n in range(40)))
        self.assertEqual(audit_summaries(Person.objects.get(given_name="P7")),
                         ["Signed up through the form (RSVP: Rally for a fair contract)"])


@time_machine.travel(NOW, tick=False)
@override_settings(INTAKE_MAX_ATTEMPTS=2)
class RsvpThatKeepsFailingTests(TurnoutTestCase):
    def test_an_rsvp_form_that_keeps_failing_is_marked_failed_and_shown_to_the_events_organizers(self) -> None:
        """An RSVP form the worker cannot settle is tried on INTAKE_MAX_ATTEMPTS runs, then marked
        failed with the error and what was typed kept; the others in its batch settle; the event's
        organizers see it on their home page."""
        event = make_event(self.local, title="Heat rally")
        with self.captureOnCommitCallbacks(execute=True):
            services.rsvp_later(event, form("Ana", "ana@example.org"))
            broken_key = services.rsvp_later(event, {**form("Bo", "bo@example.org"), "favourite_chant": "x"})
            services.rsvp_later(event, form("Ben", "ben@example.org"))
        broken = RsvpIntake.objects.get(key=broken_key)
        with self.assertLogs("turnout.events.services", "ERROR"):
            self.assertEqual(services.settle_waiting(), 2)
        self.assertEqual(sorted(Rsvp.objects.values_list("person__given_name", flat=True)), ["Ana", "Ben"])
        broken.refresh_from_db()
        self.assertEqual((broken.outcome, broken.attempts), ("", 1))
        with self.assertLogs("turnout.people.intake", "ERROR"):
            self.assertEqual(services.settle_waiting(), 0)
        broken.refresh_from_db()
        self.assertEqual((broken.outcome, broken.attempts), ("failed", 2))
        self.assertIn("favourite_chant", broken.reason)
        self.assertEqual(broken.data["email"], "bo@example.org")
        with self.assertNoLogs("turnout.events.services", "ERROR"):
            self.assertEqual(services.settle_waiting(), 0)
        self.login(self.organizer)
        home = self.client.get("/")
        self.assertContains(home, "1 public form could not be saved")
        self.assertContains(home, "Bo · bo@example.org")
        self.assertContains(home, "Heat rally")
