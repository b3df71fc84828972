"""A resource center gathers a campaign's events and a group's actions on one public page, in
English and Spanish; staff build it block by block without code."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from turnout.actions.models import Form, Petition
from turnout.events.models import Event
from turnout.events.services import save_event
from turnout.hubs.models import Hub, HubItem
from turnout.site.testing import TurnoutTestCase


class HubTests(TurnoutTestCase):
    def test_a_resource_center_gathers_events_and_actions_in_english_and_spanish(self) -> None:
        save_event(actor=None, event=Event(group=self.local, title="Daily info meeting", postal_code="98101",
                                           starts_at=timezone.now() + timedelta(days=1)))
        petition = Petition.objects.create(group=self.local, title="Fix the heat", petition_text="Heat.")
        hub = Hub.objects.create(group=self.local, slug="election", title="Election Response Resource Center",
                                 title_es="Centro de recursos", intro="Everything in one place.")
        HubItem.objects.create(hub=hub, position=1, kind=HubItem.Kind.EVENTS, heading="Upcoming",
                               heading_es="Próximos eventos")
        HubItem.objects.create(hub=hub, position=2, kind=HubItem.Kind.PETITION, petition=petition)
        HubItem.objects.create(hub=hub, position=3, kind=HubItem.Kind.LINK, heading="Know your rights",
                               url="https://union.example/rights")
        self.assertEqual(self.client.get("/hub/election/").status_code, 404)  # not published yet
        hub.is_published = True
        hub.save()
        page = self.client.get("/hub/election/")
        self.assertContains(page, "Daily info meeting")
        self.assertContains(page, petition.public_url())
        self.assertContains(page, "https://union.example/rights")
        spanish = self.client.get("/hub/election/", headers={"accept-language": "es"})
        self.assertContains(spanish, "Centro de recursos")
        self.assertContains(spanish, "Próximos eventos")

    def test_staff_edit_the_resource_center_blocks_without_code(self) -> None:
        hub = Hub.objects.create(group=self.local, slug="hub", title="Hub")
        form = Form.objects.create(group=self.local, title="Sign up")
        self.login(self.organizer)
        data = {"hub-group": self.local.pk, "hub-slug": "hub", "hub-title": "Hub", "hub-is_published": "on",
                "items-TOTAL_FORMS": "2", "items-INITIAL_FORMS": "0", "items-MIN_NUM_FORMS": "0",
                "items-MAX_NUM_FORMS": "1000",
                "items-0-position": "1", "items-0-kind": "form", "items-0-form": form.pk,
                "items-1-position": "2", "items-1-kind": "link"}
        response = self.client.post(hub.get_absolute_url(), data)
        self.assertContains(response, "Choose what this block shows.")
        data["items-1-url"] = "https://union.example/"
        self.client.post(hub.get_absolute_url(), data)
        self.assertEqual([i.kind for i in hub.items.all()], ["form", "link"])
        self.assertContains(self.client.get("/hub/hub/"), form.public_url())


