"""The demo phone exists only in the demo and development, for organizers, and shows only the numbers of
people they can see; its replies go in through the signed gateway hook."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from django.core.checks import run_checks
from django.test import override_settings
from django.utils import timezone

from turnout.accounts.models import Role
from turnout.messaging.models import InboundMessage
from turnout.site.testing import TurnoutTestCase, make_staff


class DemoPhoneTests(TurnoutTestCase):
    def setUp(self) -> None:
        var = tempfile.TemporaryDirectory()
        self.addCleanup(var.cleanup)
        self.var = Path(var.name)
        demo = override_settings(DEMO_PHONE=True, SMS_BACKEND="file", VAR_DIR=self.var, SMS_HTTP_SECRET="demo-secret")
        demo.enable()
        self.addCleanup(demo.disable)
        (self.var / "sms").mkdir()
        lines = [{"id": "file-1", "to": "+12065550123", "from": "+12065550000", "body": "Rally at 6. Reply YES",
                  "at": timezone.now().isoformat()},
                 {"id": "file-2", "to": "+13125550199", "from": "+12065550000", "body": "Eastside meeting",
                  "at": timezone.now().isoformat()}]
        (self.var / "sms" / "outbox.jsonl").write_text("".join(json.dumps(line) + "\n" for line in lines) + "not json\n")

    def test_outside_the_demo_and_development_the_page_does_not_exist(self) -> None:
        self.login(self.organizer)
        with override_settings(DEMO_PHONE=False):
            self.assertEqual(self.client.get("/demo/phone/").status_code, 404)
            self.assertEqual(self.client.post("/demo/phone/", {"number": "+12065550123", "body": "YES"}).status_code,
                             404)
        self.assertFalse(InboundMessage.objects.exists())

    def test_it_is_for_organizers_only(self) -> None:
        response = self.client.get("/demo/phone/")
        self.assertEqual(response.status_code, 302)
        self.assertIn("/accounts/login/", response["Location"])
        viewer = make_staff("viewer@example.org", self.local, Role.VIEWER)
        self.login(viewer)
        self.assertEqual(self.client.get("/demo/phone/").status_code, 403)

    def test_an_organizer_sees_only_the_numbers_of_people_they_can_see(self) -> None:
        self.login(self.organizer)
        page = self.client.get("/demo/phone/")
        self.assertContains(page, "Maria Lopez")
        self.assertNotContains(page, "Zelda")  # the other group's member
        self.assertNotContains(page, "Eastside meeting")
        self.assertEqual(self.client.get("/demo/phone/", {"number": "+13125550199"}).status_code, 404)
        self.assertEqual(self.client.post("/demo/phone/", {"number": "+13125550199", "body": "STOP"}).status_code, 404)
        self.assertFalse(InboundMessage.objects.exists())

    def test_a_reply_goes_in_through_the_signed_hook_and_an_empty_one_is_refused(self) -> None:
        self.login(self.organizer)
        response = self.client.post("/demo/phone/?number=%2B12065550123", {"number": "+12065550123", "body": ""})
        self.assertContains(response, "This field is required.")
        with self.captureOnCommitCallbacks(execute=True):
            response = self.client.post("/demo/phone/", {"number": "+12065550123", "body": "YES"})
        self.assertRedirects(response, "/demo/phone/?number=%2B12065550123")
        inbound = InboundMessage.objects.get()
        self.assertEqual((inbound.from_number, inbound.to_number, inbound.body, inbound.person),
                         ("+12065550123", "+12065550000", "YES", self.member))
        self.assertContains(self.client.get(response["Location"]), '<span class="body">YES</span>')

    def test_with_a_secret_the_hook_does_not_share_the_reply_is_refused(self) -> None:
        """The demo phone signs with the configured secret; the hook checks it as it does any gateway's."""
        self.login(self.organizer)
        with override_settings(SMS_HTTP_SECRET=""):
            response = self.client.post("/demo/phone/", {"number": "+12065550123", "body": "YES"}, follow=True)
        self.assertContains(response, "The gateway hook refused the reply (403).")
        self.assertFalse(InboundMessage.objects.exists())

    def test_the_deploy_checks_refuse_the_demo_phone(self) -> None:
        ids = [message.id for message in run_checks(include_deployment_checks=True)]
        self.assertIn("turnout.E010", ids)
        with override_settings(DEMO_PHONE=False):
            self.assertNotIn("turnout.E010", [m.id for m in run_checks(include_deployment_checks=True)])
