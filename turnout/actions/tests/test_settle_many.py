"""The worker takes a batch's forms, petition and pledge signatures for new people together: each
person's own act, tags, referral credit and share link as one at a time, in a number of statements
that does not grow with the batch, and a batch's autoresponses in one task that answers each
person once however often it runs."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import time_machine
from django.core import mail
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django_tasks_db.models import DBTaskResult

from turnout.actions import services, tasks
from turnout.actions.models import (
    PETITION_COUNTS,
    ActionIntake,
    Form,
    Petition,
    PetitionSignature,
    Submission,
)
from turnout.actions.tests.test_settle_forms import sent
from turnout.core.models import AuditEntry
from turnout.messaging.models import Delivery, Message
from turnout.mobilization import services as mobilization
from turnout.mobilization.models import PLEDGE_COUNTS, Pledge, PledgeIntake, Signature
from turnout.people.models import Person
from turnout.sharing.models import Referral, ShareCode
from turnout.sharing.services import share_code
from turnout.site.testing import TurnoutTestCase, audit_summaries, make_person

NOW = datetime(2026, 11, 2, 18, 0, tzinfo=UTC)
AUTORESPONSES = "turnout.actions.tasks.send_autoresponses"


def queued(path: str) -> list[dict[str, Any]]:
    """The arguments of each task of `path` waiting in the queue."""
    return [result.task_result.kwargs for result in DBTaskResult.objects.ready() if result.task_path == path]


@time_machine.travel(NOW, tick=False)
@override_settings(SMS_BACKEND="memory")
class FormsTakenTogetherTests(TurnoutTestCase):
    def setUp(self) -> None:
        self.form = Form.objects.create(
            group=self.local, title="Join the heat campaign", tags="heat-2026, volunteer, ",
            autoresponse_subject="Welcome", autoresponse_body="Next meeting Monday.",
            autoresponse_body_es="Próxima reunión el lunes.")
        self.code = share_code(self.member)  # Maria shares the form

    def crowd(self) -> list[dict[str, Any]]:
        """Six new people: two through Maria's link, texts agreed to or not, one in Spanish."""
        return [
            sent("Ana", "ana@example.org", ref=self.code, answers={"Shift": "Night"}),
            sent("Ben", "ben@example.org", "2065550101", postal_code="98101"),
            sent("Cy", "cy@example.org", "2065550102", texts=False, ref=self.code),
            sent("Gil", phone="2065550103"),
            sent("Hal", "hal@example.org", "2065550104", language="es"),
            sent("Ida", "ida@example.org", answers={"Ssn": "123-45-6789", "Shift": "Day"}),
        ]

    def test_a_batch_of_new_people_each_get_their_submission_tags_credit_and_one_autoresponse(self) -> None:
        """Each new person gets one submission with their answers (a dangerous one dropped), the
        form's tags, the share link they were shown, and credit to Maria where they came through
        hers; the batch's autoresponses go in one task, by email to each address and by text only
        where the box was ticked, in the person's language."""
        codes = {}
        with self.captureOnCommitCallbacks(execute=True):
            for data in self.crowd():
                codes[data["given_name"]] = services.submit_later(self.form, data)
        DBTaskResult.objects.all().delete()  # the settling run the forms asked for: done here
        with self.captureOnCommitCallbacks(execute=True):
            self.assertEqual(services.settle_waiting(), 6)
        self.assertEqual(len(queued(AUTORESPONSES)), 1)
        self.assertEqual(len(queued(AUTORESPONSES)[0]["submission_ids"]), 6)
        self.assertEqual(queued("turnout.actions.tasks.send_autoresponse"), [])

        submissions = Submission.objects.filter(form=self.form).select_related("person")
        self.assertEqual(sorted((s.person.given_name, s.source) for s in submissions),
                         [(name, "form") for name in ["Ana", "Ben", "Cy", "Gil", "Hal", "Ida"]])
        self.assertEqual(submissions.get(person__given_name="Ana").answers, {"Shift": "Night"})
        self.assertEqual(submissions.get(person__given_name="Ida").answers, {"Shift": "Day"})
        for submission in submissions:
            person = submission.person
            self.assertEqual(sorted(person.taggings.values_list("tag__name", flat=True)), ["heat-2026", "volunteer"])
            self.assertEqual(ShareCode.objects.get(person=person).code, codes[person.given_name])
        self.assertEqual(sorted(Referral.objects.filter(referrer=self.member, kind="form", action_id=self.form.pk)
                                .values_list("person__given_name", flat=True)), ["Ana", "Cy"])

        self.run_worker()
        self.assertEqual(sorted(m.to[0] for m in mail.outbox),
                         ["ana@example.org", "ben@example.org", "cy@example.org", "hal@example.org", "ida@example.org"])
        hal = next(m for m in mail.outbox if m.to == ["hal@example.org"])
        self.assertEqual(hal.subject, "Welcome")
        self.assertIn("Próxima reunión el lunes.", hal.body)
        self.assertIn("Next meeting Monday.", next(m for m in mail.outbox if m.to == ["ana@example.org"]).body)
        self.assertEqual(sorted(Delivery.objects.filter(channel="sms", status="sent").values_list("address", flat=True)),
                         ["+12065550101", "+12065550103", "+12065550104"])
        self.assertEqual(list(Delivery.objects.filter(channel="sms", status="suppressed")
                              .values_list("address", "error")), [("+12065550102", "no consent")])

    def test_an_autoresponse_task_run_twice_answers_nobody_twice(self) -> None:
        """A worker that dies after writing the batch's autoresponses but before marking its task
        done runs it again: nobody gets a second email or text."""
        with self.captureOnCommitCallbacks(execute=True):
            for data in self.crowd():
                services.submit_later(self.form, data)
        DBTaskResult.objects.all().delete()
        with self.captureOnCommitCallbacks(execute=True):
            services.settle_waiting()
        result = DBTaskResult.objects.ready().get()
        result.claim("worker-1")
        for _run in range(2):
            with self.captureOnCommitCallbacks(execute=True):
                result.task.call(*result.task_result.args, **result.task_result.kwargs)
        result.set_successful(None)
        self.run_worker()
        self.assertEqual(Message.objects.filter(topic=f"form:{self.form.pk}:autoresponse").count(), 12)
        self.assertEqual(len(mail.outbox), 5)
        self.assertEqual(Delivery.objects.filter(channel="sms", status="sent").count(), 3)

    def test_an_autoresponse_task_queued_one_per_submission_still_answers_once(self) -> None:
        """A task queued before autoresponses went a batch at a time (one per submission) answers
        its person, once."""
        with self.captureOnCommitCallbacks(execute=True):
            services.submit_later(self.form, sent("Ana", "ana@example.org"))
        DBTaskResult.objects.all().delete()
        with self.captureOnCommitCallbacks(execute=True):
            services.settle_waiting()
        DBTaskResult.objects.all().delete()  # the deploy finds the old kind of task instead
        submission = Submission.objects.get()
        for _run in range(2):
            with self.captureOnCommitCallbacks(execute=True):
                tasks.send_autoresponse.enqueue(submission_id=submission.pk)
        self.run_worker()
        self.assertEqual([m.to for m in mail.outbox], [["ana@example.org"]])

    def test_someone_on_file_and_a_repeat_within_minutes_are_taken_as_one_at_a_time(self) -> None:
        """Someone on file goes through `submit` (nothing on their record overwritten, their own
        autoresponse written); the same new person again within minutes changes their answers and
        is not answered again; an hour later it is a second submission, answered again."""
        with self.captureOnCommitCallbacks(execute=True):
            services.submit_later(self.form, sent("Ana", "ana@example.org", answers={"Shift": "Night"}))
            services.submit_later(self.form, sent("Maria", "maria@example.org", family_name="Changed"))
            services.settle_waiting()
        self.run_worker()
        self.member.refresh_from_db()
        self.assertEqual(self.member.family_name, "Lopez")
        self.assertEqual(Submission.objects.filter(person=self.member).count(), 1)
        self.assertEqual(sorted(self.member.taggings.values_list("tag__name", flat=True)), ["heat-2026", "volunteer"])
        self.assertEqual([m.to for m in mail.outbox], [["ana@example.org"]])
        # Maria's answer is written too; her record holds no consent to email (she was added by staff).
        self.assertEqual(sorted(Delivery.objects.filter(person=self.member).values_list("channel", "status", "error")),
                         [("email", "suppressed", "no consent"), ("sms", "suppressed", "no consent")])

        self.travel_to(NOW + timedelta(minutes=5))
        with self.captureOnCommitCallbacks(execute=True):
            services.submit_later(self.form, sent("Ana", "ana@example.org", answers={"Shift": "Day"}))
            services.settle_waiting()
        self.run_worker()
        ana = Person.objects.get(given_name="Ana")
        self.assertEqual(list(Submission.objects.filter(person=ana).values_list("answers", flat=True)),
                         [{"Shift": "Day"}])
        self.assertEqual(len(mail.outbox), 1)

        self.travel_to(NOW + timedelta(hours=1))
        with self.captureOnCommitCallbacks(execute=True):
            services.submit_later(self.form, sent("Ana", "ana@example.org", answers={"Shift": "Day"}))
            services.settle_waiting()
        self.run_worker()
        self.assertEqual(Submission.objects.filter(person=ana).count(), 2)
        self.assertEqual(sorted(m.to[0] for m in mail.outbox).count("ana@example.org"), 2)

    def test_a_form_sent_through_the_link_of_an_earlier_one_in_the_same_batch_credits_its_sender(self) -> None:
        """Ana is thanked with her own link; Ben opens it and sends the form before the worker has
        settled Ana's: settled together, Ana is credited with Ben, and nobody with themselves."""
        ana_code = services.submit_later(self.form, sent("Ana", "ana@example.org"))
        services.submit_later(self.form, sent("Ben", "ben@example.org", ref=ana_code))
        services.submit_later(self.form, sent("Cy", "cy@example.org", ref="own-code"))
        ActionIntake.objects.filter(data__given_name="Cy").update(
            data={**sent("Cy", "cy@example.org", ref="own-code"), "share_code": "own-code"})
        self.settle_forms()
        self.assertEqual(list(Referral.objects.values_list("referrer__given_name", "person__given_name")),
                         [("Ana", "Ben")])
        self.assertEqual(ShareCode.objects.get(code="own-code").person.given_name, "Cy")


