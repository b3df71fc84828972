"""Writes from the group and account pages go through the account services: each is on the
audit log, and the pages do what they did before."""

from __future__ import annotations

from turnout.accounts.models import Group, User
from turnout.core.models import AuditEntry
from turnout.site.testing import TurnoutTestCase


class GroupPageWriteTests(TurnoutTestCase):
    def test_adding_a_subgroup_is_on_record(self) -> None:
        """A group added below another is on the audit log, by whom, in the new group's trail."""
        self.login(self.admin)
        response = self.client.post(self.local.get_absolute_url(),
                                    {"subgroup": "1", "name": "Night Shift", "slug": "night-shift", "kind": "unit"})
        child = Group.objects.get(slug="night-shift")
        self.assertRedirects(response, self.local.get_absolute_url())
        self.assertEqual((child.parent, child.kind, child.path), (self.local, "unit", f"{self.local.path}{child.pk}/"))
        entry = AuditEntry.objects.get(target_type="group", target_id=str(child.public_id))
        self.assertEqual((entry.actor, entry.action, entry.group), (self.admin, "create", child))
        self.assertEqual(entry.summary, "Added Night Shift (Unit / chapter) below Local 8")
        self.assertIn(entry, AuditEntry.objects.filter(group__in=Group.objects.visible_to(self.admin)))

    def test_an_organizer_cannot_add_a_subgroup_and_nothing_is_recorded(self) -> None:
        """Only an admin adds groups; a refused attempt leaves neither a group nor an entry."""
        self.login(self.organizer)
        response = self.client.post(self.local.get_absolute_url(),
                                    {"subgroup": "1", "name": "Night Shift", "slug": "night-shift", "kind": "unit"})
        self.assertEqual(response.status_code, 403)
        self.assertFalse(Group.objects.filter(slug="night-shift").exists())
        self.assertFalse(AuditEntry.objects.filter(action="create", target_type="group").exists())

    def test_the_messaging_settings_are_saved_and_on_record(self) -> None:
        """The postal address and the hours texts may arrive are saved, and the change is on record."""
        self.login(self.admin)
        self.client.post(self.local.get_absolute_url(), {"messaging": "1", "postal_address": "100 Union St",
                                                         "texts_from": "10", "texts_until": "18"})
        self.local.refresh_from_db()
        self.assertEqual((self.local.postal_address, self.local.texts_from, self.local.texts_until),
                         ("100 Union St", 10, 18))
        entry = AuditEntry.objects.get(target_id=str(self.local.public_id), action="change")
        self.assertEqual((entry.actor, entry.group), (self.admin, self.local))


class PreferencesWriteTests(TurnoutTestCase):
    def test_changing_ones_name_and_language_is_saved_and_on_record(self) -> None:
        """A staffer's own name and language are saved; what changed is on their audit trail."""
        self.login(self.organizer)
        response = self.client.post("/accounts/preferences/", {"first_name": "Olivia", "last_name": "Reyes",
                                                              "language": "es"})
        self.assertEqual(response.cookies["django_language"].value, "es")
        user = User.objects.get(pk=self.organizer.pk)
        self.assertEqual((user.last_name, user.language), ("Reyes", "es"))
        entry = AuditEntry.objects.get(actor=self.organizer, action="change", target_type="user")
        self.assertEqual(entry.summary, "Changed their last name, language")

    def test_saving_without_a_change_adds_nothing_to_the_record(self) -> None:
        """Pressing Save on unchanged preferences writes no audit entry."""
        self.login(self.organizer)
        self.client.post("/accounts/preferences/", {"first_name": "Olivia", "last_name": "", "language": "en"})
        self.assertFalse(AuditEntry.objects.filter(actor=self.organizer, action="change").exists())
