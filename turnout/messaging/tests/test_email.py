"""Email blasts: one-click unsubscribe headers and page (only a POST unsubscribes), postal footer."""

from __future__ import annotations

import re

from django.core import mail

from turnout.messaging import email, outbox
from turnout.messaging.models import Delivery, Message
from turnout.people.models import ConsentEvent, EmailAddress, Person
from turnout.people.services import record_consent
from turnout.site.testing import TurnoutTestCase


class EmailBlastTests(TurnoutTestCase):
    def setUp(self) -> None:
        record_consent(person=self.member, channel="email", address="maria@example.org", action="opt_in",
                       source="form", text="Email me")
        self.local.postal_address = "Local 8, 123 Union St, Seattle WA 98101"
        self.local.save()

    def send(self) -> Message:
        message = Message.objects.create(group=self.local, channel="email", subject="Rally Thursday",
                                         body="Hi {first_name}, join us at 6.")
        outbox.materialize(message, Person.objects.visible_to(self.organizer))
        outbox.dispatch(message)
        return message

    def test_an_email_carries_one_click_unsubscribe_and_the_postal_address(self) -> None:
        message = self.send()
        self.assertEqual(len(mail.outbox), 1)
        sent = mail.outbox[0]
        self.assertEqual((sent.to, sent.subject), (["maria@example.org"], "Rally Thursday"))
        self.assertTrue(sent.body.startswith("Hi Maria, join us at 6."))
        self.assertIn("123 Union St, Seattle WA 98101", sent.body)
        self.assertEqual(sent.extra_headers["List-Unsubscribe-Post"], "List-Unsubscribe=One-Click")
        self.assertRegex(sent.extra_headers["List-Unsubscribe"], r"^<https?://.+/u/.+/>$")
        delivery = Delivery.objects.get(message=message, person=self.member)
        self.assertEqual((delivery.status, delivery.provider_id), ("sent", sent.extra_headers["Message-ID"]))

    def test_only_a_post_unsubscribes(self) -> None:
        self.send()
        link = re.search(r"<(.+)>", mail.outbox[0].extra_headers["List-Unsubscribe"]).group(1)  # type: ignore[union-attr]
        path = link.split("://", 1)[1].split("/", 1)[1]
        page = self.client.get(f"/{path}")  # a link scanner, or the person reading the page
        self.assertContains(page, "Stop email from")
        self.assertEqual(EmailAddress.objects.get(address="maria@example.org").status, "subscribed")
        # What a mail client sends for RFC 8058: no cookie, no CSRF token.
        csrf_client = self.client_class(enforce_csrf_checks=True)
        done = csrf_client.post(f"/{path}", "List-Unsubscribe=One-Click",
                                content_type="application/x-www-form-urlencoded")
        self.assertContains(done, "You are unsubscribed")
        self.assertEqual(EmailAddress.objects.get(address="maria@example.org").status, "unsubscribed")
        self.assertEqual(ConsentEvent.objects.filter(action="opt_out", channel="email").count(), 1)
        mail.outbox.clear()
        self.send()
        self.assertEqual(mail.outbox, [])

    def test_spanish_speakers_get_the_spanish_version_and_footer(self) -> None:
        Person.objects.filter(pk=self.member.pk).update(language="es")
        message = Message.objects.create(group=self.local, channel="email", subject="Mitin", body="Rally at 6",
                                         body_es="Mitin a las 6")
        outbox.materialize(message, Person.objects.visible_to(self.organizer))
        outbox.dispatch(message)
        self.assertTrue(mail.outbox[0].body.startswith("Mitin a las 6"))
        self.assertIn("Darse de baja:", mail.outbox[0].body)

    def test_a_forged_link_changes_nothing(self) -> None:
        forged = email.unsubscribe_token("maria@example.org")[:-3] + "abc"
        self.assertEqual(self.client.post(f"/u/{forged}/").status_code, 404)
        self.assertEqual(EmailAddress.objects.get(address="maria@example.org").status, "subscribed")
