"""A standby plan's message: a merge field Turnout cannot fill is refused when the plan is
written, and both spellings of a known one are filled when the trigger sends it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import time_machine
from django.test import override_settings

from turnout.accounts.services import create_api_token
from turnout.messaging.transports import simple
from turnout.mobilization import services
from turnout.mobilization.models import Member, Network, Plan
from turnout.people.services import record_consent
from turnout.site.testing import TurnoutTestCase

# Midday in Seattle tomorrow, whatever today is: the trigger's text is not held for quiet hours.
DAYTIME = datetime.now(UTC).replace(hour=20, minute=0, second=0, microsecond=0) + timedelta(days=1)


@override_settings(SMS_BACKEND="memory")
class PlanMergeFieldTests(TurnoutTestCase):
    def setUp(self) -> None:
        simple.outbox.clear()
        self.network = Network.objects.create(group=self.local, name="Rapid Response")
        record_consent(person=self.member, channel="sms", address="+12065550123", action="opt_in", source="form")
        Member.objects.create(network=self.network, person=self.member)

    def plan_form(self, **changes: str) -> dict[str, object]:
        return {"group": self.local.pk, "name": "If they stop the count", "condition": "the count is stopped",
                "networks": [self.network.pk], "subject": "It is on", "body": "It is on, {first_name}.",
                "body_es": "Ya empezó, {{ first_name }}.", "notify_days_after": "0", **changes}

    def test_the_console_refuses_an_unknown_field_naming_it_and_keeps_what_was_typed(self) -> None:
        self.login(self.admin)
        response = self.client.post("/mobilize/plans/new/", self.plan_form(
            body="It is on, {{ frist_name }}.", body_es="Ya empezó, {nombre}.", subject="For {first_name}"))
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "Unknown merge field {frist_name}")
        self.assertContains(response, "Unknown merge field {nombre}")
        self.assertContains(response, "Merge fields are filled in the message, not in the subject: {first_name}")
        self.assertContains(response, "It is on, {{ frist_name }}.")
        self.assertFalse(Plan.objects.exists())
        made = self.client.post("/mobilize/plans/new/", self.plan_form())
        self.assertRedirects(made, Plan.objects.get().get_absolute_url())

    def test_the_service_refuses_an_unknown_field_whatever_door_calls_it(self) -> None:
        with self.assertRaisesMessage(services.MobilizationError, "{frist_name}"):
            services.create_plan(actor=self.admin, group=self.local, fields={
                "name": "x", "condition": "x", "subject": "On", "body": "Hi {frist_name}"})
        self.assertFalse(Plan.objects.exists())

    def make_plan(self) -> Plan:
        plan = services.create_plan(actor=self.admin, group=self.local, fields={
            "name": "Count every vote", "condition": "x", "subject": "It is on",
            "body": "It is on, {first_name} ({{ first_name }} {{last_name}}).",
            "body_es": "Ya empezó, {{ first_name }}."})
        plan.networks.add(self.network)
        return plan

    @time_machine.travel(DAYTIME)
    def test_triggered_from_the_api_both_spellings_are_filled(self) -> None:
        plan = self.make_plan()
        _token, key = create_api_token(actor=None, user=self.admin, group=self.local, name="admin")
        with self.captureOnCommitCallbacks(execute=True):
            response = self.client.post(f"/api/v2/plans/{plan.public_id}/trigger", b"",
                                        content_type="application/json", headers={"OSDI-API-Token": key})
        self.assertEqual(response.status_code, 200, response.content)
        self.run_worker()
        self.assertEqual(len(simple.outbox), 1)
        self.assertIn("It is on, Maria (Maria Lopez).", simple.outbox[0].body)

    @time_machine.travel(DAYTIME)
    def test_triggered_from_the_console_both_spellings_are_filled_in_spanish_too(self) -> None:
        self.member.language = "es"
        self.member.save()
        plan = self.make_plan()
        self.login(self.admin)
        with self.captureOnCommitCallbacks(execute=True):
            self.client.post(f"/mobilize/plans/{plan.public_id}/trigger/", {"confirm": "Count every vote"})
        self.run_worker()
        self.assertEqual(len(simple.outbox), 1)
        self.assertIn("Ya empezó, Maria.", simple.outbox[0].body)
        self.assertNotIn("{", simple.outbox[0].body)
