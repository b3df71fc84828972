"""Staff writes on the organizing pages go through the organizing services: each is on the audit
log, and the pages do what they did before."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from turnout.core.models import AuditEntry
from turnout.organizing import services
from turnout.organizing.models import Area, Campaign, Employer, Worker, Workplace
from turnout.organizing.tests.test_organizing import OrganizingCase
from turnout.site.testing import audit_summaries, make_person


def summaries(target: Any) -> list[str]:
    return audit_summaries(target)


class CampaignWriteTests(OrganizingCase):
    def test_a_campaign_is_made_and_changed_on_record(self) -> None:
        """A campaign made and then changed on its pages is on record; the change names what changed."""
        self.login(self.organizer)
        self.client.post(reverse("organizing:campaign_new"), {
            "group": self.local.pk, "name": "Harbor Freight Workers", "union_name": "Local 8", "card_text": "I join.",
            "card_valid_days": "365", "supermajority": "70"})
        campaign = Campaign.objects.get(name="Harbor Freight Workers")
        self.client.post(reverse("organizing:campaign_edit", args=[campaign.public_id]), {
            "name": "Harbor Freight Workers", "union_name": "Local 8", "card_text": "I join.",
            "card_valid_days": "180", "supermajority": "70"})
        campaign.refresh_from_db()
        self.assertEqual((campaign.group, campaign.card_valid_days), (self.local, 180))
        self.assertEqual(summaries(campaign), ["Organizing campaign Harbor Freight Workers",
                                               "Changed the campaign's settings or card text: card_valid_days"])

    def test_a_campaign_with_a_workplace_it_cannot_take_leaves_nothing(self) -> None:
        """Made with a workplace of another group, a campaign is refused whole: no campaign, no units."""
        employer = Employer.objects.create(group=self.other, name="Eastside Freight", industry="warehouse")
        theirs = Workplace.objects.create(group=self.other, employer=employer, name="Eastside Depot",
                                          postal_code="60608")
        with self.assertRaises(services.OrganizingError):
            services.create_campaign(actor=self.organizer, group=self.local, fields={"name": "Chain drive",
                                                                                     "union_name": "Local 8"},
                                     workplaces=[self.capitol, theirs])
        self.assertFalse(Campaign.objects.filter(name="Chain drive").exists())
        self.assertFalse(AuditEntry.objects.filter(summary__contains="Chain drive").exists())


class UnitAndWorkerWriteTests(OrganizingCase):
    def test_assigning_volunteers_replaces_them_and_is_on_record(self) -> None:
        """The unit's volunteers become exactly those ticked, and the assignment is on record."""
        self.login(self.organizer)
        self.client.post(self.unit.get_absolute_url(), {"set_volunteers": "1",
                                                        "volunteers": [self.other_volunteer_user.pk]})
        self.assertEqual(list(self.unit.volunteers.all()), [self.other_volunteer_user])
        self.assertEqual(summaries(self.unit)[-1], "Assigned volunteers: vol2@example.org")

    def test_a_placement_is_saved_on_record_and_only_from_the_workplaces_own_map(self) -> None:
        """A worker is placed from their workplace's map; an area of another workplace is refused."""
        worker = Worker.objects.create(unit=self.unit, person=make_person(self.local, given_name="Ines"))
        kitchen = services.add_area(actor=self.organizer, workplace=self.pike, kind="department", name="Kitchen")
        elsewhere = Area.objects.create(workplace=self.capitol, kind="department", name="Bar")
        self.login(self.organizer)
        self.client.post(reverse("organizing:worker", args=[worker.public_id]),
                         {"placement": "1", "department": kitchen.pk})
        worker.refresh_from_db()
        self.assertEqual((worker.department, worker.eligible), (kitchen, False))
        self.assertIn("Placement at Pike & 5th changed", summaries(worker.person))
        self.assertIn("Added department “Kitchen” to the map", summaries(self.pike))
        with self.assertRaises(services.OrganizingError):
            services.set_placement(actor=self.organizer, worker=worker, department=elsewhere, shift=None, job=None,
                                   eligible=True)
        worker.refresh_from_db()
        self.assertEqual(worker.department, kitchen)


class VolunteerEditLinkTests(OrganizingCase):
    def test_an_edit_link_with_an_id_that_is_no_id_is_refused_saying_so(self) -> None:
        """The volunteers page opened with a mangled ?edit= answers 400 naming the bad id, not a
        server error; a well-formed id of nobody is a 404; the real one opens the form filled in."""
        self.login(self.organizer)
        url = reverse("organizing:volunteers")
        response = self.client.get(url, {"edit": "12'; drop"})
        self.assertEqual(response.status_code, 400)
        self.assertIn("is not the id of a volunteer", response.content.decode())
        self.assertEqual(self.client.get(url, {"edit": "8d3c54b4-3f1e-4b8e-9a55-2f0c8a3d2e11"}).status_code, 404)
        self.assertContains(self.client.get(url, {"edit": str(self.volunteer.public_id)}), "<h2>Edit Vic</h2>")
