"""Forms, petitions and pledges are answered at once and settled by the worker in batches, under
the same rules as one submission at a time (`submit`, `sign_petition`, `sign_pledge`)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import time_machine
from django.core import mail
from django.db import transaction
from django.test import override_settings

from turnout.accounts.models import Group
from turnout.actions import services
from turnout.actions.models import (
    ActionIntake,
    Form,
    FormQuestion,
    Petition,
    PetitionSignature,
    Submission,
)
from turnout.mobilization import services as mobilization
from turnout.mobilization.models import Pledge, PledgeIntake, Signature
from turnout.people.intake import prune_settled
from turnout.people.models import ConsentEvent, EmailAddress, Person, PhoneNumber
from turnout.people.services import record_consent
from turnout.sharing.models import Referral
from turnout.sharing.services import share_code
from turnout.site.testing import TurnoutTestCase, audit_summaries, make_group, make_person

NOW = datetime(2026, 11, 2, 18, 0, tzinfo=UTC)
CONSENT = "Text me about this and other actions. Msg & data rates may apply. Reply STOP to stop."


def sent(given_name: str, email: str = "", phone: str = "", **fields: Any) -> dict[str, Any]:
    """A public form as its page keeps it (`public.taking_form`)."""
    return {"given_name": given_name, "family_name": fields.pop("family_name", ""), "email": email, "phone": phone,
            "postal_code": fields.pop("postal_code", ""), "language": fields.pop("language", "en"),
            "sms_consent_text": CONSENT if phone and fields.pop("texts", True) else "",
            "answers": fields.pop("answers", {}), "source": "form", "ref": "", **fields}


def the_crowd() -> list[dict[str, Any]]:
    """New people, a repeat, someone on file, an opted-out address, a bad number, an unknown ZIP."""
    return [
        sent("Ana", "ana@example.org", postal_code="98101", answers={"Shift": "Night"}, comment="Cold."),
        sent("Ben", "ben@example.org", "2065550101", postal_code="98101", show_name=True),
        sent("Cy", "cy@example.org", "2065550102", texts=False),
        sent("Ana again", "ana@example.org", family_name="Ruiz", answers={"Shift": "Day"}),  # a double click
        sent("Dee", "dee@example.org", postal_code="00000"),  # a ZIP nobody knows
        sent("Eve", "stopped@example.org"),  # the address opted out on another group's record
        sent("Fay", "fay@example.org", "not a number"),
        sent("Maria", "maria@example.org", family_name="Changed"),  # on file: nothing overwritten
        sent("Gil", phone="2065550103"),
        sent("Hal", "hal@example.org", "2065550104", language="es"),
    ]


@time_machine.travel(NOW, tick=False)
class SettleTogetherTests(TurnoutTestCase):
    def setUp(self) -> None:
        self.elsewhere = make_group("Local 99")
        stopped = make_person(self.elsewhere, email="stopped@example.org")
        record_consent(person=stopped, channel="email", address="stopped@example.org", action="opt_out",
                       source="form")
        # The other group has its own Maria, so both runs meet someone on file.
        make_person(self.other, given_name="Maria", family_name="Lopez", email="maria@example.org",
                    phone="+12065550123", postal_code="98101")

    def seen(self, group: Group, acts: Any) -> dict[str, Any]:
        """What a person, their organizer and the log see of one group's settled forms; `acts`
        gives a person's records of the act (their submissions or signatures)."""
        people = {}
        for person in Person.objects.in_group(group).exclude(given_name__in=["Zelda"]).order_by("given_name"):
            if not acts(person):
                continue
            people[person.given_name] = {
                "fields": (person.family_name, person.postal_code, person.locality, person.language),
                "emails": sorted(EmailAddress.objects.filter(person=person).values_list("address", "status")),
                "phones": sorted(PhoneNumber.objects.filter(person=person).values_list("number", "kind", "sms_status")),
                "ledger": sorted(ConsentEvent.objects.filter(person=person).values_list(
                    "channel", "action", "source", "source_detail", "consent_text")),
                "tags": sorted(person.taggings.values_list("tag__name", flat=True)),
                "memberships": sorted(person.memberships.values_list("status", flat=True)),
                "acts": acts(person), "audit": audit_summaries(person)}
        return people

    def outcomes(self, model: Any, **lookup: Any) -> list[tuple[str, str, Any]]:
        return sorted(model.objects.filter(**lookup).values_list("outcome", "reason", "data"))

    def assert_the_rules_held(self, seen: dict[str, Any], outcomes: list[tuple[str, str, Any]]) -> None:
        self.assertEqual(sorted(seen), ["Ana", "Ben", "Cy", "Eve", "Gil", "Hal", "Maria"])
        self.assertEqual(len(seen["Ana"]["acts"]), 1)  # the repeat: one record, one act
        self.assertEqual(seen["Ana"]["fields"][0], "Ruiz")  # a blank filled
        self.assertEqual(seen["Maria"]["fields"][0], "Lopez")  # a form never overwrites what is on file
        self.assertEqual(seen["Eve"]["emails"], [("stopped@example.org", "unsubscribed")])  # the opt-out holds
        self.assertEqual(seen["Eve"]["ledger"], [])
        self.assertEqual(seen["Ben"]["phones"], [("+12065550101", "mobile", "subscribed")])
        self.assertEqual(seen["Cy"]["phones"], [("+12065550102", "mobile", "none")])  # no box ticked, no texts
        self.assertEqual(seen["Ben"]["memberships"], ["supporter"])
        self.assertEqual(len(seen["Ben"]["audit"]), 1)
        self.assertIn("Signed up through the form", seen["Ben"]["audit"][0])
        found = [(outcome, reason) for outcome, reason, _data in outcomes]
        self.assertEqual(found.count(("taken", "")), 7)
        self.assertEqual(found.count(("existing", "")), 1)
        self.assertIn(("refused", "We do not know this ZIP code."), found)
        self.assertEqual(len([o for o in found if o[0] == "refused"]), 2)
        self.assertTrue(all(data == {} for _o, _r, data in outcomes))  # nothing kept once settled

    def test_a_batch_of_form_submissions_settles_exactly_as_one_by_one(self) -> None:
        alone = Form.objects.create(group=self.local, title="Join", tags="contract-2026")
        together = Form.objects.create(group=self.other, title="Join", tags="contract-2026")
        for form in (alone, together):
            with self.captureOnCommitCallbacks(execute=True):
                for data in the_crowd():
                    services.submit_later(form, data)
        for waiting in ActionIntake.objects.filter(form=alone).order_by("id"):
            self.assertTrue(services.settle(waiting.pk))
            self.assertFalse(services.settle(waiting.pk))  # settled once only
        self.assertEqual(services.settle_batch(list(ActionIntake.objects.filter(form=together).values_list(
            "id", flat=True))), 10)

        def acts(person: Person) -> list[Any]:
            return list(Submission.objects.filter(person=person).values_list("answers", "source"))

        self.maxDiff = None
        one_by_one, batched = self.seen(self.local, acts), self.seen(self.other, acts)
        self.assertEqual(batched, one_by_one)
        self.assertEqual(self.outcomes(ActionIntake, form=together), self.outcomes(ActionIntake, form=alone))
        self.assert_the_rules_held(batched, self.outcomes(ActionIntake, form=together))
        self.assertEqual(batched["Ana"]["acts"], [({"Shift": "Day"}, "form")])  # within minutes: answers updated
        self.assertEqual(batched["Ben"]["tags"], ["contract-2026"])
        self.assertIn(("sms", "opt_in", "form", "Form: Join", CONSENT), batched["Ben"]["ledger"])

    def test_a_batch_of_petition_signatures_settles_exactly_as_one_by_one(self) -> None:
        alone = Petition.objects.create(group=self.local, title="Heat", petition_text="Heat now.")
        together = Petition.objects.create(group=self.other, title="Heat", petition_text="Heat now.")
        for petition in (alone, together):
            for data in the_crowd():
                services.sign_petition_later(petition, data)
        for waiting in ActionIntake.objects.filter(petition=alone).order_by("id"):
            services.settle(waiting.pk)
        services.settle_batch(list(ActionIntake.objects.filter(petition=together).values_list("id", flat=True)))

        def acts(person: Person) -> list[Any]:
            return list(PetitionSignature.objects.filter(person=person).values_list(
                "comment", "show_name", "city", "source"))

        self.maxDiff = None
        one_by_one, batched = self.seen(self.local, acts), self.seen(self.other, acts)
        self.assertEqual(batched, one_by_one)
        self.assertEqual(self.outcomes(ActionIntake, petition=together),
                         self.outcomes(ActionIntake, petition=alone))
        self.assert_the_rules_held(batched, self.outcomes(ActionIntake, petition=together))
        self.assertEqual(batched["Ana"]["acts"], [("Cold.", False, "Seattle", "form")])  # signing again keeps the first
        self.assertEqual(batched["Ben"]["acts"], [("", True, "Seattle", "form")])

    def test_a_batch_of_pledge_signatures_settles_exactly_as_one_by_one(self) -> None:
        alone = Pledge.objects.create(group=self.local, title="Protect the results", text="We pledge.")
        together = Pledge.objects.create(group=self.other, title="Protect the results", text="We pledge.")
        for pledge in (alone, together):
            for data in the_crowd():
                mobilization.sign_pledge_later(pledge=pledge, data=data)
        for waiting in PledgeIntake.objects.filter(pledge=alone).order_by("id"):
            mobilization.settle_pledge(waiting.pk)
        mobilization.settle_pledge_batch(list(PledgeIntake.objects.filter(pledge=together).values_list(
            "id", flat=True)))

        def acts(person: Person) -> list[Any]:
            return list(Signature.objects.filter(person=person).values_list("pledge__title", flat=True))

        self.maxDiff = None
        one_by_one, batched = self.seen(self.local, acts), self.seen(self.other, acts)
        self.assertEqual(batched, one_by_one)
        self.assertEqual(self.outcomes(PledgeIntake, pledge=together), self.outcomes(PledgeIntake, pledge=alone))
        self.assert_the_rules_held(batched, self.outcomes(PledgeIntake, pledge=together))
        self.assertIn(("sms", "opt_in", "form", "Pledge: Protect the results", CONSENT), batched["Ben"]["ledger"])

    def test_a_bad_form_is_set_aside_and_the_rest_of_its_batch_settles(self) -> None:
        form = Form.objects.create(group=self.local, title="Join")
        services.submit_later(form, sent("Ana", "ana@example.org"))
        broken = ActionIntake.objects.create(kind="form", form=form, data={"unknown_field": "x"})
        services.submit_later(form, sent("Ben", "ben@example.org"))
        pledge = Pledge.objects.create(group=self.local, title="Protect the results", text="We pledge.")
        mobilization.sign_pledge_later(pledge=pledge, data=sent("Cy", "cy@example.org"))
        with self.assertLogs("turnout.people.intake", "ERROR"):
            self.assertEqual(services.settle_waiting(), 2)
        self.assertEqual(sorted(Submission.objects.values_list("person__given_name", flat=True)), ["Ana", "Ben"])
        broken.refresh_from_db()
        self.assertEqual(broken.outcome, "")  # kept, and tried again on the next run
        self.assertEqual(mobilization.settle_pledges(), 1)
        self.assertEqual(list(Signature.objects.values_list("person__given_name", flat=True)), ["Cy"])

    def test_a_worker_that_dies_mid_batch_loses_nothing(self) -> None:
        petition = Petition.objects.create(group=self.local, title="Heat", petition_text="Heat now.")
        for n in range(20):
            services.sign_petition_later(petition, sent(f"Crowd{n}", f"p{n}@example.org"))
        ids = list(ActionIntake.objects.values_list("id", flat=True))
        with self.assertRaises(RuntimeError), transaction.atomic():
            services.settle_batch(ids)
            raise RuntimeError("the worker was killed before its batch committed")
        self.assertFalse(PetitionSignature.objects.exists())
        self.assertEqual(list(Person.objects.filter(given_name__startswith="Crowd").values_list("given_name", flat=True)), [])
        self.assertEqual(ActionIntake.objects.filter(outcome="").count(), 20)
        self.assertEqual(services.settle_waiting(batch=7), 20)  # the next run, in batches of 7
        self.assertEqual(PetitionSignature.objects.filter(petition=petition).count(), 20)
        self.assertEqual(Person.objects.filter(given_name__startswith="Crowd").count(), 20)

    def test_a_batch_tells_webhooks_of_each_new_person_and_sends_each_autoresponse_once(self) -> None:
        from turnout.api import webhooks
        from turnout.api.models import WebhookDelivery

        webhooks.register_webhook(actor=self.organizer, group=self.local, url="http://127.0.0.1:9/closed")
        form = Form.objects.create(group=self.local, title="Join", autoresponse_body="Welcome aboard.")
        with self.captureOnCommitCallbacks(execute=True):
            for data in [sent("Ana", "ana@example.org"), sent("Ben", "ben@example.org"),
                         sent("Ana", "ana@example.org")]:
                services.submit_later(form, data)
        self.run_worker()
        self.assertFalse(ActionIntake.objects.filter(outcome="").exists())
        people = {d.payload["subject"] for d in WebhookDelivery.objects.all()}
        self.assertEqual(people, {f"person:{p.public_id}" for p in Person.objects.filter(given_name__in=["Ana", "Ben"])})
        self.assertEqual(sorted(m.to[0] for m in mail.outbox), ["ana@example.org", "ben@example.org"])


