"""Twilio: texts through a local server that speaks Twilio's Messages API, and webhooks signed the
way Twilio signs them (checked with Twilio's own helper library, not with Turnout's code)."""

from __future__ import annotations

import base64
import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs

import time_machine
from django.test import override_settings
from twilio.request_validator import RequestValidator

from turnout.messaging import outbox
from turnout.messaging.models import Delivery, InboundMessage, Message
from turnout.messaging.tests.fakes import QuietHandler, serve
from turnout.messaging.transports import simple
from turnout.people.models import ConsentEvent, Person, PhoneNumber, Subscription
from turnout.people.services import record_consent
from turnout.site.testing import TurnoutTestCase

SID, TOKEN = "AC00000000000000000000000000000001", "twilio-auth-token"
NOON_SEATTLE = datetime(2026, 11, 24, 20, 0, tzinfo=UTC)  # 12:00 in Seattle: eight hours before 20:00


@contextmanager
def fake_twilio(answers: dict[str, tuple[int, dict[str, Any]]] | None = None) -> Iterator[dict[str, Any]]:
    """Twilio's Messages API on 127.0.0.1: checks the account's basic auth, records each form, and
    answers 201 with a new SM sid, or what `answers` says for a given To number."""
    seen: dict[str, Any] = {"forms": [], "paths": []}
    sids = itertools.count(1)
    expected_auth = "Basic " + base64.b64encode(f"{SID}:{TOKEN}".encode()).decode()

    class Handler(QuietHandler):
        def do_POST(self) -> None:
            form = {k: v[0] for k, v in parse_qs(self.read_body().decode()).items()}
            if self.headers.get("Authorization") != expected_auth:
                status, body = 401, {"code": 20003, "message": "Authenticate", "status": 401}
            else:
                seen["forms"].append(form)
                seen["paths"].append(self.path)
                status, body = (answers or {}).get(form.get("To", ""), (201, {}))
                if status == 201:
                    body = {"sid": f"SM{next(sids):032d}", "status": "queued", "to": form["To"]}
            self.answer(status, body)

    with serve(Handler) as url:
        seen["url"] = url
        yield seen


TWILIO = {"SMS_BACKEND": "twilio", "TWILIO_ACCOUNT_SID": SID, "TWILIO_AUTH_TOKEN": TOKEN, "SMS_RATE": 0,
          "BASE_URL": "https://turnout.local8.example", "ORGANIZATION_NAME": "Local 8 Union"}


