"""Group-owned rows (lists here; tags, events, forms, networks… share the queryset) are read
through the group tree: a role in a group reaches it and every group below, and no other."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser

from turnout.accounts.models import Role
from turnout.people.models import PersonList
from turnout.site.testing import TurnoutTestCase, make_staff


class GroupOwnedTests(TurnoutTestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.council_list = PersonList.objects.create(group=cls.council, name="Delegates")
        cls.local_list = PersonList.objects.create(group=cls.local, name="Stewards")
        cls.other_list = PersonList.objects.create(group=cls.other, name="Day laborers")

    def names(self, lists: object) -> set[str]:
        return {person_list.name for person_list in lists}  # type: ignore[attr-defined]

    def test_staff_see_their_groups_rows_and_those_of_groups_below(self) -> None:
        """The local's organizer sees the local's list; the council's admin sees both; the worker center sees its own."""
        self.assertEqual(self.names(PersonList.objects.visible_to(self.organizer)), {"Stewards"})
        self.assertEqual(self.names(PersonList.objects.visible_to(self.admin)), {"Delegates", "Stewards"})
        self.assertEqual(self.names(PersonList.objects.visible_to(self.outsider)), {"Day laborers"})

    def test_a_lower_role_than_the_one_asked_for_sees_nothing(self) -> None:
        """A viewer of the local reads its list, but not where an organizer is needed."""
        viewer = make_staff("viewer@example.org", self.local, Role.VIEWER)
        self.assertEqual(self.names(PersonList.objects.visible_to(viewer)), {"Stewards"})
        self.assertEqual(self.names(PersonList.objects.visible_to(viewer, Role.ORGANIZER)), set())

    def test_nobody_signed_in_sees_nothing_and_a_superuser_sees_everything(self) -> None:
        """Anonymous and deactivated staff see no row; a superuser sees every group's."""
        self.assertFalse(PersonList.objects.visible_to(AnonymousUser()).exists())
        gone = make_staff("gone@example.org", self.local, Role.ADMIN, is_active=False)
        self.assertFalse(PersonList.objects.visible_to(gone).exists())
        root = make_staff("root@example.org", is_superuser=True)
        self.assertEqual(self.names(PersonList.objects.visible_to(root)), {"Delegates", "Stewards", "Day laborers"})

    def test_in_group_is_the_group_and_every_group_below(self) -> None:
        """What a group, acting, may use: the council's rows and its locals'; the local's alone."""
        self.assertEqual(self.names(PersonList.objects.in_group(self.council)), {"Delegates", "Stewards"})
        self.assertEqual(self.names(PersonList.objects.in_group(self.local)), {"Stewards"})
