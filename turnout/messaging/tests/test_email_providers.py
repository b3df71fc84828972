"""Email through a provider (Anymail's Postmark backend against a local server that answers like
Postmark's API), and the provider's webhook reports: bounces, complaints, deliveries."""

from __future__ import annotations

import base64
import itertools
import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.test import override_settings

from turnout.messaging import outbox
from turnout.messaging.models import Delivery, Message
from turnout.messaging.tests.fakes import QuietHandler, serve
from turnout.people.models import ConsentEvent, EmailAddress, Person, Subscription
from turnout.people.services import record_consent
from turnout.site.testing import TurnoutTestCase, make_person

WEBHOOK_AUTH = "postmark:hook-secret"
INACTIVE = "inactive@example.org"


@contextmanager
def fake_postmark() -> Iterator[dict[str, Any]]:
    """POST /email answered as Postmark does: a MessageID, or ErrorCode 406 for an inactive recipient."""
    seen: dict[str, Any] = {"emails": []}
    ids = itertools.count(1)

    class Handler(QuietHandler):
        protocol_version = "HTTP/1.0"

        def do_POST(self) -> None:
            payload = json.loads(self.read_body())
            seen["emails"].append(payload)
            if payload["To"] == INACTIVE:
                body = {"ErrorCode": 406, "Message": "You tried to send to a recipient that has been marked as "
                        f"inactive.\n Found inactive addresses: {INACTIVE}.\n Inactive recipients are ones that "
                        "have generated a hard bounce or a spam complaint. "}
            else:
                body = {"To": payload["To"], "SubmittedAt": "2026-11-24T12:00:00Z", "ErrorCode": 0, "Message": "OK",
                        "MessageID": f"00000000-0000-0000-0000-{next(ids):012d}"}
            self.answer(422 if body["ErrorCode"] else 200, body)

    with serve(Handler) as url:
        seen["url"] = f"{url}/"
        yield seen


@override_settings(ANYMAIL={"WEBHOOK_SECRET": WEBHOOK_AUTH})
class ProviderReportTests(TurnoutTestCase):
    def setUp(self) -> None:
        record_consent(person=self.member, channel="email", address="maria@example.org", action="opt_in",
                       source="form")
        self.inactive = make_person(self.local, given_name="Ina", email=INACTIVE)
        record_consent(person=self.inactive, channel="email", address=INACTIVE, action="opt_in", source="form")

    def blast(self) -> Message:
        message = Message.objects.create(group=self.local, channel="email", subject="Rally", body="Join us at 6.")
        outbox.materialize(message, Person.objects.filter(pk__in=[self.member.pk, self.inactive.pk]))
        with fake_postmark() as seen, self.settings(MAILERS={"default": {
                "BACKEND": "anymail.backends.postmark.EmailBackend",
                "OPTIONS": {"server_token": "server-token", "api_url": seen["url"]}}}):
            outbox.dispatch(message)
        self.sent = seen["emails"]
        return message

    def report(self, event: dict[str, Any], auth: str | None = WEBHOOK_AUTH) -> Any:
        headers = {"Authorization": "Basic " + base64.b64encode(auth.encode()).decode()} if auth else {}
        return self.client.post("/hooks/email/postmark/tracking/", json.dumps(event),
                                content_type="application/json", headers=headers)

    def maria(self, message: Message) -> Delivery:
        return Delivery.objects.get(message=message, person=self.member)

    def test_the_provider_sends_and_its_message_id_is_kept(self) -> None:
        message = self.blast()
        self.assertEqual([e["To"] for e in self.sent], ["maria@example.org", INACTIVE])
        self.assertIn("List-Unsubscribe-Post", {h["Name"] for h in self.sent[0]["Headers"]})
        maria = self.maria(message)
        self.assertEqual((maria.status, maria.provider_id), ("sent", "00000000-0000-0000-0000-000000000001"))
        refused = Delivery.objects.get(message=message, person=self.inactive)
        self.assertEqual(refused.status, "failed")  # refused by the provider: not retried
        self.assertIn("provider refused the address", refused.error)

    def test_a_delivery_report_then_a_hard_bounce_mark_the_address_and_stop_queued_email(self) -> None:
        message = self.blast()
        message_id = self.maria(message).provider_id
        delivered = {"RecordType": "Delivery", "MessageID": message_id, "Recipient": "maria@example.org",
                     "DeliveredAt": "2026-11-24T12:00:05Z", "Details": "Test delivery"}
        self.assertEqual(self.report(delivered).status_code, 200)
        self.assertEqual(self.maria(message).status, "delivered")

        later = Message.objects.create(group=self.local, channel="email", subject="Update", body="Moved to 7.")
        queued = Delivery.objects.create(message=later, person=self.member, channel="email",
                                         address="maria@example.org")
        bounce = {"RecordType": "Bounce", "ID": 42, "Type": "HardBounce", "MessageID": message_id,
                  "Email": "Maria@Example.org", "BouncedAt": "2026-11-24T12:01:00Z", "Description": "Unknown user"}
        for _ in range(2):  # providers send again when unsure; once is enough
            self.assertEqual(self.report(bounce).status_code, 200)
        self.assertEqual(EmailAddress.objects.get(address="maria@example.org").status, Subscription.BOUNCING)
        queued.refresh_from_db()
        self.assertEqual((queued.status, queued.error), ("suppressed", "bouncing"))
        # A new email to her is not even queued: a bouncing address gets nothing.
        again = Message.objects.create(group=self.local, channel="email", subject="Again", body="x")
        outbox.materialize(again, Person.objects.filter(pk=self.member.pk))
        self.assertEqual(Delivery.objects.get(message=again).status, "suppressed")

    def test_a_spam_complaint_opts_the_person_out_in_the_ledger(self) -> None:
        message = self.blast()
        complaint = {"RecordType": "SpamComplaint", "ID": 43, "Type": "SpamComplaint",
                     "MessageID": self.maria(message).provider_id, "Email": "maria@example.org",
                     "BouncedAt": "2026-11-24T12:02:00Z"}
        self.report(complaint)
        self.assertEqual(EmailAddress.objects.get(address="maria@example.org").status, Subscription.UNSUBSCRIBED)
        event = ConsentEvent.objects.filter(person=self.member, channel="email").first()
        self.assertEqual((event.action, event.source), ("opt_out", "provider"))
        self.assertIn("spam", event.source_detail)

    def test_a_report_without_the_webhook_secret_changes_nothing(self) -> None:
        message = self.blast()
        bounce = {"RecordType": "Bounce", "ID": 44, "Type": "HardBounce", "MessageID": self.maria(message).provider_id,
                  "Email": "maria@example.org", "BouncedAt": "2026-11-24T12:01:00Z"}
        for auth in (None, "postmark:guess"):
            self.assertIn(self.report(bounce, auth=auth).status_code, (400, 401, 403))
        self.assertEqual(EmailAddress.objects.get(address="maria@example.org").status, Subscription.SUBSCRIBED)
        self.assertEqual(self.maria(message).status, "sent")