@time_machine.travel(NOW, tick=False)
class SignaturesTakenTogetherTests(TurnoutTestCase):
    def test_a_batch_of_petition_signatures_each_with_its_city_comment_and_credit(self) -> None:
        """Each new signer's one signature, with the city of the ZIP they typed, their comment and
        whether to show their name; Maria credited for those who came through her link; the
        public count no longer the one kept from before the batch."""
        petition = Petition.objects.create(group=self.local, title="Heat", petition_text="Heat now.")
        code = share_code(self.member)
        self.assertEqual(PETITION_COUNTS.get(petition.public_id, petition.signatures.count), 0)
        for data in [sent("Ana", "ana@example.org", postal_code="98101", comment="Cold.", show_name=True, ref=code),
                     sent("Ben", "ben@example.org", postal_code="60608"),
                     sent("Cy", "cy@example.org", ref=code)]:
            services.sign_petition_later(petition, data)
        self.settle_forms()
        self.assertEqual(sorted(PetitionSignature.objects.values_list("person__given_name", "comment", "show_name",
                                                                      "city", "source")),
                         [("Ana", "Cold.", True, "Seattle", "form"), ("Ben", "", False, "Chicago", "form"),
                          ("Cy", "", False, "", "form")])
        self.assertEqual(sorted(Referral.objects.filter(referrer=self.member, kind="petition")
                                .values_list("person__given_name", flat=True)), ["Ana", "Cy"])
        self.assertEqual(PETITION_COUNTS.get(petition.public_id, petition.signatures.count), 3)
        self.assertEqual(ShareCode.objects.filter(person__petition_signatures__petition=petition).count(), 3)

    def test_a_batch_of_pledge_signatures_each_once_with_credit(self) -> None:
        """Each new signer signs once, Maria is credited for those who came through her link, and
        the public count no longer the one kept from before the batch; someone on file signs once
        through `sign_pledge`."""
        pledge = Pledge.objects.create(group=self.local, title="Protect the results", text="We pledge.")
        code = share_code(self.member)
        self.assertEqual(PLEDGE_COUNTS.get(pledge.public_id, pledge.signatures.count), 0)
        for data in [sent("Ana", "ana@example.org", ref=code), sent("Ben", "ben@example.org", "2065550101"),
                     sent("Maria", "maria@example.org"), sent("Maria", "maria@example.org")]:
            mobilization.sign_pledge_later(pledge=pledge, data=data)
        self.settle_forms()
        self.assertEqual(sorted(Signature.objects.values_list("person__given_name", flat=True)),
                         ["Ana", "Ben", "Maria"])
        self.assertEqual(list(Referral.objects.filter(kind="pledge").values_list("referrer", "person__given_name")),
                         [(self.member.pk, "Ana")])
        self.assertEqual(PLEDGE_COUNTS.get(pledge.public_id, pledge.signatures.count), 3)
        self.assertEqual(sorted(PledgeIntake.objects.values_list("outcome", flat=True)),
                         ["existing", "taken", "taken", "taken"])


