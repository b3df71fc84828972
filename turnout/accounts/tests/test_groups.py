"""The group tree and how far a role reaches."""

from turnout.accounts.models import Group, Role
from turnout.accounts.permissions import best_role, has_role
from turnout.site.testing import TurnoutTestCase, make_group, make_staff


class GroupTreeTests(TurnoutTestCase):
    def test_any_depth_and_roles_reach_down_not_up(self) -> None:
        unit = make_group("Unit 8A", parent=self.local, kind=Group.Kind.UNIT)
        shop = make_group("Shop Floor", parent=unit, kind=Group.Kind.UNIT)
        self.assertEqual(shop.depth, 3)
        self.assertEqual(set(Group.objects.visible_to(self.organizer)), {self.local, unit, shop})
        self.assertEqual(best_role(self.admin, shop), Role.ADMIN)
        self.assertTrue(has_role(self.organizer, shop, Role.ORGANIZER))
        self.assertFalse(has_role(self.organizer, self.council, Role.VIEWER))
        self.assertFalse(has_role(self.organizer, shop, Role.ADMIN))
        self.assertEqual(list(Group.objects.visible_to(self.outsider)), [self.other])

    def test_the_highest_role_on_the_path_wins(self) -> None:
        host = make_staff("host@example.org", self.council, Role.HOST)
        from turnout.accounts.models import StaffRole

        StaffRole.objects.create(user=host, group=self.local, role=Role.ORGANIZER)
        self.assertEqual(best_role(host, self.local), Role.ORGANIZER)
        self.assertEqual(best_role(host, self.council), Role.HOST)

    def test_an_admin_adds_a_group_below_theirs(self) -> None:
        self.login(self.admin)
        self.client.post("/groups/local-8/", {"subgroup": "1", "name": "Night Shift", "slug": "night-shift", "kind": "unit"})
        child = Group.objects.get(slug="night-shift")
        self.assertEqual(child.parent, self.local)
        self.assertIn(child, Group.objects.visible_to(self.organizer))
