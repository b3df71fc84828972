"""One number or address on several groups' records: one STOP stops them all, each address gets a
message once, and a reply belongs to the record that was texted, seen by that record's group only."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import time_machine
from django.core import mail
from django.test import override_settings

from turnout.messaging import audience, outbox, services
from turnout.messaging.models import Delivery, InboundMessage, Message
from turnout.messaging.transports import OutgoingSms, TransportError, simple
from turnout.messaging.transports.http import signature
from turnout.people.models import ConsentEvent, EmailAddress, Person, PhoneNumber, Subscription
from turnout.people.services import record_consent
from turnout.site.testing import TurnoutTestCase, make_group, make_person

SECRET = "gateway-secret"
NOON = datetime(2026, 11, 24, 20, 0, tzinfo=UTC)  # 12:00 in Seattle
NUMBER = "+12065550123"  # Maria's, known to Local 8 and to Eastside Workers
EMAIL = "maria@example.org"


class CarrierRefusesMaria(simple.MemoryTransport):
    """A provider whose carrier blocks Maria's number: she texted STOP to the carrier (Twilio 21610)."""

    def send(self, sms: OutgoingSms) -> str:
        if sms.to == NUMBER:
            raise TransportError("Twilio 21610: attempt to send to unsubscribed recipient", retryable=False,
                                 opted_out=True)
        return super().send(sms)