@time_machine.travel(NOW, tick=False)
class PublicDoorTests(TurnoutTestCase):
    """Each public page stores what was typed and answers; the worker makes the records."""

    def test_a_form_page_stores_the_submission_and_its_share_link_becomes_the_persons(self) -> None:
        form = Form.objects.create(group=self.local, title="Join")
        shift = FormQuestion.objects.create(form=form, label="Shift", kind="choice", choices="Day\nNight")
        rosa = self.member
        code = share_code(rosa)
        response = self.client.post(f"{form.public_url()}?ref={code}", {
            "given_name": "Ana", "email": "ana@example.org", f"fq{shift.pk}": "Night", "ref": code})
        self.assertContains(response, "Thank you!")
        waiting = ActionIntake.objects.get()
        self.assertEqual((waiting.kind, waiting.form_id, waiting.outcome), ("form", form.pk, ""))
        self.assertFalse(Person.objects.filter(given_name="Ana").exists())
        own = waiting.data["share_code"]
        self.assertContains(response, f"?ref={own}")
        self.settle_forms()
        ana = Person.objects.get(given_name="Ana")
        self.assertEqual(list(Submission.objects.values_list("person", "answers")), [(ana.pk, {"Shift": "Night"})])
        self.assertEqual(share_code(ana), own)  # the link she was shown credits her
        self.assertEqual(Referral.objects.get().referrer, rosa)

    def test_a_petition_page_and_an_embedded_one_store_the_signature(self) -> None:
        petition = Petition.objects.create(group=self.local, title="Heat", petition_text="Heat now.")
        self.client.post(petition.public_url(), {"given_name": "Ana", "email": "ana@example.org",
                                                 "comment": "Cold.", "show_name": "on"})
        self.client.post(f"{petition.public_url()}embed/", {"given_name": "Ben", "email": "ben@example.org"})
        self.assertEqual(ActionIntake.objects.filter(kind="petition", petition=petition).count(), 2)
        self.assertFalse(PetitionSignature.objects.exists())
        self.settle_forms()
        self.assertEqual(sorted(PetitionSignature.objects.values_list("person__given_name", "comment", "show_name",
                                                                      "source")),
                         [("Ana", "Cold.", True, "form"), ("Ben", "", False, "embed")])

    def test_a_pledge_page_stores_the_signature(self) -> None:
        pledge = Pledge.objects.create(group=self.local, title="Protect the results", text="We pledge.")
        response = self.client.post(pledge.public_url(), {"given_name": "Ana", "phone": "(206) 555-0177",
                                                          "sms_consent": "on"})
        self.assertContains(response, "Thank you for signing")
        self.assertEqual(PledgeIntake.objects.filter(pledge=pledge, outcome="").count(), 1)
        self.assertFalse(Signature.objects.exists())
        self.settle_forms()
        self.assertEqual(list(Signature.objects.values_list("person__given_name", flat=True)), ["Ana"])
        self.assertTrue(ConsentEvent.objects.filter(address="+12065550177", action="opt_in").exists())

    def test_a_page_closed_before_the_form_is_sent_refuses_it_and_keeps_nothing(self) -> None:
        petition = Petition.objects.create(group=self.local, title="Heat", petition_text="Heat now.", is_open=False)
        pledge = Pledge.objects.create(group=self.local, title="Protect", text="We pledge.", is_open=False)
        self.client.post(petition.public_url(), {"given_name": "Ana", "email": "ana@example.org"})
        response = self.client.post(pledge.public_url(), {"given_name": "Ana", "email": "ana@example.org"})
        self.assertContains(response, "This is closed.")
        self.assertFalse(ActionIntake.objects.exists())
        self.assertFalse(PledgeIntake.objects.exists())

    def test_a_petition_closed_after_the_person_was_thanked_still_takes_their_signature(self) -> None:
        petition = Petition.objects.create(group=self.local, title="Heat", petition_text="Heat now.")
        self.client.post(petition.public_url(), {"given_name": "Ana", "email": "ana@example.org"})
        self.client.post(petition.public_url(), {"given_name": "Maria", "email": "maria@example.org"})
        petition.is_open = False
        petition.save()
        self.settle_forms()
        self.assertEqual(sorted(PetitionSignature.objects.values_list("person__given_name", flat=True)),
                         ["Ana", "Maria"])

    def test_settled_forms_are_removed_on_the_retention_schedule_and_waiting_ones_kept(self) -> None:
        from turnout.site import retention

        form = Form.objects.create(group=self.local, title="Join")
        pledge = Pledge.objects.create(group=self.local, title="Protect", text="We pledge.")
        self.client.post(form.public_url(), {"given_name": "Ana", "email": "ana@example.org"})
        self.client.post(pledge.public_url(), {"given_name": "Ana", "email": "ana@example.org"})
        self.settle_forms()
        self.client.post(form.public_url(), {"given_name": "Ben", "email": "ben@example.org"})  # still waiting
        self.travel_to(NOW + timedelta(days=8))
        self.assertEqual(retention.run()["settled_public_forms"], 2)
        self.assertEqual(list(ActionIntake.objects.values_list("outcome", flat=True)), [""])
        self.assertFalse(PledgeIntake.objects.exists())
        self.assertEqual(Submission.objects.count(), 1)  # the act is its own record


