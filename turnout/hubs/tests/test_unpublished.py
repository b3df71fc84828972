"""An unpublished resource center is its own group's business (and the groups' above it) alone."""

from __future__ import annotations

from django.core.files.base import ContentFile

from turnout.accounts.models import Role
from turnout.hubs.models import Hub, HubItem
from turnout.site.testing import TurnoutTestCase, make_staff


class UnpublishedHubTests(TurnoutTestCase):
    def setUp(self) -> None:
        self.hub = Hub.objects.create(group=self.local, slug="strike-prep", title="Strike preparation")
        self.file = HubItem.objects.create(hub=self.hub, position=1, kind=HubItem.Kind.FILE, heading="Plan")
        self.file.file.save("plan.txt", ContentFile(b"picket schedule"), save=True)
        self.addCleanup(self.file.file.delete, save=False)
        self.file_url = f"/hub/strike-prep/files/{self.file.pk}/"

    def assertHidden(self) -> None:
        self.assertEqual(self.client.get("/hub/strike-prep/").status_code, 404)
        self.assertEqual(self.client.get(self.file_url).status_code, 404)

    def assertShown(self) -> None:
        self.assertContains(self.client.get("/hub/strike-prep/"), "Strike preparation")
        self.assertEqual(b"".join(self.client.get(self.file_url).streaming_content), b"picket schedule")

    def test_only_its_own_groups_staff_and_the_council_above_open_it_until_it_is_published(self) -> None:
        """A staffer of any other group gets the same 404 as the public, for the page and its files."""
        for user in (self.outsider, make_staff("viewer@eastside.example", self.other, Role.VIEWER)):
            self.login(user)
            self.assertHidden()
        self.client.logout()
        self.assertHidden()
        for user in (self.organizer, make_staff("viewer@local8.example", self.local, Role.VIEWER), self.admin):
            self.login(user)
            self.assertShown()
        self.hub.is_published = True
        self.hub.save(update_fields=["is_published"])
        self.login(self.outsider)
        self.assertShown()
        self.client.logout()
        self.assertShown()