@time_machine.travel(NOON, tick=False)
@override_settings(SMS_BACKEND="memory", SMS_HTTP_SECRET=SECRET, ORGANIZATION_NAME="Local 8 Union")
class SharedNumberTests(TurnoutTestCase):
    """Maria is in Local 8 (`self.member`) and, as her own record there, in Eastside Workers (`self.twin`)."""

    def setUp(self) -> None:
        simple.outbox.clear()
        self.twin = make_person(self.other, given_name="Maria", family_name="Lopez", email=EMAIL, phone=NUMBER,
                                postal_code="98101")
        self.opt_in(self.member)

    def opt_in(self, person: Person, channel: str = "sms") -> None:
        record_consent(person=person, channel=channel, address=NUMBER if channel == "sms" else EMAIL,
                       action="opt_in", source="form", text="Text me about actions")

    def sms_status(self, person: Person) -> str:
        return PhoneNumber.objects.get(person=person, number=NUMBER).sms_status

    def text_in(self, body: str, provider_id: str) -> InboundMessage:
        raw = json.dumps({"id": provider_id, "from": NUMBER, "to": "+12065550000", "body": body}).encode()
        with self.captureOnCommitCallbacks(execute=True):
            response = self.client.post("/hooks/sms/http/inbound", raw, content_type="application/json",
                                        headers={"X-Turnout-Signature": signature(raw, SECRET)})
        self.assertEqual(response.status_code, 200)
        self.run_worker()  # the worker offers the reply to the apps that act on replies
        return InboundMessage.objects.get(provider_id=provider_id)

    def message_to(self, person: Person, group: Any, body: str = "Rally at Westlake Park, 6pm") -> Message:
        message = Message.objects.create(group=group, channel="sms", body=body)
        outbox.materialize(message, Person.objects.filter(pk=person.pk))
        return message

    def test_stop_stops_every_record_of_the_number_and_every_groups_queued_texts(self) -> None:
        self.opt_in(self.twin)
        ours, theirs = self.message_to(self.member, self.local), self.message_to(self.twin, self.other)
        self.assertEqual(set(Delivery.objects.values_list("status", flat=True)), {"queued"})

        inbound = self.text_in("Stop", provider_id="stop")

        self.assertEqual((self.sms_status(self.member), self.sms_status(self.twin)),
                         (Subscription.UNSUBSCRIBED, Subscription.UNSUBSCRIBED))
        for person in (self.member, self.twin):
            event = ConsentEvent.objects.filter(person=person, channel="sms").first()
            self.assertEqual((event.action, event.source, event.address), ("opt_out", "keyword", NUMBER))
        for message in (ours, theirs):
            self.assertEqual(Delivery.objects.get(message=message).status, Delivery.Status.SUPPRESSED)
        self.assertEqual([s.to for s in simple.outbox], [NUMBER])  # one answer, not one per record
        self.assertTrue(inbound.handled)
        for message in (ours, theirs):
            outbox.dispatch(message)
        self.assertEqual(len(simple.outbox), 1)

    def test_start_gives_back_only_what_the_keyword_took(self) -> None:
        """Eastside never had Maria's consent to texts: her START restores Local 8's record, not theirs."""
        self.text_in("STOP", provider_id="stop")
        with time_machine.travel(NOON + timedelta(minutes=5), tick=False):
            self.text_in("START", provider_id="start")
        self.assertEqual(self.sms_status(self.member), Subscription.SUBSCRIBED)
        self.assertEqual(self.sms_status(self.twin), Subscription.UNSUBSCRIBED)
        latest = ConsentEvent.objects.filter(person=self.member, channel="sms").first()
        self.assertEqual((latest.action, latest.source), ("opt_in", "keyword"))
        self.assertFalse(ConsentEvent.objects.filter(person=self.twin, action="opt_in").exists())

    def test_start_does_not_undo_an_opt_out_made_by_other_means(self) -> None:
        record_consent(person=self.member, channel="sms", address=NUMBER, action="opt_out", source="staff",
                       source_detail="asked us on the phone")
        with time_machine.travel(NOON + timedelta(minutes=5), tick=False):
            self.text_in("START", provider_id="start")
        self.assertEqual(self.sms_status(self.member), Subscription.UNSUBSCRIBED)

    def test_another_groups_consent_to_the_number_is_not_this_records(self) -> None:
        """Local 8 has Maria's consent, Eastside does not: a text Eastside had queued is not sent."""
        message = Message.objects.create(group=self.other, channel="sms", body="Eastside meeting tonight")
        Delivery.objects.create(message=message, person=self.twin, channel="sms", address=NUMBER)
        outbox.dispatch(message)
        self.assertEqual(simple.outbox, [])
        self.assertEqual(Delivery.objects.get(message=message).status, Delivery.Status.SUPPRESSED)

    def test_after_a_stop_only_a_records_own_new_opt_in_lets_its_group_text_again(self) -> None:
        self.opt_in(self.twin)
        self.text_in("STOP", provider_id="stop")
        with time_machine.travel(NOON + timedelta(hours=1), tick=False):
            self.opt_in(self.member)  # she signs Local 8's form again, ticking the box for texts
            ours = self.message_to(self.member, self.local)
            theirs = Message.objects.create(group=self.other, channel="sms", body="Eastside meeting tonight")
            Delivery.objects.create(message=theirs, person=self.twin, channel="sms", address=NUMBER)
            outbox.dispatch(ours)
            outbox.dispatch(theirs)
        self.assertEqual([s.body.split("\n")[0] for s in simple.outbox[1:]], ["Rally at Westlake Park, 6pm"])
        self.assertEqual(Delivery.objects.get(message=theirs).status, Delivery.Status.SUPPRESSED)

    def test_a_record_marked_subscribed_after_a_stop_without_an_opt_in_is_not_texted(self) -> None:
        self.text_in("STOP", provider_id="stop")
        # As a careless bulk write would leave it: the status, and no opt-in on the ledger since the STOP.
        PhoneNumber.objects.filter(person=self.member).update(sms_status=Subscription.SUBSCRIBED)
        message = Message.objects.create(group=self.local, channel="sms", body="Rally")
        Delivery.objects.create(message=message, person=self.member, channel="sms", address=NUMBER)
        with time_machine.travel(NOON + timedelta(hours=1), tick=False):
            outbox.dispatch(message)
        self.assertEqual(len(simple.outbox), 1)  # the answer to STOP only
        self.assertEqual(Delivery.objects.get(message=message).status, Delivery.Status.SUPPRESSED)

    def test_a_carrier_opt_out_stops_every_record_and_every_groups_queued_texts(self) -> None:
        self.opt_in(self.twin)
        ours, theirs = self.message_to(self.member, self.local), self.message_to(self.twin, self.other)
        with override_settings(SMS_BACKEND=f"{__name__}.CarrierRefusesMaria"):
            outbox.dispatch(ours)
        self.assertEqual(Delivery.objects.get(message=ours).error, "opted out with the carrier")
        self.assertEqual(Delivery.objects.get(message=theirs).status, Delivery.Status.SUPPRESSED)
        for person in (self.member, self.twin):
            self.assertEqual(self.sms_status(person), Subscription.UNSUBSCRIBED)
            event = ConsentEvent.objects.filter(person=person, channel="sms").first()
            self.assertEqual((event.action, event.source), ("opt_out", "provider"))
        self.assertEqual(simple.outbox, [])

    def test_a_reply_belongs_to_the_record_last_texted_and_only_its_group_sees_it(self) -> None:
        self.opt_in(self.twin)
        outbox.dispatch(self.message_to(self.member, self.local))
        first = self.text_in("Can I bring my kids?", provider_id="kids")
        self.assertEqual(first.person, self.member)
        with time_machine.travel(NOON + timedelta(hours=1), tick=False):
            outbox.dispatch(self.message_to(self.twin, self.other, body="Eastside meeting tonight"))
            second = self.text_in("Where is the meeting room?", provider_id="room")
        self.assertEqual(second.person, self.twin)

        self.login(self.organizer)
        page = self.client.get("/messages/inbox/")
        self.assertContains(page, "Can I bring my kids?")
        self.assertNotContains(page, "Where is the meeting room?")
        self.assertEqual(self.client.get(f"/messages/inbox/{self.twin.public_id}/").status_code, 404)
        self.login(self.outsider)
        page = self.client.get("/messages/inbox/")
        self.assertContains(page, "Where is the meeting room?")
        self.assertNotContains(page, "Can I bring my kids?")
        thread = self.client.get(f"/messages/inbox/{self.twin.public_id}/")
        self.assertNotContains(thread, "Rally at Westlake Park")  # Local 8's text to its own record

    def test_a_reply_from_a_shared_number_nobody_texted_is_shown_to_no_group(self) -> None:
        inbound = self.text_in("Hi, who is this?", provider_id="who")
        self.assertIsNone(inbound.person)
        for staffer in (self.organizer, self.outsider):
            self.login(staffer)
            self.assertNotContains(self.client.get("/messages/inbox/?show=all"), "who is this")


