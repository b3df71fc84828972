"""Answers from a number several groups' records hold: a "Y" is the record's that was asked, and an
activation whose audience holds two records of one number texts it once."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import time_machine
from django.test import override_settings

from turnout.messaging.models import Delivery, InboundMessage
from turnout.messaging.transports import simple
from turnout.messaging.transports.http import signature
from turnout.mobilization import services
from turnout.mobilization.models import Activation, Member, Network, Recipient, Response
from turnout.people.models import Person
from turnout.people.services import record_consent
from turnout.site.testing import TurnoutTestCase, make_group, make_person

SECRET = "gateway-secret"
NOON_PACIFIC = datetime(2026, 11, 4, 20, 0, tzinfo=UTC)
NUMBER = "+12065550123"  # Maria's


def join(network: Network, person: Person) -> Member:
    record_consent(person=person, channel="sms", address=NUMBER, action="opt_in", source="form",
                   text="Text me when the network is called on")
    return Member.objects.create(network=network, person=person, travel_miles=25)


@time_machine.travel(NOON_PACIFIC, tick=False)
@override_settings(SMS_BACKEND="memory", SMS_HTTP_SECRET=SECRET, ORGANIZATION_NAME="Local 8 Union")
class SharedNumberAnswerTests(TurnoutTestCase):
    """Local 8's network and Eastside's each hold their own record of Maria's number."""

    def setUp(self) -> None:
        simple.outbox.clear()
        self.twin = make_person(self.other, given_name="Maria", family_name="Lopez", email="maria@example.org",
                                phone=NUMBER, postal_code="98101")
        self.ours = Network.objects.create(group=self.local, name="Rapid Response")
        self.theirs = Network.objects.create(group=self.other, name="Eastside Responders")
        join(self.ours, self.member)
        join(self.theirs, self.twin)

    def activate(self, network: Network, title: str, by: Any) -> Activation:
        activation = Activation.objects.create(network=network, title=title, body=f"{title}. Reply Y or N.")
        with self.captureOnCommitCallbacks(execute=True):
            services.activate(actor=by, activation=activation)
        self.run_worker()  # the texts go out
        return activation

    def text_in(self, body: str, provider_id: str) -> InboundMessage:
        raw = json.dumps({"id": provider_id, "from": NUMBER, "to": "+12065550000", "body": body}).encode()
        with self.captureOnCommitCallbacks(execute=True):
            self.client.post("/hooks/sms/http/inbound", raw, content_type="application/json",
                             headers={"X-Turnout-Signature": signature(raw, SECRET)})
        self.run_worker()  # the worker acts on the reply
        return InboundMessage.objects.get(provider_id=provider_id)

    def test_a_yes_is_credited_to_the_record_that_was_asked(self) -> None:
        rally = self.activate(self.ours, "Rally at Westlake", self.organizer)
        inbound = self.text_in("Y", provider_id="yes")
        self.assertEqual(list(Response.objects.values_list("activation", "person", "answer")),
                         [(rally.pk, self.member.pk, "yes")])
        self.assertEqual((inbound.person, inbound.handled), (self.member, True))

    def test_the_latest_question_to_the_number_gets_the_answer_and_the_text(self) -> None:
        """Local 8 asked first and Eastside after it: her "Y" answers Eastside, on Eastside's record only."""
        rally = self.activate(self.ours, "Rally at Westlake", self.organizer)
        with time_machine.travel(NOON_PACIFIC + timedelta(minutes=10), tick=False):
            picket = self.activate(self.theirs, "Picket at the warehouse", self.outsider)
            inbound = self.text_in("Sí", provider_id="yes")
        self.assertEqual(list(Response.objects.values_list("activation", "person", "answer")),
                         [(picket.pk, self.twin.pk, "yes")])
        self.assertFalse(rally.responses.exists())
        self.assertEqual(inbound.person, self.twin)
        self.login(self.organizer)
        self.assertEqual(self.client.get(f"/messages/inbox/{self.twin.public_id}/").status_code, 404)
        self.assertNotContains(self.client.get(f"/messages/inbox/{self.member.public_id}/"), "Sí")

    def test_a_question_whose_text_to_the_number_was_not_sent_is_not_answered(self) -> None:
        """Eastside's later question was never texted to her (she had not agreed, there): the "N" is Local 8's."""
        record_consent(person=self.twin, channel="sms", address=NUMBER, action="opt_out", source="staff")
        with time_machine.travel(NOON_PACIFIC + timedelta(minutes=1), tick=False):
            record_consent(person=self.member, channel="sms", address=NUMBER, action="opt_in", source="form")
            rally = self.activate(self.ours, "Rally at Westlake", self.organizer)
        with time_machine.travel(NOON_PACIFIC + timedelta(minutes=10), tick=False):
            self.activate(self.theirs, "Picket at the warehouse", self.outsider)
            self.text_in("N", provider_id="no")
        self.assertEqual(list(Response.objects.values_list("activation", "person", "answer")),
                         [(rally.pk, self.member.pk, "no")])


@time_machine.travel(NOON_PACIFIC, tick=False)
@override_settings(SMS_BACKEND="memory", SMS_HTTP_SECRET=SECRET, ORGANIZATION_NAME="Metro Council")
class CouncilNetworkTests(TurnoutTestCase):
    """The council's network holds Local 8's record of Maria and Local 9's."""

    def setUp(self) -> None:
        simple.outbox.clear()
        self.sister = make_group("Local 9", parent=self.council)
        self.twin = make_person(self.sister, given_name="Maria", family_name="Lopez", phone=NUMBER,
                                postal_code="98101")
        self.network = Network.objects.create(group=self.council, name="Metro Rapid Response")
        for person in (self.member, self.twin):
            join(self.network, person)

    def test_an_activation_texts_a_shared_number_once_and_credits_the_record_texted(self) -> None:
        activation = Activation.objects.create(network=self.network, title="Rally", body="Rally at 6. Reply Y or N.")
        preview = services.preview(activation)
        self.assertEqual((preview.members, preview.textable), (2, 1))
        with self.captureOnCommitCallbacks(execute=True):
            services.activate(actor=self.admin, activation=activation)
        self.run_worker()
        self.assertEqual([s.to for s in simple.outbox], [NUMBER])
        self.assertEqual(Recipient.objects.filter(activation=activation).count(), 2)
        texted = Delivery.objects.get(message__activations=activation, status="sent").person_id
        raw = json.dumps({"id": "yes", "from": NUMBER, "to": "+12065550000", "body": "Y"}).encode()
        with self.captureOnCommitCallbacks(execute=True):
            self.client.post("/hooks/sms/http/inbound", raw, content_type="application/json",
                             headers={"X-Turnout-Signature": signature(raw, SECRET)})
        self.run_worker()
        self.assertEqual(list(Response.objects.values_list("person", "answer")), [(texted, "yes")])
        board = services.board(activation)
        # Two records chose, one number texted: one person asked, and they answered.
        self.assertEqual((board.recipients, board.asked, board.yes, board.no_answer), (2, 1, 1, 0))