# Set-up included: the consent ledger's latest entry, by time, decides whether Maria may be texted.
@time_machine.travel(NOON_SEATTLE, tick=False)
@override_settings(**TWILIO, SMS_SENDERS=["+12065550100"])
class TwilioSendingTests(TurnoutTestCase):
    def setUp(self) -> None:
        record_consent(person=self.member, channel="sms", address="+12065550123", action="opt_in", source="form")

    def blast(self, **extra: Any) -> Message:
        message = Message.objects.create(group=self.local, channel="sms", body="Rally at 6, {first_name}", **extra)
        outbox.materialize(message, Person.objects.filter(pk=self.member.pk))
        return message

    def send_at_noon(self, answers: dict[str, tuple[int, dict[str, Any]]] | None = None,
                     **settings: Any) -> Delivery:
        """Blast Maria at noon in Seattle through a Twilio that answers as told; her delivery."""
        with fake_twilio(answers) as seen, override_settings(TWILIO_API_URL=seen["url"], **settings):
            message = self.blast()
            outbox.dispatch(message)
        self.seen = seen
        return Delivery.objects.get(message=message)

    def test_a_text_goes_through_the_messages_api_with_callback_and_validity(self) -> None:
        delivery = self.send_at_noon()
        self.assertEqual(self.seen["paths"], [f"/2010-04-01/Accounts/{SID}/Messages.json"])
        form = self.seen["forms"][0]
        self.assertEqual(form["To"], "+12065550123")
        self.assertEqual(form["From"], "+12065550100")
        self.assertTrue(form["Body"].startswith("Rally at 6, Maria"))
        self.assertEqual(form["StatusCallback"], "https://turnout.local8.example/hooks/sms/twilio/status")
        # Maria is in Seattle at noon: the text may arrive until 20:00 there, eight hours on.
        self.assertEqual(form["ValidityPeriod"], str(8 * 3600))
        self.assertEqual((delivery.status, delivery.provider_id, delivery.sender),
                         ("sent", "SM" + "1".zfill(32), "+12065550100"))

    def test_a_messaging_service_sends_and_an_emergency_text_does_not_expire_early(self) -> None:
        with fake_twilio() as seen, override_settings(TWILIO_API_URL=seen["url"], SMS_SENDERS=["MG0123456789"]):
            outbox.dispatch(self.blast(ignore_quiet_hours=True, override_reason="shelter-in-place"))
        form = seen["forms"][0]
        self.assertEqual(form["MessagingServiceSid"], "MG0123456789")
        self.assertNotIn("From", form)
        self.assertNotIn("ValidityPeriod", form)

    def test_refusals_fail_throttling_retries_and_a_carrier_opt_out_is_recorded(self) -> None:
        delivery = self.send_at_noon({"+12065550123": (400, {"code": 21610, "message": "Attempt to send to "
                                                                                          "unsubscribed recipient"})})
        self.assertEqual((delivery.status, delivery.error), ("suppressed", "opted out with the carrier"))
        self.assertEqual(PhoneNumber.objects.get(number="+12065550123").sms_status, Subscription.UNSUBSCRIBED)
        event = ConsentEvent.objects.filter(person=self.member).first()
        self.assertEqual((event.action, event.source), ("opt_out", "provider"))

        record_consent(person=self.member, channel="sms", address="+12065550123", action="opt_in", source="form")
        delivery = self.send_at_noon({"+12065550123": (400, {"code": 21211, "message": "Invalid 'To' Phone Number"})})
        self.assertEqual((delivery.status, delivery.error), ("failed", "Twilio 21211: Invalid 'To' Phone Number"))

        delivery = self.send_at_noon({"+12065550123": (429, {"code": 20429, "message": "Too Many Requests"})})
        self.assertEqual(delivery.status, "queued")  # waits and tries again
        self.assertIsNotNone(delivery.not_before)

    def test_wrong_credentials_fail_with_twilios_reason(self) -> None:
        self.assertEqual(self.send_at_noon(TWILIO_AUTH_TOKEN="wrong").error, "Twilio 20003: Authenticate")