@time_machine.travel(NOW, tick=False)
class BatchQueriesTests(TurnoutTestCase):
    """Settling a batch costs a number of statements that does not grow with the number of forms."""

    def queries_to_settle(self, count: int, store: Callable[[dict[str, Any]], Any],
                          settle: Callable[[list[int]], int], waiting: Any) -> int:
        code = share_code(self.member)
        start = len(self.names)
        for n in range(start, start + count):
            self.names.append(n)
            phone = f"20655502{n:02d}" if n % 2 else ""
            store(sent(f"Crowd{n}", f"crowd{n}@example.org", phone, postal_code="98101", ref=code,
                       comment="Heat now.", answers={"Shift": "Night"}))
        ids = list(waiting.filter(outcome="").values_list("id", flat=True))
        with CaptureQueriesContext(connection) as context:
            self.assertEqual(settle(ids), count)
        return len(context.captured_queries)

    def assert_flat(self, store: Callable[[dict[str, Any]], Any], settle: Callable[[list[int]], int],
                    waiting: Any) -> None:
        self.names: list[int] = []
        self.queries_to_settle(2, store, settle, waiting)  # the first makes the tags and the keys
        small = self.queries_to_settle(4, store, settle, waiting)
        large = self.queries_to_settle(24, store, settle, waiting)
        self.assertEqual(large, small)

    def test_forms(self) -> None:
        form = Form.objects.create(group=self.local, title="Join", tags="heat-2026, volunteer",
                                   autoresponse_body="Thanks.")
        self.assert_flat(lambda data: services.submit_later(form, data), services.settle_batch, ActionIntake.objects)
        self.assertEqual(Submission.objects.filter(form=form).count(), 30)
        self.assertEqual(Referral.objects.filter(kind="form", referrer=self.member).count(), 30)

    def test_petitions(self) -> None:
        petition = Petition.objects.create(group=self.local, title="Heat", petition_text="Heat now.")
        self.assert_flat(lambda data: services.sign_petition_later(petition, data), services.settle_batch,
                         ActionIntake.objects)
        self.assertEqual(PetitionSignature.objects.filter(petition=petition, city="Seattle").count(), 30)

    def test_pledges(self) -> None:
        pledge = Pledge.objects.create(group=self.local, title="Protect the results", text="We pledge.")
        self.assert_flat(lambda data: mobilization.sign_pledge_later(pledge=pledge, data=data),
                         mobilization.settle_pledge_batch, PledgeIntake.objects)
        self.assertEqual(Signature.objects.filter(pledge=pledge).count(), 30)


