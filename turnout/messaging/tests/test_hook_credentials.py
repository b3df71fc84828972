"""Provider hooks fail closed: without configured credentials no report changes anything, and with
them only a request that carries them is heard. Email providers (every Anymail route), Twilio and
the signed HTTP gateway alike."""

from __future__ import annotations

import base64
import json
from typing import Any

from django.test import override_settings
from django.urls import reverse

from turnout.messaging.hooks import email_report_patterns
from turnout.messaging.models import InboundMessage
from turnout.messaging.transports.http import signature
from turnout.messaging.transports.twilio import compute_signature
from turnout.people.models import ConsentEvent, EmailAddress, PhoneNumber, Subscription
from turnout.people.services import record_consent
from turnout.site.testing import TurnoutTestCase

SECRET = "reports:correct-horse-battery"
# What a stranger sends: Maria marked our email as spam, Maria's address bounces.
POSTMARK_COMPLAINT = {"RecordType": "SpamComplaint", "ID": 43, "Type": "SpamComplaint", "MessageID": "forged-1",
                      "Email": "maria@example.org", "BouncedAt": "2026-11-24T12:02:00Z"}
POSTMARK_BOUNCE = {"RecordType": "Bounce", "ID": 44, "Type": "HardBounce", "MessageID": "forged-2",
                   "Email": "maria@example.org", "BouncedAt": "2026-11-24T12:01:00Z", "Description": "Unknown user"}
BREVO_SPAM = {"event": "spam", "email": "maria@example.org", "message-id": "<forged-3@example.org>",
              "ts_epoch": 1795608000000}


def basic(auth: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(auth.encode()).decode()}


class EmailReportCase(TurnoutTestCase):
    def setUp(self) -> None:
        record_consent(person=self.member, channel="email", address="maria@example.org", action="opt_in",
                       source="form")
        self.ledger = list(ConsentEvent.objects.values_list("pk", flat=True))

    def report(self, provider: str, event: dict[str, Any], auth: str | None = None) -> Any:
        return self.client.post(f"/hooks/email/{provider}/tracking/", json.dumps(event),
                                content_type="application/json", headers=basic(auth) if auth else {})

    def assert_maria_unchanged(self) -> None:
        self.assertEqual(EmailAddress.objects.get(address="maria@example.org").status, Subscription.SUBSCRIBED)
        self.assertEqual(list(ConsentEvent.objects.values_list("pk", flat=True)), self.ledger)


@override_settings(ANYMAIL={})
class WithoutASecretTests(EmailReportCase):
    def test_it_refuses_a_forged_complaint_and_bounce_and_changes_nothing(self) -> None:
        """With no TURNOUT_ANYMAIL_WEBHOOK_SECRET, Postmark's and Brevo's forged reports are refused."""
        for provider, event in (("postmark", POSTMARK_COMPLAINT), ("postmark", POSTMARK_BOUNCE),
                                ("brevo", BREVO_SPAM), ("sendinblue", BREVO_SPAM)):
            for auth in (None, "reports:guess"):
                with self.assertLogs("turnout.messaging.hooks", "WARNING"):  # the operator learns why
                    self.assertEqual(self.report(provider, event, auth).status_code, 403, (provider, auth))
        self.assert_maria_unchanged()

    def test_it_refuses_every_provider_route(self) -> None:
        """Every email provider's route answers 403, whatever the provider's own settings."""
        names = [str(pattern.name) for pattern in email_report_patterns()]
        self.assertIn("postmark_tracking_webhook", names)
        self.assertIn("brevo_tracking_webhook", names)
        with self.assertLogs("turnout.messaging.hooks", "WARNING"):
            for name in names:
                response = self.client.post(reverse(f"anymail:{name}"), "{}", content_type="application/json")
                self.assertEqual(response.status_code, 403, name)
        self.assert_maria_unchanged()


