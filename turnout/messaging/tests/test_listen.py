"""Texts in: opt-out words in English and Spanish, START and HELP, the signed gateway hooks, statuses."""

from __future__ import annotations

import json
from typing import Any

from django.test import SimpleTestCase, override_settings

from turnout.messaging import keywords, segments
from turnout.messaging.models import Delivery, InboundMessage, Message, UnreadableWebhook
from turnout.messaging.transports import simple
from turnout.messaging.transports.http import signature
from turnout.people.models import ConsentEvent, PhoneNumber, Subscription
from turnout.people.services import record_consent
from turnout.site.testing import TurnoutTestCase

SECRET = "gateway-secret"


class CarrierAnsweringTransport(simple.MemoryTransport):
    """A provider that answers the standard English keywords itself, as US carriers and Twilio do."""

    answers_keywords = True


@override_settings(SMS_BACKEND="memory", SMS_HTTP_SECRET=SECRET, ORGANIZATION_NAME="Local 8 Union")
class InboundTests(TurnoutTestCase):
    def setUp(self) -> None:
        simple.outbox.clear()
        record_consent(person=self.member, channel="sms", address="+12065550123", action="opt_in", source="form",
                       text="Text me about actions")

    def post(self, path: str, data: Any, secret: str | None = SECRET) -> Any:
        raw = data if isinstance(data, bytes) else json.dumps(data).encode()
        headers = {"X-Turnout-Signature": signature(raw, secret)} if secret else {}
        return self.client.post(f"/hooks/sms/http/{path}", raw, content_type="application/json", headers=headers)

    def text_in(self, body: str, number: str = "+12065550123", provider_id: str = "gw-1") -> Any:
        return self.post("inbound", {"id": provider_id, "from": number, "to": "+12065550000", "body": body})

    def sms_status(self) -> str:
        return PhoneNumber.objects.get(number="+12065550123").sms_status

    def test_stop_opts_out_in_the_same_request_and_suppresses_queued_texts(self) -> None:
        message = Message.objects.create(group=self.local, channel="sms", body="Rally at 6")
        queued = Delivery.objects.create(message=message, person=self.member, channel="sms", address="+12065550123")
        response = self.text_in("Stop")
        self.assertEqual(response.status_code, 200)
        self.assertEqual(self.sms_status(), Subscription.UNSUBSCRIBED)
        event = ConsentEvent.objects.filter(person=self.member).first()
        self.assertEqual((event.action, event.source, event.consent_text), ("opt_out", "keyword", "Stop"))
        queued.refresh_from_db()
        self.assertEqual(queued.status, Delivery.Status.SUPPRESSED)
        self.assertEqual([s.to for s in simple.outbox], ["+12065550123"])
        self.assertIn("Local 8 Union", simple.outbox[0].body)

    def test_spanish_opt_out_words(self) -> None:
        for n, body in enumerate(["¡No más!", "parar", "BASTA", "Cancelar"]):
            record_consent(person=self.member, channel="sms", address="+12065550123", action="opt_in", source="form")
            self.text_in(body, provider_id=f"es-{n}")
            self.assertEqual(self.sms_status(), Subscription.UNSUBSCRIBED, body)

    def test_start_resubscribes_and_help_names_the_organization(self) -> None:
        self.text_in("STOP", provider_id="a")
        self.text_in("start", provider_id="b")
        self.assertEqual(self.sms_status(), Subscription.SUBSCRIBED)
        simple.outbox.clear()
        self.text_in("Ayuda", provider_id="c")
        self.assertEqual(self.sms_status(), Subscription.SUBSCRIBED)
        self.assertIn("Local 8 Union", simple.outbox[0].body)
        self.assertIn("STOP", simple.outbox[0].body)

    def test_a_sentence_containing_stop_is_an_ordinary_reply(self) -> None:
        self.text_in("I can't stop by today, sorry")
        inbound = InboundMessage.objects.get()
        self.assertEqual((inbound.keyword, inbound.handled, inbound.person), ("", False, self.member))
        self.assertEqual(self.sms_status(), Subscription.SUBSCRIBED)
        self.assertEqual(simple.outbox, [])

    def test_the_same_text_delivered_twice_is_handled_once(self) -> None:
        self.text_in("STOP", provider_id="dup")
        self.text_in("STOP", provider_id="dup")
        self.assertEqual(InboundMessage.objects.count(), 1)
        self.assertEqual(ConsentEvent.objects.filter(source="keyword").count(), 1)
        self.assertEqual(len(simple.outbox), 1)

    def test_keywords_the_carrier_answers_are_not_answered_twice(self) -> None:
        path = f"{__name__}.CarrierAnsweringTransport"
        with override_settings(SMS_BACKEND=path):
            self.text_in("STOP", provider_id="x1")
            self.assertEqual(simple.outbox, [])  # the carrier already said it
            self.assertEqual(self.sms_status(), Subscription.UNSUBSCRIBED)  # but the opt-out is ours to record
            self.text_in("No más", provider_id="x2")  # carriers do not answer Spanish words: Turnout does
            self.assertEqual(len(simple.outbox), 1)

    def test_a_missing_or_wrong_signature_is_403_and_changes_nothing(self) -> None:
        for secret in (None, "not-the-secret"):
            response = self.post("inbound", {"id": "evil", "from": "+12065550123", "body": "STOP"}, secret=secret)
            self.assertEqual(response.status_code, 403)
        with override_settings(SMS_HTTP_SECRET=""):  # no secret configured: nothing verifies
            self.assertEqual(self.post("inbound", {"id": "e", "from": "+12065550123", "body": "STOP"}).status_code,
                             403)
        self.assertEqual(self.sms_status(), Subscription.SUBSCRIBED)
        self.assertFalse(InboundMessage.objects.exists())

    def test_an_unreadable_webhook_is_kept_for_inspection_and_answered_400(self) -> None:
        response = self.post("inbound", b"{not json")
        self.assertEqual(response.status_code, 400)
        self.assertEqual(UnreadableWebhook.objects.get().body, "{not json")
        self.assertEqual(self.post("inbound", {"id": "n", "from": "nobody", "body": "hi"}).status_code, 400)
        self.assertEqual(self.post("status", {"id": "n", "status": "exploded"}).status_code, 400)
        self.assertEqual(UnreadableWebhook.objects.count(), 3)

    def test_statuses_only_move_forward(self) -> None:
        """Callbacks arrive twice and out of order: a late "sent" does not undo "delivered"."""
        message = Message.objects.create(group=self.local, channel="sms", body="Rally at 6")
        delivery = Delivery.objects.create(message=message, person=self.member, channel="sms",
                                           address="+12065550123", status="sent", provider_id="gw-77")
        self.assertEqual(self.post("status", {"id": "gw-77", "status": "delivered"}).json(), {"known": True})
        self.post("status", {"id": "gw-77", "status": "delivered"})
        self.post("status", {"id": "gw-77", "status": "failed", "error": "late"})
        delivery.refresh_from_db()
        self.assertEqual((delivery.status, delivery.error), ("delivered", ""))
        self.assertEqual(self.post("status", {"id": "unknown", "status": "failed"}).json(), {"known": False})


