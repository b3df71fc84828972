"""Networks, activations and plans through the API: the same services as the console, checked against
the OpenAPI document."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import time_machine
from django.test import override_settings

from turnout.accounts.models import Role
from turnout.accounts.services import create_api_token
from turnout.messaging.transports import simple
from turnout.mobilization.models import Activation, Member, Network, Plan, Response
from turnout.people.services import record_consent
from turnout.site.testing import TurnoutTestCase, make_staff


@time_machine.travel(datetime(2026, 11, 4, 20, 0, tzinfo=UTC), tick=False)  # noon in Seattle
@override_settings(SMS_BACKEND="memory")
class MobilizationApiTests(TurnoutTestCase):
    def setUp(self) -> None:
        simple.outbox.clear()
        self.network = Network.objects.create(group=self.local, name="Rapid Response")
        _token, self.key = create_api_token(actor=None, user=self.organizer, group=self.local, name="crm")

    def call(self, method: str, path: str, data: Any = None, key: str | None = None) -> Any:
        import json

        return getattr(self.client, method)(f"/api/v2/{path}", data=json.dumps(data) if data is not None else None,
                                            content_type="application/json",
                                            headers={"OSDI-API-Token": key or self.key})

    def test_add_a_member_activate_and_read_the_answers(self) -> None:
        added = self.call("post", f"networks/{self.network.public_id}/members", {
            "person": {"given_name": "Rosa", "postal_addresses": [{"postal_code": "98101"}],
                       "phone_numbers": [{"number": "206-555-0142", "status": "subscribed"}]},
            "travel_miles": 25, "skills": ["medic"]})
        self.assertEqual(added.status_code, 201, added.content)
        self.assertEqual(added.json()["skills"], ["medic"])
        self.assertEqual(self.call("get", f"networks/{self.network.public_id}").json()["total_members"], 1)
        bad = self.call("post", f"networks/{self.network.public_id}/members",
                        {"person_id": str(self.member.public_id), "skills": ["juggler"]})
        self.assertEqual(bad.status_code, 400)
        self.assertIn("juggler", bad.json()["error"])

        made = self.call("post", "activations", {"network_id": str(self.network.public_id), "title": "Westlake",
                                                 "body": "Rally 6pm. Reply Y or N", "postal_code": "98101",
                                                 "miles": 10})
        self.assertEqual(made.status_code, 201, made.content)
        activation_id = made.json()["identifiers"][0].split(":")[1]
        with self.captureOnCommitCallbacks(execute=True):
            sent = self.call("post", f"activations/{activation_id}/send")
        self.assertEqual(sent.status_code, 200, sent.content)
        # Chosen at once; asked when the text has gone out.
        self.assertEqual((sent.json()["statistics"]["chosen"], sent.json()["statistics"]["asked"]), (1, 0))
        self.run_worker()
        self.assertEqual([s.to for s in simple.outbox], ["+12065550142"])
        self.assertEqual(self.call("get", f"activations/{activation_id}").json()["statistics"]["asked"], 1)
        from turnout.messaging.services import receive_sms

        with self.captureOnCommitCallbacks(execute=True):
            receive_sms(from_number="+12065550142", body="yes", provider_id="r1")
        self.run_worker()
        answers = self.call("get", f"activations/{activation_id}/responses").json()
        self.assertEqual([a["answer"] for a in answers["_embedded"]["turnout:responses"]], ["yes"])
        self.assertEqual(self.call("get", f"activations/{activation_id}").json()["statistics"]["yes"], 1)
        again = self.call("post", f"activations/{activation_id}/send")
        self.assertEqual(again.status_code, 409)  # sent already: the activation's state, not the request
        self.assertEqual(Response.objects.count(), 1)

    def test_plans_are_triggered_by_admins_only_and_once(self) -> None:
        record_consent(person=self.member, channel="sms", address="+12065550123", action="opt_in", source="form")
        Member.objects.create(network=self.network, person=self.member)
        plan = Plan.objects.create(group=self.local, name="Count every vote", condition="x", subject="On", body="On")
        plan.networks.add(self.network)
        self.assertEqual(self.call("get", f"plans/{plan.public_id}").json()["if_triggered_now"]["texted"], 1)
        self.assertEqual(self.call("post", f"plans/{plan.public_id}/trigger").status_code, 403)
        admin = make_staff("api-admin@example.org", self.local, Role.ADMIN)
        _token, admin_key = create_api_token(actor=None, user=admin, group=self.local, name="admin")
        first = self.call("post", f"plans/{plan.public_id}/trigger", key=admin_key)
        self.assertEqual((first.status_code, first.json()["result"]), (200, "triggered"))
        second = self.call("post", f"plans/{plan.public_id}/trigger", key=admin_key)
        self.assertEqual(second.json()["result"], "already triggered")
        self.assertEqual(Plan.objects.get().outcome["texted"], 1)

    def test_another_groups_token_sees_nothing(self) -> None:
        _token, key = create_api_token(actor=None, user=self.outsider, group=self.other, name="theirs")
        self.assertEqual(self.call("get", f"networks/{self.network.public_id}", key=key).status_code, 404)
        self.assertEqual(self.call("get", "networks", key=key).json()["total_records"], 0)
        activation = Activation.objects.create(network=self.network, title="x", body="y")
        self.assertEqual(self.call("post", f"activations/{activation.public_id}/send", key=key).status_code, 404)
