"""Writes from the messaging console go through the messaging services: a draft and marking
replies handled are on the audit log (they were not before), and the pages do what they did before."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import time_machine
from django.test import override_settings

from turnout.core.models import AuditEntry
from turnout.messaging import sending
from turnout.messaging.models import InboundMessage, Message, UnreadableWebhook
from turnout.messaging.transports import simple
from turnout.messaging.transports.http import signature
from turnout.people.services import add_tag, record_consent
from turnout.site.testing import TurnoutTestCase, audit_summaries

NOON_SEATTLE = datetime(2026, 11, 24, 20, 0, tzinfo=UTC)


@time_machine.travel(NOON_SEATTLE, tick=False)
@override_settings(SMS_BACKEND="memory", SMS_HTTP_SECRET="s")
class DraftTests(TurnoutTestCase):
    def setUp(self) -> None:
        simple.outbox.clear()
        add_tag(person=self.member, group=self.local, name="rapid-response")
        self.login(self.organizer)

    def test_a_draft_is_on_record_with_its_audience_and_a_reason_only_for_an_override(self) -> None:
        """Composing keeps the audience and the creator, drops a reason given for no override, and
        is on the audit log; nothing is sent."""
        self.client.post("/messages/new/", {"tag": "rapid-response", "channel": "sms", "from_group": self.local.pk,
                                            "body": "Rally at 6", "override_reason": "  not needed  "})
        message = Message.objects.get()
        self.assertEqual((message.status, message.created_by, message.audience["tag"], message.override_reason),
                         ("draft", self.organizer, "rapid-response", ""))
        entry = AuditEntry.objects.get(target_id=str(message.public_id))
        self.assertEqual((entry.action, entry.actor, entry.group, entry.summary),
                         ("create", self.organizer, self.local, "Drafted a text from Local 8"))
        self.assertEqual(simple.outbox, [])

    def test_only_a_draft_changes(self) -> None:
        """A draft's change is on record with what changed; a message already scheduled is refused."""
        message = sending.create_message(actor=self.organizer, group=self.local,
                                         fields={"channel": "sms", "body": "Rally at 6"})
        sending.update_message(actor=self.organizer, message=message, fields={"body": "Rally at 7"})
        self.assertEqual(AuditEntry.objects.filter(target_id=str(message.public_id)).first().summary,  # type: ignore[union-attr]
                         "Changed the draft: body")
        Message.objects.filter(pk=message.pk).update(status=Message.Status.SCHEDULED)
        with self.assertRaises(ValueError):
            sending.update_message(actor=self.organizer, message=message, fields={"body": "Rally at 8"})
        message.refresh_from_db()
        self.assertEqual(message.body, "Rally at 7")


@override_settings(SMS_BACKEND="memory", SMS_HTTP_SECRET="s")
class RepliesTests(TurnoutTestCase):
    def test_marking_replies_handled_is_on_record(self) -> None:
        """Marking a conversation handled clears it from the inbox and is on the audit log."""
        record_consent(person=self.member, channel="sms", address="+12065550123", action="opt_in", source="form")
        raw = json.dumps({"id": "in-1", "from": "+12065550123", "body": "Can I bring my kids?"}).encode()
        self.client.post("/hooks/sms/http/inbound", raw, content_type="application/json",
                         headers={"X-Turnout-Signature": signature(raw, "s")})
        self.login(self.organizer)
        self.client.post(f"/messages/inbox/{self.member.public_id}/", {"action": "handled"})
        self.assertTrue(InboundMessage.objects.get().handled)
        self.assertEqual(audit_summaries(self.member, action="change", actor=self.organizer), ["Marked 1 reply handled"])

    def test_an_unreadable_webhook_is_kept_and_not_on_the_audit_log(self) -> None:
        """A callback that cannot be read is kept for an operator, and nobody's act is logged for it."""
        raw = b"[1, 2]"
        response = self.client.post("/hooks/sms/http/inbound", raw, content_type="application/json",
                                    headers={"X-Turnout-Signature": signature(raw, "s")})
        self.assertEqual(response.status_code, 400)
        self.assertEqual(UnreadableWebhook.objects.get().source, "http-inbound")
        self.assertFalse(AuditEntry.objects.exists())