@time_machine.travel(NOON, tick=False)
@override_settings(SMS_BACKEND="memory", ORGANIZATION_NAME="Local 8 Union")
class OnceEachTests(TurnoutTestCase):
    """The council's message reaches Maria's number once, though Local 8 and Local 9 each hold a record of it."""

    def setUp(self) -> None:
        simple.outbox.clear()
        self.sister = make_group("Local 9", parent=self.council)
        self.twin = make_person(self.sister, given_name="Maria", family_name="Lopez", email=EMAIL, phone=NUMBER,
                                postal_code="98101")
        for person in (self.member, self.twin):
            for channel, address in (("sms", NUMBER), ("email", EMAIL)):
                record_consent(person=person, channel=channel, address=address, action="opt_in", source="form")

    def blast(self, channel: str = "sms", people: Any = None) -> Message:
        message = Message.objects.create(group=self.council, channel=channel, subject="Rally", created_by=self.admin,
                                         body="Rally at Westlake Park, 6pm")
        outbox.materialize(message, Person.objects.visible_to(self.admin) if people is None else people)
        return message

    def test_a_blast_whose_audience_holds_two_records_of_one_number_sends_one_text(self) -> None:
        message = self.blast()
        rows = {d.person_id: (d.status, d.error) for d in Delivery.objects.filter(message=message)}
        self.assertEqual(rows, {self.member.pk: ("queued", ""), self.twin.pk: ("suppressed", "duplicate address")})
        outbox.dispatch(message)
        self.assertEqual([s.to for s in simple.outbox], [NUMBER])
        progress = outbox.progress(message)
        self.assertEqual((progress["targeted"], progress["sent"], progress["suppressed"], progress["shared"]),
                         (2, 1, 1, 1))

    def test_an_email_blast_reaches_a_shared_address_once(self) -> None:
        outbox.dispatch(self.blast(channel="email"))
        self.assertEqual([m.to for m in mail.outbox], [[EMAIL]])

    def test_of_two_records_the_one_with_consent_is_texted(self) -> None:
        record_consent(person=self.member, channel="sms", address=NUMBER, action="opt_out", source="staff")
        record_consent(person=self.twin, channel="sms", address=NUMBER, action="opt_in", source="form")
        message = self.blast()
        rows = {d.person_id: (d.status, d.error) for d in Delivery.objects.filter(message=message)}
        self.assertEqual(rows, {self.member.pk: ("suppressed", "no consent"), self.twin.pk: ("queued", "")})

    def test_people_added_later_are_not_sent_what_their_number_has_already(self) -> None:
        message = self.blast(people=Person.objects.filter(pk=self.member.pk))
        outbox.materialize(message, Person.objects.filter(pk__in=[self.member.pk, self.twin.pk]))
        self.assertEqual(Delivery.objects.get(message=message, person=self.twin).error, "duplicate address")
        outbox.dispatch(message)
        self.assertEqual(len(simple.outbox), 1)

    def test_the_preview_counts_each_number_once(self) -> None:
        message = Message.objects.create(group=self.council, channel="sms", body="Rally at 6", created_by=self.admin)
        preview = audience.preview(message, Person.objects.visible_to(self.admin))
        self.assertEqual((preview.matched, preview.reachable, preview.shared, preview.no_consent, preview.no_address),
                         (2, 1, 1, 0, 0))
        self.login(self.admin)
        page = self.client.get(message.get_absolute_url())
        self.assertContains(page, "1 person will get it")
        self.assertContains(page, "1 left out: their number or address is someone else")
        outbox.materialize(message, Person.objects.visible_to(self.admin))
        self.assertEqual(Delivery.objects.filter(message=message, status="queued").count(), preview.reachable)


