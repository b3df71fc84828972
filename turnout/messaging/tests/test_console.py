"""What organizers do: compose with a real preview, send, watch progress, schedule, cancel, answer replies."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import time_machine
from django.test import override_settings
from django_tasks_db.models import DBTaskResult

from turnout.core.models import AuditEntry
from turnout.messaging.models import Delivery, InboundMessage, Message
from turnout.messaging.transports import simple
from turnout.messaging.transports.http import signature
from turnout.people.services import add_tag, record_consent
from turnout.site.testing import TurnoutTestCase, make_person, run_due_tasks

NOON_SEATTLE = datetime(2026, 11, 24, 20, 0, tzinfo=UTC)


@time_machine.travel(NOON_SEATTLE, tick=False)
@override_settings(SMS_BACKEND="memory", SMS_HTTP_SECRET="s", ORGANIZATION_NAME="Local 8 Union")
class ComposeTests(TurnoutTestCase):
    def setUp(self) -> None:
        simple.outbox.clear()
        record_consent(person=self.member, channel="sms", address="+12065550123", action="opt_in", source="form")
        self.silent = make_person(self.local, given_name="Silent", phone="+12065550144", postal_code="98101")
        for person in (self.member, self.silent):
            add_tag(person=person, group=self.local, name="rapid-response")
        self.login(self.organizer)

    def compose(self, **extra: str) -> Message:
        data = {"tag": "rapid-response", "channel": "sms", "from_group": self.local.pk,
                "body": "Rally at Westlake Park, 6pm. Reply Y if you can come", **extra}
        response = self.client.post("/messages/new/", data)
        message = Message.objects.get()
        self.assertRedirects(response, message.get_absolute_url())
        return message

    def test_the_preview_counts_only_people_who_can_be_texted(self) -> None:
        message = self.compose(body_es="Mitin en Westlake Park, 6pm. ¿Vienes? Responde SÍ")
        page = self.client.get(message.get_absolute_url())
        self.assertContains(page, "1 person will get it")
        self.assertContains(page, "2 match the filters")
        self.assertContains(page, "1 left out: no consent on record, or opted out")
        self.assertEqual(page.context["preview"].encoding, "GSM-7")
        self.assertEqual(page.context["preview"].encoding_es, "UCS-2")  # Í is not in GSM-7
        self.assertContains(page, "segment(s) per text (GSM-7)")

    def test_sending_texts_the_consenting_and_shows_progress(self) -> None:
        message = self.compose()
        with self.captureOnCommitCallbacks(execute=True):
            self.client.post(f"/messages/{message.public_id}/send/")
        run_due_tasks()
        page = self.client.get(message.get_absolute_url())
        listed = self.client.get("/messages/")
        row = listed.content.decode().split(message.get_absolute_url())[1].split("</tr>")[0]
        self.assertIn('data-label="Sent">1<', row)  # one texted…
        self.assertIn('data-label="Targeted">2<', row)  # …of two targeted (one has no consent)
        self.assertEqual([s.to for s in simple.outbox], ["+12065550123"])
        self.assertEqual(page.context["progress"]["sent"], 1)
        self.assertEqual(page.context["progress"]["suppressed"], 1)
        self.assertContains(page, "Sent")
        message.refresh_from_db()
        self.assertEqual(message.status, "sent")

    def test_a_form_error_keeps_what_was_typed(self) -> None:
        response = self.client.post("/messages/new/", {"tag": "rapid-response", "channel": "sms",
                                                        "from_group": self.local.pk, "body": "Strike vote tonight",
                                                        "ignore_quiet_hours": "on"})
        self.assertContains(response, "Say why this cannot wait")
        self.assertContains(response, "Strike vote tonight")
        self.assertFalse(Message.objects.exists())

    def test_the_emergency_override_is_explained_in_the_audit_log(self) -> None:
        message = self.compose(ignore_quiet_hours="on", override_reason="ICE raid at the plant right now")
        with self.captureOnCommitCallbacks(execute=True):
            self.client.post(f"/messages/{message.public_id}/send/")
        entry = AuditEntry.objects.get(target_id=str(message.public_id), action="create",
                                       summary__startswith="Started sending")
        self.assertIn("quiet-hours override", entry.summary)
        self.assertContains(self.client.get(message.get_absolute_url()), "ICE raid at the plant right now")

    def test_schedule_then_cancel_sends_nothing(self) -> None:
        message = self.compose()
        with self.captureOnCommitCallbacks(execute=True):
            self.client.post(f"/messages/{message.public_id}/schedule/",
                             {"send_at": (datetime.now(UTC) + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")})
        message.refresh_from_db()
        self.assertEqual(message.status, "scheduled")
        self.assertEqual(DBTaskResult.objects.filter(status="READY").count(), 1)
        self.client.post(f"/messages/{message.public_id}/cancel/")
        DBTaskResult.objects.update(run_after=datetime.now(UTC))
        run_due_tasks()
        self.assertEqual(simple.outbox, [])
        message.refresh_from_db()
        self.assertEqual(message.status, "cancelled")

    def test_a_test_send_goes_to_the_staffers_number_only(self) -> None:
        message = self.compose(body="Hi {first_name}, rally at 6")
        self.client.post(f"/messages/{message.public_id}/test/", {"to": "(206) 555-0199"})
        self.assertEqual([(s.to, s.body.split("\n")[0]) for s in simple.outbox],
                         [("+12065550199", "[TEST] Hi Olivia, rally at 6")])
        self.assertFalse(Delivery.objects.exists())

    def test_an_outsider_cannot_see_or_send_the_message(self) -> None:
        message = self.compose()
        self.login(self.outsider)
        self.assertEqual(self.client.get(message.get_absolute_url()).status_code, 404)
        self.assertEqual(self.client.post(f"/messages/{message.public_id}/send/").status_code, 404)
        self.assertNotContains(self.client.get("/messages/"), "Rally at Westlake")
        self.assertFalse(Delivery.objects.exists())


@override_settings(SMS_BACKEND="memory", SMS_HTTP_SECRET="s")
class InboxTests(TurnoutTestCase):
    def setUp(self) -> None:
        simple.outbox.clear()
        record_consent(person=self.member, channel="sms", address="+12065550123", action="opt_in", source="form")
        raw = json.dumps({"id": "in-1", "from": "+12065550123", "body": "Can I bring my kids?"}).encode()
        self.client.post("/hooks/sms/http/inbound", raw, content_type="application/json",
                         headers={"X-Turnout-Signature": signature(raw, "s")})

    def test_replies_are_threaded_answered_and_marked_handled(self) -> None:
        self.login(self.organizer)
        inbox = self.client.get("/messages/inbox/")
        self.assertContains(inbox, "Can I bring my kids?")
        thread = f"/messages/inbox/{self.member.public_id}/"
        self.client.post(thread, {"body": "Yes! There is a kids' corner."})
        self.assertEqual([s.to for s in simple.outbox], ["+12065550123"])
        page = self.client.get(thread)
        self.assertContains(page, "Can I bring my kids?")
        self.assertContains(page, "There is a kids")
        self.client.post(thread, {"action": "handled"})
        self.assertTrue(InboundMessage.objects.get().handled)
        self.assertNotContains(self.client.get("/messages/inbox/"), "Can I bring my kids?")
        self.assertContains(self.client.get("/messages/inbox/?show=all"), "Can I bring my kids?")

    def test_a_reply_to_someone_who_opted_out_is_refused(self) -> None:
        record_consent(person=self.member, channel="sms", address="+12065550123", action="opt_out", source="keyword")
        self.login(self.organizer)
        response = self.client.post(f"/messages/inbox/{self.member.public_id}/", {"body": "Are you coming?"},
                                    follow=True)
        self.assertContains(response, "has not agreed to texts, or has opted out")
        self.assertEqual(simple.outbox, [])

    def test_the_outsider_sees_no_replies(self) -> None:
        self.login(self.outsider)
        self.assertNotContains(self.client.get("/messages/inbox/"), "Can I bring my kids?")
        self.assertEqual(self.client.get(f"/messages/inbox/{self.member.public_id}/").status_code, 404)