@override_settings(ANYMAIL={"WEBHOOK_SECRET": SECRET})
class WithASecretTests(EmailReportCase):
    def test_a_report_without_or_with_wrong_credentials_is_refused(self) -> None:
        """No credentials, wrong ones, or a half-right pair: 401 with a challenge, and nothing changes."""
        for auth in (None, "reports:guess", "reports:", "someone:correct-horse-battery", SECRET + "x"):
            for provider, event in (("postmark", POSTMARK_COMPLAINT), ("brevo", BREVO_SPAM)):
                response = self.report(provider, event, auth)
                self.assertEqual(response.status_code, 401, (provider, auth))
                self.assertTrue(response["WWW-Authenticate"].startswith("Basic "))
        response = self.client.post("/hooks/email/postmark/tracking/", json.dumps(POSTMARK_BOUNCE),
                                    content_type="application/json", headers={"Authorization": "Bearer " + SECRET})
        self.assertEqual(response.status_code, 401)
        self.assert_maria_unchanged()

    def test_every_provider_route_refuses_wrong_credentials(self) -> None:
        """The check stands in front of every provider, not only those with no signature of their own."""
        for pattern in email_report_patterns():
            response = self.client.post(reverse(f"anymail:{pattern.name}"), "{}", content_type="application/json",
                                        headers=basic("reports:guess"))
            self.assertEqual(response.status_code, 401, pattern.name)

    def test_the_right_credentials_are_heard(self) -> None:
        """With the configured pair, Postmark's bounce marks Maria bouncing and Brevo's complaint is
        recorded as her opt-out."""
        self.assertEqual(self.report("postmark", POSTMARK_BOUNCE, SECRET).status_code, 200)
        self.assertEqual(EmailAddress.objects.get(address="maria@example.org").status, Subscription.BOUNCING)
        self.assertEqual(self.report("brevo", BREVO_SPAM, SECRET).status_code, 200)
        event = ConsentEvent.objects.exclude(pk__in=self.ledger).get()
        self.assertEqual((event.action, event.source), ("opt_out", "provider"))

    @override_settings(ANYMAIL={"WEBHOOK_SECRET": ["reports:old-one", SECRET]})
    def test_while_rotating_either_configured_pair_is_heard(self) -> None:
        """A list of secrets (Anymail's way to rotate) lets the old and the new pair in."""
        self.assertEqual(self.report("postmark", POSTMARK_BOUNCE, "reports:old-one").status_code, 200)
        self.assertEqual(self.report("postmark", POSTMARK_BOUNCE, SECRET).status_code, 200)
        self.assertEqual(self.report("postmark", POSTMARK_BOUNCE, "reports:guess").status_code, 401)


@override_settings(SMS_BACKEND="memory", BASE_URL="https://turnout.local8.example")
class SmsHooksWithoutASecretTests(TurnoutTestCase):
    def setUp(self) -> None:
        record_consent(person=self.member, channel="sms", address="+12065550123", action="opt_in", source="form")

    def assert_nothing_heard(self) -> None:
        self.assertEqual(PhoneNumber.objects.get(number="+12065550123").sms_status, Subscription.SUBSCRIBED)
        self.assertFalse(InboundMessage.objects.exists())

    @override_settings(TWILIO_AUTH_TOKEN="")
    def test_twilio_hooks_refuse_everything_without_an_auth_token(self) -> None:
        """With no Twilio token, a STOP signed with the empty key (or unsigned) is refused."""
        form = {"MessageSid": "SMforged", "From": "+12065550123", "To": "+12065550100", "Body": "STOP"}
        for hook in ("inbound", "status"):
            url = f"https://turnout.local8.example/hooks/sms/twilio/{hook}"
            for headers in ({}, {"X-Twilio-Signature": compute_signature(url, form.items(), "")}):
                self.assertEqual(self.client.post(f"/hooks/sms/twilio/{hook}", form, headers=headers).status_code,
                                 403)
        self.assert_nothing_heard()

    @override_settings(SMS_HTTP_SECRET="")
    def test_the_http_gateways_hooks_refuse_everything_without_a_secret(self) -> None:
        """With no gateway secret, a STOP signed with the empty key (or unsigned) is refused."""
        raw = json.dumps({"id": "forged", "from": "+12065550123", "to": "+12065550000", "body": "STOP"}).encode()
        for hook in ("inbound", "status"):
            for headers in ({}, {"X-Turnout-Signature": signature(raw, "")}):
                response = self.client.post(f"/hooks/sms/http/{hook}", raw, content_type="application/json",
                                            headers=headers)
                self.assertEqual(response.status_code, 403)
        self.assert_nothing_heard()
