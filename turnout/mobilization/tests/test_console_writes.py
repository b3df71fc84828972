"""What staff build on the mobilization pages is saved by the mobilization services: drafts of
activations are on the audit log (they were not before), and the pages do what they did before."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import time_machine
from django.test import override_settings

from turnout.core.models import AuditEntry
from turnout.mobilization import services
from turnout.mobilization.models import Activation, Network, Plan, Pledge, packed
from turnout.site.testing import TurnoutTestCase, audit_summaries

NOON_PACIFIC = datetime(2026, 11, 4, 20, 0, tzinfo=UTC)


def summaries(target: Any) -> list[str]:
    return audit_summaries(target)


@time_machine.travel(NOON_PACIFIC, tick=False)
@override_settings(SMS_BACKEND="memory")
class ActivationDraftTests(TurnoutTestCase):
    def setUp(self) -> None:
        self.network = Network.objects.create(group=self.local, name="Rapid Response")
        self.login(self.organizer)
        self.draft = {"title": "Westlake", "body": "Rally 6pm. Reply Y or N", "channels": "sms",
                      "postal_code": "98101", "miles": "10", "skills_choice": ["medic"],
                      "override_reason": "left over from an earlier idea"}

    def test_a_draft_is_placed_on_the_map_and_on_record(self) -> None:
        """A drafted activation is placed at its ZIP code, keeps no reason for an override it does
        not make, and its drafting is on the audit log."""
        self.client.post(f"/mobilize/networks/{self.network.public_id}/activate/", self.draft)
        activation = Activation.objects.get()
        self.assertEqual((activation.created_by, activation.skills, activation.override_reason),
                         (self.organizer, packed(["medic"]), ""))
        self.assertAlmostEqual(activation.latitude or 0, 47.61, places=1)
        entry = AuditEntry.objects.get(target_id=str(activation.public_id))
        self.assertEqual((entry.action, entry.actor, entry.group), ("create", self.organizer, self.local))
        self.assertEqual(entry.summary, "Drafted the activation “Westlake” to Rapid Response")

    def test_editing_a_draft_is_on_record_and_a_sent_one_cannot_change(self) -> None:
        """A change to a draft is on record with what changed; once sent, the activation stays as it was."""
        self.client.post(f"/mobilize/networks/{self.network.public_id}/activate/", self.draft)
        activation = Activation.objects.get()
        edit = f"/mobilize/activations/{activation.public_id}/edit/"
        self.client.post(edit, {**self.draft, "title": "Westlake Park", "miles": "5"})
        activation.refresh_from_db()
        self.assertEqual((activation.title, activation.miles), ("Westlake Park", 5))
        self.assertEqual(summaries(activation)[-1], "Changed the draft activation: title, miles")
        Activation.objects.filter(pk=activation.pk).update(status=Activation.Status.SENT)
        response = self.client.post(edit, {**self.draft, "title": "Something else"}, follow=True)
        self.assertContains(response, "This activation was sent already.")
        with self.assertRaises(services.MobilizationError):
            services.update_activation(actor=self.organizer, activation=activation, fields={"title": "Something else"})
        activation.refresh_from_db()
        self.assertEqual(activation.title, "Westlake Park")


class PledgeAndPlanTests(TurnoutTestCase):
    def test_a_pledge_is_made_and_changed_on_record(self) -> None:
        """A pledge made and changed on its pages is on record, each change naming what changed."""
        self.login(self.organizer)
        self.client.post("/mobilize/pledges/new/", {"group": self.local.pk, "title": "Protect the results",
                                                    "text": "We will.", "is_open": "on"})
        pledge = Pledge.objects.get(title="Protect the results")
        self.client.post(pledge.get_absolute_url(), {"group": self.local.pk, "title": "Protect the results",
                                                     "text": "We will.", "goal": "500", "is_open": "on"})
        pledge.refresh_from_db()
        self.assertEqual((pledge.goal, pledge.created_by), (500, self.organizer))
        self.assertEqual(summaries(pledge), ["Created the pledge", "Changed the pledge: goal"])

    def test_a_plan_keeps_the_networks_it_tells(self) -> None:
        """A standby plan made on its page keeps the networks chosen, and is on record."""
        network = Network.objects.create(group=self.local, name="Rapid Response")
        self.login(self.admin)
        self.client.post("/mobilize/plans/new/", {
            "group": self.local.pk, "name": "Count every vote", "condition": "the results are not respected",
            "networks": [network.pk], "subject": "It is on", "body": "It is on.", "notify_days_after": "0"})
        plan = Plan.objects.get(name="Count every vote")
        self.assertEqual((list(plan.networks.all()), plan.created_by), ([network], self.admin))
        self.assertEqual(summaries(plan), ["Made the standby plan"])
