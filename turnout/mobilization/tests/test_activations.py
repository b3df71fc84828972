"""Activating a network: the audience by distance and skills, texts out, Y/N replies in, the board, waves."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import time_machine
from django.core import mail
from django.db.models import Q
from django.test import override_settings

from turnout.accounts.models import Role
from turnout.core import geo
from turnout.core.models import AuditEntry
from turnout.events.models import Event, Rsvp
from turnout.events.services import save_event
from turnout.messaging.models import Delivery, InboundMessage
from turnout.messaging.signals import sms_reply
from turnout.messaging.transports import simple
from turnout.messaging.transports.http import signature
from turnout.mobilization import services
from turnout.mobilization.models import Activation, Member, Network, Recipient, Response, packed
from turnout.people.models import Person, Subscription
from turnout.people.services import erase_person, record_consent
from turnout.site.testing import TurnoutTestCase, make_person, make_staff

SECRET = "gateway-secret"
# 12:00 in Seattle: outside quiet hours everywhere in the continental US.
NOON_PACIFIC = datetime(2026, 11, 4, 20, 0, tzinfo=UTC)


def make_member(network: Network, person: Person, *, travel: int = 10, skills: list[str] | None = None,
                phone: str | None = None, **extra: Any) -> Member:
    if phone:
        record_consent(person=person, channel="sms", address=phone, action="opt_in", source="form",
                       text="Text me when the network is called on")
    return Member.objects.create(network=network, person=person, travel_miles=travel,
                                 skills=packed(skills or []), **extra)


@time_machine.travel(NOON_PACIFIC, tick=False)
@override_settings(SMS_BACKEND="memory", SMS_HTTP_SECRET=SECRET, ORGANIZATION_NAME="Local 8 Union")
class ActivationTests(TurnoutTestCase):
    def setUp(self) -> None:
        simple.outbox.clear()
        self.network = Network.objects.create(group=self.local, name="Rapid Response")
        # Maria lives downtown (98101) and will travel 10 miles.
        self.maria = make_member(self.network, self.member, travel=10, skills=["marshal"], phone="+12065550123")
        # Near the action, but only travels 2 miles: Redmond is ~12 miles away.
        self.redmond = make_member(self.network, make_person(self.local, given_name="Ravi", postal_code="98052",
                                                             phone="+14255550101"), travel=2, phone="+14255550101")
        # Near and willing: Capitol Hill (98102) with a medic.
        self.near = make_member(self.network, make_person(self.local, given_name="Nia", postal_code="98102",
                                                          phone="+12065550177"), travel=25, skills=["medic"],
                                phone="+12065550177")
        # Far away: Portland, willing to go 200 miles.
        self.far = make_member(self.network, make_person(self.local, given_name="Paz", postal_code="97201",
                                                         phone="+15035550155"), travel=200, phone="+15035550155")
        self.event = save_event(actor=None, event=Event(group=self.local, title="Rally at Westlake Park",
                                                        postal_code="98101", venue="Westlake Park",
                                                        starts_at=NOON_PACIFIC + timedelta(hours=6)))

    def make_activation(self, **fields: Any) -> Activation:
        values: dict[str, Any] = {"network": self.network, "title": "Westlake rally",
                                  "body": "Rally at Westlake Park, 6pm. Reply Y if you can come, N if not.",
                                  "event": self.event, "postal_code": "98101", "latitude": 47.6114,
                                  "longitude": -122.3367, "miles": 10}
        values.update(fields)
        return Activation.objects.create(**values)

    def text_in(self, body: str, number: str = "+12065550123", provider_id: str = "gw-1") -> Any:
        raw = json.dumps({"id": provider_id, "from": number, "to": "+12065550000", "body": body}).encode()
        with self.captureOnCommitCallbacks(execute=True):
            response = self.client.post("/hooks/sms/http/inbound", raw, content_type="application/json",
                                        headers={"X-Turnout-Signature": signature(raw, SECRET)})
        self.run_worker()  # the worker acts on the reply
        return response

    def sent_to(self) -> list[str]:
        return sorted(s.to for s in simple.outbox)

    def test_the_audience_is_within_the_radius_and_each_persons_own_travel_distance(self) -> None:
        """Within 10 miles of Westlake: Maria and Nia; not Ravi (travels 2 miles, lives 12 away) nor Paz."""
        activation = self.make_activation()
        people = set(services.audience(activation).values_list("person__given_name", flat=True))
        self.assertEqual(people, {"Maria", "Nia"})
        self.assertEqual(services.preview(activation).members, 2)

    def test_the_whole_network_without_a_place_and_skills_narrow_it(self) -> None:
        activation = self.make_activation(postal_code="", latitude=None, longitude=None, miles=None)
        self.assertEqual(services.audience(activation).count(), 4)
        activation.skills = packed(["medic", "driver"])
        self.assertEqual(list(services.audience(activation).values_list("person__given_name", flat=True)), ["Nia"])

    def test_activating_texts_the_audience_and_yes_becomes_an_rsvp_with_the_details(self) -> None:
        activation = self.make_activation()
        with self.captureOnCommitCallbacks(execute=True):
            reached = services.activate(actor=self.organizer, activation=activation)
        self.assertEqual(reached, 2)
        self.run_worker()
        self.assertEqual(self.sent_to(), ["+12065550123", "+12065550177"])
        self.assertIn("Reply Y", simple.outbox[0].body)
        simple.outbox.clear()

        self.assertEqual(self.text_in("Sí", provider_id="a").status_code, 200)
        self.run_worker()
        answer = Response.objects.get(activation=activation, person=self.member)
        self.assertEqual(answer.answer, "yes")
        self.assertEqual(Rsvp.objects.get(event=self.event, person=self.member).status, Rsvp.Status.GOING)
        self.assertEqual([s.to for s in simple.outbox], ["+12065550123"])  # the details, to the yes only
        self.assertIn("Rally at Westlake Park", simple.outbox[0].body)
        self.assertIn(self.event.public_url(), simple.outbox[0].body)
        self.assertTrue(InboundMessage.objects.get(provider_id="a").handled)

        self.text_in("2", number="+12065550177", provider_id="b")
        board = services.board(activation)
        self.assertEqual((board.recipients, board.yes, board.no, board.no_answer), (2, 1, 1, 0))
        self.assertEqual(board.bands[0][:3], ("0\u20135", 2, 1))

    def test_the_same_reply_delivered_twice_counts_once_and_a_new_answer_replaces_the_old(self) -> None:
        activation = self.make_activation()
        with self.captureOnCommitCallbacks(execute=True):
            services.activate(actor=self.organizer, activation=activation)
        self.run_worker()
        self.text_in("Y", provider_id="same")
        self.text_in("Y", provider_id="same")
        self.run_worker()
        self.assertEqual(Response.objects.filter(activation=activation).count(), 1)
        followups = Delivery.objects.filter(message__topic=f"activation:{activation.pk}:followup")
        self.assertEqual(followups.count(), 1)
        self.text_in("no", provider_id="changed")
        self.assertEqual(Response.objects.get(activation=activation).answer, "no")
        self.assertEqual(Rsvp.objects.get(event=self.event, person=self.member).status, Rsvp.Status.CANCELLED)
        self.text_in("YES", provider_id="again")
        self.run_worker()
        self.assertEqual(Rsvp.objects.get(event=self.event, person=self.member).status, Rsvp.Status.GOING)
        self.assertEqual(followups.count(), 1)  # the details went once

    def test_replies_are_stored_at_once_and_answered_by_the_worker_in_the_order_they_came(self) -> None:
        from django_tasks_db.models import DBTaskResult

        activation = self.make_activation()
        with self.captureOnCommitCallbacks(execute=True):
            services.activate(actor=self.organizer, activation=activation)
        self.run_worker()
        raw = [json.dumps({"id": f"r{n}", "from": "+12065550123", "to": "+12065550000", "body": body}).encode()
               for n, body in enumerate(["Y", "N"])]
        for body in raw:
            with self.captureOnCommitCallbacks(execute=True):
                response = self.client.post("/hooks/sms/http/inbound", body, content_type="application/json",
                                            headers={"X-Turnout-Signature": signature(body, SECRET)})
            self.assertEqual(response.status_code, 200)
        self.assertEqual(InboundMessage.objects.filter(waiting=True).count(), 2)
        self.assertFalse(Response.objects.exists())  # not yet: the gateway was answered first
        runs = DBTaskResult.objects.filter(task_path="turnout.messaging.tasks.offer_replies")
        self.assertEqual(runs.count(), 1)  # two replies in a second ask for one run
        self.run_worker()
        self.assertEqual(Response.objects.get(activation=activation).answer, "no")  # the later answer stands
        self.assertFalse(InboundMessage.objects.filter(Q(waiting=True) | Q(handled=False)).exists())

    def test_opt_out_words_win_and_other_replies_go_to_the_inbox(self) -> None:
        activation = self.make_activation()
        with self.captureOnCommitCallbacks(execute=True):
            services.activate(actor=self.organizer, activation=activation)
        self.run_worker()
        self.text_in("Can I bring my kids?", provider_id="q")
        self.assertFalse(InboundMessage.objects.get(provider_id="q").handled)
        self.text_in("No más", provider_id="stop")
        self.assertFalse(Response.objects.exists())
        self.assertEqual(self.member.phones.get().sms_status, Subscription.UNSUBSCRIBED)

    def test_a_reply_that_cannot_be_acted_on_stays_in_the_inbox_and_holds_up_no_other(self) -> None:
        def breaks(sender: Any, inbound: InboundMessage, **kwargs: Any) -> bool:
            if inbound.body == "boom":
                raise RuntimeError("a receiver failed")
            return False

        activation = self.make_activation()
        with self.captureOnCommitCallbacks(execute=True):
            services.activate(actor=self.organizer, activation=activation)
        self.run_worker()
        sms_reply.connect(breaks, dispatch_uid="test-breaks")
        self.addCleanup(sms_reply.disconnect, dispatch_uid="test-breaks")
        with self.assertLogs("turnout.messaging.services", "ERROR"):
            self.text_in("boom", provider_id="boom")
        self.text_in("Y", provider_id="yes")
        self.assertEqual(Response.objects.get(activation=activation).answer, "yes")
        boom = InboundMessage.objects.get(provider_id="boom")
        self.assertEqual((boom.waiting, boom.handled), (False, False))  # a person reads it in the inbox

    def test_a_yes_from_someone_not_asked_is_not_an_answer(self) -> None:
        activation = self.make_activation()
        with self.captureOnCommitCallbacks(execute=True):
            services.activate(actor=self.organizer, activation=activation)
        self.text_in("Y", number="+15035550155", provider_id="paz")  # Paz was not asked (too far)
        self.assertFalse(Response.objects.exists())
        self.assertFalse(InboundMessage.objects.get(provider_id="paz").handled)

    def test_a_drill_goes_to_a_sample_and_makes_no_rsvp(self) -> None:
        activation = self.make_activation(is_drill=True, sample_size=1, miles=None, postal_code="", latitude=None,
                                          longitude=None)
        with self.captureOnCommitCallbacks(execute=True):
            services.activate(actor=self.organizer, activation=activation)
        self.run_worker()
        self.assertEqual(Recipient.objects.filter(activation=activation).count(), 1)
        self.assertEqual(len(simple.outbox), 1)
        asked = simple.outbox[0].to
        self.text_in("Y", number=asked, provider_id="drill")
        self.assertEqual(Response.objects.get(activation=activation).answer, "yes")
        self.assertFalse(Rsvp.objects.filter(event=self.event).exists())

    def test_the_second_wave_asks_nobody_twice(self) -> None:
        """One yes of two wanted after 15 minutes: the wave runs once, and those asked are not asked again."""
        activation = self.make_activation(miles=3, escalate_below=2, escalate_after=15, escalate_miles=25)
        with self.captureOnCommitCallbacks(execute=True):
            services.activate(actor=self.organizer, activation=activation)
        self.run_worker()
        self.assertEqual(self.sent_to(), ["+12065550123", "+12065550177"])
        self.text_in("Y", provider_id="one-yes")
        self.run_worker()
        simple.outbox.clear()
        self.travel_to(NOON_PACIFIC + timedelta(minutes=16))
        self.run_worker()
        # Ravi travels 2 miles and Paz lives 145 away: within 25 miles nobody new will come.
        self.assertEqual(simple.outbox, [])
        activation.refresh_from_db()
        self.assertIsNotNone(activation.escalated_at)

    def test_the_second_wave_reaches_people_the_first_radius_left_out(self) -> None:
        tacoma = make_member(self.network, make_person(self.local, given_name="Tomas", postal_code="98402",
                                                       phone="+12535550188"), travel=50, phone="+12535550188")
        activation = self.make_activation(miles=5, escalate_below=3, escalate_after=10, escalate_miles=40)
        with self.captureOnCommitCallbacks(execute=True):
            services.activate(actor=self.organizer, activation=activation)
        self.run_worker()
        simple.outbox.clear()
        self.travel_to(NOON_PACIFIC + timedelta(minutes=11))
        self.run_worker()
        self.assertEqual(self.sent_to(), ["+12535550188"])
        self.assertEqual(Recipient.objects.get(activation=activation, person=tacoma.person).wave, 2)
        self.assertEqual(services.board(activation).waves, {1: 2, 2: 1})

    def test_the_second_wave_asks_captains_to_call_their_people_who_have_not_answered(self) -> None:
        captain = make_staff("captain@example.org", self.local, Role.HOST)
        other_captain = make_staff("other@example.org", self.local, Role.HOST)
        Member.objects.filter(pk__in=[self.maria.pk, self.near.pk]).update(captain=captain)
        Member.objects.filter(pk=self.far.pk).update(captain=other_captain)  # never asked: too far
        activation = self.make_activation(escalate_below=2, escalate_after=10, escalate_captains=True)
        with self.captureOnCommitCallbacks(execute=True):
            services.activate(actor=self.organizer, activation=activation)
        self.run_worker()
        self.text_in("Y", provider_id="maria-yes")  # Maria answers; Nia does not
        self.run_worker()
        mail.outbox.clear()
        self.travel_to(NOON_PACIFIC + timedelta(minutes=9))
        self.run_worker()
        self.assertEqual(mail.outbox, [])  # not yet
        self.travel_to(NOON_PACIFIC + timedelta(minutes=11))
        self.run_worker()
        self.assertEqual([m.to for m in mail.outbox], [["captain@example.org"]])
        body = mail.outbox[0].body
        self.assertIn('1 of your people have not answered "Westlake rally"', body)
        self.assertIn("/mobilize/captain/", body)
        self.assertNotIn("Nia", body)  # names and numbers stay behind the captain's login
        self.assertNotIn("+1206", body)
        self.assertIn("1 captains asked to call 1 people",
                      AuditEntry.objects.filter(target_id=str(activation.public_id)).first().summary)
        self.login(captain)
        self.assertContains(self.client.get("/mobilize/captain/"), "Nia")

    def test_enough_yeses_in_time_and_captains_are_not_asked(self) -> None:
        Member.objects.filter(pk=self.near.pk).update(captain=make_staff("c@example.org", self.local, Role.HOST))
        activation = self.make_activation(escalate_below=1, escalate_after=10, escalate_captains=True)
        with self.captureOnCommitCallbacks(execute=True):
            services.activate(actor=self.organizer, activation=activation)
        self.run_worker()
        self.text_in("Y", provider_id="maria-yes")
        self.run_worker()
        mail.outbox.clear()
        self.travel_to(NOON_PACIFIC + timedelta(minutes=11))
        self.run_worker()
        self.assertEqual(mail.outbox, [])

    def test_an_emergency_override_sends_in_quiet_hours_and_is_on_record(self) -> None:
        self.travel_to(datetime(2026, 11, 5, 11, 0, tzinfo=UTC))  # 3 a.m. in Seattle, that night
        quiet = self.make_activation(title="Quiet")
        with self.captureOnCommitCallbacks(execute=True):
            services.activate(actor=self.organizer, activation=quiet)
        self.run_worker()
        self.assertEqual(simple.outbox, [])  # held until 9 a.m.
        urgent = self.make_activation(title="Urgent", ignore_quiet_hours=True,
                                      override_reason="ICE raid at the plant right now")
        with self.captureOnCommitCallbacks(execute=True):
            services.activate(actor=self.organizer, activation=urgent)
        self.run_worker()
        self.assertEqual(len(simple.outbox), 2)
        entry = AuditEntry.objects.get(target_id=str(urgent.public_id))
        self.assertIn("ICE raid at the plant right now", entry.summary)

    def test_an_update_goes_to_the_yeses_only(self) -> None:
        activation = self.make_activation()
        with self.captureOnCommitCallbacks(execute=True):
            services.activate(actor=self.organizer, activation=activation)
        self.run_worker()
        self.text_in("y", provider_id="yes")
        self.run_worker()
        simple.outbox.clear()
        with self.captureOnCommitCallbacks(execute=True):
            services.send_update(actor=self.organizer, activation=activation, body="Moved to the north entrance")
        self.run_worker()
        self.assertEqual([(s.to, "north entrance" in s.body) for s in simple.outbox], [("+12065550123", True)])

    def test_an_activation_is_sent_once(self) -> None:
        activation = self.make_activation()
        services.activate(actor=self.organizer, activation=activation)
        with self.assertRaises(services.MobilizationError):
            services.activate(actor=self.organizer, activation=activation)
        self.assertEqual(Delivery.objects.filter(message__topic=f"activation:{activation.pk}:sms").count(), 2)

    def outbox_names(self, activation: Activation) -> list[str]:
        return list(Delivery.objects.filter(message__topic=f"activation:{activation.pk}:sms").order_by("pk")
                    .values_list("person__given_name", flat=True))

    def test_erasing_someone_an_activation_reached_removes_them_from_its_board_and_outbox(self) -> None:
        # The recipients' link to people is not checked row by row in the database (see Recipient):
        # erasing a person still takes their rows with them.
        activation = self.make_activation()
        with self.captureOnCommitCallbacks(execute=True):
            services.activate(actor=self.organizer, activation=activation)
        nia = self.near.person
        erase_person(actor=self.admin, person=nia)
        self.assertFalse(Recipient.objects.filter(person_id=nia.pk).exists())
        self.assertFalse(Delivery.objects.filter(address="+12065550177").exists())
        self.assertEqual(services.board(activation).recipients, 1)
        self.run_worker()
        self.assertEqual(self.sent_to(), ["+12065550123"])

    @override_settings(ACTIVATION_FIRST_CHUNK=1)
    def test_the_nearest_are_sent_to_first_then_everyone_else(self) -> None:
        # At Capitol Hill, where Nia lives (Maria is downtown; Paz in Portland travels 200 miles).
        hill = geo.lookup_zip("98102")
        assert hill is not None
        activation = self.make_activation(miles=None, postal_code="98102", latitude=hill.latitude,
                                          longitude=hill.longitude)
        with self.captureOnCommitCallbacks(execute=True):
            self.assertEqual(services.activate(actor=self.organizer, activation=activation), 3)
        names = self.outbox_names(activation)
        self.assertEqual(names[0], "Nia")  # the nearest: her text was committed before anyone else's
        self.assertEqual(sorted(names), ["Maria", "Nia", "Paz"])
        activation.refresh_from_db()
        self.assertTrue(activation.outbox_complete)
        self.assertEqual(AuditEntry.objects.filter(target_type="activation", actor=self.organizer).get().summary,
                         "Activated Rapid Response: 3 people")
        self.run_worker()
        self.assertEqual(self.sent_to(), ["+12065550123", "+12065550177", "+15035550155"])

    @override_settings(ACTIVATION_FIRST_CHUNK=1)
    def test_an_activation_whose_sender_stopped_after_the_nearest_is_finished_by_the_worker(self) -> None:
        activation = self.make_activation(miles=None)
        services.activate(actor=self.organizer, activation=activation)
        # As if the sender had stopped once the nearest person's text was committed.
        Recipient.objects.filter(activation=activation).exclude(person=self.member).delete()
        Delivery.objects.filter(message__activations=activation).exclude(person=self.member).delete()
        Activation.objects.filter(pk=activation.pk).update(outbox_complete=False)
        self.assertEqual(services.finish_unfinished(), 0)  # the sender may still be at it
        self.travel_to(NOON_PACIFIC + timedelta(minutes=2))
        with self.captureOnCommitCallbacks(execute=True):
            self.assertEqual(services.finish_unfinished(), 1)
        self.assertEqual(sorted(self.outbox_names(activation)), ["Maria", "Nia", "Paz"])  # Maria once
        self.assertEqual(services.finish_unfinished(), 0)
        self.run_worker()
        self.assertEqual(self.sent_to(), ["+12065550123", "+12065550177", "+15035550155"])


@time_machine.travel(NOON_PACIFIC, tick=False)
@override_settings(SMS_BACKEND="memory", SMS_HTTP_SECRET=SECRET)
class ActivationPagesTests(TurnoutTestCase):
    def setUp(self) -> None:
        simple.outbox.clear()
        self.network = Network.objects.create(group=self.local, name="Rapid Response")
        make_member(self.network, self.member, travel=10, phone="+12065550123")

    def test_compose_preview_and_send(self) -> None:
        self.login(self.organizer)
        response = self.client.post(f"/mobilize/networks/{self.network.public_id}/activate/", {
            "title": "Westlake", "body": "Rally 6pm. Reply Y or N", "channels": "sms", "postal_code": "98101",
            "miles": "10"})
        activation = Activation.objects.get()
        self.assertRedirects(response, activation.get_absolute_url())
        page = self.client.get(activation.get_absolute_url())
        self.assertContains(page, 'data-testid="preview-members">1<')
        with self.captureOnCommitCallbacks(execute=True):
            self.client.post(f"/mobilize/activations/{activation.public_id}/send/")
        self.run_worker()
        self.assertEqual([s.to for s in simple.outbox], ["+12065550123"])
        board = self.client.get(activation.get_absolute_url())
        self.assertContains(board, 'data-testid="asked">1<')
        self.assertContains(board, "Sent to 1 person. Answers appear below")

    def test_compose_with_a_new_event_at_the_action_and_yes_becomes_its_rsvp(self) -> None:
        self.login(self.organizer)
        response = self.client.post(f"/mobilize/networks/{self.network.public_id}/activate/", {
            "title": "Rally at Westlake Park", "body": "Rally at Westlake Park, 6pm. Reply Y or N", "channels": "sms",
            "postal_code": "98101", "new_event_venue": "Westlake Park", "new_event_address": "401 Pine St",
            "new_event_date": "2026-11-04", "new_event_time": "18:00"})
        activation = Activation.objects.get()
        self.assertRedirects(response, activation.get_absolute_url())
        event = activation.event
        assert event is not None
        self.assertEqual((event.title, event.venue, event.group, event.visibility),
                         ("Rally at Westlake Park", "Westlake Park", self.local, "unlisted"))
        self.assertEqual(event.starts_at, datetime(2026, 11, 5, 2, 0, tzinfo=UTC))  # 6 p.m. in Seattle
        with self.captureOnCommitCallbacks(execute=True):
            self.client.post(f"/mobilize/activations/{activation.public_id}/send/")
        self.run_worker()
        raw = json.dumps({"id": "y1", "from": "+12065550123", "to": "+12065550000", "body": "SÍ"}).encode()
        with override_settings(SMS_HTTP_SECRET=SECRET), self.captureOnCommitCallbacks(execute=True):
            self.client.post("/hooks/sms/http/inbound", raw, content_type="application/json",
                             headers={"X-Turnout-Signature": signature(raw, SECRET)})
        self.run_worker()
        self.assertEqual(Rsvp.objects.get(event=event).person, self.member)
        self.assertIn("Westlake Park", simple.outbox[-1].body)  # the details the yes gets

    def test_a_new_event_needs_a_place_and_a_time_to_come(self) -> None:
        self.login(self.organizer)
        url = f"/mobilize/networks/{self.network.public_id}/activate/"
        base = {"title": "Rally", "body": "Rally. Reply Y or N", "channels": "sms", "new_event_venue": "Westlake Park"}
        response = self.client.post(url, {**base, "new_event_date": "2026-11-04", "new_event_time": "18:00"})
        self.assertContains(response, "A new event needs the action&#x27;s ZIP code.")
        self.assertContains(response, 'value="Westlake Park"')
        response = self.client.post(url, {**base, "postal_code": "98101", "new_event_date": "2026-11-03",
                                          "new_event_time": "18:00"})
        self.assertContains(response, "That time has passed.")
        response = self.client.post(url, {**base, "postal_code": "98101"})
        self.assertContains(response, "Give the day and the local time the action starts.")
        self.assertFalse(Activation.objects.exists())
        self.assertFalse(Event.objects.exists())

    def test_bad_input_keeps_what_was_typed(self) -> None:
        self.login(self.organizer)
        response = self.client.post(f"/mobilize/networks/{self.network.public_id}/activate/", {
            "title": "Westlake", "body": "Rally at six", "channels": "sms", "postal_code": "00000", "miles": "10",
            "ignore_quiet_hours": "on"})
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "We do not know this ZIP code.")
        self.assertContains(response, "Say why this cannot wait")
        self.assertContains(response, "Rally at six")
        self.assertFalse(Activation.objects.exists())

    def test_a_captain_sees_their_own_people_only(self) -> None:
        captain = make_staff("captain@example.org", self.local, Role.HOST)
        other = make_person(self.local, given_name="Olga", phone="+12065550199")
        Member.objects.filter(person=self.member).update(captain=captain)
        make_member(self.network, other)
        self.login(captain)
        page = self.client.get("/mobilize/captain/")
        self.assertContains(page, "Maria")
        self.assertNotContains(page, "Olga")
        self.assertEqual(self.client.get(self.network.get_absolute_url()).status_code, 404)
