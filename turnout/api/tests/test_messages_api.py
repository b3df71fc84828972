"""The messages resource: write a text or email, target tags and lists, send or schedule, read statistics."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.test import override_settings

from turnout.api.tests.base import ApiTestCase
from turnout.messaging.models import Message
from turnout.messaging.transports import simple
from turnout.people.models import Person, Tag
from turnout.people.services import add_tag, record_consent, save_list
from turnout.site.testing import make_person


@override_settings(SMS_BACKEND="memory")
class MessagesApiTests(ApiTestCase):
    def setUp(self) -> None:
        simple.outbox.clear()
        record_consent(person=self.member, channel="sms", address="+12065550123", action="opt_in", source="form")
        add_tag(person=self.member, group=self.local, name="rapid-response")
        add_tag(person=self.stranger, group=self.other, name="rapid-response")  # another group's: never reached by this token
        record_consent(person=self.stranger, channel="sms", address="+13125550199", action="opt_in", source="form")
        self.tag = Tag.objects.get(group=self.local, name="rapid-response")

    def draft(self, **extra: object) -> dict:
        body = {"type": "sms", "body": "Rally at 6, Westlake Park", "turnout:ignore_quiet_hours": True,
                "turnout:override_reason": "rally tonight",
                "targets": [{"href": f"https://actionnetwork.org/api/v2/tags/{self.tag.public_id}"}], **extra}
        return self.ok("POST", "messages", body, status=201)

    def test_write_send_and_read_statistics(self) -> None:
        draft = self.draft()
        self.assertEqual((draft["status"], draft["type"]), ("draft", "sms"))
        message_id = draft["identifiers"][0].split(":")[1]
        with self.captureOnCommitCallbacks(execute=True):
            sent = self.ok("POST", f"messages/{message_id}/send")
        self.assertEqual(sent["status"], "sending")
        self.assertEqual(sent["total_targeted"], 1)  # the stranger is another group's
        from turnout.messaging import sending

        sending.dispatch_due(message_id=Message.objects.get().pk)
        self.assertEqual([s.to for s in simple.outbox], ["+12065550123"])
        stats = self.ok("GET", f"messages/action_network:{message_id}")
        self.assertEqual((stats["status"], stats["statistics"]["sent"]), ("sent", 1))
        listed = self.ok("GET", "messages")
        self.assertEqual(listed["total_records"], 1)

    def test_lists_are_targets_too(self) -> None:
        other = make_person(self.local, given_name="Listed", phone="+12065550166")
        record_consent(person=other, channel="sms", address="+12065550166", action="opt_in", source="form")
        saved = save_list(actor=self.organizer, group=self.local, name="Captains", people=Person.objects.filter(pk=other.pk))
        draft = self.draft(targets=[{"href": f"http://testserver/api/v2/lists/{saved.public_id}"},
                                    {"href": f"http://testserver/api/v2/tags/{self.tag.public_id}"}])
        with self.captureOnCommitCallbacks(execute=True):
            sent = self.ok("POST", f"messages/{draft['identifiers'][0].split(':')[1]}/send")
        self.assertEqual(sent["total_targeted"], 2)

    def test_schedule_with_the_date_in_the_body_or_the_query_string(self) -> None:
        when = (datetime.now(UTC) + timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M:%SZ")
        first = self.draft()["identifiers"][0].split(":")[1]
        self.assertEqual(self.ok("POST", f"messages/{first}/schedule", {"scheduled_start_date": when})["status"],
                         "scheduled")
        second = self.draft()["identifiers"][0].split(":")[1]
        scheduled = self.ok("POST", f"/api/v2/messages/{second}/schedule?scheduled_start_date={when}")
        self.assertEqual(scheduled["scheduled_start_date"], when)

    def test_bad_messages_are_400s(self) -> None:
        cases = [
            ({"type": "fax", "body": "x"}, "type must be one of: email, sms; “fax” is not"),
            ({"type": "sms", "body": ""}, "body must not be blank"),
            ({"type": "sms"}, "needs a body"),
            ({"type": "email", "body": "x"}, "needs a subject"),
            ({"type": "sms", "body": "x", "targets": [{"href": "https://x/events/1"}]}, "is not a link to a tag, list, event"),
            ({"type": "sms", "body": "x", "turnout:ignore_quiet_hours": True}, "override_reason"),
        ]
        for body, message in cases:
            response = self.api("POST", "messages", body)
            self.assertEqual(response.status_code, 400, body)
            self.assertIn(message, response.json()["error"], body)
        untargeted = self.ok("POST", "messages", {"type": "sms", "body": "x"}, status=201)
        response = self.api("POST", f"messages/{untargeted['identifiers'][0].split(':')[1]}/send")
        self.assertEqual(response.status_code, 409)  # the body was fine; the draft is not ready
        past = self.draft()["identifiers"][0].split(":")[1]
        response = self.api("POST", f"messages/{past}/schedule", {"scheduled_start_date": "2020-01-01T00:00:00Z"})
        self.assertEqual(response.status_code, 400)

    def test_another_groups_token_cannot_read_or_send_it(self) -> None:
        message_id = self.draft()["identifiers"][0].split(":")[1]
        for method, path in (("GET", f"messages/{message_id}"), ("PUT", f"messages/{message_id}"),
                             ("POST", f"messages/{message_id}/send")):
            self.assertEqual(self.api(method, path, {"body": "x"}, key=self.outsider_key).status_code, 404, path)
        self.assertEqual(self.ok("GET", "messages", key=self.outsider_key)["total_records"], 0)
        self.assertEqual(self.api("POST", f"messages/{message_id}/send", key=self.viewer_key).status_code, 403)
        self.assertEqual(simple.outbox, [])

    def test_only_a_draft_can_be_changed(self) -> None:
        message_id = self.draft()["identifiers"][0].split(":")[1]
        self.assertEqual(self.ok("PUT", f"messages/{message_id}", {"body": "Moved to 7pm"})["body"], "Moved to 7pm")
        self.ok("POST", f"messages/{message_id}/send")
        self.assertEqual(self.api("PUT", f"messages/{message_id}", {"body": "again"}).status_code, 409)