class SegmentTests(SimpleTestCase):
    def test_gsm7_and_ucs2_segments(self) -> None:
        cases = {
            "a" * 160: ("GSM-7", 1), "a" * 161: ("GSM-7", 2), "a" * 306: ("GSM-7", 2), "a" * 307: ("GSM-7", 3),
            "{" * 80: ("GSM-7", 1), "{" * 81: ("GSM-7", 2),  # extension characters take two
            "Mañana a las 6, ¿vienes?": ("GSM-7", 1),  # ñ and ¿ are in GSM-7
            "Reunión": ("UCS-2", 1),  # ó is not
            "é" * 70 + "í": ("UCS-2", 2), "✊" * 70: ("UCS-2", 1), "🪧" * 35: ("UCS-2", 1), "🪧" * 36: ("UCS-2", 2),
            "": ("GSM-7", 0),
        }
        for text, (encoding, parts) in cases.items():
            counted = segments.count(text)
            self.assertEqual((counted.encoding, counted.segments), (encoding, parts), text[:20])

    def test_keyword_classification(self) -> None:
        self.assertEqual(keywords.classify("  stop. "), "stop")
        self.assertEqual(keywords.classify("NO MÁS"), "stop")
        self.assertEqual(keywords.classify("Unstop"), "start")
        self.assertEqual(keywords.classify("info"), "help")
        self.assertIsNone(keywords.classify("stop the layoffs"))
        self.assertIsNone(keywords.classify("Y"))