@time_machine.travel(NOW, tick=False)
@override_settings(INTAKE_MAX_ATTEMPTS=3)
class FormThatKeepsFailingTests(TurnoutTestCase):
    def test_a_form_that_keeps_failing_is_marked_failed_after_the_set_tries_and_shown_to_staff(self) -> None:
        """A submission the worker cannot settle is tried on INTAKE_MAX_ATTEMPTS runs, then marked
        failed with the error, keeping what was typed; the rest of its batch settles on the first run,
        it is not tried again, and its group's organizers (only they) see it on their home page."""
        form = Form.objects.create(group=self.local, title="Join the heat campaign")
        services.submit_later(form, sent("Ana", "ana@example.org"))
        # Kept by a version of the page that named the first-name field otherwise: unreadable here.
        broken = ActionIntake.objects.create(kind="form", form=form,
                                             data={"first_name": "Bo", "email": "bo@example.org"})
        services.submit_later(form, sent("Ben", "ben@example.org"))
        for run in (1, 2):
            with self.assertLogs("turnout.people.intake", "ERROR"):
                self.assertEqual(services.settle_waiting(), 2 if run == 1 else 0)
            broken.refresh_from_db()
            self.assertEqual((broken.outcome, broken.attempts), ("", run))
        self.assertEqual(sorted(Submission.objects.values_list("person__given_name", flat=True)), ["Ana", "Ben"])
        with self.assertLogs("turnout.people.intake", "ERROR") as logged:
            self.assertEqual(services.settle_waiting(), 0)
        self.assertIn("marked failed", logged.output[-1])
        broken.refresh_from_db()
        self.assertEqual((broken.outcome, broken.attempts), ("failed", 3))
        self.assertIn("TypeError", broken.reason)
        self.assertEqual(broken.data, {"first_name": "Bo", "email": "bo@example.org"})
        with self.assertNoLogs("turnout.people.intake", "ERROR"):
            self.assertEqual(services.settle_waiting(), 0)  # a final outcome: not tried again
        broken.refresh_from_db()
        self.assertEqual(broken.attempts, 3)
        self.assertEqual(prune_settled(ActionIntake, before=NOW + timedelta(days=30)), 2)  # kept for staff
        self.assertTrue(ActionIntake.objects.filter(pk=broken.pk).exists())
        self.login(self.organizer)
        home = self.client.get("/")
        self.assertContains(home, "1 public form could not be saved")
        self.assertContains(home, "bo@example.org")
        self.assertContains(home, "Join the heat campaign")
        self.client.logout()
        self.login(self.outsider)
        self.assertNotContains(self.client.get("/"), "could not be saved")
