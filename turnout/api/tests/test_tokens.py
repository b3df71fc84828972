"""API tokens: made and revoked on the account page or from the command line, acting as their user."""

from __future__ import annotations

import io

from django.core.management import CommandError, call_command

from turnout.accounts.models import ApiToken
from turnout.api.tests.base import ApiTestCase
from turnout.core.models import AuditEntry


class TokenPageTests(ApiTestCase):
    def test_staff_create_a_token_see_it_once_and_use_it(self) -> None:
        self.login(self.organizer)
        response = self.client.post("/accounts/tokens/", {"name": "Parsons sync", "group": self.local.pk})
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response["Cache-Control"], "no-store")
        key = response.context["new_key"]
        self.assertContains(response, key)
        self.assertTrue(key.startswith("tnt_"))
        page = self.client.get("/accounts/preferences/")
        self.assertContains(page, "Parsons sync")
        self.assertNotContains(page, key)  # shown once only
        self.assertEqual(self.api("GET", "people", key=key).status_code, 200)
        self.assertTrue(AuditEntry.objects.filter(summary__contains="Created API token").exists())

    def test_a_token_can_only_be_made_for_the_users_own_groups(self) -> None:
        self.login(self.organizer)
        response = self.client.post("/accounts/tokens/", {"name": "sneaky", "group": self.other.pk})
        self.assertContains(response, "Select a valid choice")
        self.assertContains(response, "sneaky")  # what was typed is kept
        self.assertFalse(ApiToken.objects.filter(name="sneaky").exists())

    def test_revoking_stops_the_token_at_once(self) -> None:
        self.login(self.organizer)
        self.assertEqual(self.api("GET", "people").status_code, 200)
        self.client.post(f"/accounts/tokens/{self.token.public_id}/revoke/")
        self.assertEqual(self.api("GET", "people").status_code, 401)

    def test_staff_cannot_revoke_someone_elses_token(self) -> None:
        self.login(self.outsider)
        self.assertEqual(self.client.post(f"/accounts/tokens/{self.token.public_id}/revoke/").status_code, 404)
        self.assertEqual(self.api("GET", "people").status_code, 200)

    def test_a_token_whose_user_lost_their_role_stops_working(self) -> None:
        self.organizer.staff_roles.all().delete()
        response = self.api("GET", "people")
        self.assertEqual(response.status_code, 403)


class CommandTests(ApiTestCase):
    def test_create_api_token_prints_a_working_key_once(self) -> None:
        out = io.StringIO()
        call_command("create_api_token", "Organizer@Example.org", "--name", "cron", stdout=out)
        key = out.getvalue().strip()
        token = ApiToken.objects.get(name="cron")
        self.assertEqual((token.user, token.group), (self.organizer, self.local))
        self.assertEqual(self.api("GET", "people", key=key).status_code, 200)

    def test_create_api_token_explains_what_is_wrong(self) -> None:
        with self.assertRaisesMessage(CommandError, "No active staff user"):
            call_command("create_api_token", "nobody@example.org", stdout=io.StringIO())
        with self.assertRaisesMessage(CommandError, "holds no role in a group called eastside-workers"):
            call_command("create_api_token", "organizer@example.org", "--group", "eastside-workers",
                         stdout=io.StringIO())
