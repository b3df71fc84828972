"""The outbox: one delivery per recipient made in SQL, sent in claimed batches with consent and quiet hours re-checked."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import time_machine
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from turnout.messaging import outbox, sending
from turnout.messaging.models import Delivery, Message
from turnout.messaging.transports import TransportError, simple
from turnout.people.models import Person, PhoneNumber, Subscription
from turnout.people.services import record_consent
from turnout.site.testing import TurnoutTestCase, make_person, run_due_tasks

NOON_SEATTLE = datetime(2026, 11, 24, 20, 0, tzinfo=UTC)  # 12:00 in Seattle
NIGHT_SEATTLE = datetime(2026, 11, 25, 6, 0, tzinfo=UTC)  # 22:00 in Seattle


class FailingTransport(simple.MemoryTransport):
    retryable = True

    def send(self, sms: Any) -> str:
        raise TransportError("gateway answered 503: busy", retryable=self.retryable)


class DyingTransport(simple.MemoryTransport):
    """The worker dies while the provider has the text: the provider took it, no answer is recorded."""

    def send(self, sms: Any) -> str:
        super().send(sms)
        raise SystemExit("killed mid-send")


@time_machine.travel(NOON_SEATTLE, tick=False)
@override_settings(SMS_BACKEND="memory", ORGANIZATION_NAME="Local 8 Union")
class OutboxTests(TurnoutTestCase):
    def setUp(self) -> None:
        simple.outbox.clear()
        record_consent(person=self.member, channel="sms", address="+12065550123", action="opt_in", source="form",
                       text="Text me")
        self.silent = make_person(self.local, given_name="Silent", phone="+12065550144", postal_code="98101")
        self.no_phone = make_person(self.local, given_name="Nophone")

    def blast(self, body: str = "Rally at Westlake Park, 6pm", **extra: Any) -> Message:
        message = Message.objects.create(group=self.local, channel="sms", body=body, **extra)
        outbox.materialize(message, Person.objects.visible_to(self.organizer))
        return message

    def test_materialize_makes_one_row_per_reachable_person_once(self) -> None:
        message = self.blast()
        rows = {d.person_id: d for d in Delivery.objects.filter(message=message)}
        self.assertEqual(set(rows), {self.member.pk, self.silent.pk})
        self.assertEqual(rows[self.member.pk].status, "queued")
        self.assertEqual((rows[self.silent.pk].status, rows[self.silent.pk].error), ("suppressed", "no consent"))
        self.assertEqual(outbox.materialize(message, Person.objects.visible_to(self.organizer)), 0)
        self.assertEqual(Delivery.objects.filter(message=message).count(), 2)

    def test_a_message_is_sent_only_when_nothing_of_it_waits(self) -> None:
        # A texter's message: a dispatcher finishing it while the texter's next click adds a contact
        # must leave it sending, or that text would wait on a message no dispatcher looks at again.
        record_consent(person=self.silent, channel="sms", address="+12065550144", action="opt_in", source="form")
        message = Message.objects.create(group=self.local, channel="sms", body="Hi", status=Message.Status.SENDING)
        sending.send_more(message=message, audience=Person.objects.filter(pk=self.member.pk), dispatch=False)
        sending.dispatch_due(message_id=message.pk)
        message.refresh_from_db()
        self.assertEqual((message.status, len(simple.outbox)), (Message.Status.SENT, 1))
        sending.send_more(message=message, audience=Person.objects.filter(pk=self.silent.pk), dispatch=False)
        message.refresh_from_db()
        self.assertEqual(message.status, Message.Status.SENDING)
        with CaptureQueriesContext(connection) as queries:
            self.assertFalse(sending.finish_if_done(message))  # one is queued, not yet due to the dispatcher
        if connection.features.has_select_for_update:  # PostgreSQL: the row is locked before the look
            self.assertIn("FOR UPDATE", queries.captured_queries[1]["sql"])
        message.refresh_from_db()
        self.assertEqual(message.status, Message.Status.SENDING)
        sending.dispatch_due(message_id=message.pk)
        message.refresh_from_db()
        self.assertEqual((message.status, len(simple.outbox)), (Message.Status.SENT, 2))

    def test_of_several_numbers_the_consenting_one_is_texted_then_the_primary(self) -> None:
        # Silent's primary number never agreed to texts; a second one did: the text goes there.
        PhoneNumber.objects.filter(number="+12065550144").update(is_primary=True)
        PhoneNumber.objects.create(person=self.silent, number="+12065550145", sms_status=Subscription.SUBSCRIBED)
        # Nophone has two numbers, neither agreeing: a suppressed row, for the primary one.
        PhoneNumber.objects.create(person=self.no_phone, number="+12065550160")
        PhoneNumber.objects.create(person=self.no_phone, number="+12065550161", is_primary=True)
        # Maria's second number agreed too, but her primary one is the one texted.
        PhoneNumber.objects.create(person=self.member, number="+12065550199", sms_status=Subscription.SUBSCRIBED)
        message = self.blast()
        rows = {d.person_id: (d.address, d.status) for d in Delivery.objects.filter(message=message)}
        self.assertEqual(rows, {self.member.pk: ("+12065550123", "queued"),
                                self.silent.pk: ("+12065550145", "queued"),
                                self.no_phone.pk: ("+12065550161", "suppressed")})

    def test_first_text_names_the_group_and_how_to_stop(self) -> None:
        """The first text to a number ends with the sending group's public name (not the deployment's)."""
        with time_machine.travel(NOON_SEATTLE):
            first = self.blast("Hola {first_name}, rally at 6")
            outbox.dispatch(first)
            second = self.blast("Moved to the north entrance")
            outbox.dispatch(second)
        self.assertEqual([s.to for s in simple.outbox], ["+12065550123", "+12065550123"])
        self.assertEqual(simple.outbox[0].body, "Hola Maria, rally at 6\nLocal 8: reply STOP to stop")
        self.assertEqual(simple.outbox[1].body, "Moved to the north entrance")
        sent = Delivery.objects.get(message=first, person=self.member)
        self.assertEqual((sent.status, sent.segments), ("sent", 1))
        self.assertTrue(sent.provider_id.startswith("memory-"))

    def test_a_batch_reads_its_people_once_whatever_its_size(self) -> None:
        """Sending a batch asks the database the same few questions for 2 recipients or 12: each person's
        name, language and zone come with their row, never fetched one by one."""
        def queries_for(count: int) -> int:
            for n in range(count):
                extra = make_person(self.local, given_name=f"Extra{n}", phone=f"+1206555{3000 + n}",
                                    postal_code="98101")
                record_consent(person=extra, channel="sms", address=f"+1206555{3000 + n}", action="opt_in",
                               source="form")
            message = self.blast("Hi {first_name}, rally at 6")
            ids = outbox.claim(message, "w")
            with CaptureQueriesContext(connection) as captured:
                outbox.dispatch_batch(message, ids)
            return sum(1 for query in captured if Person._meta.db_table in query["sql"])

        few, many = queries_for(0), queries_for(10)
        self.assertEqual((few, many), (1, 1))
        self.assertIn("Hi Extra9, rally at 6\nLocal 8: reply STOP to stop", [sms.body for sms in simple.outbox])

    def test_spanish_speakers_get_the_spanish_version(self) -> None:
        Person.objects.filter(pk=self.member.pk).update(language="es")
        with time_machine.travel(NOON_SEATTLE):
            outbox.dispatch(self.blast("Rally at 6", body_es="Mitin a las 6"))
        self.assertTrue(simple.outbox[0].body.startswith("Mitin a las 6"))

    def test_quiet_hours_defer_until_nine_in_the_recipients_zone(self) -> None:
        with time_machine.travel(NIGHT_SEATTLE):
            message = self.blast()
            result = outbox.dispatch(message)
        self.assertEqual(result["deferred"], 1)
        self.assertEqual(simple.outbox, [])
        waiting = Delivery.objects.get(message=message, person=self.member)
        self.assertEqual(waiting.status, "queued")
        self.assertEqual(waiting.not_before, datetime(2026, 11, 25, 17, 0, tzinfo=UTC))  # 09:00 in Seattle
        with time_machine.travel(NIGHT_SEATTLE):
            self.assertEqual(outbox.progress(message)["deferred"], 1)
        with time_machine.travel(datetime(2026, 11, 25, 16, 59, tzinfo=UTC)):
            outbox.dispatch(message)
        self.assertEqual(simple.outbox, [])
        with time_machine.travel(datetime(2026, 11, 25, 17, 0, tzinfo=UTC)):
            outbox.dispatch(message)
        self.assertEqual(len(simple.outbox), 1)

    def test_an_emergency_override_sends_at_night(self) -> None:
        with time_machine.travel(NIGHT_SEATTLE):
            outbox.dispatch(self.blast(ignore_quiet_hours=True))
        self.assertEqual(len(simple.outbox), 1)

    def test_unknown_zone_waits_for_a_time_that_is_daytime_everywhere(self) -> None:
        """No address zone and no North American area code: only send when 09:00-20:00 in Eastern and Hawaii."""
        abroad = make_person(self.local, given_name="Abroad", phone="+442079460000")
        record_consent(person=abroad, channel="sms", address="+442079460000", action="opt_in", source="form")
        with time_machine.travel(datetime(2026, 11, 25, 15, 0, tzinfo=UTC)):  # 10:00 New York, 05:00 Honolulu
            message = self.blast()
            outbox.dispatch(message)
        waiting = Delivery.objects.get(message=message, person=abroad)
        self.assertEqual(waiting.not_before, datetime(2026, 11, 25, 19, 0, tzinfo=UTC))  # 09:00 Honolulu

    def test_someone_who_opted_out_after_the_blast_was_made_is_not_texted(self) -> None:
        with time_machine.travel(NOON_SEATTLE):
            message = self.blast()
            record_consent(person=self.member, channel="sms", address="+12065550123", action="opt_out",
                           source="keyword")
            outbox.dispatch(message)
        self.assertEqual(simple.outbox, [])
        self.assertEqual(Delivery.objects.get(message=message, person=self.member).status, "suppressed")

    def test_a_busy_gateway_is_retried_later_and_a_refusal_fails(self) -> None:
        with time_machine.travel(NOON_SEATTLE, tick=False), override_settings(SMS_BACKEND=f"{__name__}.FailingTransport"):
            message = self.blast()
            outbox.dispatch(message)
            row = Delivery.objects.get(message=message, person=self.member)
            self.assertEqual((row.status, row.attempts), ("queued", 1))
            self.assertEqual(row.not_before, NOON_SEATTLE + timedelta(seconds=30))
            FailingTransport.retryable = False
            try:
                with time_machine.travel(NOON_SEATTLE + timedelta(minutes=1)):
                    outbox.dispatch(message)
            finally:
                FailingTransport.retryable = True
        row.refresh_from_db()
        self.assertEqual((row.status, row.error), ("failed", "gateway answered 503: busy"))

    def test_a_dead_workers_claim_never_handed_over_is_sent_once_later(self) -> None:
        with time_machine.travel(NOON_SEATTLE):
            message = self.blast()
            claimed = outbox.claim(message, "worker-that-dies")
            self.assertEqual(len(claimed), 1)
            self.assertEqual(outbox.dispatch(message), {})  # nothing else is due: the row is leased
            self.assertEqual(outbox.reclaim_expired(), 0)  # the lease has not run out
        with time_machine.travel(NOON_SEATTLE + outbox.LEASE + timedelta(seconds=1)):
            self.assertEqual(outbox.reclaim_expired(), 1)
            outbox.dispatch(message)
            counts = outbox.progress(message)
        self.assertEqual(len(simple.outbox), 1)
        # It never reached the provider before, so it is no possible duplicate.
        self.assertEqual((counts["sent"], counts["suppressed"], counts["possible_duplicates"]), (1, 1, 0))

    @override_settings(SMS_CONCURRENCY=1)
    def test_only_the_text_a_dead_worker_handed_over_is_a_possible_duplicate(self) -> None:
        second = make_person(self.local, given_name="Second", phone="+12065550177", postal_code="98101")
        record_consent(person=second, channel="sms", address="+12065550177", action="opt_in", source="form")
        with time_machine.travel(NOON_SEATTLE):
            message = self.blast()
            with override_settings(SMS_BACKEND=f"{__name__}.DyingTransport"), self.assertRaises(SystemExit):
                outbox.dispatch(message)
        self.assertEqual([sms.to for sms in simple.outbox], ["+12065550123"])  # the provider has Maria's text
        with time_machine.travel(NOON_SEATTLE + outbox.LEASE + timedelta(seconds=1)):
            self.assertEqual(outbox.reclaim_expired(), 2)
            outbox.dispatch(message)
            counts = outbox.progress(message)
        self.assertEqual(sorted(sms.to for sms in simple.outbox), ["+12065550123", "+12065550123", "+12065550177"])
        self.assertEqual((counts["sent"], counts["possible_duplicates"]), (2, 1))
        self.assertTrue(Delivery.objects.get(message=message, person=self.member).possible_duplicate)

    def test_statuses_from_the_provider_show_in_progress(self) -> None:
        from turnout.messaging.services import record_status

        with time_machine.travel(NOON_SEATTLE):
            message = self.blast()
            outbox.dispatch(message)
        row = Delivery.objects.get(message=message, person=self.member)
        record_status(provider_id=row.provider_id, status="delivered")
        self.assertEqual(outbox.progress(message), {"targeted": 2, "queued": 0, "deferred": 0, "sending": 0,
                                                    "sent": 1, "delivered": 1, "failed": 0, "suppressed": 1,
                                                    "shared": 0, "possible_duplicates": 0, "replies": 0})


@time_machine.travel(NOON_SEATTLE, tick=False)
@override_settings(SMS_BACKEND="memory")
class SendingTests(TurnoutTestCase):
    def setUp(self) -> None:
        simple.outbox.clear()
        record_consent(person=self.member, channel="sms", address="+12065550123", action="opt_in", source="form")

    def test_a_blast_goes_out_through_the_worker_and_is_marked_sent(self) -> None:
        from turnout.messaging import sending

        message = Message.objects.create(group=self.local, channel="sms", body="Rally at 6")
        with time_machine.travel(NOON_SEATTLE), self.captureOnCommitCallbacks(execute=True):
            targeted = sending.start_sending(actor=self.organizer, message=message,
                                             audience=Person.objects.visible_to(self.organizer))
        with time_machine.travel(NOON_SEATTLE):
            run_due_tasks()
        message.refresh_from_db()
        self.assertEqual((targeted, message.status), (1, "sent"))
        self.assertEqual([s.to for s in simple.outbox], ["+12065550123"])

    def test_at_night_the_dispatcher_waits_for_morning(self) -> None:
        from django_tasks_db.models import DBTaskResult

        from turnout.messaging import sending

        message = Message.objects.create(group=self.local, channel="sms", body="Rally at 6")
        with time_machine.travel(NIGHT_SEATTLE), self.captureOnCommitCallbacks(execute=True):
            sending.start_sending(actor=self.organizer, message=message,
                                  audience=Person.objects.visible_to(self.organizer))
        with time_machine.travel(NIGHT_SEATTLE):
            run_due_tasks()
        waiting = DBTaskResult.objects.get(status="READY")
        self.assertEqual(waiting.run_after, datetime(2026, 11, 25, 17, 0, tzinfo=UTC))
        self.assertEqual(simple.outbox, [])

    def test_cancel_stops_what_has_not_gone_out(self) -> None:
        from turnout.messaging import sending

        message = Message.objects.create(group=self.local, channel="sms", body="Rally at 6")
        with time_machine.travel(NIGHT_SEATTLE):
            sending.start_sending(actor=self.organizer, message=message,
                                  audience=Person.objects.visible_to(self.organizer))
            self.assertEqual(sending.cancel(actor=self.organizer, message=message), 1)
        with time_machine.travel(NOON_SEATTLE + timedelta(days=1)):
            sending.dispatch_due(message_id=message.pk)
        self.assertEqual(simple.outbox, [])


@time_machine.travel(NOON_SEATTLE, tick=False)
@override_settings(SMS_BACKEND="memory")
class ProgressTests(TurnoutTestCase):
    def test_replies_and_failure_reasons_are_counted(self) -> None:
        from turnout.messaging.services import receive_sms

        record_consent(person=self.member, channel="sms", address="+12065550123", action="opt_in", source="form")
        with time_machine.travel(NOON_SEATTLE):
            message = Message.objects.create(group=self.local, channel="sms", body="Rally at 6")
            outbox.materialize(message, Person.objects.visible_to(self.organizer))
            outbox.dispatch(message)
            receive_sms(from_number="+12065550123", body="Y", provider_id="r1")
        self.assertEqual(outbox.progress(message)["replies"], 1)
        Delivery.objects.filter(message=message).update(status="failed", error="gateway answered 400: blocked")
        self.assertEqual(outbox.failures(message), [("gateway answered 400: blocked", 1)])