@time_machine.travel(NOON, tick=False)
@override_settings(ANYMAIL={"WEBHOOK_SECRET": "postmark:hook-secret"})
class SharedAddressTests(TurnoutTestCase):
    """Maria's email address is on Local 8's record and on Eastside's."""

    def setUp(self) -> None:
        self.twin = make_person(self.other, given_name="Maria", family_name="Lopez", email=EMAIL)
        for person in (self.member, self.twin):
            record_consent(person=person, channel="email", address=EMAIL, action="opt_in", source="form")
        self.queued = []
        for group, person in ((self.local, self.member), (self.other, self.twin)):
            message = Message.objects.create(group=group, channel="email", subject="Meeting", body="Tonight at 6.")
            outbox.materialize(message, Person.objects.filter(pk=person.pk))
            self.queued.append(Delivery.objects.get(message=message))

    def statuses(self) -> list[str]:
        return [e.status for e in EmailAddress.objects.filter(address=EMAIL).order_by("pk")]

    def stopped(self) -> list[tuple[str, str]]:
        return [Delivery.objects.filter(pk=d.pk).values_list("status", "error").get() for d in self.queued]

    def test_a_hard_bounce_marks_every_record_and_stops_every_groups_queued_email(self) -> None:
        services.record_email_event(event_type="bounced", recipient="Maria@Example.org", message_id=None,
                                    reason="bounced", esp="postmark")
        self.assertEqual(self.statuses(), [Subscription.BOUNCING, Subscription.BOUNCING])
        self.assertEqual(self.stopped(), [("suppressed", "bouncing")] * 2)

    def test_a_complaint_opts_every_record_out_in_the_ledger(self) -> None:
        services.record_email_event(event_type="complained", recipient=EMAIL, message_id=None, esp="postmark")
        self.assertEqual(self.statuses(), [Subscription.UNSUBSCRIBED, Subscription.UNSUBSCRIBED])
        self.assertEqual(self.stopped(), [("suppressed", "unsubscribed")] * 2)
        for person in (self.member, self.twin):
            event = ConsentEvent.objects.filter(person=person, channel="email").first()
            self.assertEqual((event.action, event.source), ("opt_out", "provider"))
        # Reported again: nothing more on the ledger.
        services.record_email_event(event_type="complained", recipient=EMAIL, message_id=None, esp="postmark")
        self.assertEqual(ConsentEvent.objects.filter(action="opt_out", channel="email").count(), 2)

    def test_the_unsubscribe_link_stops_every_record_of_the_address(self) -> None:
        outbox.dispatch(Message.objects.get(group=self.local))
        link = re.search(r"<(.+)>", mail.outbox[0].extra_headers["List-Unsubscribe"]).group(1)  # type: ignore[union-attr]
        path = link.split("://", 1)[1].split("/", 1)[1]
        done = self.client_class(enforce_csrf_checks=True).post(
            f"/{path}", "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded")
        self.assertContains(done, "You are unsubscribed")
        self.assertEqual(self.statuses(), [Subscription.UNSUBSCRIBED, Subscription.UNSUBSCRIBED])
        self.assertEqual(self.stopped()[1], ("suppressed", "unsubscribed"))  # Eastside's, still queued
        self.assertEqual(set(ConsentEvent.objects.filter(action="opt_out").values_list("person_id", flat=True)),
                         {self.member.pk, self.twin.pk})
