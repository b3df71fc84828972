"""Resource centers made while they lived in turnout.actions keep working after the move to
turnout.hubs: every center and every block is still there, with what it points at, and the public
page still shows them."""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import TransactionTestCase

from turnout.accounts.models import Group
from turnout.actions.models import Petition
from turnout.hubs.models import Hub, HubItem


class ResourceCentersMoveTests(TransactionTestCase):
    before = [("actions", "0002_share_links_move_to_sharing")]
    after = [("hubs", "0001_initial")]

    def tearDown(self) -> None:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())

    def test_centers_and_blocks_survive_and_the_page_still_shows_them(self) -> None:
        executor = MigrationExecutor(connection)
        executor.migrate(self.before)
        old = executor.loader.project_state(self.before).apps
        OldHub, OldHubItem = old.get_model("actions", "Hub"), old.get_model("actions", "HubItem")
        OldGroup, OldPetition = old.get_model("accounts", "Group"), old.get_model("actions", "Petition")
        OldContentType = old.get_model("contenttypes", "ContentType")
        group = OldGroup.objects.create(name="Local 8", slug="local-8")
        petition = OldPetition.objects.create(group=group, title="Fix the heat", petition_text="Heat.")
        hub = OldHub.objects.create(group=group, slug="strike", title="Strike center", is_published=True)
        OldHubItem.objects.create(hub=hub, position=1, kind="petition", petition=petition)
        OldHubItem.objects.create(hub=hub, position=2, kind="link", heading="Know your rights",
                                  url="https://union.example/rights")
        OldContentType.objects.get_or_create(app_label="actions", model="hub")

        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(self.after)

        moved = Hub.objects.get()
        self.assertEqual((moved.pk, moved.public_id, moved.slug, moved.group_id), (hub.pk, hub.public_id, "strike",
                                                                                   group.pk))
        self.assertEqual([(i.kind, i.petition_id, i.url) for i in HubItem.objects.order_by("position")],
                         [("petition", petition.pk, ""), ("link", None, "https://union.example/rights")])
        self.assertTrue(ContentType.objects.filter(app_label="hubs", model="hub").exists())
        self.assertFalse(ContentType.objects.filter(app_label="actions", model="hub").exists())
        page = self.client.get("/hub/strike/")
        self.assertContains(page, Petition.objects.get().public_url())
        self.assertContains(page, "https://union.example/rights")
        self.assertEqual(Group.objects.get().pk, group.pk)