@time_machine.travel(NOW, tick=False)
class RecordTogetherTests(TurnoutTestCase):
    """The API's record helpers take the acts of new people who came together set-based, as one by one."""

    def test_submissions_and_signatures_recorded_together_match_those_recorded_one_by_one(self) -> None:
        """Each person's submission or signature, tags, credit, audit entry naming the staffer, and
        one autoresponse: the same whether recorded one at a time or together; a closed page
        refuses both ways and writes nothing."""
        code = share_code(self.member)
        form = Form.objects.create(group=self.local, title="Join", tags="heat-2026", autoresponse_body="Thanks.")
        petition = Petition.objects.create(group=self.local, title="Heat", petition_text="Heat now.")
        alone = [make_person(self.local, given_name=f"Alone{n}", family_name="Rivera", email=f"alone{n}@example.org",
                             postal_code="98101") for n in range(3)]
        together = [make_person(self.local, given_name=f"Together{n}", family_name="Rivera",
                                email=f"together{n}@example.org", postal_code="98101") for n in range(3)]
        with self.captureOnCommitCallbacks(execute=True):
            for n, person in enumerate(alone):
                services.record_submission(actor=self.organizer, form=form, person=person,
                                           answers={"Shift": f"S{n}", "SSN": "1"}, ref=code if n else "")
                services.record_signature(actor=self.organizer, petition=petition, person=person,
                                          comment=f"Cold {n}", ref=code if n else "")
            services.record_new_submissions(actor=self.organizer, form=form, entries=[
                services.NewSubmission(person=person, answers={"Shift": f"S{n}", "SSN": "1"},
                                       ref=code if n else "", source="api") for n, person in enumerate(together)])
            services.record_new_signatures(actor=self.organizer, petition=petition, entries=[
                services.NewSignature(person=person, comment=f"Cold {n}", postal_code=person.postal_code,
                                      ref=code if n else "", source="api") for n, person in enumerate(together)])
        self.run_worker()

        def seen(person: Person) -> tuple[Any, ...]:
            return (list(Submission.objects.filter(person=person).values_list("answers", "source")),
                    list(PetitionSignature.objects.filter(person=person).values_list("comment", "city", "source")),
                    list(person.taggings.values_list("tag__name", flat=True)),
                    sorted(Referral.objects.filter(person=person).values_list("referrer", "kind")),
                    [s.replace(person.given_name, "…") for s in audit_summaries(person) if s.startswith("Recorded")],
                    sorted(Delivery.objects.filter(person=person).values_list("channel", "status")))

        for one, other in zip(alone, together, strict=True):
            self.assertEqual(seen(other), seen(one))
        self.assertEqual(seen(together[1])[4], ["Recorded a submission by … Rivera (api)",
                                                "Recorded the signature of … Rivera (api)"])
        self.assertEqual(seen(together[1])[5], [("email", "suppressed")])  # added by staff: no consent to email
        self.assertEqual(Message.objects.filter(topic=f"form:{form.pk}:autoresponse").count(), 12)
        self.assertEqual(AuditEntry.objects.filter(actor=self.organizer, target_type__in=["form", "petition"]).count(),
                         12)

        form.is_open = petition.is_open = False
        form.save()
        petition.save()
        late = make_person(self.local, given_name="Late", email="late@example.org")
        with self.assertRaisesMessage(services.ActionError, "This form is closed."):
            services.record_new_submissions(actor=self.organizer, form=form, entries=[
                services.NewSubmission(person=late, answers={})])
        with self.assertRaisesMessage(services.ActionError, "no longer taking signatures"):
            services.record_new_signatures(actor=self.organizer, petition=petition, entries=[
                services.NewSignature(person=late)])
        self.assertFalse(Submission.objects.filter(person=late).exists())
        self.assertFalse(PetitionSignature.objects.filter(person=late).exists())