@override_settings(**TWILIO, SMS_SENDERS=["+12065550100"], ALLOWED_HOSTS=["turnout.local8.example", "testserver"])
class TwilioWebhookTests(TurnoutTestCase):
    def setUp(self) -> None:
        simple.outbox.clear()
        record_consent(person=self.member, channel="sms", address="+12065550123", action="opt_in", source="form")
        message = Message.objects.create(group=self.local, channel="sms", body="Rally at 6")
        self.delivery = Delivery.objects.create(message=message, person=self.member, channel="sms",
                                                address="+12065550123", status="sent", provider_id="SM42")

    def post(self, hook: str, form: dict[str, str], token: str = TOKEN, signed: bool = True) -> Any:
        url = f"https://turnout.local8.example/hooks/sms/twilio/{hook}"
        headers = {"X-Twilio-Signature": RequestValidator(token).compute_signature(url, form)} if signed else {}
        return self.client.post(f"/hooks/sms/twilio/{hook}", form, headers=headers)

    def test_status_callbacks_move_a_text_forward_once_whatever_their_order(self) -> None:
        form = {"MessageSid": "SM42", "MessageStatus": "delivered", "AccountSid": SID, "To": "+12065550123"}
        for _ in range(2):
            self.assertEqual(self.post("status", form).status_code, 204)
        self.post("status", {**form, "MessageStatus": "sent"})  # late, out of order
        self.delivery.refresh_from_db()
        self.assertEqual(self.delivery.status, "delivered")

    def test_an_undelivered_text_fails_with_twilios_error_code(self) -> None:
        self.post("status", {"MessageSid": "SM42", "MessageStatus": "undelivered", "ErrorCode": "30003"})
        self.delivery.refresh_from_db()
        self.assertEqual((self.delivery.status, self.delivery.error), ("failed", "Twilio 30003: undelivered"))

    def test_a_missing_or_wrong_signature_is_refused_and_changes_nothing(self) -> None:
        form = {"MessageSid": "SM42", "MessageStatus": "failed", "ErrorCode": "30006"}
        self.assertEqual(self.post("status", form, signed=False).status_code, 403)
        self.assertEqual(self.post("status", form, token="someone-else").status_code, 403)
        inbound = {"MessageSid": "SMin1", "From": "+12065550123", "To": "+12065550100", "Body": "STOP"}
        self.assertEqual(self.post("inbound", inbound, token="someone-else").status_code, 403)
        self.delivery.refresh_from_db()
        self.assertEqual(self.delivery.status, "sent")
        self.assertFalse(InboundMessage.objects.exists())
        self.assertEqual(PhoneNumber.objects.get(number="+12065550123").sms_status, Subscription.SUBSCRIBED)

    def test_a_reply_lands_in_the_inbox_and_stop_opts_out_without_a_second_answer(self) -> None:
        reply = self.post("inbound", {"MessageSid": "SMin1", "From": "+12065550123", "To": "+12065550100",
                                      "Body": "I can bring 5 people"})
        self.assertEqual(reply.status_code, 200)
        self.assertEqual(reply["Content-Type"], "text/xml")
        self.assertIn(b"<Response></Response>", reply.content)
        self.assertEqual(InboundMessage.objects.get().body, "I can bring 5 people")

        with override_settings(SMS_BACKEND="memory"):  # what Turnout itself would send, kept here
            self.post("inbound", {"MessageSid": "SMin2", "From": "+12065550123", "To": "+12065550100",
                                  "Body": "STOP", "OptOutType": "STOP"})
        self.assertEqual(PhoneNumber.objects.get(number="+12065550123").sms_status, Subscription.UNSUBSCRIBED)

    def test_twilio_answers_english_keywords_itself_so_turnout_answers_only_the_others(self) -> None:
        with fake_twilio() as seen, override_settings(TWILIO_API_URL=seen["url"]):
            self.post("inbound", {"MessageSid": "SMin3", "From": "+12065550123", "To": "+12065550100",
                                  "Body": "parar"})
            self.assertEqual(len(seen["forms"]), 1)  # Spanish: Twilio does not answer it, Turnout does
            self.assertIn("No recibirá más mensajes", seen["forms"][0]["Body"])
            record_consent(person=self.member, channel="sms", address="+12065550123", action="opt_in",
                           source="form")
            self.post("inbound", {"MessageSid": "SMin4", "From": "+12065550123", "To": "+12065550100", "Body": "STOP"})
            self.assertEqual(len(seen["forms"]), 1)  # Twilio's Advanced Opt-Out answered STOP
            with override_settings(TWILIO_ANSWERS_KEYWORDS=False):
                self.post("inbound", {"MessageSid": "SMin5", "From": "+12065550123", "To": "+12065550100",
                                      "Body": "HELP"})
        self.assertEqual(len(seen["forms"]), 2)
        self.assertIn("Local 8 Union", seen["forms"][1]["Body"])
        self.assertEqual(seen["forms"][1]["From"], "+12065550100")  # from the number they wrote to
        self.assertEqual(PhoneNumber.objects.get(number="+12065550123").sms_status, Subscription.UNSUBSCRIBED)
